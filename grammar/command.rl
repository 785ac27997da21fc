/*
 * command.rl — SMTP command lines (RFC 5321 §4.1.1, ESMTP parameters) and
 * SASL response lines (RFC 4954 §4): the machines. The driver
 * (src/command_parse.c) includes the generated code; what the actions
 * call is in src/command_scan.h, the API and cold paths in
 * src/command.c.
 *
 * The RFC rules come from common.rl; here they get marks (offsets from the
 * start of the line, so the caller's buffer may move between calls), flags
 * and violations. Limits are enforced in C.
 *
 * The machine has no acceleration of its own: every octet it is given
 * takes one of its transitions. The driver's whole-line fast paths take
 * the common lines without it; a grammar-only build (meson
 * -Dgrammar_only=true) has none, and the vectors and the fuzz harness
 * hold the two builds to the same results.
 */

%%{
machine command;
alphtype unsigned char;
variable stack P->stack_;
variable top P->top_;

# RFC 6531 §3.3: octets >= 0x80 where UTF-8 may appear are flagged; the
# line is checked for UTF-8 (or refused without SMTPUTF8) at its end.
u8 = 0x80..0xff @{ F(8BIT); };

include common "common.rl";

action vs { MS(S_VAL); } # K() has set the zone
action ve { ME(S_VAL); }

eol = "\r"? "\n" @{ P->pflags_ |= PF_DONE; fbreak; };
spx = " " ( " "+ %{ V(EXTRA_SPACE); } )?;
# RFC 5321 §4.1.1: "SMTP receivers SHOULD tolerate trailing white space
# before the terminating <CRLF>": accepted in every mode, reported.
ws_tail = ( [ \t]+ %{ V(TRAILING_SPACE); } )?;

# ---- addresses (RFC 5321 §4.1.2, §4.1.3) ----

# The address literal is scanned by its own machine, called from every
# place a domain may be one (one copy of the IPv6 forms).
literal_m := ( ipv4_literal
	     | ipv6_literal %{ F(LITERAL_IPV6); }
	     | general_literal %{ F(LITERAL_GENERAL); } ) "]" @{ fret; };
literal = "[" @{ F(ADDRESS_LITERAL); Z(Z_LITERAL); fcall literal_m; };
dom_m = ( domain >{ Z(Z_DOMAIN); } | literal )
	>{ MS(S_DOMAIN); } %{ ME(S_DOMAIN); };
lp_m = ( dot_string
       | quoted_string >{ F(QUOTED_LOCAL); }
       | ( dot_string_loose - dot_string ) %{ V(LOCAL_PART_DOTS); } )
       >{ MS(S_LOCAL); Z(Z_LOCAL); } %{ ME(S_LOCAL); };
route_m = a_d_l >{ MS(S_ROUTE); Z(Z_DOMAIN); }
	  %{ ME(S_ROUTE); F(SOURCE_ROUTE); };
# The parts of a MAIL or RCPT path, each optional here, with their marks:
# "<", route, local part, domain, ">". (A malformed path such as "<a@b"
# is reported as bad-path and the line is still read, for its parameters.)
path_body = "<"? ( ( route_m ":" )? lp_m ( "@" @{ Z(Z_DOMAIN); } dom_m )? )?
	    ( ">" >{ Z(Z_PATH); } )?;
# What a verb's path may be (RFC 5321 §4.1.1.2, §4.1.1.3, §4.1.2), over
# path_body's language: exactly one alternative ends where the path ends,
# and says what the path was. A bare mailbox is a tolerance, reported. An
# address literal's content is read by literal_m (fcall), so here a
# literal is its "[".
pk_mailbox = ( dot_string_loose | quoted_string ) "@" ( domain | "[" );
pk_path = "<" ( a_d_l ":" )? pk_mailbox ">";
pk_bare = pk_mailbox %{ V(NO_ANGLE_BRACKETS); };
mail_path = pk_path | "<>" %{ F(NULL_PATH); } | pk_bare
	  | ( any* - ( pk_path | "<>" | pk_mailbox ) ) %{ V(BAD_PATH); };
rcpt_path = pk_path | "<Postmaster>"i %{ F(POSTMASTER); } | pk_bare
	  | ( any* - ( pk_path | "<Postmaster>"i | pk_mailbox ) )
	    %{ V(BAD_PATH); };
colon_sp = ( " "+ %{ V(SPACE_AFTER_COLON); } )?;

# ---- MAIL/RCPT parameters: a typed value grammar per keyword (a value
# outside it stops the scan: the line is refused with the parameter's
# violation) ----
xtext1 = ( xchar | hexchar )+;
size_v = digit+;
body_v = "7BIT"i %{ P->val_ = POSTEL_BODY_7BIT; }
       | "8BITMIME"i %{ P->val_ = POSTEL_BODY_8BITMIME; }
       | "BINARYMIME"i %{ P->val_ = POSTEL_BODY_BINARYMIME; };
ret_v = "FULL"i %{ P->val_ = POSTEL_RET_FULL; }
      | "HDRS"i %{ P->val_ = POSTEL_RET_HDRS; };
auth_v = "<>" %{ P->val_ = 1; } | xtext1;
notify_el = "NEVER"i %{ P->val_ |= POSTEL_NOTIFY_NEVER; }
	  | "SUCCESS"i %{ P->val_ |= POSTEL_NOTIFY_SUCCESS; }
	  | "FAILURE"i %{ P->val_ |= POSTEL_NOTIFY_FAILURE; }
	  | "DELAY"i %{ P->val_ |= POSTEL_NOTIFY_DELAY; };
notify_v = notify_el ( "," notify_el )*;
orcpt_v = atom_ascii ";" >{ MS(S_SEMI); } xtext_print;
mtpri_v = "-"? [1-9] | "0";
by_v = [+\-]? digit{1,9} ";" [NnRr] [Tt]?;
holdfor_v = [1-9] digit{0,8};
rrvs_v = date_time ( ";" [CcRr] )?;
mtrk_v = ( base64 - zlen ) ( ":" digit{1,9} )?;

# A parameter (RFC 5321 §4.1.2 esmtp-param): a keyword postel knows, then
# after "=" the value grammar of that keyword (RFC 1870, RFC 6152, RFC
# 3030, RFC 3461, RFC 4954 §5, RFC 6531, RFC 8689, RFC 6710, RFC 2852,
# RFC 4865, RFC 3885, RFC 7293), or any other esmtp-keyword with an
# esmtp-value. Keywords in any case (RFC 5321 §2.4). A known keyword
# without its value is decoded as such (SMTPUTF8 and REQUIRETLS take
# none; the others report their bad-value violation). Whether a known
# parameter is allowed on this verb, or given twice, is decided in C
# (param_new()). A value outside its grammar stops the machine: the line
# is refused with that parameter's violation (the zone and kind K() set).
p_size = "SIZE"i "=" @{ K(K_SIZE); }
	( size_v ) >vs %ve %{ param_value(P, C, base, K_SIZE); };
p_body = "BODY"i "=" @{ K(K_BODY); }
	( body_v ) >vs %ve %{ param_value(P, C, base, K_BODY); };
p_ret = "RET"i "=" @{ K(K_RET); }
	( ret_v ) >vs %ve %{ param_value(P, C, base, K_RET); };
p_envid = "ENVID"i "=" @{ K(K_ENVID); }
	( ( xtext_print - zlen ) ) >vs %ve %{ param_value(P, C, base, K_ENVID); };
p_auth = "AUTH"i "=" @{ K(K_AUTH); }
	( auth_v ) >vs %ve %{ param_value(P, C, base, K_AUTH); };
p_smtputf8 = "SMTPUTF8"i "=" @{ K(K_SMTPUTF8); }
	( esmtp_value ) >vs %ve %{ param_value(P, C, base, K_SMTPUTF8); };
p_requiretls = "REQUIRETLS"i "=" @{ K(K_REQUIRETLS); }
	( esmtp_value ) >vs %ve %{ param_value(P, C, base, K_REQUIRETLS); };
p_mt_priority = "MT-PRIORITY"i "=" @{ K(K_MT_PRIORITY); }
	( mtpri_v ) >vs %ve %{ param_value(P, C, base, K_MT_PRIORITY); };
p_by = "BY"i "=" @{ K(K_BY); }
	( by_v ) >vs %ve %{ param_value(P, C, base, K_BY); };
p_holdfor = "HOLDFOR"i "=" @{ K(K_HOLDFOR); }
	( holdfor_v ) >vs %ve %{ param_value(P, C, base, K_HOLDFOR); };
p_holduntil = "HOLDUNTIL"i "=" @{ K(K_HOLDUNTIL); }
	( date_time ) >vs %ve %{ param_value(P, C, base, K_HOLDUNTIL); };
p_mtrk = "MTRK"i "=" @{ K(K_MTRK); }
	( mtrk_v ) >vs %ve %{ param_value(P, C, base, K_MTRK); };
p_notify = "NOTIFY"i "=" @{ K(K_NOTIFY); }
	( notify_v ) >vs %ve %{ param_value(P, C, base, K_NOTIFY); };
p_orcpt = "ORCPT"i "=" @{ K(K_ORCPT); }
	( orcpt_v ) >vs %ve %{ param_value(P, C, base, K_ORCPT); };
p_rrvs = "RRVS"i "=" @{ K(K_RRVS); }
	( rrvs_v ) >vs %ve %{ param_value(P, C, base, K_RRVS); };
known_kw = "SIZE"i | "BODY"i | "RET"i | "ENVID"i | "AUTH"i | "SMTPUTF8"i | "REQUIRETLS"i | "MT-PRIORITY"i | "BY"i | "HOLDFOR"i | "HOLDUNTIL"i | "MTRK"i | "NOTIFY"i | "ORCPT"i | "RRVS"i;
p_novalue = "SIZE"i %{ param_novalue(P, C, K_SIZE); }
	  | "BODY"i %{ param_novalue(P, C, K_BODY); }
	  | "RET"i %{ param_novalue(P, C, K_RET); }
	  | "ENVID"i %{ param_novalue(P, C, K_ENVID); }
	  | "AUTH"i %{ param_novalue(P, C, K_AUTH); }
	  | "SMTPUTF8"i %{ param_novalue(P, C, K_SMTPUTF8); }
	  | "REQUIRETLS"i %{ param_novalue(P, C, K_REQUIRETLS); }
	  | "MT-PRIORITY"i %{ param_novalue(P, C, K_MT_PRIORITY); }
	  | "BY"i %{ param_novalue(P, C, K_BY); }
	  | "HOLDFOR"i %{ param_novalue(P, C, K_HOLDFOR); }
	  | "HOLDUNTIL"i %{ param_novalue(P, C, K_HOLDUNTIL); }
	  | "MTRK"i %{ param_novalue(P, C, K_MTRK); }
	  | "NOTIFY"i %{ param_novalue(P, C, K_NOTIFY); }
	  | "ORCPT"i %{ param_novalue(P, C, K_ORCPT); }
	  | "RRVS"i %{ param_novalue(P, C, K_RRVS); };
p_other = ( esmtp_keyword - known_kw )
	  ( "=" @{ K(K_OTHER); } esmtp_value >vs %ve
	    %{ param_value(P, C, base, K_OTHER); }
	  | zlen %{ param_novalue(P, C, K_OTHER); } );
param = ( p_size | p_body | p_ret | p_envid | p_auth | p_smtputf8 | p_requiretls | p_mt_priority | p_by | p_holdfor | p_holduntil | p_mtrk | p_notify | p_orcpt | p_rrvs
	| p_novalue | p_other ) >{ Z(Z_PARAM); };
# The parameters after a path (SP-separated, RFC 5321 §4.1.2), then the
# line end; the arguments end where the last parameter does.
params_tail = spx >{ Z(Z_PARAM); } param >{ MS(S_PARAMS); } ( spx param )*
	      ( ws_tail eol ) >{ ME(S_ARG); }
	    | ws_tail eol;

# ---- commands (RFC 5321 §4.1.1 and the extensions' RFCs) ----
# HELO/EHLO/LHLO: a domain or an address literal; other words are lenient
# (one word; "[" starts a literal, which must be valid). HELO takes the
# literal too: the ABNF of §4.1.1.1 has `helo = "HELO" SP Domain CRLF`,
# but its text says of "these commands" (EHLO and HELO) that a client
# without a meaningful name "SHOULD send an address literal", and a
# receiver that refused it would refuse a client following that text.
# Accepted in every mode, reported as helo-address-literal (helo_end()).
ehlo_loose = ( 33..90 | 92..126 | u8 ) ( 33..126 | u8 )*;
ehlo_arg = ( ( domain | literal ) >{ MS(S_DOMAIN); }
	     %{ ME(S_DOMAIN); P->pflags_ |= PF_OK; }
	   | ehlo_loose )
	   >{ MS(S_ARG); Z(Z_HELO); } %{ ME(S_ARG); helo_end(P, C); };
ehlo_rest := spx >{ Z(Z_ARG0); } ehlo_arg ws_tail eol;
action path_end { path_end(P, C, base, OFF); }
mail_rest := " " @{ Z(Z_MAILKW); } "FROM:"i @{ Z(Z_PATH); }
	     colon_sp ( ( path_body - zlen ) & mail_path )
	     >{ MS(S_PATH); MS(S_ARG); } %path_end params_tail;
rcpt_rest := " " @{ Z(Z_MAILKW); } "TO:"i @{ Z(Z_PATH); }
	     colon_sp ( ( path_body - zlen ) & rcpt_path )
	     >{ MS(S_PATH); MS(S_ARG); } %path_end params_tail;

string_m = string >{ MS(S_ARG); Z(Z_STRING); } %{ ME(S_ARG); Z(Z_TAIL); };
utf8_arg = spx "SMTPUTF8"i %{ F(SMTPUTF8_ARG); };
# VRFY/EXPN: the ABNF's String (§4.1.1.6, §4.1.1.7; UTF-8 under SMTPUTF8,
# RFC 6531 §3.7.4.2), a user name that is a local mailbox's Dot-string
# ("MUST include at least recognition of local mailboxes as user names",
# §3.5.1) and the "local-part@domain" form hosts "SHOULD accept" (§3.5.1;
# its argument "cannot be further restricted"). Other words, `<...>`
# among them, are not a String: 501.
vrfy_str = local_part ( "@" ( domain | address_literal ) )?;
vrfy_m = vrfy_str >{ MS(S_ARG); Z(Z_STRING); } %{ ME(S_ARG); Z(Z_TAIL); };
vrfy_rest := spx >{ Z(Z_ARG0); } vrfy_m utf8_arg? ws_tail eol;
help_rest := ( spx >{ Z(Z_ARG0); } string_m )? ws_tail eol;
# RFC 5321 §4.1.1.9: a NOOP parameter string is ignored: any text. It
# ends at its last octet that is not white space: what follows is
# trailing white space (ME(S_ARG) fires after each word; the last wins).
noop_text = ( 32..126 | "\t" | u8 )* ( 33..126 | u8 );
noop_rest := ( " " ( noop_text >{ MS(S_ARG); } %{ ME(S_ARG); } )? )?
	     ws_tail eol;
# DATA RSET QUIT STARTTLS take no argument (RFC 5321 §4.1.1, RFC 3207 §4)
bare_rest := ws_tail eol;

mech_m = sasl_mech >{ MS(S_MECH); MS(S_ARG); Z(Z_MECH); }
	 %{ ME(S_MECH); ME(S_ARG); Z(Z_TAIL); };
ir_m = ( "=" %{ F(AUTH_EMPTY); } | ( base64 - zlen ) )
       >{ MS(S_IR); Z(Z_IR); } %{ ME(S_IR); Z(Z_TAIL); };
auth_rest := spx >{ Z(Z_ARG0); } mech_m ( spx >{ Z(Z_IR); } ir_m )?
	     ws_tail eol;

chunk_m = digit+ >{ MS(S_ARG); Z(Z_CHUNK); }
	  %{ ME(S_ARG); chunk_end(P, C, base); Z(Z_TAIL); };
bdat_rest := spx >{ Z(Z_ARG0); } chunk_m ( spx "LAST"i %{ F(BDAT_LAST); } )? ws_tail eol;

etrn_node = ( ( "@" @{ C->etrn_option = '@'; } )?
	      domain_ascii >{ MS(S_DOMAIN); } %{ ME(S_DOMAIN); }
	    | "#" @{ C->etrn_option = '#'; } ( 33..126 )+ )
	    >{ MS(S_ARG); Z(Z_ETRN); } %{ ME(S_ARG); Z(Z_TAIL); };
etrn_rest := spx >{ Z(Z_ARG0); } etrn_node ws_tail eol;

# The verb (RFC 5321 §2.4: in any case), then that command's machine.
main := "HELO"i @{ VERB(HELO); fgoto ehlo_rest; }
      | "EHLO"i @{ VERB(EHLO); fgoto ehlo_rest; }
      | "LHLO"i @{ VERB(LHLO); fgoto ehlo_rest; }
      | "MAIL"i @{ VERB(MAIL); fgoto mail_rest; }
      | "RCPT"i @{ VERB(RCPT); fgoto rcpt_rest; }
      | "DATA"i @{ VERB(DATA); fgoto bare_rest; }
      | "BDAT"i @{ VERB(BDAT); fgoto bdat_rest; }
      | "RSET"i @{ VERB(RSET); fgoto bare_rest; }
      | "VRFY"i @{ VERB(VRFY); fgoto vrfy_rest; }
      | "EXPN"i @{ VERB(EXPN); fgoto vrfy_rest; }
      | "HELP"i @{ VERB(HELP); fgoto help_rest; }
      | "NOOP"i @{ VERB(NOOP); fgoto noop_rest; }
      | "QUIT"i @{ VERB(QUIT); fgoto bare_rest; }
      | "STARTTLS"i @{ VERB(STARTTLS); fgoto bare_rest; }
      | "AUTH"i @{ VERB(AUTH); fgoto auth_rest; }
      | "ETRN"i @{ VERB(ETRN); fgoto etrn_rest; };

write data noerror;
}%%

%%{
machine sasl;
alphtype unsigned char;
u8 = 0x80..0xff;
include common "common.rl";

# RFC 4954 §4: a response is base64 (possibly empty) or "*" (cancel)
main := ( "*" %{ P->pflags_ |= PF_OK; } | base64 ) "\r"? "\n"
	@{ P->pflags_ |= PF_DONE; fbreak; };

write data noerror noentry;
}%%

/* The start state of a line of commands or of SASL responses (P->sasl_);
 * clears the call stack of the address literal machine. */
static int cmd_scan_start(postel_command_parser *P)
{
	int cs;
	if (P->sasl_) {
		%% machine sasl; write init;
	} else {
		%% machine command; write init;
	}
	return cs;
}

/* Run a scanner over [p, pe); returns where it stopped. */
static BIG_INLINE const unsigned char *scan_cmd(postel_command_parser *P,
				     postel_command *C,
				     const unsigned char *base,
				     const unsigned char *p,
				     const unsigned char *pe)
{
	int cs = P->cs_;
	%% machine command; write exec;
	P->cs_ = cs;
	return p;
}

static const unsigned char *scan_sasl(postel_command_parser *P,
				      const unsigned char *p,
				      const unsigned char *pe)
{
	int cs = P->cs_;
	%% machine sasl; write exec;
	P->cs_ = cs;
	return p;
}

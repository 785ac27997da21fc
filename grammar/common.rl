/*
 * common.rl — the SMTP grammar shared by every postel scanner, as
 * action-free Ragel machines: RFC 5321 §4.1.2 (Domain, Mailbox, Path,
 * esmtp-param, String), §4.1.3 (address literals), RFC 6531 §3.3 (UTF-8
 * extensions), RFC 3461 §4 (xtext), RFC 4954 §4 (base64), RFC 3339 §5.6
 * (date-time).
 *
 * Dependencies / Required actions:
 *   - `alphtype unsigned char;` in the including machine.
 *   - The including machine defines, BEFORE `include common "common.rl";`,
 *       u8 = <how one octet >= 0x80 is matched where RFC 6531 allows
 *             UTF-8 (atext, qtextSMTP, sub-domain U-labels, esmtp-value)>;
 *     e.g. `u8 = 0x80..0xff @flag_8bit;` (validate UTF-8 elsewhere), or
 *     `u8 = 0x80..0xff;`, or `u8 = zlen - zlen;` to forbid 8-bit octets.
 *   - Nothing here carries an action: marks, flags and violations are
 *     embedded by the including grammar (entering `>`, leaving `%`).
 *     Leaving actions on alternatives are how callers tell branches apart
 *     (e.g. `ipv6_literal %f | general_literal %g`): the alternatives
 *     below are disjoint where that matters (General-address-literal
 *     excludes the "IPv6" tag).
 *   - Length limits (local part 64, domain 255, path 256, line 512) are
 *     not expressed here; callers enforce them in C (§4.5.3.1).
 */
%%{
machine common;

# RFC 5234 Appendix B.1 core rules
SP = " ";
HTAB = "\t";
DQUOTE = '"';
HEXDIG = [0-9A-Fa-f];

# ---- RFC 5321 §4.1.2 ----
let_dig = alnum;
ldh_str = ( alnum | "-" )* alnum;

# sub-domain = Let-dig [Ldh-str]; RFC 6531 §3.3 adds U-labels, whose
# octets >= 0x80 count as letters here (IDNA validity is not checked).
let_dig_u = alnum | u8;
sub_domain = let_dig_u ( ( let_dig_u | "-" )* let_dig_u )?;
domain = sub_domain ( "." sub_domain )*;
domain_ascii = let_dig ( ( let_dig | "-" )* let_dig )?
	       ( "." let_dig ( ( let_dig | "-" )* let_dig )? )*;

# ---- RFC 5321 §4.1.3 address literals ----
# Snum = 1*3DIGIT with a value of 0 to 255
snum = digit{1,2} | [01] digit{2} | "2" [0-4] digit | "25" [0-5];
ipv4_address = snum ( "." snum ){3};

ipv6_hex = HEXDIG{1,4};
ipv6_full = ipv6_hex ( ":" ipv6_hex ){7};
# IPv6-comp: "::" plus at most 6 other groups
ipv6_comp =
	  "::" ( ipv6_hex ( ":" ipv6_hex ){0,5} )?
	| ipv6_hex "::" ( ipv6_hex ( ":" ipv6_hex ){0,4} )?
	| ipv6_hex ( ":" ipv6_hex ){1} "::" ( ipv6_hex ( ":" ipv6_hex ){0,3} )?
	| ipv6_hex ( ":" ipv6_hex ){2} "::" ( ipv6_hex ( ":" ipv6_hex ){0,2} )?
	| ipv6_hex ( ":" ipv6_hex ){3} "::" ( ipv6_hex ( ":" ipv6_hex )? )?
	| ipv6_hex ( ":" ipv6_hex ){4} "::" ipv6_hex?
	| ipv6_hex ( ":" ipv6_hex ){5} "::";
ipv6v4_full = ipv6_hex ( ":" ipv6_hex ){5} ":" ipv4_address;
# IPv6v4-comp: "::" plus at most 4 other groups, then IPv4
ipv6v4_comp =
	  "::" ( ipv6_hex ( ":" ipv6_hex ){0,3} ":" )? ipv4_address
	| ipv6_hex "::" ( ipv6_hex ( ":" ipv6_hex ){0,2} ":" )? ipv4_address
	| ipv6_hex ":" ipv6_hex "::" ( ipv6_hex ( ":" ipv6_hex )? ":" )? ipv4_address
	| ipv6_hex ( ":" ipv6_hex ){2} "::" ( ipv6_hex ":" )? ipv4_address
	| ipv6_hex ( ":" ipv6_hex ){3} "::" ipv4_address;
ipv6_addr = ipv6_full | ipv6_comp | ipv6v4_full | ipv6v4_comp;

ipv4_literal = ipv4_address;
ipv6_literal = "IPv6:"i ipv6_addr;
# dcontent = %d33-90 / %d94-126; the tag "IPv6" belongs to ipv6_literal
dcontent = 33..90 | 94..126;
general_literal = ( ldh_str - "IPv6"i ) ":" dcontent+;
address_literal = "[" ( ipv4_literal | ipv6_literal | general_literal ) "]";

# ---- Local-part (RFC 5321 §4.1.2, atext from RFC 5322 §3.2.3) ----
atext_ascii = alnum | [!#$%&'*+\-/=?^_`{|}~];
atext = atext_ascii | u8;
atom = atext+;
atom_ascii = atext_ascii+;
dot_string = atom ( "." atom )*;
# Dot-string with stray dots (leading, trailing, doubled): not RFC 5321
dot_string_loose = ( atext | "." )+;
qtext_smtp = 32..33 | 35..91 | 93..126 | u8;
quoted_pair_smtp = "\\" 32..126;
quoted_string = DQUOTE ( qtext_smtp | quoted_pair_smtp )* DQUOTE;
local_part = dot_string | quoted_string;
string = atom | quoted_string;

mailbox = local_part "@" ( domain | address_literal );
at_domain = "@" domain;
a_d_l = at_domain ( "," at_domain )*;
path = "<" ( a_d_l ":" )? mailbox ">";
reverse_path = path | "<>";
forward_path = path;

# ---- ESMTP parameters (RFC 5321 §4.1.2, RFC 6531 §3.3) ----
esmtp_keyword = alnum ( alnum | "-" )*;
esmtp_value = ( 33..60 | 62..126 | u8 )+;
esmtp_param = esmtp_keyword ( "=" esmtp_value )?;

# ---- xtext (RFC 3461 §4) ----
xchar = 33..42 | 44..60 | 62..126;
hexchar = "+" [0-9A-F]{2};
xtext = ( xchar | hexchar )*;
# ENVID and ORCPT decode to "printable (graphic and white space)
# characters from the US-ASCII repertoire" (RFC 3461 §4.2, §4.4): a
# hexchar of HT, SP or %x21-7E
hexchar_print = "+" ( "09" | [2-6] [0-9A-F] | "7" [0-9A-E] );
xtext_print = ( xchar | hexchar_print )*;

# ---- base64 (RFC 4954 §4) ----
base64_char = alnum | "+" | "/";
base64_terminal = base64_char{2} "==" | base64_char{3} "=";
base64 = base64_char{4}* base64_terminal?;

# ---- SASL mechanism name (RFC 4422 §3.1; lower case tolerated) ----
sasl_mech = ( alnum | "-" | "_" ){1,20};

# ---- date-time (RFC 3339 §5.6; "T" and "Z" in either case) ----
dt_month = "0" [1-9] | "1" [0-2];
dt_mday = "0" [1-9] | [12] digit | "3" [01];
dt_hour = [01] digit | "2" [0-3];
dt_minute = [0-5] digit;
dt_second = [0-5] digit | "60";
dt_offset = [Zz] | [+\-] dt_hour ":" dt_minute;
date_time = digit{4} "-" dt_month "-" dt_mday [Tt]
	    dt_hour ":" dt_minute ":" dt_second ( "." digit+ )? dt_offset;
}%%

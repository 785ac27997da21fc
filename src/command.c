/*
 * postel — command parser: API, configuration, and the cold paths (syntax
 * error classification, unknown parameters, UTF-8 validation, reply
 * mapping). The scanners and the hot path are in grammar/command.rl.
 */
#include "command_int.h"

const char *postel_verb_name(postel_verb v)
{
	switch (v) {
#define X(id, num, name) case POSTEL_VERB_##id: return name;
	POSTEL_VERB_MAP(X)
#undef X
	default: return "UNKNOWN";
	}
}

void postel_command_config_default(postel_command_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof *cfg);
	cfg->lenient = POSTEL_LENIENT;
	cfg->params = POSTEL_PARAM_ALL;
	cfg->max_line = POSTEL_CMD_MAX_LINE;
	cfg->max_mail_line = POSTEL_CMD_MAX_MAIL_LINE;
	cfg->max_rcpt_line = POSTEL_CMD_MAX_RCPT_LINE;
	cfg->max_auth_line = POSTEL_CMD_MAX_AUTH_LINE;
	cfg->max_local_part = POSTEL_CMD_MAX_LOCAL_PART;
	cfg->max_domain = POSTEL_CMD_MAX_DOMAIN;
	cfg->max_path = POSTEL_CMD_MAX_PATH;
}

static uint32_t limit(uint32_t v, uint32_t def)
{
	if (v == 0)
		return def;
	return v > POSTEL_CMD_LIMIT_MAX ? POSTEL_CMD_LIMIT_MAX : v;
}

void postel_command_parser_init(postel_command_parser *p,
				const postel_command_config *cfg)
{
	if (!p)
		return;
	memset(p, 0, sizeof *p);
	if (cfg)
		p->config = *cfg;
	else
		postel_command_config_default(&p->config);
	postel_command_config *c = &p->config;
	c->max_line = limit(c->max_line, POSTEL_CMD_MAX_LINE);
	c->max_mail_line = limit(c->max_mail_line, POSTEL_CMD_MAX_MAIL_LINE);
	c->max_rcpt_line = limit(c->max_rcpt_line, POSTEL_CMD_MAX_RCPT_LINE);
	c->max_auth_line = limit(c->max_auth_line, POSTEL_CMD_MAX_AUTH_LINE);
	c->max_local_part = limit(c->max_local_part, POSTEL_CMD_MAX_LOCAL_PART);
	c->max_domain = limit(c->max_domain, POSTEL_CMD_MAX_DOMAIN);
	c->max_path = limit(c->max_path, POSTEL_CMD_MAX_PATH);
	p->mode_ = M_IDLE;
}

void postel_command_parser_reset(postel_command_parser *p)
{
	if (p)
		p->mode_ = M_IDLE;
}

/* ---- error classes and replies ---- */

static int takes_path(postel_verb v)
{
	return v == POSTEL_VERB_MAIL || v == POSTEL_VERB_RCPT;
}

postel_command_error postel__cmd_error_of(postel_violation v,
					  postel_verb verb)
{
	switch (v) {
	case POSTEL_V_NUL_OCTET:
	case POSTEL_V_BARE_CR:
	case POSTEL_V_BARE_LF:
	case POSTEL_V_CONTROL_CHAR: return POSTEL_CMD_E_SYNTAX;
	case POSTEL_V_EIGHT_BIT: return POSTEL_CMD_E_UTF8;
	/* a path that does not match its ABNF (malformed UTF-8, stray
	 * spaces, missing brackets, bad characters: RFC 5321 §4.1.2 "MUST
	 * reject that command with a 501 response") is an argument error
	 * like any other (the default below); 553 is only for a mailbox
	 * that parses but is not allowed */
	case POSTEL_V_INVALID_UTF8:
		return takes_path(verb) ? POSTEL_CMD_E_ARGUMENT
					: POSTEL_CMD_E_SYNTAX;
	case POSTEL_V_LINE_TOO_LONG:
	case POSTEL_V_AUTH_LINE_TOO_LONG: return POSTEL_CMD_E_LINE_TOO_LONG;
	case POSTEL_V_UNKNOWN_VERB: return POSTEL_CMD_E_UNKNOWN;
	case POSTEL_V_LOCAL_PART_CONTROL: return POSTEL_CMD_E_MAILBOX;
	case POSTEL_V_LOCAL_PART_TOO_LONG:
	case POSTEL_V_DOMAIN_TOO_LONG:
	case POSTEL_V_PATH_TOO_LONG:
		return takes_path(verb) ? POSTEL_CMD_E_PATH_TOO_LONG
					: POSTEL_CMD_E_ARGUMENT;
	case POSTEL_V_UNKNOWN_PARAM:
	case POSTEL_V_PARAM_WRONG_COMMAND: return POSTEL_CMD_E_PARAM_UNKNOWN;
	case POSTEL_V_SIZE_OVERFLOW:
	case POSTEL_V_CHUNK_SIZE_OVERFLOW: return POSTEL_CMD_E_TOO_BIG;
	default: return POSTEL_CMD_E_ARGUMENT;
	}
}

int postel__cmd_tolerated(postel_violation v, uint32_t lenient)
{
	uint32_t need;
	switch (v) {
	case POSTEL_V_BARE_LF: need = POSTEL_LENIENT_BARE_LF_COMMAND; break;
	case POSTEL_V_SPACE_AFTER_COLON:
		need = POSTEL_LENIENT_SPACE_AFTER_COLON;
		break;
	case POSTEL_V_NO_ANGLE_BRACKETS:
		need = POSTEL_LENIENT_NO_ANGLE_BRACKETS;
		break;
	case POSTEL_V_EXTRA_SPACE: need = POSTEL_LENIENT_EXTRA_SPACE; break;
	case POSTEL_V_EIGHT_BIT: need = POSTEL_LENIENT_8BIT_COMMAND; break;
	case POSTEL_V_BAD_HELO_ARGUMENT: need = POSTEL_LENIENT_HELO_SYNTAX; break;
	case POSTEL_V_LOCAL_PART_DOTS:
		need = POSTEL_LENIENT_LOCAL_PART_DOTS;
		break;
	case POSTEL_V_LOCAL_PART_TOO_LONG:
		need = POSTEL_LENIENT_LONG_LOCAL_PART;
		break;
	/* what the RFC tells a receiver to tolerate, in every mode:
	 * trailing white space (RFC 5321 §4.1.1), HELO with an address
	 * literal (§4.1.1.1, see grammar/command.rl) */
	case POSTEL_V_TRAILING_SPACE:
	case POSTEL_V_HELO_ADDRESS_LITERAL: return 1;
	default: return 0;
	}
	return (lenient & need) != 0;
}

/* Severity when several violations refuse one line: the one whose reply
 * says most about the line itself wins. */
static int rank(postel_command_error e)
{
	static const uint8_t r[] = {
		[POSTEL_CMD_OK] = 0,
		[POSTEL_CMD_E_TOO_BIG] = 1,
		[POSTEL_CMD_E_PARAM_UNKNOWN] = 2,
		[POSTEL_CMD_E_ARGUMENT] = 3,
		[POSTEL_CMD_E_PATH_TOO_LONG] = 4,
		[POSTEL_CMD_E_MAILBOX] = 5,
		[POSTEL_CMD_E_UTF8] = 6,
		[POSTEL_CMD_E_UNKNOWN] = 7,
		[POSTEL_CMD_E_SYNTAX] = 8,
		[POSTEL_CMD_E_LINE_TOO_LONG] = 9,
	};
	return r[e];
}

void postel__cmd_decide(postel_violation_list *vl, postel_command_error *err,
			postel_verb verb, uint32_t lenient)
{
	postel_command_error worst = POSTEL_CMD_OK;
	for (unsigned i = 0; i < vl->n; i++) {
		postel_violation v = (postel_violation)vl->id[i];
		if (postel__cmd_tolerated(v, lenient))
			continue;
		postel_command_error e = postel__cmd_error_of(v, verb);
		if (rank(e) > rank(worst))
			worst = e;
	}
	/* lost entries are never tolerated ones that matter: be safe */
	if (worst == POSTEL_CMD_OK && vl->lost)
		worst = POSTEL_CMD_E_ARGUMENT;
	*err = worst;
}

void postel_command_error_reply(postel_command_error err, postel_verb verb,
				unsigned *code, const char **enhanced,
				const char **text)
{
	unsigned c = 250;
	const char *e = "2.0.0", *t = "OK";
	int rcpt = verb != POSTEL_VERB_MAIL;
	switch (err) {
	case POSTEL_CMD_OK: break;
	case POSTEL_CMD_E_UNKNOWN:
		/* RFC 3463 §3.6 X.5.2: "could not be interpreted, either
		 * because the syntax was wrong or the command is
		 * unrecognized" */
		c = 500, e = "5.5.2", t = "Command unrecognized";
		break;
	case POSTEL_CMD_E_SYNTAX:
		c = 500, e = "5.5.2", t = "Syntax error";
		break;
	case POSTEL_CMD_E_ARGUMENT:
		c = 501, e = verb == POSTEL_VERB_AUTH ? "5.5.2" : "5.5.4";
		t = "Syntax error in parameters or arguments";
		break;
	case POSTEL_CMD_E_MAILBOX:
		/* RFC 5321 §4.2.3 553 */
		c = 553, e = rcpt ? "5.1.3" : "5.1.7";
		t = "Requested action not taken: mailbox name not allowed";
		break;
	case POSTEL_CMD_E_PATH_TOO_LONG:
		c = 501, e = rcpt ? "5.1.3" : "5.1.7", t = "Path too long";
		break;
	case POSTEL_CMD_E_PARAM_UNKNOWN:
		c = 555, e = "5.5.4";
		t = "MAIL FROM/RCPT TO parameters not recognized or not "
		    "implemented";
		break;
	case POSTEL_CMD_E_TOO_BIG:
		c = 552, e = "5.3.4";
		t = "Message size exceeds fixed maximum message size";
		break;
	case POSTEL_CMD_E_LINE_TOO_LONG:
		/* RFC 5321 §4.5.3.1.9 "500 Line too long"; X.5.6 is RFC
		 * 4954 §4's, for authentication exchange lines only */
		c = 500;
		if (verb == POSTEL_VERB_AUTH)
			e = "5.5.6", t = "Authentication Exchange line is too long";
		else
			e = "5.5.2", t = "Line too long";
		break;
	case POSTEL_CMD_E_UTF8:
		if (takes_path(verb))
			c = 553, e = "5.6.7",
			t = "Non-ASCII addresses not permitted";
		else
			c = 500, e = "5.5.2", t = "8-bit octets not permitted";
		break;
	default:
		c = 500, e = "5.5.2", t = "Syntax error";
		break;
	}
	if (code)
		*code = c;
	if (enhanced)
		*enhanced = e;
	if (text)
		*text = t;
}

/* ---- syntax errors: which violation a scanner failure is ---- */

static int needs_argument(postel_verb v)
{
	switch (v) {
	case POSTEL_VERB_HELO: case POSTEL_VERB_EHLO: case POSTEL_VERB_LHLO:
	case POSTEL_VERB_MAIL: case POSTEL_VERB_RCPT: case POSTEL_VERB_VRFY:
	case POSTEL_VERB_EXPN: case POSTEL_VERB_AUTH: case POSTEL_VERB_BDAT:
	case POSTEL_VERB_ETRN: return 1;
	default: return 0;
	}
}

static const uint16_t kind_violation[K_COUNT_] = {
	POSTEL_V_PARAM_SYNTAX, POSTEL_V_BAD_SIZE, POSTEL_V_BAD_BODY,
	POSTEL_V_BAD_RET, POSTEL_V_BAD_ENVID, POSTEL_V_BAD_AUTH_PARAM,
	POSTEL_V_BAD_SMTPUTF8, POSTEL_V_BAD_REQUIRETLS,
	POSTEL_V_BAD_MT_PRIORITY, POSTEL_V_BAD_BY, POSTEL_V_BAD_HOLDFOR,
	POSTEL_V_BAD_HOLDUNTIL, POSTEL_V_BAD_MTRK, POSTEL_V_BAD_NOTIFY,
	POSTEL_V_BAD_ORCPT, POSTEL_V_BAD_RRVS,
};

static postel_violation zone_violation(const postel_command_parser *p,
				       const postel_command *c, size_t e,
				       unsigned char b)
{
	int eolish = b == '\r' || b == '\n';
	switch (p->zone_) {
	case Z_VERB: return POSTEL_V_UNKNOWN_VERB;
	case Z_AFTER_VERB:
		if (e == p->me_[S_VERB] && !eolish && b != ' ' && b != '\t')
			return POSTEL_V_UNKNOWN_VERB;
		return needs_argument(c->verb) ? POSTEL_V_MISSING_ARGUMENT
					       : POSTEL_V_UNEXPECTED_ARGUMENT;
	case Z_MAILKW:
		return eolish ? POSTEL_V_MISSING_ARGUMENT
			      : POSTEL_V_COMMAND_SYNTAX;
	case Z_PATH: return POSTEL_V_BAD_PATH;
	case Z_LOCAL: return POSTEL_V_BAD_LOCAL_PART;
	case Z_DOMAIN: return POSTEL_V_BAD_DOMAIN;
	case Z_LITERAL: return POSTEL_V_BAD_ADDRESS_LITERAL;
	case Z_PARAM: return POSTEL_V_PARAM_SYNTAX;
	case Z_VALUE:
		return (postel_violation)kind_violation[p->kind_ < K_COUNT_
								? p->kind_
								: 0];
	case Z_STRING: return POSTEL_V_BAD_STRING;
	case Z_HELO: return POSTEL_V_BAD_DOMAIN;
	case Z_MECH: return POSTEL_V_BAD_AUTH_MECHANISM;
	case Z_IR: return POSTEL_V_BAD_INITIAL_RESPONSE;
	case Z_CHUNK: return POSTEL_V_BAD_CHUNK_SIZE;
	case Z_ETRN: return POSTEL_V_BAD_ETRN_NODE;
	case Z_SASL: return POSTEL_V_SASL_BAD_BASE64;
	case Z_ARG0: /* nothing of the argument seen yet */
		if (eolish)
			return POSTEL_V_MISSING_ARGUMENT;
		switch (c->verb) {
		case POSTEL_VERB_VRFY: case POSTEL_VERB_EXPN:
		case POSTEL_VERB_HELP: return POSTEL_V_BAD_STRING;
		case POSTEL_VERB_AUTH: return POSTEL_V_BAD_AUTH_MECHANISM;
		case POSTEL_VERB_BDAT: return POSTEL_V_BAD_CHUNK_SIZE;
		case POSTEL_VERB_ETRN: return POSTEL_V_BAD_ETRN_NODE;
		default: return POSTEL_V_BAD_DOMAIN;
		}
	default: return POSTEL_V_UNEXPECTED_ARGUMENT;
	}
}

postel_violation postel__cmd_octet_violation(const unsigned char *base,
					     size_t e, size_t line_len)
{
	unsigned char b = base[e];
	if (b == 0)
		return POSTEL_V_NUL_OCTET;
	/* a CR that is not the one before the line's LF (RFC 5321 §2.3.8) */
	if ((b == '\r' && e + 2 != line_len) || (e > 0 && base[e - 1] == '\r'))
		return POSTEL_V_BARE_CR;
	if ((b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f)
		return POSTEL_V_CONTROL_CHAR;
	return POSTEL_V_NONE;
}

void postel__cmd_syntax_error(postel_command_parser *p, postel_command *c,
			      const unsigned char *base, size_t line_len)
{
	size_t e = p->err_at_;
	unsigned char b = base[e];
	postel_violation zv = zone_violation(p, c, e, b);
	postel_violation ov = postel__cmd_octet_violation(base, e, line_len);
	if (zv == POSTEL_V_UNKNOWN_VERB)
		c->verb = POSTEL_VERB_UNKNOWN;
	if (ov != POSTEL_V_NONE)
		postel__vlist_add(&c->violations, ov);
	else {
		if (b >= 0x80 &&
		    !(p->config.options & POSTEL_CMD_OPT_SMTPUTF8))
			postel__vlist_add(&c->violations, POSTEL_V_EIGHT_BIT);
		postel__vlist_add(&c->violations, zv);
	}
	if (c->verb == POSTEL_VERB_UNKNOWN) {
		/* the verb as sent: up to the first SP or line end */
		size_t n = 0;
		while (n < line_len && base[n] != ' ' && base[n] != '\r' &&
		       base[n] != '\n')
			n++;
		p->ms_[S_VERB] = 0;
		p->me_[S_VERB] = (uint32_t)n;
		p->set_ = 1u << S_VERB;
	}
}

/* ---- what the grammar lets through in addresses but an RFC forbids ---- */

/*
 * Code points that are never PVALID in IDNA2008 (RFC 5892 §2.6: only
 * letters, marks and digits can be; these are controls, spaces, format
 * characters, Default_Ignorable code points, private use and
 * noncharacters, all DISALLOWED), sorted. ZWNJ and ZWJ (U+200C, U+200D)
 * are CONTEXTJ, so not here. C0 controls never reach a U-label (the
 * grammar takes only octets >= 0x80 there).
 */
static const uint32_t never_pvalid[][2] = {
	{0x80, 0xa0},       /* C1 controls, NO-BREAK SPACE */
	{0xad, 0xad},       /* SOFT HYPHEN */
	{0x34f, 0x34f},     /* COMBINING GRAPHEME JOINER */
	{0x61c, 0x61c},     /* ARABIC LETTER MARK */
	{0x115f, 0x1160},   /* Hangul fillers */
	{0x1680, 0x1680},   /* OGHAM SPACE MARK */
	{0x17b4, 0x17b5},   /* Khmer inherent vowels */
	{0x180b, 0x180f},   /* Mongolian selectors and separator */
	{0x2000, 0x200b},   /* spaces, ZERO WIDTH SPACE */
	{0x200e, 0x200f},   /* LRM, RLM */
	{0x2028, 0x202f},   /* line and paragraph separators, bidi
			     * embeddings, NARROW NO-BREAK SPACE */
	{0x205f, 0x206f},   /* MEDIUM MATHEMATICAL SPACE, invisible
			     * operators, deprecated format characters */
	{0x3000, 0x3000},   /* IDEOGRAPHIC SPACE */
	{0x3164, 0x3164},   /* HANGUL FILLER */
	{0xd800, 0xf8ff},   /* surrogates, private use */
	{0xfdd0, 0xfdef},   /* noncharacters */
	{0xfe00, 0xfe0f},   /* variation selectors */
	{0xfeff, 0xfeff},   /* ZERO WIDTH NO-BREAK SPACE (BOM) */
	{0xffa0, 0xffa0},   /* HALFWIDTH HANGUL FILLER */
	{0xfff0, 0xfffb},   /* specials, interlinear annotation */
	{0x1bca0, 0x1bca3}, /* shorthand format controls */
	{0x1d173, 0x1d17a}, /* musical format controls */
	{0xe0000, 0xe0fff}, /* tags, variation selectors supplement */
	{0xf0000, 0x10ffff} /* private use planes */
};

static int is_never_pvalid(uint32_t c)
{
	if ((c & 0xfffe) == 0xfffe) /* noncharacters U+xFFFE, U+xFFFF */
		return 1;
	for (size_t i = 0; i < sizeof never_pvalid / sizeof never_pvalid[0];
	     i++)
		if (c <= never_pvalid[i][1])
			return c >= never_pvalid[i][0];
	return 0;
}

/* The code point of the well-formed UTF-8 sequence at s (*len its
 * octets). */
static uint32_t utf8_decode(const unsigned char *s, size_t *len)
{
	unsigned char c = s[0];
	if (c < 0xe0) {
		*len = 2;
		return (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (c < 0xf0) {
		*len = 3;
		return (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		       (s[2] & 0x3f);
	}
	*len = 4;
	return (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
	       (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
}

/*
 * The labels of a domain, or of a source route ("@a,@b": "@" and ","
 * end labels too): an ASCII label of more than 63 octets (RFC 5321
 * §2.3.5, RFC 1035 §2.3.4: "labels 63 octets or less"), or, with utf8
 * (the line is well-formed UTF-8), a U-label with a code point that is
 * never valid (RFC 6531 §3.3: "a UTF-8 string in a DNS label that
 * conforms with IDNA definitions [RFC5890]"). The length of a U-label is
 * that of its A-label (RFC 5890 §2.3.2.1), which needs Punycode: it is
 * left, with the rest of IDNA2008, to *unchecked.
 */
static postel_violation check_labels(const unsigned char *d, size_t n,
				     int utf8, int *unchecked)
{
	size_t start = 0;
	int u = 0;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? d[i] : '.';
		if (c == '.' || c == ',' || c == '@') {
			if (!u && i - start > 63)
				return POSTEL_V_LABEL_TOO_LONG;
			start = i + 1;
			u = 0;
		} else if (c >= 0x80) {
			size_t k = 1;
			u = *unchecked = 1;
			if (utf8 && is_never_pvalid(utf8_decode(d + i, &k)))
				return POSTEL_V_BAD_U_LABEL;
			i += k - 1;
		}
	}
	return POSTEL_V_NONE;
}

void postel__cmd_address_checks(postel_command_parser *p, postel_command *c,
				int utf8)
{
	postel_violation v = POSTEL_V_NONE;
	int unchecked = 0, helo = !takes_path(c->verb) &&
				  c->verb != POSTEL_VERB_ETRN;
	if (c->flags & POSTEL_CMD_LITERAL_GENERAL)
		/* RFC 5321 §4.1.3: "Standardized-tag MUST be specified in a
		 * Standards-Track RFC and registered with IANA"; the only
		 * registered tag is IPv6, which has its own form */
		v = POSTEL_V_LITERAL_TAG_UNREGISTERED;
	else if (!(c->flags & POSTEL_CMD_ADDRESS_LITERAL))
		v = check_labels((const unsigned char *)c->domain.p,
				 c->domain.n, utf8, &unchecked);
	if (!v && c->route.n)
		v = check_labels((const unsigned char *)c->route.p,
				 c->route.n, utf8, &unchecked);
	if (v && helo) {
		/* not a Domain or address literal: what the lenient
		 * switch HELO_SYNTAX is for (RFC 5321 §4.1.1.1) */
		postel__vlist_add(&c->violations, POSTEL_V_BAD_HELO_ARGUMENT);
		p->set_ &= ~(1u << S_DOMAIN);
		c->domain = postel__span(NULL, 0);
		c->flags &= ~(uint32_t)(POSTEL_CMD_ADDRESS_LITERAL |
					POSTEL_CMD_LITERAL_IPV6 |
					POSTEL_CMD_LITERAL_GENERAL);
	} else if (v)
		postel__vlist_add(&c->violations, v);
	else if (unchecked)
		c->flags |= POSTEL_CMD_IDNA_UNCHECKED;
	/* RFC 6530 §10.1: "C0 (and presumably C1) controls ... are
	 * prohibited"; C1 is U+0080-U+009F, C2 80 to C2 9F in UTF-8 (a
	 * mailbox that parses but is not allowed: 553) */
	if (utf8 && takes_path(c->verb)) {
		const unsigned char *l = (const unsigned char *)c->local_part.p;
		for (size_t i = 0; i + 1 < c->local_part.n; i++)
			if (l[i] == 0xc2 && l[i + 1] < 0xa0) {
				postel__vlist_add(&c->violations,
						  POSTEL_V_LOCAL_PART_CONTROL);
				break;
			}
	}
}

/* ---- parameters postel does not decode ---- */

void postel__cmd_collect_params(postel_command_parser *p, postel_command *c,
				const unsigned char *base, size_t line_len)
{
	size_t i = p->ms_[S_PARAMS], stored = 0;
	if (i == 0) {
		c->n_ext = 0; /* no parameter list was marked: nothing to show */
		return;
	}
	while (i < line_len) {
		unsigned char ch = base[i];
		if (ch == ' ') {
			i++;
			continue;
		}
		if (ch == '\r' || ch == '\n' || ch == '\t')
			break;
		size_t ks = i;
		while (i < line_len && base[i] != '=' && base[i] != ' ' &&
		       base[i] != '\r' && base[i] != '\n' && base[i] != '\t')
			i++;
		size_t ke = i, vs = 0, ve = 0;
		int hasv = i < line_len && base[i] == '=';
		if (hasv) {
			vs = ++i;
			while (i < line_len && base[i] != ' ' &&
			       base[i] != '\r' && base[i] != '\n' &&
			       base[i] != '\t')
				i++;
			ve = i;
		}
		int k = postel__cmd_kind(base + ks, ke - ks);
		if (k != K_OTHER && (p->config.params & (1u << (k - 1))))
			continue;
		if (stored < c->ext_cap && c->ext) {
			postel_esmtp_param *e = &c->ext[stored];
			e->keyword = postel__span((const char *)base + ks, ke - ks);
			if (hasv)
				e->value = postel__span((const char *)base + vs,
							ve - vs);
			else
				e->value = postel__span(NULL, 0);
		}
		stored++;
	}
	/* n_ext counts what the rescan found, so no entry is ever stale */
	c->n_ext = stored;
	if (!(p->config.options & POSTEL_CMD_OPT_PASS_UNKNOWN_PARAMS))
		postel__vlist_add(&c->violations, POSTEL_V_UNKNOWN_PARAM);
}


/* The slots of command_int.h are the command's spans, in order. */
#define SLOT_AT(slot, field)                                                   \
	_Static_assert(offsetof(postel_command, field) ==                      \
			       offsetof(postel_command, verb_text) +           \
				       (slot) * sizeof(postel_span),           \
		       #field " is not slot " #slot);
SLOT_AT(S_VERB, verb_text)
SLOT_AT(S_ARG, arg)
SLOT_AT(S_PATH, path)
SLOT_AT(S_ROUTE, route)
SLOT_AT(S_LOCAL, local_part)
SLOT_AT(S_DOMAIN, domain)
SLOT_AT(S_ENVID, envid)
SLOT_AT(S_ORCPT_TYPE, orcpt_type)
SLOT_AT(S_ORCPT_ADDR, orcpt_addr)
SLOT_AT(S_AUTHP, auth)
SLOT_AT(S_HOLDUNTIL, holduntil)
SLOT_AT(S_RRVS, rrvs)
SLOT_AT(S_MTRK, mtrk)
SLOT_AT(S_MECH, mechanism)
SLOT_AT(S_IR, initial_response)
_Static_assert(S_NSLOT_ <= sizeof((postel_command_parser *)0)->ms_ /
				  sizeof(uint32_t),
	       "more span slots than parser marks");

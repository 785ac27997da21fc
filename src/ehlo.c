/*
 * postel — EHLO reply → capability set (RFC 5321 §4.1.1.1 and the
 * service extensions of the IANA SMTP registry).
 *
 * Input is a complete reply whose lines the reply parser has framed and
 * checked, so this is plain C over short spans: split each line into its
 * keyword and SP-separated parameters, look the keyword up, read the
 * parameters the extension defines.
 */
#include "syntax_int.h"
#include "postel/ehlo.h"

typedef struct ehlo_ctx {
	postel_ehlo *e;
	const postel_reply *r;
	int refused;
	int lenient;
} ehlo_ctx;

static void ehlo_note(ehlo_ctx *c, postel_violation v)
{
	postel__vlist_add(&c->e->violations, v);
	if (!c->lenient)
		c->refused = 1;
}

static int ehlo_is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') ||
	       ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int ehlo_is_digits(postel_span s, size_t max)
{
	if (s.n == 0 || s.n > max)
		return 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
	return 1;
}

/* Next SP-separated token of `*rest`; empty tokens (runs of SP) are
 * skipped. Returns 0 at the end. */
static int ehlo_next_tok(postel_span *rest, postel_span *tok)
{
	const char *p = rest->p, *e = rest->p + rest->n, *s;
	while (p < e && *p == ' ')
		p++;
	if (p == e)
		return 0;
	s = p;
	while (p < e && *p != ' ')
		p++;
	*tok = postel__span(s, (size_t)(p - s));
	*rest = postel__span(p, (size_t)(e - p));
	return 1;
}

static size_t ehlo_count_toks(postel_span s)
{
	postel_span t;
	size_t n = 0;
	while (ehlo_next_tok(&s, &t))
		n++;
	return n;
}

static int ehlo_span_ieq(postel_span a, postel_span b)
{
	if (a.n != b.n)
		return 0;
	for (size_t i = 0; i < a.n; i++) {
		unsigned char x = (unsigned char)a.p[i],
			      y = (unsigned char)b.p[i];
		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 32);
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 32);
		if (x != y)
			return 0;
	}
	return 1;
}

/* ---- first line: Domain / address-literal [ SP ehlo-greet ] ---- */
static void ehlo_first_line(ehlo_ctx *c, postel_span l)
{
	size_t i = 0;
	while (i < l.n && l.p[i] != ' ')
		i++;
	c->e->domain = postel__span(l.p, i);
	c->e->greeting = postel__span(l.p + (i < l.n ? i + 1 : i),
				      i < l.n ? l.n - i - 1 : 0);
	if (!postel__syntax_domain(c->e->domain))
		ehlo_note(c, POSTEL_V_EHLO_DOMAIN);
}

/* ---- extensions ---- */

/* Was mechanism `m` (at m.p, inside line `upto`) named before, on this or
 * an earlier AUTH line? Searches the stored names, and the earlier lines
 * once the array is full. */
static int ehlo_mech_seen(ehlo_ctx *c, postel_span m, size_t upto);

static void ehlo_add_mechs(ehlo_ctx *c, postel_span params, size_t line)
{
	postel_ehlo *e = c->e;
	postel_span t;
	size_t n = 0;
	while (ehlo_next_tok(&params, &t)) {
		n++;
		if (!postel__syntax_sasl_mech(t)) {
			ehlo_note(c, POSTEL_V_EHLO_AUTH);
			continue;
		}
		if (ehlo_mech_seen(c, t, line))
			continue;
		/* e->num_mechs holds the capacity until the parse ends */
		if (e->mech_count < e->num_mechs)
			e->mechs[e->mech_count] = t;
		e->mech_count++;
	}
	if (n == 0)
		ehlo_note(c, POSTEL_V_EHLO_AUTH);
}

/* Keyword of line `l` and where its parameters start; returns 1 for the
 * historic "AUTH=mech ..." form (RFC 4954 §3 predecessors). */
static int ehlo_split_line(postel_span l, postel_span *kw, postel_span *params)
{
	size_t i = 0;
	if (l.n > 5 && postel__span_ieq(postel__span(l.p, 5), "AUTH=")) {
		*kw = postel__span(l.p, 4);
		*params = postel__span(l.p + 5, l.n - 5);
		return 1;
	}
	while (i < l.n && l.p[i] != ' ')
		i++;
	*kw = postel__span(l.p, i);
	*params = postel__span(l.p + (i < l.n ? i + 1 : i),
			       i < l.n ? l.n - i - 1 : 0);
	return 0;
}

static int ehlo_mech_seen(ehlo_ctx *c, postel_span m, size_t upto)
{
	const postel_ehlo *e = c->e;
	size_t stored =
		e->mech_count < e->num_mechs ? e->mech_count : e->num_mechs;
	for (size_t i = 0; i < stored; i++)
		if (ehlo_span_ieq(e->mechs[i], m))
			return 1;
	if (e->mech_count <= stored)
		return 0;
	/* the array is full: look at every earlier AUTH token */
	for (size_t li = 1; li <= upto; li++) {
		postel_span kw, params, t;
		ehlo_split_line(c->r->lines[li], &kw, &params);
		if (!postel__span_ieq(kw, "AUTH"))
			continue;
		while (ehlo_next_tok(&params, &t) && t.p < m.p)
			if (postel__syntax_sasl_mech(t) && ehlo_span_ieq(t, m))
				return 1;
	}
	return 0;
}

static void ehlo_limits(ehlo_ctx *c, postel_span params)
{
	postel_span t;
	while (ehlo_next_tok(&params, &t)) {
		size_t i = 0;
		uint64_t v;
		uint64_t *dst = NULL;
		while (i < t.n && t.p[i] != '=')
			i++;
		postel_span name = postel__span(t.p, i);
		if (i == t.n)
			continue;
		postel_span val = postel__span(t.p + i + 1, t.n - i - 1);
		if (postel__span_ieq(name, "RCPTMAX"))
			dst = &c->e->limit_rcptmax;
		else if (postel__span_ieq(name, "MAILMAX"))
			dst = &c->e->limit_mailmax;
		else if (postel__span_ieq(name, "RCPTDOMAINMAX"))
			dst = &c->e->limit_rcptdomainmax;
		/* RFC 9422: unknown names and malformed values are ignored */
		if (dst && *dst == 0 &&
		    postel__parse_u64(val.p, val.n, &v) == 0)
			*dst = v;
	}
}

enum ehlo_kw_kind {
	EK_FLAG,
	EK_SIZE,
	EK_AUTH,
	EK_MTPRIO,
	EK_DELIVERBY,
	EK_FUTREL,
	EK_LIMITS
};

static const struct ehlo_kw {
	const char *name;
	uint32_t bit;
	enum ehlo_kw_kind kind;
} ehlo_keywords[] = {
	{"PIPELINING", POSTEL_EHLO_PIPELINING, EK_FLAG},
	{"SIZE", POSTEL_EHLO_SIZE, EK_SIZE},
	{"8BITMIME", POSTEL_EHLO_8BITMIME, EK_FLAG},
	{"BINARYMIME", POSTEL_EHLO_BINARYMIME, EK_FLAG},
	{"CHUNKING", POSTEL_EHLO_CHUNKING, EK_FLAG},
	{"DSN", POSTEL_EHLO_DSN, EK_FLAG},
	{"ENHANCEDSTATUSCODES", POSTEL_EHLO_ENHANCEDSTATUSCODES, EK_FLAG},
	{"STARTTLS", POSTEL_EHLO_STARTTLS, EK_FLAG},
	{"AUTH", POSTEL_EHLO_AUTH, EK_AUTH},
	{"SMTPUTF8", POSTEL_EHLO_SMTPUTF8, EK_FLAG},
	{"REQUIRETLS", POSTEL_EHLO_REQUIRETLS, EK_FLAG},
	{"MT-PRIORITY", POSTEL_EHLO_MT_PRIORITY, EK_MTPRIO},
	{"DELIVERBY", POSTEL_EHLO_DELIVERBY, EK_DELIVERBY},
	{"FUTURERELEASE", POSTEL_EHLO_FUTURERELEASE, EK_FUTREL},
	{"LIMITS", POSTEL_EHLO_LIMITS, EK_LIMITS},
	{"RRVS", POSTEL_EHLO_RRVS, EK_FLAG},
	{"MTRK", POSTEL_EHLO_MTRK, EK_FLAG},
	{"ETRN", POSTEL_EHLO_ETRN, EK_FLAG},
};

const char *postel_ehlo_cap_name(uint32_t cap)
{
	for (size_t i = 0; i < sizeof ehlo_keywords / sizeof ehlo_keywords[0];
	     i++)
		if (ehlo_keywords[i].bit == cap)
			return ehlo_keywords[i].name;
	return NULL;
}

static void ehlo_known(ehlo_ctx *c, const struct ehlo_kw *k, postel_span params,
		       size_t line, int first)
{
	postel_ehlo *e = c->e;
	size_t np = ehlo_count_toks(params);
	postel_span t, rest = params;
	uint64_t v;

	switch (k->kind) {
	case EK_FLAG:
		/* e.g. RFC 2920 §2 (3): "no parameter is used" */
		if (np)
			ehlo_note(c, POSTEL_V_EHLO_UNEXPECTED_PARAM);
		break;
	case EK_SIZE:
		/* RFC 1870 §4: size-param ::= [1*DIGIT]; 0 or none: no
		 * declared limit. Over 2^64-1 is read as no limit. */
		if (!first)
			break;
		if (np == 0)
			break;
		ehlo_next_tok(&rest, &t);
		if (np > 1 || !ehlo_is_digits(t, SIZE_MAX) ||
		    postel__parse_u64(t.p, t.n, &v) != 0)
			ehlo_note(c, POSTEL_V_EHLO_SIZE);
		else
			e->size = v;
		break;
	case EK_AUTH:
		ehlo_add_mechs(c, params, line);
		break;
	case EK_MTPRIO:
		/* RFC 6710 §7: [SP priority-profile],
		 * priority-profile = 1*20(ALPHA / DIGIT / "-" / "_" / ".") */
		if (!first || np == 0)
			break;
		ehlo_next_tok(&rest, &t);
		{
			int ok = np == 1 && t.n <= 20;
			for (size_t i = 0; ok && i < t.n; i++)
				ok = ehlo_is_alnum((unsigned char)t.p[i]) ||
				     t.p[i] == '-' || t.p[i] == '_' ||
				     t.p[i] == '.';
			if (ok)
				e->mt_priority_policy = t;
			else
				ehlo_note(c, POSTEL_V_EHLO_MT_PRIORITY);
		}
		break;
	case EK_DELIVERBY:
		/* RFC 2852 §2: deliverby-param = min-by-time
		 * *( ',' extension-token ), min-by-time = [1*9DIGIT] */
		if (!first || np == 0)
			break;
		ehlo_next_tok(&rest, &t);
		{
			size_t i = 0;
			while (i < t.n && t.p[i] != ',')
				i++;
			postel_span d = postel__span(t.p, i);
			if (np > 1 || (i > 0 && !ehlo_is_digits(d, 9)))
				ehlo_note(c, POSTEL_V_EHLO_DELIVERBY);
			else if (i > 0)
				(void)postel__parse_u64(d.p, d.n,
							&e->deliverby_min);
		}
		break;
	case EK_FUTREL:
		/* RFC 4865 §3: SP max-future-release-interval SP
		 * max-future-release-date-time; interval = %x31-39 *8DIGIT */
		if (!first)
			break;
		if (np != 2) {
			ehlo_note(c, POSTEL_V_EHLO_FUTURERELEASE);
			break;
		}
		ehlo_next_tok(&rest, &t);
		if (ehlo_is_digits(t, 9) && t.p[0] != '0')
			(void)postel__parse_u64(t.p, t.n,
						&e->futurerelease_interval);
		else
			ehlo_note(c, POSTEL_V_EHLO_FUTURERELEASE);
		ehlo_next_tok(&rest, &t);
		if (postel__syntax_datetime(t))
			e->futurerelease_datetime = t;
		else
			ehlo_note(c, POSTEL_V_EHLO_FUTURERELEASE);
		break;
	case EK_LIMITS:
		if (first)
			ehlo_limits(c, params);
		break;
	}
}

/* RFC 5321 §4.1.1.1: ehlo-param = 1*(%d33-126), one SP before each. */
static int ehlo_params_ok(postel_span p, int had_sp)
{
	if ((had_sp && p.n == 0) || (p.n && p.p[0] == ' '))
		return 0; /* trailing SP, or more than one */
	for (size_t i = 0; i < p.n; i++) {
		unsigned char ch = (unsigned char)p.p[i];
		if (ch == ' ') {
			if (i + 1 == p.n || p.p[i + 1] == ' ')
				return 0;
		} else if (ch < 33 || ch > 126)
			return 0;
	}
	return 1;
}

postel_status postel_ehlo_parse(postel_ehlo *e, const postel_reply *r,
				uint32_t lenient)
{
	ehlo_ctx c;
	postel_span *mechs;
	postel_ehlo_ext *unknown;
	size_t mcap, ucap;

	if (!e)
		return POSTEL_E_ARGUMENT;
	mechs = e->mechs;
	mcap = mechs ? e->num_mechs : 0;
	unknown = e->unknown;
	ucap = unknown ? e->num_unknown : 0;
	memset(e, 0, sizeof *e);
	e->mechs = mechs;
	e->num_mechs = mcap;
	e->unknown = unknown;
	e->num_unknown = ucap;
	if (!r || r->code != 250 || r->line_count == 0 || !r->lines ||
	    r->num_lines != r->line_count) {
		e->num_mechs = 0;
		e->num_unknown = 0;
		return POSTEL_E_ARGUMENT;
	}
	c.e = e;
	c.r = r;
	c.refused = 0;
	c.lenient = (lenient & POSTEL_LENIENT_EHLO_SYNTAX) != 0;

	ehlo_first_line(&c, r->lines[0]);
	for (size_t i = 1; i < r->line_count; i++) {
		postel_span l = r->lines[i], kw, params;
		int old = ehlo_split_line(l, &kw, &params);
		const struct ehlo_kw *k = NULL;
		int first;
		if (!postel__syntax_esmtp_keyword(kw) ||
		    !ehlo_params_ok(params, old || kw.n < l.n)) {
			ehlo_note(&c, POSTEL_V_EHLO_SYNTAX);
			if (!postel__syntax_esmtp_keyword(kw))
				continue;
		}
		for (size_t j = 0;
		     j < sizeof ehlo_keywords / sizeof ehlo_keywords[0]; j++)
			if ((kw.p[0] | 0x20) ==
				    (ehlo_keywords[j].name[0] | 0x20) &&
			    postel__span_ieq(kw, ehlo_keywords[j].name)) {
				k = &ehlo_keywords[j];
				break;
			}
		if (!k) {
			if (e->unknown_count < ucap) {
				unknown[e->unknown_count].keyword = kw;
				unknown[e->unknown_count].params = params;
			}
			e->unknown_count++;
			continue;
		}
		first = !(e->caps & k->bit);
		if (!first && k->kind != EK_AUTH)
			ehlo_note(&c, POSTEL_V_EHLO_DUPLICATE);
		e->caps |= k->bit;
		ehlo_known(&c, k, params, i, first);
	}
	e->num_mechs = e->mech_count < mcap ? e->mech_count : mcap;
	e->num_unknown = e->unknown_count < ucap ? e->unknown_count : ucap;
	return c.refused ? POSTEL_INVALID : POSTEL_OK;
}

int postel_ehlo_has_mech(const postel_ehlo *e, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < e->num_mechs; i++)
		if (ehlo_span_ieq(e->mechs[i], postel__span(name, n)))
			return 1;
	return 0;
}

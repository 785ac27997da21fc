/*
 * postel — streaming reply parser: the driver, limits, per-line checks,
 * results. The line scanner is grammar/reply.rl.
 */
#include "reply_scan.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include "reply_machine.h"
#pragma GCC diagnostic pop

int postel__reply_scan_start(void)
{
	return reply_start;
}

void postel_reply_config_default(postel_reply_config *cfg)
{
	cfg->max_line = POSTEL_REPLY_MAX_LINE;
	cfg->max_lines = POSTEL_REPLY_MAX_LINES;
	cfg->max_reply = POSTEL_REPLY_MAX_REPLY;
	cfg->lenient = POSTEL_LENIENT;
	cfg->utf8 = 0;
}

postel_status postel_reply_parser_init(postel_reply_parser *p,
				       const postel_reply_config *cfg)
{
	postel_reply_config d;
	postel_status st = POSTEL_OK;
	postel_reply_config_default(&d);
	if (cfg) {
		if (cfg->max_line != 0 && cfg->max_line < 5)
			st = POSTEL_E_ARGUMENT;
		else {
			d.lenient = cfg->lenient;
			d.utf8 = cfg->utf8;
			if (cfg->max_line)
				d.max_line = cfg->max_line;
			if (cfg->max_lines)
				d.max_lines = cfg->max_lines;
			if (cfg->max_reply)
				d.max_reply = cfg->max_reply;
		}
	}
	memset(p, 0, sizeof *p);
	p->cfg_ = d;
	postel__reply_start(p);
	p->fatal_ = st;
	return st;
}

void postel_reply_parser_reset(postel_reply_parser *p)
{
	postel__reply_start(p);
	p->fatal_ = POSTEL_OK;
	p->busy_ = 0;
}

postel_status postel_reply_parser_set_utf8(postel_reply_parser *p, int on)
{
	if (p->pos_ != 0)
		return POSTEL_E_STATE;
	p->cfg_.utf8 = on != 0;
	return POSTEL_OK;
}

int postel_reply_parser_busy(const postel_reply_parser *p)
{
	return p->pos_ != 0;
}

/* Record `v`; unless `accepted`, the reply is refused (POSTEL_INVALID). */
static void reply_note(postel_reply_parser *p, postel_violation v, int accepted)
{
	postel__vlist_add(&p->vl_, v);
	if (!accepted)
		p->rflags_ |= POSTEL__RF_REFUSED;
}

postel_status postel__reply_fail(postel_reply_parser *p, postel_status st,
				 postel_violation v, postel_reply *r)
{
	postel__vlist_add(&p->vl_, v);
	p->fatal_ = st;
	r->violations = p->vl_;
	return st;
}


/* Digits of one enhanced-code field at s[i..n): value, count; -1 when
 * none. */
static int reply_enh_field(const unsigned char *s, size_t n, size_t *i,
			   unsigned *val, size_t *digits)
{
	size_t j = *i;
	unsigned v = 0;
	while (j < n && s[j] >= '0' && s[j] <= '9') {
		if (v < 100000)
			v = v * 10 + (unsigned)(s[j] - '0');
		j++;
	}
	if (j == *i)
		return -1;
	*digits = j - *i;
	*val = v;
	*i = j;
	return 0;
}

/*
 * Enhanced status code at the start of the first line's text `t` (n
 * octets), RFC 3463 §2 / RFC 2034 §4: class "." subject "." detail,
 * followed by SP or the end of the text. Only text of exactly that shape
 * (class 2, 4 or 5, any number of digits) is taken for a status code;
 * anything else is plain text.
 */
static void reply_first_enhanced(postel_reply_parser *p, const unsigned char *t,
				 size_t n)
{
	size_t i = 2, ds, dd;
	unsigned subj, det;
	int lenient = (p->cfg_.lenient & POSTEL_LENIENT_REPLY_ENHANCED) != 0;
	if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
		return;
	if (reply_enh_field(t, n, &i, &subj, &ds) < 0 || i >= n || t[i] != '.')
		return;
	i++;
	if (reply_enh_field(t, n, &i, &det, &dd) < 0 || (i < n && t[i] != ' '))
		return;
	if (ds > 3 || dd > 3) {
		reply_note(p, POSTEL_V_REPLY_ENH_SYNTAX, lenient);
		return;
	}
	/* "without leading zero digits" (RFC 3463 §2) */
	if ((ds > 1 && t[2] == '0') || (dd > 1 && t[2 + ds + 1] == '0'))
		reply_note(p, POSTEL_V_REPLY_ENH_SYNTAX, lenient);
	if ((unsigned)(t[0] - '0') != p->code_ / 100)
		reply_note(p, POSTEL_V_REPLY_ENH_MISMATCH, lenient);
	p->enh_class_ = (unsigned char)(t[0] - '0');
	p->enh_subject_ = (unsigned short)subj;
	p->enh_detail_ = (unsigned short)det;
	p->enh_len_ = (unsigned char)i;
}

void postel__reply_line_slow(postel_reply_parser *p, const unsigned char *b,
			     const unsigned char *l, postel_span t, unsigned lf,
			     size_t n)
{
	uint32_t len = p->cfg_.lenient;

	if (lf & POSTEL__RL_BARE_LF)
		reply_note(p, POSTEL_V_BARE_LF,
			   (len & POSTEL_LENIENT_REPLY_BARE_LF) != 0);
	if (n == 0) {
		/* RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
		if (l[0] < '2' || l[0] > '5' || l[1] > '5')
			reply_note(p, POSTEL_V_REPLY_BAD_CODE, 0);
		reply_first_enhanced(p, (const unsigned char *)t.p, t.n);
	} else {
		/* RFC 5321 §4.2.1: the same code on every line */
		if (l[0] != b[0] || l[1] != b[1] || l[2] != b[2])
			reply_note(p, POSTEL_V_REPLY_CODE_MISMATCH, 0);
		/* RFC 2034 §4: the same status code on every line */
		if (p->enh_len_ &&
		    (t.n < p->enh_len_ ||
		     memcmp(t.p, b + 4, p->enh_len_) != 0 ||
		     (t.n > p->enh_len_ && t.p[p->enh_len_] != ' ')))
			reply_note(p, POSTEL_V_REPLY_ENH_INCONSISTENT,
				   (len & POSTEL_LENIENT_REPLY_ENHANCED) != 0);
	}
	if (lf & POSTEL__RL_NUL)
		reply_note(p, POSTEL_V_NUL_OCTET, 0);
	if (lf & POSTEL__RL_CTL)
		reply_note(p, POSTEL_V_CONTROL_CHAR,
			   (len & POSTEL_LENIENT_REPLY_CONTROL) != 0);
	if (lf & POSTEL__RL_8BIT) {
		int ok8 = (len & POSTEL_LENIENT_REPLY_8BIT) != 0;
		if (!p->cfg_.utf8)
			reply_note(p, POSTEL_V_EIGHT_BIT, ok8);
		else if (!postel__utf8_valid((const unsigned char *)t.p, t.n))
			reply_note(p, POSTEL_V_REPLY_BAD_UTF8, ok8);
	}
}

void postel__reply_rebase(postel_reply_parser *p, const unsigned char *b,
			  size_t stale)
{
	size_t off = 0;
	for (size_t i = 0; i < stale; i++) {
		const unsigned char *l = b + off;
		size_t tn = p->lines_[i].n, head, eol;
		head = (l[3] == '-' || l[3] == ' ') ? 4 + tn : 3;
		eol = l[head] == '\r' ? 2 : 1;
		p->lines_[i] = postel__reply_text(l, head + eol, eol);
		off += head + eol;
	}
}

postel_span postel_reply_strip_enhanced(const postel_reply *r, postel_span line)
{
	size_t n = r->enhanced.n;
	if (n == 0 || line.n < n || memcmp(line.p, r->enhanced.p, n) != 0)
		return line;
	if (line.n == n)
		return postel__span(line.p + n, 0);
	if (line.p[n] != ' ')
		return line;
	return postel__span(line.p + n + 1, line.n - n - 1);
}

/*
 * The streaming driver (contract in include/postel/reply.h). State kept
 * between calls: the Ragel state, the offsets of the scan position and
 * of the current line, the events of the current line. Nothing already
 * scanned is scanned again. The scan runs to min(len, max_reply); the
 * line limit is checked at each line end, where the scan stops, and on
 * an error (an error past the limit is reported as the limit, as if the
 * scan had stopped there), so the outcome never depends on the split.
 */
postel_status postel_reply_parse(postel_reply_parser *rp, const char *buf,
				 size_t len, postel_reply *r, size_t *consumed)
{
	const unsigned char *b = (const unsigned char *)buf, *pe;
	size_t stale = 0, at;
	postel_status st;
	reply_scan s;

	if (!rp || !r || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	*consumed = 0;
	if (rp->fatal_ != POSTEL_OK) {
		r->violations = rp->vl_;
		return rp->fatal_;
	}
	if (len < rp->pos_)
		return POSTEL_E_ARGUMENT;
	if (rp->pos_ == 0) {
		rp->lines_ = r->lines;
		rp->lines_cap_ = r->lines ? r->num_lines : 0;
	} else {
		if (r->lines != rp->lines_ ||
		    (r->lines ? r->num_lines : 0) != rp->lines_cap_)
			return POSTEL_E_ARGUMENT;
		/* lines stored by earlier calls point into old bytes */
		stale = rp->nlines_ < rp->lines_cap_ ? rp->nlines_
						     : rp->lines_cap_;
	}
	if (len == rp->pos_)
		return POSTEL_NEED_MORE; /* nothing new (buf may be NULL) */
	POSTEL__ENTER(rp->busy_);
	s.rp = rp;
	s.b = b;
	s.ls = b + rp->line_start_;
	s.max_line = rp->cfg_.max_line;
	s.max_lines = rp->cfg_.max_lines;
	s.nl = rp->nlines_;
	s.enh = rp->enh_len_;
	s.lf = rp->lflags_;
	s.cs = rp->cs_;
	s.ended = REPLY_END_NONE;
	pe = b + (len < rp->cfg_.max_reply ? len : rp->cfg_.max_reply);
	at = (size_t)(reply_scan_run(&s, b + rp->pos_, pe) - b);
	rp->nlines_ = s.nl;
	rp->line_start_ = s.ended == REPLY_END_LAST ? at : (size_t)(s.ls - b);
	if (s.cs == reply_error) {
		if (at - rp->line_start_ >= s.max_line)
			st = postel__reply_fail(
				rp, POSTEL_E_LIMIT,
				POSTEL_V_REPLY_LINE_TOO_LONG, r);
		else if (at > rp->line_start_ && b[at - 1] == '\r')
			st = postel__reply_fail(rp, POSTEL_E_PROTOCOL,
						POSTEL_V_BARE_CR, r);
		else
			st = postel__reply_fail(rp, POSTEL_E_PROTOCOL,
						POSTEL_V_REPLY_SYNTAX, r);
	} else if (s.ended == REPLY_END_LAST) {
		rp->pos_ = at;
		st = postel__reply_finish(rp, buf, r, consumed, stale);
		POSTEL__LEAVE(rp->busy_);
		return st;
	} else if (s.ended == REPLY_END_TOO_LONG ||
		   (s.ended == REPLY_END_NONE &&
		    at - rp->line_start_ >= s.max_line)) {
		st = postel__reply_fail(rp, POSTEL_E_LIMIT,
					POSTEL_V_REPLY_LINE_TOO_LONG, r);
	} else if (s.ended == REPLY_END_TOO_MANY) {
		st = postel__reply_fail(rp, POSTEL_E_LIMIT,
					POSTEL_V_REPLY_TOO_MANY_LINES, r);
	} else if (at >= rp->cfg_.max_reply) {
		st = postel__reply_fail(rp, POSTEL_E_LIMIT,
					POSTEL_V_REPLY_TOO_LONG, r);
	} else
		st = POSTEL_NEED_MORE;
	rp->pos_ = at;
	rp->cs_ = s.cs;
	rp->lflags_ = s.lf;
	POSTEL__LEAVE(rp->busy_);
	return st;
}

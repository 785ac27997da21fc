/*
 * postel — streaming reply parser: limits, per-line checks, results.
 * The line scanner is grammar/reply.rl.
 */
#include "internal.h"
#include "reply_int.h"

/* rflags_: events of the current reply */
#define RF_REFUSED 0x01u /* a violation no lenient flag accepts */

void postel_reply_config_default(postel_reply_config *cfg)
{
	cfg->max_line = POSTEL_REPLY_MAX_LINE;
	cfg->max_lines = POSTEL_REPLY_MAX_LINES;
	cfg->max_reply = POSTEL_REPLY_MAX_REPLY;
	cfg->lenient = POSTEL_LENIENT;
	cfg->utf8 = 0;
}

static void start_reply(postel_reply_parser *p)
{
	p->pos_ = 0;
	p->line_start_ = 0;
	p->nlines_ = 0;
	p->enh_off_ = 0;
	p->cs_ = postel__reply_scan_start();
	p->code_ = 0;
	p->lflags_ = 0;
	p->rflags_ = 0;
	p->enh_subject_ = 0;
	p->enh_detail_ = 0;
	p->enh_class_ = 0;
	p->enh_len_ = 0;
	p->lines_ = NULL;
	p->lines_cap_ = 0;
	postel__vlist_clear(&p->vl_);
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
	start_reply(p);
	p->fatal_ = st;
	return st;
}

void postel_reply_parser_reset(postel_reply_parser *p)
{
	start_reply(p);
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
static void note(postel_reply_parser *p, postel_violation v, int accepted)
{
	postel__vlist_add(&p->vl_, v);
	if (!accepted)
		p->rflags_ |= RF_REFUSED;
}

static postel_status fail(postel_reply_parser *p, postel_status st,
			  postel_violation v, postel_reply *r)
{
	postel__vlist_add(&p->vl_, v);
	p->fatal_ = st;
	r->violations = p->vl_;
	return st;
}

/* RFC 3629 §4 UTF8-char sequences, no overlongs or surrogates. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned lo = 0x80, hi = 0xbf;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i <= k)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return 0;
		i += k + 1;
	}
	return 1;
}

/* Digits of one enhanced-code field at s[i..n): value, count; -1 when
 * none. */
static int enh_field(const unsigned char *s, size_t n, size_t *i,
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
static void first_enhanced(postel_reply_parser *p, const unsigned char *t,
			   size_t n)
{
	size_t i = 2, ds, dd;
	unsigned subj, det;
	int lenient = (p->cfg_.lenient & POSTEL_LENIENT_REPLY_ENHANCED) != 0;
	if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
		return;
	if (enh_field(t, n, &i, &subj, &ds) < 0 || i >= n || t[i] != '.')
		return;
	i++;
	if (enh_field(t, n, &i, &det, &dd) < 0 || (i < n && t[i] != ' '))
		return;
	if (ds > 3 || dd > 3) {
		note(p, POSTEL_V_REPLY_ENH_SYNTAX, lenient);
		return;
	}
	/* "without leading zero digits" (RFC 3463 §2) */
	if ((ds > 1 && t[2] == '0') || (dd > 1 && t[2 + ds + 1] == '0'))
		note(p, POSTEL_V_REPLY_ENH_SYNTAX, lenient);
	if ((unsigned)(t[0] - '0') != p->code_ / 100)
		note(p, POSTEL_V_REPLY_ENH_MISMATCH, lenient);
	p->enh_class_ = (unsigned char)(t[0] - '0');
	p->enh_subject_ = (unsigned short)subj;
	p->enh_detail_ = (unsigned short)det;
	p->enh_len_ = (unsigned char)i;
	p->enh_off_ = 4;
}

/* Text span of a complete line `l` of `raw` octets (line end included). */
static postel_span line_text(const unsigned char *l, size_t raw)
{
	size_t eol;
	if (raw < 5 || (l[3] != '-' && l[3] != ' '))
		return postel__span((const char *)l + 3, 0);
	eol = l[raw - 2] == '\r' ? 2 : 1;
	return postel__span((const char *)l + 4, raw - 4 - eol);
}

/* One complete line at b[line_start_..pos_): returns 1 when it was the
 * last line of the reply. */
static int end_line(postel_reply_parser *p, const unsigned char *b)
{
	const unsigned char *l = b + p->line_start_;
	size_t raw = p->pos_ - p->line_start_;
	unsigned lf = p->lflags_;
	uint32_t len = p->cfg_.lenient;
	unsigned code = (unsigned)(l[0] - '0') * 100 +
			(unsigned)(l[1] - '0') * 10 + (unsigned)(l[2] - '0');
	postel_span t = line_text(l, raw);
	size_t n = p->nlines_++;

	if (lf & POSTEL__RL_BARE_LF)
		note(p, POSTEL_V_BARE_LF, (len & POSTEL_LENIENT_REPLY_BARE_LF) != 0);
	if (n == 0) {
		p->code_ = code;
		/* RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
		if (l[0] < '2' || l[0] > '5' || l[1] > '5')
			note(p, POSTEL_V_REPLY_BAD_CODE, 0);
		first_enhanced(p, (const unsigned char *)t.p, t.n);
	} else {
		/* RFC 5321 §4.2.1: the same code on every line */
		if (code != p->code_)
			note(p, POSTEL_V_REPLY_CODE_MISMATCH, 0);
		/* RFC 2034 §4: the same status code on every line */
		if (p->enh_len_ &&
		    (t.n < p->enh_len_ ||
		     memcmp(t.p, b + p->enh_off_, p->enh_len_) != 0 ||
		     (t.n > p->enh_len_ && t.p[p->enh_len_] != ' ')))
			note(p, POSTEL_V_REPLY_ENH_INCONSISTENT,
			     (len & POSTEL_LENIENT_REPLY_ENHANCED) != 0);
	}
	if (lf & (POSTEL__RL_NUL | POSTEL__RL_CTL | POSTEL__RL_8BIT)) {
		if (lf & POSTEL__RL_NUL)
			note(p, POSTEL_V_NUL_OCTET, 0);
		if (lf & POSTEL__RL_CTL)
			note(p, POSTEL_V_CONTROL_CHAR,
			     (len & POSTEL_LENIENT_REPLY_CONTROL) != 0);
		if (lf & POSTEL__RL_8BIT) {
			int ok8 = (len & POSTEL_LENIENT_REPLY_8BIT) != 0;
			if (!p->cfg_.utf8)
				note(p, POSTEL_V_EIGHT_BIT, ok8);
			else if (!utf8_valid((const unsigned char *)t.p, t.n))
				note(p, POSTEL_V_REPLY_BAD_UTF8, ok8);
		}
	}
	if (n < p->lines_cap_) {
		/* raw length until the reply completes: the bytes may move */
		p->lines_[n].p = NULL;
		p->lines_[n].n = raw;
	}
	p->line_start_ = p->pos_;
	p->lflags_ = 0;
	return l[3] != '-';
}

static postel_status finish(postel_reply_parser *p, const char *buf,
			    postel_reply *r, size_t *consumed)
{
	size_t stored = p->nlines_ < p->lines_cap_ ? p->nlines_ : p->lines_cap_;
	size_t off = 0;
	const unsigned char *b = (const unsigned char *)buf;
	postel_status st;

	for (size_t i = 0; i < stored; i++) {
		size_t raw = p->lines_[i].n;
		p->lines_[i] = line_text(b + off, raw);
		off += raw;
	}
	r->num_lines = stored;
	r->line_count = p->nlines_;
	r->code = p->code_;
	r->digit[0] = (unsigned char)(b[0] - '0');
	r->digit[1] = (unsigned char)(b[1] - '0');
	r->digit[2] = (unsigned char)(b[2] - '0');
	r->enh_class = p->enh_class_;
	r->enh_subject = p->enh_subject_;
	r->enh_detail = p->enh_detail_;
	r->enhanced = p->enh_len_ ? postel__span(buf + p->enh_off_, p->enh_len_)
				  : postel__span(NULL, 0);
	r->raw = postel__span(buf, p->pos_);
	r->violations = p->vl_;
	st = (p->rflags_ & RF_REFUSED) ? POSTEL_INVALID : POSTEL_OK;
	*consumed = p->pos_;
	start_reply(p);
	return st;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

postel_status postel_reply_parse(postel_reply_parser *p, const char *buf,
				 size_t len, postel_reply *r, size_t *consumed)
{
	const unsigned char *b = (const unsigned char *)buf;
	postel_status st;

	if (!p || !r || !consumed || (!buf && len))
		return POSTEL_E_ARGUMENT;
	*consumed = 0;
	if (p->fatal_ != POSTEL_OK) {
		r->violations = p->vl_;
		return p->fatal_;
	}
	if (len < p->pos_)
		return POSTEL_E_ARGUMENT;
	if (p->pos_ == 0) {
		p->lines_ = r->lines;
		p->lines_cap_ = r->lines ? r->num_lines : 0;
	} else if (r->lines != p->lines_ ||
		   (r->lines ? r->num_lines : 0) != p->lines_cap_)
		return POSTEL_E_ARGUMENT;
	POSTEL__ENTER(p->busy_);
	for (;;) {
		size_t lim = sat_add(p->line_start_, p->cfg_.max_line);
		size_t end;
		if (lim > p->cfg_.max_reply)
			lim = p->cfg_.max_reply;
		end = len < lim ? len : lim;
		if (p->pos_ < end) {
			const unsigned char *q = postel__reply_scan(
				&p->cs_, &p->lflags_, b + p->pos_, b + end);
			p->pos_ = (size_t)(q - b);
			if (p->cs_ < 0) {
				/* the octet at pos_ cannot continue a line */
				int cr = p->pos_ > 0 && b[p->pos_ - 1] == '\r';
				st = fail(p, POSTEL_E_PROTOCOL,
					  cr ? POSTEL_V_BARE_CR
					     : POSTEL_V_REPLY_SYNTAX, r);
				break;
			}
		}
		if (p->lflags_ & POSTEL__RL_EOL) {
			if (end_line(p, b)) {
				st = finish(p, buf, r, consumed);
				break;
			}
			if (p->nlines_ >= p->cfg_.max_lines) {
				st = fail(p, POSTEL_E_LIMIT,
					  POSTEL_V_REPLY_TOO_MANY_LINES, r);
				break;
			}
			continue;
		}
		if (p->pos_ < lim) {
			st = POSTEL_NEED_MORE;
			break;
		}
		/* the limit is reached inside a line */
		st = fail(p, POSTEL_E_LIMIT,
			  p->pos_ - p->line_start_ >= p->cfg_.max_line
				  ? POSTEL_V_REPLY_LINE_TOO_LONG
				  : POSTEL_V_REPLY_TOO_LONG,
			  r);
		break;
	}
	POSTEL__LEAVE(p->busy_);
	return st;
}

postel_span postel_reply_strip_enhanced(const postel_reply *r,
					postel_span line)
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

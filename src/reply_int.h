/*
 * Reply parser internals shared by grammar/reply.rl (the scanner) and
 * src/reply.c (the driver, per-line checks, results). Never installed.
 */
#ifndef POSTEL_REPLY_INT_H
#define POSTEL_REPLY_INT_H

#include "internal.h"
#include "postel/reply.h"

/* Per-line events recorded by the scanner's actions. */
#define POSTEL__RL_BARE_LF 0x01u
#define POSTEL__RL_CTL 0x02u /* C0 control other than HT, or DEL */
#define POSTEL__RL_NUL 0x04u
#define POSTEL__RL_8BIT 0x08u

/* rflags_: events of the current reply */
#define POSTEL__RF_REFUSED 0x01u /* a violation no lenient flag accepts */

/* Start state of the scanner (grammar/reply.rl). */
int postel__reply_scan_start(void);

/* Fail with fatal status `st` and violation `v`; sticky. */
postel_status postel__reply_fail(postel_reply_parser *p, postel_status st,
				 postel_violation v, postel_reply *r);

/* The checks of a line that the fast path below does not handle: a code
 * out of range, an enhanced status code to read or compare, unusual
 * octets, a continuation code that differs. `l` is the line, `t` its
 * text, `n` its index in the reply. */
void postel__reply_line_slow(postel_reply_parser *p, const unsigned char *b,
			     const unsigned char *l, postel_span t, unsigned lf,
			     size_t n);

/* Rebuild the spans of lines [0, stale), stored while the reply's bytes
 * were elsewhere, from their text lengths and the bytes now at `b`. */
void postel__reply_rebase(postel_reply_parser *p, const unsigned char *b,
			  size_t stale);

/* Forget the current reply (not the config, not a sticky failure). */
static inline void postel__reply_start(postel_reply_parser *p)
{
	/* lines_/lines_cap_ are set when the next reply starts, code_ and
	 * the enhanced-code fields when its first line ends */
	p->pos_ = 0;
	p->line_start_ = 0;
	p->nlines_ = 0;
	p->cs_ = postel__reply_scan_start();
	p->lflags_ = 0;
	p->rflags_ = 0;
	p->enh_len_ = 0;
	postel__vlist_clear(&p->vl_);
}

/* Text of the line `l` of `raw` octets whose line end is `eol` octets. */
static inline postel_span postel__reply_text(const unsigned char *l, size_t raw,
					     size_t eol)
{
	if (l[3] != '-' && l[3] != ' ')
		return postel__span((const char *)l + 3, 0);
	return postel__span((const char *)l + 4, raw - 4 - eol);
}

/* Fill `r` from the complete reply at buf[0..pos_) and get ready for the
 * next one. */
static inline postel_status postel__reply_finish(postel_reply_parser *p,
						 const char *buf,
						 postel_reply *r,
						 size_t *consumed, size_t stale)
{
	postel_status st =
		(p->rflags_ & POSTEL__RF_REFUSED) ? POSTEL_INVALID : POSTEL_OK;
	if (stale)
		postel__reply_rebase(p, (const unsigned char *)buf, stale);
	r->num_lines = p->nlines_ < p->lines_cap_ ? p->nlines_ : p->lines_cap_;
	r->line_count = p->nlines_;
	r->code = p->code_;
	r->digit[0] = (unsigned char)(buf[0] - '0');
	r->digit[1] = (unsigned char)(buf[1] - '0');
	r->digit[2] = (unsigned char)(buf[2] - '0');
	if (p->enh_len_) {
		r->enh_class = p->enh_class_;
		r->enh_subject = p->enh_subject_;
		r->enh_detail = p->enh_detail_;
		r->enhanced = postel__span(buf + 4, p->enh_len_);
	} else {
		r->enh_class = 0;
		r->enh_subject = 0;
		r->enh_detail = 0;
		r->enhanced = postel__span(NULL, 0);
	}
	r->raw = postel__span(buf, p->pos_);
	r->violations = p->vl_;
	*consumed = p->pos_;
	postel__reply_start(p);
	return st;
}

#endif

/*
 * postel — the hot loops of src/data.c, compiled once per scanner.
 *
 * src/data.c includes this file several times, each time with:
 *   DI(name)     the function name for this instance (name_scalar, ...)
 *   DI_ATTR      its attributes (e.g. target("avx2")), so that the scanner
 *                intrinsics inline into the loops and the vector constants
 *                stay in registers across lines
 *   DI_SCAN(p, end, n8)  first CR, LF or NUL in [p, end) (or end), adding
 *                the count of octets >= 0x80 before it to *n8
 *   DI_COPY(in, out, n)  copy while no CR or LF; returns octets copied
 * Not a header of its own: no include guard on purpose.
 */

/* ---- decoder: the boundary machine of src/data.c's header comment ---- */
static DI_ATTR postel_status DI(decode_data)(postel_data_decoder *d,
					     const unsigned char *buf,
					     size_t len, postel_data_event *ev,
					     size_t *consumed)
{
	postel_data_result *r = &d->r_;
	const unsigned char *const end = buf + len;
	const unsigned char *pos = buf; /* next byte to look at */
	const unsigned char *s = buf;   /* start of undelivered content */
	const uint64_t at0 = r->received;
	const uint64_t max_line = d->max_line_;
	const int repair =
		(d->lenient_ & POSTEL_LENIENT_DATA_REPAIR_LINE_ENDS) != 0;
	uint64_t line = d->line_; /* octets of the current line so far */
	uint64_t n8 = 0;          /* 8-bit octets seen in this call */

#define AT(ptr) (at0 + (uint64_t)((ptr) - buf))
	/* Deliver [from, to) having consumed up to `cons`; returns from the
	 * call with the event, or falls through when there is none (empty,
	 * or dropped over the size limit). */
#define EMIT_AT(from, to, cons, at, rep)                                       \
	do {                                                                   \
		d->line_ = line;                                               \
		r->received = AT(cons);                                        \
		*consumed = (size_t)((cons) - buf);                            \
		if (n8) {                                                      \
			count8(d, buf, at0, n8);                               \
			n8 = 0;                                                \
		}                                                              \
		if ((to) > (from) &&                                           \
		    deliver(d, (const char *)(from), (size_t)((to) - (from)),  \
			    at, rep, ev))                                      \
			return POSTEL_OK;                                      \
	} while (0)
#define EMIT(from, to, cons) EMIT_AT(from, to, cons, AT(from), 0)
#define HOLD(at)                                                               \
	do {                                                                   \
		EMIT(s, at, at);                                               \
		ev->type = POSTEL_DATA_NEED_MORE;                              \
		return POSTEL_NEED_MORE;                                       \
	} while (0)

	for (;;) {
		if (d->bol_) {
			if (pos == end)
				HOLD(pos);
			if (*pos == '.') {
				if (end - pos < 2)
					HOLD(pos);
				if (pos[1] == '\r') {
					if (end - pos < 3)
						HOLD(pos);
					if (pos[2] == '\n') {
						/* CRLF "." CRLF: end of data */
						EMIT(s, pos, pos);
						d->line_ = 0;
						r->received = AT(pos + 3);
						d->state_ = ST_DONE;
						verdict(d);
						ev->type = POSTEL_DATA_END;
						ev->result = r;
						*consumed = (size_t)(pos + 3 - buf);
						return POSTEL_OK;
					}
					/* ".\r" + other: a "." line ended by a
					 * bare CR */
					tally(d, &r->fake_end, AT(pos), 1);
				} else if (pos[1] == '\n') {
					tally(d, &r->fake_end, AT(pos), 1);
				}
				/* stuffed dot (§4.5.2): skipped */
				d->bol_ = 0;
				line = 0;
				EMIT(s, pos, pos + 1);
				s = ++pos;
			} else {
				d->bol_ = 0;
			}
		}
		/* inside a line: the fast path takes CRLF followed by anything
		 * but '.', which needs no state change */
		{
			uint64_t lines = r->lines, longest = r->longest_line;
			for (;;) {
				const unsigned char *q = DI_SCAN(pos, end, &n8);
				line += (uint64_t)(q - pos);
				pos = q;
				if (end - pos < 3 || load16(pos) != CRLF16 ||
				    pos[2] == '.')
					break;
				line += 2;
				lines++;
				if (line > longest)
					longest = line;
				if (line > max_line)
					tally(d, &r->long_line, AT(pos), 1);
				line = 0;
				pos += 2;
			}
			r->lines = lines;
			r->longest_line = longest;
		}
		if (pos == end)
			HOLD(pos);
		if (*pos == 0) {
			tally(d, &r->nul, AT(pos), 1);
			pos++;
			line++;
			continue;
		}
		if (*pos == '\r') {
			if (end - pos < 2)
				HOLD(pos); /* CR or CRLF? */
			if (pos[1] == '\n') {
				end_line(d, line + 2, AT(pos));
				line = 0;
				pos += 2;
				d->bol_ = 1;
				continue;
			}
		}
		/* a bare CR or bare LF; a fake end when "." CR/LF follows */
		if (end - pos < 2 || (pos[1] == '.' && end - pos < 3))
			HOLD(pos);
		if (repair) {
			EMIT(s, pos, pos);
			s = pos;
		}
		if (pos[1] == '.' && (pos[2] == '\r' || pos[2] == '\n'))
			tally(d, &r->fake_end, AT(pos + 1), 1);
		tally(d, *pos == '\r' ? &r->bare_cr : &r->bare_lf, AT(pos), 1);
		end_line(d, line + 2, AT(pos));
		line = 0;
		pos++;
		if (repair) {
			/* replace the bare octet by CRLF (s == pos - 1) */
			EMIT_AT(crlf_static, crlf_static + 2, pos, AT(pos - 1), 1);
			s = pos;
		}
	}
#undef HOLD
#undef EMIT
#undef EMIT_AT
#undef AT
}

/* ---- encoder ---- */
static DI_ATTR postel_status DI(encode_run)(postel_data_encoder *e,
					    const unsigned char *in,
					    size_t in_len, char *out,
					    size_t cap, size_t *iu, size_t *ou)
{
	const int refuse = (e->flags_ & POSTEL_DATA_ENC_REFUSE_BARE) != 0;
	unsigned char *const o8 = (unsigned char *)out;
	size_t i = 0, o = *ou;
	postel_status st = POSTEL_OK;

	for (;;) {
		if (e->pend_n_) {
			if (flush_pend(e, out, cap, &o)) {
				st = POSTEL_OUTPUT_FULL;
				break;
			}
		}
		if (i == in_len)
			break;
		if (e->cr_) {
			if (in[i] == '\n') {
				i++;
			} else if (refuse) {
				e->state_ = ENC_FAILED;
				st = POSTEL_INVALID;
				break;
			}
			e->cr_ = 0;
			e->bol_ = 1;
			put(e, "\r\n", 2, out, cap, &o);
			continue;
		}
		if (e->bol_) {
			e->bol_ = 0;
			if (in[i] == '.') {
				/* RFC 5321 §4.5.2: double a leading dot */
				i++;
				put(e, "..", 2, out, cap, &o);
				continue;
			}
		}
		/* copy runs; CRLF inline when the octet after it is known:
		 * CRLF "." becomes CRLF ".." (the content dot is copied by the
		 * next run) */
		for (;;) {
			size_t n = in_len - i, room = cap - o;
			size_t k;
			if (n > room)
				n = room;
			k = DI_COPY(in + i, o8 + o, n);
			i += k;
			o += k;
			if (k == n || in_len - i < 3 || cap - o < 3 ||
			    load16(in + i) != CRLF16)
				break;
			memcpy(o8 + o, "\r\n.", 3);
			o += 2 + (in[i + 2] == '.');
			i += 2;
		}
		if (i == in_len)
			break;
		if (o == cap) {
			st = POSTEL_OUTPUT_FULL;
			break;
		}
		if (in[i] == '\r') {
			if (i + 1 < in_len && in[i + 1] == '\n' && cap - o >= 2) {
				o8[o] = '\r';
				o8[o + 1] = '\n';
				o += 2;
				i += 2;
				e->bol_ = 1;
				continue;
			}
			e->cr_ = 1; /* its LF, or not, comes next */
			i++;
			continue;
		}
		/* bare LF */
		if (refuse) {
			e->state_ = ENC_FAILED;
			st = POSTEL_INVALID;
			break;
		}
		i++;
		e->bol_ = 1;
		put(e, "\r\n", 2, out, cap, &o);
	}
	e->in_total_ += i;
	e->out_total_ += o - *ou;
	*iu = i;
	*ou = o;
	return st;
}

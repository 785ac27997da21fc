/*
 * SMTP reply lines (RFC 5321 §4.2):
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 *   textstring = 1*(%d09 / %d32-126)
 *
 * This machine only frames lines: three digits, an optional "-" or SP and
 * text, and the line end. It stops after each line (fbreak); src/reply.c
 * checks the code range, continuation codes, enhanced status codes and
 * limits in C, once per line. Text octets outside textstring are recorded
 * (the line stays framed); a CR not followed by LF, a non-digit in the
 * code or a fourth octet that is not "-", SP or the line end is an error.
 *
 * Runs of plain text are skipped eight octets at a time (skip_plain), so
 * the per-octet state machine only sees the code, the separator, the line
 * end and unusual octets.
 */
#include <string.h>

#include "reply_int.h"

#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"

#define K01 0x0101010101010101ull
#define K20 0x2020202020202020ull
#define K80 0x8080808080808080ull

/* First octet at or after `q` that is not in 0x20-0x7e, or `pe`. */
static inline const unsigned char *skip_plain(const unsigned char *q,
					      const unsigned char *pe)
{
	while (pe - q >= 8) {
		uint64_t x;
		memcpy(&x, q, 8);
		/* a byte < 0x20, or a byte >= 0x7f: exact as a yes/no test */
		if ((((x - K20) & ~x) | (x + K01) | x) & K80)
			break;
		q += 8;
	}
	while (q < pe && *q >= 0x20 && *q <= 0x7e)
		q++;
	return q;
}

%%{
	machine reply;
	alphtype unsigned char;

	action skip { fexec skip_plain(p + 1, pe); }
	action nul { lf |= POSTEL__RL_NUL; }
	action ctl { lf |= POSTEL__RL_CTL; }
	action hi { lf |= POSTEL__RL_8BIT; }
	action bare_lf { lf |= POSTEL__RL_BARE_LF; }
	action eol { lf |= POSTEL__RL_EOL; fbreak; }

	plain = 0x09 | 0x20..0x7e;
	ctl = 0x01..0x08 | 0x0b | 0x0c | 0x0e..0x1f | 0x7f;
	tchar = plain @skip | 0x00 @nul | ctl @ctl | 0x80..0xff @hi;
	eol = '\r' '\n' @eol | '\n' @bare_lf @eol;
	line = digit digit digit ( [\- ] tchar* )? eol;

	main := line*;
}%%

%% write data nofinal noentry;

int postel__reply_scan_start(void)
{
	return reply_start;
}

const unsigned char *postel__reply_scan(int *csp, unsigned *lflags,
					const unsigned char *p,
					const unsigned char *pe)
{
	int cs = *csp;
	unsigned lf = *lflags;
	%% write exec;
	if (cs == reply_error)
		cs = -1;
	*csp = cs;
	*lflags = lf;
	return p;
}

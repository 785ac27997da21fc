/*
 * SMTP reply lines (RFC 5321 §4.2):
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 *   textstring = 1*(%d09 / %d32-126)
 *
 * The machine only frames lines: three digits, an optional "-" or SP and
 * text, the line end. At each line end the eol action hands the line to
 * reply_eol() (src/reply_scan.h), which checks the code range,
 * continuation codes, enhanced status codes and text, and stops the
 * machine after the last line of a reply. Text octets outside textstring
 * are recorded (the line stays framed); a CR not followed by LF, a
 * non-digit in the code, or a fourth octet that is not "-", SP or the
 * line end is an error. The driver, src/reply.c, includes the generated
 * code (reply_machine.h).
 *
 * Two accelerations (src/reply_scan.h, none in a grammar-only build):
 * `skip` jumps over a run of plain text, `head` takes a whole "ddd-" or
 * "ddd " at once; both land in the state the machine would have reached.
 *
 * Dependencies: none (no common.rl machine is needed to frame replies).
 */
%%{
	machine reply;
	alphtype unsigned char;

	action skip { fexec reply_skip_plain(p + 1, pe); }
	action head { if (reply_head(p, pe)) { fexec reply_skip_plain(p + 4, pe); fgoto text; } }
	action nul { s->lf |= POSTEL__RL_NUL; }
	action ctl { s->lf |= POSTEL__RL_CTL; }
	action hi { s->lf |= POSTEL__RL_8BIT; }
	action bare_lf { s->lf |= POSTEL__RL_BARE_LF; }
	action eol { if (reply_eol(s, p)) fbreak; }

	plain = 0x09 | 0x20..0x7e;
	ctl = 0x01..0x08 | 0x0b | 0x0c | 0x0e..0x1f | 0x7f;
	tchar = plain @skip | 0x00 @nul | ctl @ctl | 0x80..0xff @hi;
	eol = '\r' '\n' @eol | '\n' @bare_lf @eol;
	# any three digits: a code out of range is reported at the line end
	line = digit >head digit digit
	       ( [\- ] @skip text: ( tchar* eol ) | eol );

	main := line*;
}%%

%% write data nofinal noentry;

/* The scanner over [p, pe); returns where it stopped. */
static inline const unsigned char *reply_scan_run(reply_scan *s,
						  const unsigned char *p,
						  const unsigned char *pe)
{
	int cs = s->cs;
	%% write exec;
	s->cs = cs;
	return p;
}

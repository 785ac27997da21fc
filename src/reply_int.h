/*
 * Reply parser internals shared by grammar/reply.rl (the scanner) and
 * src/reply.c (the driver). Never installed.
 */
#ifndef POSTEL_REPLY_INT_H
#define POSTEL_REPLY_INT_H

#include "postel/reply.h"

/* Per-line events recorded by the scanner's actions. */
#define POSTEL__RL_EOL 0x01u    /* a line ended (the scanner stopped) */
#define POSTEL__RL_BARE_LF 0x02u
#define POSTEL__RL_CTL 0x04u    /* C0 control other than HT, or DEL */
#define POSTEL__RL_NUL 0x08u
#define POSTEL__RL_8BIT 0x10u

/* Start state of the scanner. */
int postel__reply_scan_start(void);

/* Scan `p`..`pe` from state `*cs`; stops after the first complete line
 * (setting POSTEL__RL_EOL in `*lflags`), at `pe`, or at an error (then
 * `*cs` is negative). Returns where it stopped: after the line's LF, at
 * `pe`, or at the offending octet. */
const unsigned char *postel__reply_scan(int *cs, unsigned *lflags,
					const unsigned char *p,
					const unsigned char *pe);

#endif

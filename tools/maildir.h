/*
 * tools/maildir.h — a standard Maildir writer for the postel tools.
 *
 * Delivery follows the Maildir protocol: the message is written under a
 * unique name in DIR/tmp/, fsync'ed, and renamed into DIR/new/ only when
 * it is committed, which the sink does when the engine's final 250 is
 * decided. An aborted message (reject, disconnect, shutdown) is unlinked
 * from tmp/, so new/ never holds a partial message.
 *
 * Unique names: SECONDS.MUSECPPID_QCOUNTER.HOSTNAME (time, pid, a
 * per-process counter, the host name with '/' and ':' escaped as \057 and
 * \072).
 *
 * Writes are buffered (one buffer per open message, allocated at begin and
 * freed at commit/abort), so an idle session costs nothing here.
 */
#ifndef POSTEL_TOOLS_MAILDIR_H
#define POSTEL_TOOLS_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct maildir {
	int dirfd;     /* DIR */
	int tmpfd;     /* DIR/tmp */
	int newfd;     /* DIR/new */
	int nosync;    /* skip fsync (tests of throughput only) */
	unsigned long counter;
	char host[128]; /* escaped host name for unique names */
} maildir;

typedef struct maildir_msg {
	int fd; /* -1 when no message is open */
	int failed; /* a write failed: commit will fail */
	uint64_t size; /* bytes written so far */
	char *buf; /* write buffer (lazily allocated) */
	size_t n;
	char name[192];
} maildir_msg;

/**
 * Open (creating as needed, mode 0700) DIR, DIR/tmp, DIR/new and DIR/cur.
 * Returns 0, or -1 with a message in err.
 */
int maildir_open(maildir *m, const char *dir, char *err, size_t errlen);
void maildir_close(maildir *m);

/** A message that is not open (fd -1); call before first use. */
void maildir_msg_init(maildir_msg *msg);
/** Nonzero while a message is open. */
static inline int maildir_msg_open(const maildir_msg *msg)
{
	return msg->fd >= 0;
}

/**
 * Start a message in tmp/ and write `prefix` (the trace lines; may be
 * empty). Returns 0, or -1 with errno set.
 */
int maildir_begin(maildir *m, maildir_msg *msg, const void *prefix,
		  size_t prefix_len);
/** Append content bytes. Returns 0, or -1 (the message is then doomed:
 * commit fails; abort it). */
int maildir_write(maildir_msg *msg, const void *p, size_t n);
/**
 * Flush, fsync, close and rename into new/ (then fsync new/). On success
 * the final name (relative to new/) stays in msg->name. Returns 0, or -1
 * with errno set (the tmp file is then removed).
 */
int maildir_commit(maildir *m, maildir_msg *msg);
/** Close and unlink the tmp file; harmless when nothing is open. */
void maildir_abort(maildir *m, maildir_msg *msg);

#endif

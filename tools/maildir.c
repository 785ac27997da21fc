/*
 * tools/maildir.c — Maildir writer (maildir.h).
 */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define MAILDIR_BUF 16384

/* mkdir -p for the last component only after its parents. */
static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static void escape_host(char *out, size_t cap, const char *h)
{
	size_t o = 0;
	for (; *h != '\0' && o + 5 < cap; h++) {
		if (*h == '/' || *h == ':') {
			o += (size_t)snprintf(out + o, cap - o, "\\%03o",
					      (unsigned)(unsigned char)*h);
		} else {
			out[o++] = *h;
		}
	}
	out[o] = '\0';
}

int maildir_open(maildir *m, const char *dir, char *err, size_t errlen)
{
	static const char *const sub[] = {"tmp", "new", "cur"};
	char host[128];
	memset(m, 0, sizeof *m);
	m->dirfd = m->tmpfd = m->newfd = -1;
	if (mkdir_p(dir) != 0)
		goto fail;
	m->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dirfd < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if (mkdirat(m->dirfd, sub[i], 0700) != 0 && errno != EEXIST)
			goto fail;
	m->tmpfd = openat(m->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	m->newfd = openat(m->dirfd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->tmpfd < 0 || m->newfd < 0)
		goto fail;
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	escape_host(m->host, sizeof m->host, host);
	return 0;
fail:
	snprintf(err, errlen, "maildir %s: %s", dir, strerror(errno));
	maildir_close(m);
	return -1;
}

void maildir_close(maildir *m)
{
	if (m->tmpfd >= 0)
		close(m->tmpfd);
	if (m->newfd >= 0)
		close(m->newfd);
	if (m->dirfd >= 0)
		close(m->dirfd);
	m->dirfd = m->tmpfd = m->newfd = -1;
}

void maildir_msg_init(maildir_msg *msg)
{
	memset(msg, 0, sizeof *msg);
	msg->fd = -1;
}

int maildir_begin(maildir *m, maildir_msg *msg, const void *prefix,
		  size_t prefix_len)
{
	struct timeval tv;
	if (msg->fd >= 0)
		maildir_abort(m, msg);
	gettimeofday(&tv, NULL);
	snprintf(msg->name, sizeof msg->name, "%lld.M%06ldP%ld_Q%lu.%s",
		 (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
		 ++m->counter, m->host);
	msg->buf = malloc(MAILDIR_BUF);
	if (msg->buf == NULL)
		return -1;
	msg->fd = openat(m->tmpfd, msg->name,
			 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (msg->fd < 0) {
		int e = errno;
		free(msg->buf);
		msg->buf = NULL;
		errno = e;
		return -1;
	}
	msg->failed = 0;
	msg->size = 0;
	msg->n = 0;
	return maildir_write(msg, prefix, prefix_len);
}

static int flush(maildir_msg *msg)
{
	size_t off = 0;
	while (off < msg->n) {
		ssize_t k = write(msg->fd, msg->buf + off, msg->n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			msg->failed = 1;
			return -1;
		}
		off += (size_t)k;
	}
	msg->n = 0;
	return 0;
}

int maildir_write(maildir_msg *msg, const void *p, size_t n)
{
	if (msg->fd < 0 || msg->failed)
		return -1;
	msg->size += n;
	while (n > 0) {
		size_t room = MAILDIR_BUF - msg->n;
		if (room == 0) {
			if (flush(msg) != 0)
				return -1;
			continue;
		}
		if (msg->n == 0 && n >= MAILDIR_BUF) {
			/* large piece: write through */
			ssize_t k = write(msg->fd, p, n);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				msg->failed = 1;
				return -1;
			}
			p = (const char *)p + k;
			n -= (size_t)k;
			continue;
		}
		if (room > n)
			room = n;
		memcpy(msg->buf + msg->n, p, room);
		msg->n += room;
		p = (const char *)p + room;
		n -= room;
	}
	return 0;
}

static void release(maildir_msg *msg)
{
	free(msg->buf);
	msg->buf = NULL;
	msg->n = 0;
	if (msg->fd >= 0)
		close(msg->fd);
	msg->fd = -1;
}

int maildir_commit(maildir *m, maildir_msg *msg)
{
	int e;
	if (msg->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (msg->failed || flush(msg) != 0)
		goto fail;
	if (!m->nosync && fsync(msg->fd) != 0)
		goto fail;
	if (close(msg->fd) != 0) {
		msg->fd = -1;
		goto fail;
	}
	msg->fd = -1;
	if (renameat(m->tmpfd, msg->name, m->newfd, msg->name) != 0)
		goto fail;
	release(msg);
	if (!m->nosync)
		(void)fsync(m->newfd);
	return 0;
fail:
	e = errno;
	release(msg);
	(void)unlinkat(m->tmpfd, msg->name, 0);
	errno = e ? e : EIO;
	return -1;
}

void maildir_abort(maildir *m, maildir_msg *msg)
{
	if (msg->fd < 0 && msg->buf == NULL)
		return;
	release(msg);
	(void)unlinkat(m->tmpfd, msg->name, 0);
}

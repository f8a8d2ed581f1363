/* SPDX-License-Identifier: MIT */
/* sendfile: a file to a socket by splice (lib/io/splice.c), or by read and
 * send through a buffer where the kernel cannot splice. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "io/splice.h"

enum { COPY_BUF = 64 * 1024 };

/* The fallback: IORING_OP_READ into a buffer, then send (or write) it all. */
static ssize_t copy_through(int out, bool sock, int file, int64_t *off, size_t count,
			    size_t *moved, ringo_deadline deadline)
{
	char *buf = malloc(COPY_BUF);
	if (!buf)
		return -ENOMEM;
	ssize_t ret = 0;
	while (count == 0 || *moved < count) {
		size_t want = count && count - *moved < COPY_BUF ? count - *moved : COPY_BUF;
		ret = ringo_read(file, buf, want, off ? *off : -1, deadline);
		if (ret <= 0)
			break;
		size_t got = (size_t)ret, put = 0;
		if (off)
			*off += ret;
		if (sock)
			ret = ringo_send_all(out, buf, got, 0, &put, deadline);
		else
			ret = ringo_write_all(out, buf, got, -1, &put, deadline);
		*moved += put;
		if (ret < 0)
			break;
	}
	free(buf);
	return ret < 0 ? ret : (ssize_t)*moved;
}

ssize_t ringo_sendfile(int out_fd, int file_fd, int64_t offset, size_t count, size_t *sent,
		       ringo_deadline deadline)
{
	size_t moved = 0;
	ssize_t ret;
	struct stat st;
	if (offset < -1 || out_fd < 0 || file_fd < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (fstat(out_fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	int64_t off = offset;
	int64_t *offp = offset >= 0 ? &off : NULL;
	/* RINGO_SPLICE=0: as if the kernel had no SPLICE (tests the
	 * fallback). */
	const char *env = getenv("RINGO_SPLICE");
	if (env && strcmp(env, "0") == 0) {
		ret = -EOPNOTSUPP;
	} else {
		struct ringo__splice sp = { .in = file_fd, .in_off = offp, .out = out_fd,
					    .count = count, .deadline = deadline };
		ret = ringo__splice_run(&sp);
		moved = (size_t)sp.done;
	}
	if ((ret == -EINVAL || ret == -EOPNOTSUPP) && moved == 0)
		ret = copy_through(out_fd, S_ISSOCK(st.st_mode), file_fd, offp, count, &moved,
				   deadline);
out:
	if (sent)
		*sent = moved;
	return ret;
}

/* A TLS stream: the file's bytes are read and written as plaintext, which
 * the stream encrypts; drain keeps the buffer bounded. */
static ssize_t through_stream(ringo_stream *s, int file, int64_t offset, size_t count,
			      size_t *sent)
{
	char *buf = malloc(COPY_BUF);
	if (!buf)
		return -ENOMEM;
	size_t moved = 0;
	ssize_t ret = 0;
	ringo_deadline deadline = ringo__stream_deadline(s);
	while (count == 0 || moved < count) {
		size_t want = count && count - moved < COPY_BUF ? count - moved : COPY_BUF;
		ret = ringo_read(file, buf, want, offset >= 0 ? offset + (int64_t)moved : -1,
				 deadline);
		if (ret <= 0)
			break;
		size_t got = (size_t)ret;
		ret = ringo_stream_write(s, buf, got);
		if (ret == 0)
			ret = ringo_stream_drain(s);
		if (ret < 0)
			break;
		moved += got;
	}
	/* What the stream took: it is sent unless the stream fails. */
	if (sent)
		*sent = moved;
	free(buf);
	return ret < 0 ? ret : (ssize_t)moved;
}

ssize_t ringo_stream_sendfile(ringo_stream *s, int file_fd, int64_t offset, size_t count,
			      size_t *sent)
{
	if (sent)
		*sent = 0;
	int ret = ringo__stream_flush(s);
	if (ret < 0)
		return ret;
	if (ringo__stream_is_tls(s))
		return through_stream(s, file_fd, offset, count, sent);
	return ringo_sendfile(ringo_stream_fd(s), file_fd, offset, count, sent,
			      ringo__stream_deadline(s));
}

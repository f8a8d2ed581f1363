/* SPDX-License-Identifier: MIT */
/* ringo_copy: bytes from a stream or fd to another, until the end of the
 * source, a limit or a deadline.
 *
 * A stream end is held for the copy's time (lib/io/stream_internal.h): the
 * source stream stops its own receiving, the destination sends what was
 * written to it before; then the source's buffered bytes go first, and the
 * copy reads and writes the fds itself, one op at a time, each an SQE the
 * task waits on:
 *  - recv/read into one buffer from the loop's pool, then send/write it
 *    all; or
 *  - IORING_OP_SPLICE from the source into a pipe and from the pipe to the
 *    destination, so the bytes never come up to user space. The kernel runs
 *    a splice in its worker threads, which costs a hand-off per op; where
 *    that is faster is measured (bench/bulk.c), and it is chosen by
 *    use_splice() below. The splice loop is lib/io/splice.c's, shared with
 *    sendfile.
 * A stream with an idle timeout (or two) bounds each op by its last byte in
 * or out plus the timeout; an op cut short while the other direction of
 * the stream kept it busy is simply started again.
 *
 * Bytes read and not yet written when the copy is interrupted (cancelled,
 * timed out, a write error) are never dropped where they can go somewhere:
 * to the destination stream's output (sent in the background; counted as
 * moved), else back in front of the source stream's input. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/bufring.h"
#include "io/io.h"
#include "io/splice.h"
#include "io/stream_internal.h"

enum {
	BUF_SIZE = 256 * 1024,        /* the recv/send path's buffer */
	SPLICE_DEFAULT = 1,           /* measured: see use_splice */
};

struct copy {
	ringo_copy_end src, dst;
	int src_fd, dst_fd;
	bool src_socket, dst_socket;
	mode_t src_type, dst_type;    /* S_IFMT bits */
	uint64_t limit;               /* UINT64_MAX: none */
	ringo_deadline deadline;
	uint64_t moved;
};

/* The deadline for the next op: the caller's, or sooner the idle timeout
 * of either stream, counted from its last byte. */
static ringo_deadline op_deadline(const struct copy *c, bool *idle)
{
	int64_t d = ringo_deadline_none(c->deadline) ? INT64_MAX : c->deadline.ns;
	*idle = false;
	ringo_stream *ends[2] = { c->src.stream, c->dst.stream };
	for (int i = 0; i < 2; i++) {
		int64_t last;
		int64_t t = ends[i] ? ringo__stream_idle(ends[i], &last) : 0;
		if (t > 0 && last + t < d) {
			d = last + t;
			*idle = true;
		}
	}
	return d == INT64_MAX ? RINGO_NO_DEADLINE : ringo_deadline_at(d);
}

/* After an op's -ETIMEDOUT: whether an idle timeout cut it while a byte
 * moved meanwhile (the other direction of a stream), so it may start
 * again. */
static bool retry_after_timeout(const struct copy *c)
{
	bool idle;
	ringo_deadline d = op_deadline(c, &idle);
	return idle && ringo_time() < d.ns;
}

static void touch(const struct copy *c)
{
	if (c->src.stream)
		ringo__stream_touch(c->src.stream);
	if (c->dst.stream)
		ringo__stream_touch(c->dst.stream);
}

/* One read from the source into buf: the count, 0 at its end, or -errno. */
static ssize_t src_read(struct copy *c, void *buf, size_t n)
{
	for (;;) {
		bool idle;
		ringo_deadline d = op_deadline(c, &idle);
		struct ringo__io io;
		int ret = ringo__io_begin(&io, c->src_socket ? IORING_OP_RECV : IORING_OP_READ, d);
		if (ret < 0)
			return ret;
		if (c->src_socket)
			io_uring_prep_recv(io.sqe, c->src_fd, buf, n, 0);
		else
			io_uring_prep_read(io.sqe, c->src_fd, buf, (unsigned)n, (uint64_t)-1);
		ssize_t r = (ssize_t)ringo__io_await(&io);
		if (r == -ETIMEDOUT && retry_after_timeout(c))
			continue;
		if (r > 0)
			touch(c);
		return r;
	}
}

/* One write of buf to the destination: the count or -errno. */
static ssize_t dst_write(struct copy *c, const void *buf, size_t n)
{
	for (;;) {
		bool idle;
		ringo_deadline d = op_deadline(c, &idle);
		struct ringo__io io;
		int ret = ringo__io_begin(&io, c->dst_socket ? IORING_OP_SEND : IORING_OP_WRITE, d);
		if (ret < 0)
			return ret;
		if (c->dst_socket) {
			io_uring_prep_send(io.sqe, c->dst_fd, buf, n, MSG_NOSIGNAL);
		} else {
			io_uring_prep_write(io.sqe, c->dst_fd, buf, (unsigned)n, (uint64_t)-1);
			io.sqe->rw_flags = ringo__io_rwf_nosignal();
		}
		ssize_t r = (ssize_t)ringo__io_await(&io);
		if (r == -ETIMEDOUT && retry_after_timeout(c))
			continue;
		if (r > 0)
			touch(c);
		if (r == 0)
			return -EPIPE; /* nothing taken: the other side is gone */
		return r;
	}
}

/* Bytes read but not written: to the destination stream's output (moved),
 * else back to the source stream; an fd to fd copy cannot keep them. */
static void keep(struct copy *c, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (c->dst.stream && ringo__stream_queue(c->dst.stream, p, n) == 0) {
		c->moved += n;
		return;
	}
	if (c->src.stream)
		ringo__stream_unread(c->src.stream, p, n);
}

/* Writes p[0..n) all; on failure keeps the rest (keep) and returns the
 * error. */
static int write_all(struct copy *c, const char *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		size_t want = n - done > INT32_MAX ? INT32_MAX : n - done;
		ssize_t w = dst_write(c, p + done, want);
		if (w < 0) {
			keep(c, p + done, n - done);
			return (int)w;
		}
		done += (size_t)w;
		c->moved += (size_t)w;
	}
	return 0;
}

static size_t room_for(const struct copy *c, size_t n)
{
	uint64_t left = c->limit - c->moved;
	return left < n ? (size_t)left : n;
}

/* What the source stream had buffered goes first, sent from its buffer
 * (which does not move while the stream is held). Returns 0 or -errno. */
static int move_buffered(struct copy *c)
{
	ringo_stream *s = c->src.stream;
	for (;;) {
		const void *data;
		size_t n = room_for(c, ringo__stream_view(s, &data));
		if (n == 0)
			return 0;
		if (n > INT32_MAX)
			n = INT32_MAX;
		ssize_t w = dst_write(c, data, n);
		if (w < 0)
			return (int)w; /* the rest stays in the source */
		ringo_stream_consume(s, (size_t)w);
		c->moved += (size_t)w;
	}
}

/* The recv/send path. Returns 0 at the end of the source or the limit, or
 * -errno. */
static int copy_rw(struct copy *c)
{
	size_t cap = BUF_SIZE;
	struct ringo_loop *loop = ringo__loop_get();
	char *buf = ringo__bufpool_take(loop, &cap);
	if (!buf)
		return -ENOMEM;
	int ret = 0;
	while (c->moved < c->limit) {
		ssize_t r = src_read(c, buf, room_for(c, cap));
		if (r <= 0) {
			if (c->src.stream && r != -ECANCELED && r != -ETIMEDOUT)
				ringo__stream_set_read_end(c->src.stream, (int)r);
			ret = (int)r;
			break;
		}
		ret = write_all(c, buf, (size_t)r);
		if (ret < 0) {
			if (c->dst.stream && ret != -ECANCELED && ret != -ETIMEDOUT)
				ringo__stream_set_write_error(c->dst.stream, ret);
			break;
		}
	}
	ringo__bufpool_give(loop, buf, cap);
	return ret;
}

/* ---- the splice path ---- */

/* Waits until fd is ready for events (POLLIN, POLLOUT), under the copy's
 * deadline and idle timeouts. Returns 0 or -errno. */
static int wait_ready(struct copy *c, int fd, unsigned events)
{
	for (;;) {
		bool idle;
		ringo_deadline d = op_deadline(c, &idle);
		struct ringo__io io;
		int ret = ringo__io_begin(&io, IORING_OP_POLL_ADD, d);
		if (ret < 0)
			return ret;
		io_uring_prep_poll_add(io.sqe, fd, events);
		ssize_t r = (ssize_t)ringo__io_await(&io);
		if (r == -ETIMEDOUT && retry_after_timeout(c))
			continue;
		return r < 0 ? (int)r : 0;
	}
}

/* The splice mechanism's hooks (lib/io/splice.c). */
static int splice_ready(void *ctx, int fd, unsigned events)
{
	return wait_ready(ctx, fd, events);
}

static void splice_moved(void *ctx)
{
	touch(ctx);
}

/* Bytes left in the pipe after an interruption: read at once (they are
 * there; the pipe does not block) and kept. */
static void splice_left(void *ctx, int rfd, size_t n)
{
	struct copy *c = ctx;
	char buf[16384];
	while (n) {
		ssize_t r = read(rfd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (r <= 0)
			break;
		keep(c, buf, (size_t)r);
		n -= (size_t)r;
	}
}

static const struct ringo__splice_waits splice_waits = {
	.ready = splice_ready, .moved = splice_moved, .left = splice_left,
};

/* Sockets splice without blocking only when O_NONBLOCK (the socket side
 * of a splice ignores SPLICE_F_NONBLOCK). The stream's own ops are not
 * affected by it: io_uring's receives and sends poll either way. */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int copy_splice(struct copy *c)
{
	int ret = 0;
	if (c->src_socket)
		ret = set_nonblock(c->src_fd);
	if (ret == 0 && c->dst_socket)
		ret = set_nonblock(c->dst_fd);
	if (ret < 0)
		return ret;
	struct ringo__splice sp = { .in = c->src_fd, .out = c->dst_fd,
				    .count = c->limit == UINT64_MAX ? 0 : c->limit - c->moved,
				    .waits = &splice_waits, .ctx = c };
	ssize_t r = ringo__splice_run(&sp);
	c->moved += sp.done;
	if (r >= 0) {
		if (c->src.stream && (sp.count == 0 || sp.done < sp.count))
			ringo__stream_set_read_end(c->src.stream, 0); /* its end */
		return 0;
	}
	if (r != -ECANCELED && r != -ETIMEDOUT) {
		if (sp.out_failed && c->dst.stream)
			ringo__stream_set_write_error(c->dst.stream, (int)r);
		else if (!sp.out_failed && c->src.stream)
			ringo__stream_set_read_end(c->src.stream, (int)r);
	}
	return (int)r;
}

/* Which path: splice to a socket or a pipe (from a socket, a file or a
 * pipe), and from a file to a file (one copy in the kernel instead of two
 * through user space: bench/cat.c), where the kernel has it, unless
 * RINGO_COPY=rw says otherwise (RINGO_COPY=splice asks for it wherever the
 * fds allow). */
static bool use_splice(const struct copy *c)
{
	if ((c->src.stream && ringo__stream_layered(c->src.stream)) ||
	    (c->dst.stream && ringo__stream_layered(c->dst.stream)))
		return false;
	if (!ringo__ring_supports(ringo__io_ring(), IORING_OP_SPLICE))
		return false;
	const char *env = getenv("RINGO_COPY");
	if (env && !strcmp(env, "rw"))
		return false;
	if (env && !strcmp(env, "splice"))
		return true;
	return SPLICE_DEFAULT && (c->dst_socket || S_ISFIFO(c->dst_type) ||
				  (S_ISREG(c->src_type) && S_ISREG(c->dst_type)));
}

/* A TLS (layered) stream is copied through the stream calls, which
 * decode and encode: peek, write, consume, drain. The deadline is not
 * applied on this path (the streams' own deadlines and idle timeouts are).
 * At most BUF_SIZE a write: a TLS write that size, with nothing queued,
 * is encrypted straight from the source's buffer, where a larger one
 * would copy its rest into the output queue first. */
static ssize_t copy_layered(struct copy *c)
{
	ringo_stream *src = c->src.stream, *dst = c->dst.stream;
	while (c->moved < c->limit) {
		const void *data;
		size_t n = ringo__stream_view(src, &data);
		n = room_for(c, n < BUF_SIZE ? n : BUF_SIZE);
		if (n == 0) {
			ssize_t r = ringo__stream_wait_past(src, 0);
			if (r <= 0)
				return r;
			continue;
		}
		int ret = ringo_stream_write(dst, data, n);
		if (ret < 0)
			return ret;
		ringo_stream_consume(src, n);
		c->moved += n;
		ret = ringo_stream_drain(dst);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int end_fd(ringo_copy_end e)
{
	return e.stream ? ringo_stream_fd(e.stream) : e.fd;
}

static int file_type(int fd, mode_t *type, bool *sock)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	*type = st.st_mode & S_IFMT;
	*sock = S_ISSOCK(st.st_mode);
	return 0;
}

ssize_t ringo_copy(ringo_copy_end src, ringo_copy_end dst, uint64_t limit, ringo_deadline deadline,
		   uint64_t *moved)
{
	if (moved)
		*moved = 0;
	if (!ringo__loop_get())
		return -EPERM;
	struct copy c = { .src = src, .dst = dst, .limit = limit ? limit : UINT64_MAX,
			  .deadline = deadline };
	c.src_fd = end_fd(src);
	c.dst_fd = end_fd(dst);
	if (c.src_fd < 0 || c.dst_fd < 0)
		return c.src_fd < 0 && src.stream ? -EPIPE : -EBADF;
	int ret = file_type(c.src_fd, &c.src_type, &c.src_socket);
	if (ret == 0)
		ret = file_type(c.dst_fd, &c.dst_type, &c.dst_socket);
	if (ret < 0)
		return ret;
	if (src.stream)
		c.src_socket = ringo__stream_is_socket(src.stream);
	if ((src.stream && ringo__stream_layered(src.stream)) ||
	    (dst.stream && ringo__stream_layered(dst.stream))) {
		if (!src.stream || !dst.stream)
			return -EOPNOTSUPP;
		ssize_t r = copy_layered(&c);
		if (moved)
			*moved = c.moved;
		return r < 0 ? r : (ssize_t)c.moved;
	}
	bool src_end = false;
	if (src.stream) {
		ret = ringo__stream_hold_read(src.stream);
		if (ret == -ESHUTDOWN)
			return ret;
		if (ret < 0)
			return ret;
		src_end = ret == 1;
	}
	if (dst.stream) {
		ret = ringo__stream_hold_write(dst.stream);
		if (ret < 0) {
			if (ret != -ESHUTDOWN && src.stream)
				ringo__stream_release_read(src.stream);
			return ret;
		}
	}
	if (src.stream)
		ret = move_buffered(&c);
	if (ret == 0 && src_end && c.moved < c.limit && ringo__stream_view(src.stream, NULL) == 0) {
		/* Everything it had went; its error, if it ended with one. */
		char byte;
		ssize_t r = ringo_stream_read(src.stream, &byte, 1);
		ret = r < 0 ? (int)r : 0;
	}
	if (ret == 0 && !src_end && c.moved < c.limit)
		ret = use_splice(&c) ? copy_splice(&c) : copy_rw(&c);
	if (dst.stream)
		ringo__stream_release_write(dst.stream);
	if (src.stream)
		ringo__stream_release_read(src.stream);
	if (moved)
		*moved = c.moved;
	if (ret < 0)
		return ret;
	return (ssize_t)(c.moved > SSIZE_MAX ? SSIZE_MAX : c.moved);
}

ssize_t ringo_stream_copy(ringo_stream *src, ringo_stream *dst, uint64_t limit, ringo_deadline deadline,
			  uint64_t *moved)
{
	if (moved)
		*moved = 0;
	if (!src || !dst)
		return -EINVAL;
	return ringo_copy(ringo_copy_stream(src), ringo_copy_stream(dst), limit, deadline, moved);
}

/* SPDX-License-Identifier: MIT */
/* Splice: bytes from one fd to another without entering user space. A
 * file and a socket are joined by a pipe made for the call (enlarged to
 * 1 MiB where the system allows): one SPLICE fills it from the file, more
 * empty it into the socket, each an SQE the task waits on. When one end is
 * a pipe already, each step is one SPLICE between the two. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "splice.h"

enum { PIPE_SIZE = 1 << 20, STEP_MAX = 1 << 30 };

struct step_timer {
	struct ringo__io *io;
	bool fired;
};

/* The deadline of a step: aims an ASYNC_CANCEL at the SPLICE. */
static void step_expired(void *arg)
{
	struct step_timer *st = arg;
	st->fired = true;
	if (st->io->w.op.armed)
		ringo__ring_cancel(ringo__io_ring(), &st->io->w.op);
}

/* One IORING_OP_SPLICE of up to n bytes; off NULL: the fd's position.
 * A SPLICE into a full socket sleeps in an io-wq worker, and there a
 * linked timeout does not end it (seen on 6.18: the timer fires and the
 * splice sleeps on), while IORING_OP_ASYNC_CANCEL does; so the deadline is
 * a timer that sends the cancel. A splice interrupted after moving some
 * bytes returns their count, and the next step finds the deadline past. */
static ssize_t splice_once(int in, int64_t *off, int out, size_t n, ringo_deadline deadline)
{
	if (!ringo_deadline_none(deadline) && deadline.ns <= ringo_time())
		return -ETIMEDOUT;
	struct ringo__io io;
	struct step_timer st = { .io = &io };
	ringo_handle *timer = NULL;
	/* The timer first: nothing may queue an SQE between io_begin and
	 * io_await. It cannot fire before this task suspends. */
	int ret = 0;
	if (!ringo_deadline_none(deadline))
		ret = ringo_call_at(deadline.ns, step_expired, &st, &timer);
	if (ret == 0)
		ret = ringo__io_begin(&io, IORING_OP_SPLICE, RINGO_NO_DEADLINE);
	if (ret < 0) {
		if (timer) {
			ringo_handle_cancel(timer);
			ringo_handle_unref(timer);
		}
		return ret;
	}
	io_uring_prep_splice(io.sqe, in, off ? *off : -1, out, -1, (unsigned)n, SPLICE_F_MOVE);
	ssize_t r = ringo__io_await(&io);
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	if (st.fired && (r == -ECANCELED || r == -EINTR))
		r = -ETIMEDOUT;
	if (r > 0 && off)
		*off += r;
	return r;
}

static bool is_pipe(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

ssize_t ringo__splice(int in, int64_t *in_off, int out, size_t count, size_t *done,
		      ringo_deadline deadline)
{
	size_t moved = 0;
	ssize_t ret = 0;
	int p[2] = { -1, -1 };
	/* RINGO_SPLICE=0: as if the kernel had no SPLICE (tests the
	 * callers' fallbacks). */
	const char *env = getenv("RINGO_SPLICE");
	if (env && strcmp(env, "0") == 0) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	size_t step = STEP_MAX;
	bool direct = is_pipe(in) || is_pipe(out);
	if (!direct) {
		if (pipe2(p, O_CLOEXEC) < 0) {
			ret = -errno;
			goto out;
		}
		int sz = fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
		if (sz < 0)
			sz = fcntl(p[1], F_GETPIPE_SZ);
		step = sz > 0 ? (size_t)sz : 65536;
	}
	while (count == 0 || moved < count) {
		size_t want = count ? count - moved : step;
		if (want > step)
			want = step;
		if (direct) {
			ret = splice_once(in, in_off, out, want, deadline);
			if (ret <= 0)
				break;
			moved += (size_t)ret;
			continue;
		}
		ret = splice_once(in, in_off, p[1], want, deadline);
		if (ret <= 0)
			break;
		size_t filled = (size_t)ret;
		while (filled) {
			ret = splice_once(p[0], NULL, out, filled, deadline);
			if (ret <= 0)
				break;
			filled -= (size_t)ret;
			moved += (size_t)ret;
		}
		if (ret <= 0) {
			/* 0 from a socket taking nothing: it is gone. */
			if (ret == 0)
				ret = -EPIPE;
			break;
		}
	}
	if (ret >= 0)
		ret = (ssize_t)moved;
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
out:
	if (done)
		*done = moved;
	return ret;
}

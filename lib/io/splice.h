/* SPDX-License-Identifier: MIT */
/* Internal: moving bytes between two fds inside the kernel with
 * IORING_OP_SPLICE, through a pipe when neither end is one (zero-copy: the
 * file's pages are referenced, not copied). The one splice loop behind
 * ringo_sendfile and ringo_copy. Never installed. */
#ifndef RINGO__SPLICE_H
#define RINGO__SPLICE_H

#include "io/io.h"

/* How a transfer with nonblocking splices waits, and what it tells its
 * owner. */
struct ringo__splice_waits {
	/* Waits until fd is ready for events (POLLIN or POLLOUT), as an SQE
	 * (a poll) under the owner's deadlines. Returns 0 or -errno. */
	int (*ready)(void *ctx, int fd, unsigned events);
	/* A splice moved bytes (either side). May be NULL. */
	void (*moved)(void *ctx);
	/* The transfer stopped with n bytes still in its pipe: they are
	 * there to be read from rfd at once. May be NULL (they are dropped). */
	void (*left)(void *ctx, int rfd, size_t n);
};

/* One transfer: up to count bytes (0: until the end of in) from in, at
 * *in_off (advanced; NULL: in's own position), to out, which must take
 * everything (a socket, a pipe, a file at its position).
 *
 * waits NULL: each step is a blocking SPLICE, cut at deadline by an
 * ASYNC_CANCEL (ringo_sendfile). Otherwise every splice is nonblocking
 * (sockets must be O_NONBLOCK) and each wait is waits->ready (ringo_copy;
 * deadline is then unused). With waits, between two regular files,
 * several chunks move at once at explicit offsets (each a task of its
 * own); both positions then move by done at the end. */
struct ringo__splice {
	int in, out;
	int64_t *in_off;
	uint64_t count;
	ringo_deadline deadline;
	const struct ringo__splice_waits *waits;
	void *ctx;
	/* results */
	uint64_t done;       /* bytes that reached out, also on error */
	bool out_failed;     /* the error, if any, came from out's side */
};

/* Runs the transfer; each step is one SPLICE SQE whose CQE resumes the
 * task. Returns sp->done (less than count only at the end of in) or a
 * negative errno: -EINVAL when the kernel cannot splice these fds (nothing
 * moved: the caller falls back to read + write), -EPIPE when out takes
 * nothing, -ETIMEDOUT, -ECANCELED, a read or write error. Bytes in the
 * pipe when it stops go to waits->left, or are dropped with the pipe. May
 * suspend. */
ssize_t ringo__splice_run(struct ringo__splice *sp);

#endif

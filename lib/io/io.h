/* SPDX-License-Identifier: MIT */
/* Internal: one I/O await — an SQE (and, with a deadline, its linked
 * IORING_OP_LINK_TIMEOUT) whose CQE resumes the calling task. Every file and
 * socket operation is built from ringo__io_begin, an io_uring_prep_* call
 * on io.sqe, and ringo__io_await. Never installed. */
#ifndef RINGO__IO_H
#define RINGO__IO_H

#include "core/ring.h"

struct ringo__io {
	struct ringo__wait w;
	struct io_uring_sqe *sqe;       /* to fill with an io_uring_prep_* call */
	struct io_uring_sqe *link_sqe;  /* the deadline's, or NULL */
	ringo_deadline deadline;
	int fd;                         /* the SQE's, for the task dump */
	uint8_t opcode;
};

/* Begins an operation with IORING_OP_* opcode for the current task, with
 * deadline (RINGO_NO_DEADLINE: none). Returns 0 with io->sqe ready
 * to be prepared, or -EPERM (not in a task), -ECANCELED (a cancellation was
 * pending: delivered), -EOPNOTSUPP (the kernel lacks opcode) with nothing
 * queued. Between this and ringo__io_await the caller must queue no other
 * SQE and must not fail: validate arguments first. */
int ringo__io_begin(struct ringo__io *io, unsigned opcode, ringo_deadline deadline);

/* Submits the prepared SQE (keeping flags the prep set, adding IOSQE_IO_LINK
 * for a deadline) and suspends until its CQE, and the linked timeout's, have
 * come. Returns the CQE's result; -ETIMEDOUT if the deadline cancelled it;
 * -ECANCELED if the task was cancelled and the op did not complete. An op
 * that completed despite a cancel returns its result, and the cancellation
 * is delivered at the next await. */
intptr_t ringo__io_await(struct ringo__io *io);

/* RWF_NOSIGNAL where the kernel has it (Linux 6.18), else 0: for the
 * rw_flags of a write to a pipe, so that a pipe whose reader is gone (a
 * child that exited) fails the write with -EPIPE instead of raising
 * SIGPIPE, which would kill the process. Probed once per process. */
int ringo__io_rwf_nosignal(void);

/* The running loop's ring (for code that checks support up front). */
static inline struct ringo__ring *ringo__io_ring(void)
{
	struct ringo_loop *loop = ringo__loop_get();
	return loop ? loop->ring : NULL;
}

#endif

/* SPDX-License-Identifier: MIT */
/* One I/O await: the operation's SQE, optionally linked to an
 * IORING_OP_LINK_TIMEOUT for its deadline, and the task suspended on its
 * CQE (both CQEs, with a deadline) through the core's one wait mechanism,
 * which also handles cancellation (ASYNC_CANCEL aimed at the op). */
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io.h"

#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL 0x00000100
#endif

int ringo__io_begin(struct ringo__io *io, unsigned opcode, ringo_deadline deadline)
{
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__ring *r = ringo__loop_get()->ring;
	if (!ringo__ring_supports(r, opcode))
		return -EOPNOTSUPP;
	ringo__wait_init(&io->w, t);
	io->deadline = deadline;
	if (!ringo_deadline_none(deadline)) {
		/* The op and its timeout go to the kernel in the same
		 * submission, or the link would be broken. */
		ringo__ring_sqe_pair(r, &io->sqe, &io->link_sqe);
	} else {
		io->sqe = ringo__ring_sqe(r);
		io->link_sqe = NULL;
	}
	return 0;
}

intptr_t ringo__io_await(struct ringo__io *io)
{
	struct ringo__ring *r = ringo__io_ring();
	ringo__ring_arm(io->sqe, ringo__wait_kernel_op(&io->w, true));
	if (io->link_sqe) {
		io->sqe->flags |= IOSQE_IO_LINK;
		ringo__ring_link_timeout(r, io->link_sqe, ringo__wait_link_op(&io->w),
					 io->deadline.ns);
	}
	return ringo__wait_suspend(&io->w);
}

int ringo__io_rwf_nosignal(void)
{
	/* 0: not known yet; 1: the kernel has it; -1: it refuses it. */
	static _Atomic int known;
	int k = known;
	if (k == 0) {
		/* A kernel without the flag refuses it with EOPNOTSUPP before
		 * writing anything; /dev/null takes the byte if it has it. */
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		struct iovec v = { .iov_base = (void *)"", .iov_len = 1 };
		k = fd >= 0 && pwritev2(fd, &v, 1, -1, RWF_NOSIGNAL) == 1 ? 1 : -1;
		if (fd >= 0)
			close(fd);
		known = k;
	}
	return k > 0 ? RWF_NOSIGNAL : 0;
}

/* One I/O await: the operation's SQE, optionally linked to an
 * IORING_OP_LINK_TIMEOUT for its deadline, and the task suspended on its
 * CQE (both CQEs, with a deadline) through the core's one wait mechanism,
 * which also handles cancellation (ASYNC_CANCEL aimed at the op). */
#include "io.h"

int ringo__io_begin(struct ringo__io *io, unsigned opcode, int64_t deadline)
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
	if (deadline > 0) {
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
					 io->deadline);
	}
	return ringo__wait_suspend(&io->w);
}

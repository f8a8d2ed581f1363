/* SPDX-License-Identifier: MIT */
/* One I/O await: the operation's SQE, optionally linked to an
 * IORING_OP_LINK_TIMEOUT for its deadline, and the task suspended on its
 * CQE (both CQEs, with a deadline) through the core's one wait mechanism,
 * which also handles cancellation (ASYNC_CANCEL aimed at the op). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/io.h"
#include "debug/probes.h"

#ifndef RWF_NOSIGNAL
#define RWF_NOSIGNAL 0x00000100
#endif

static const char *op_name(unsigned opcode)
{
	switch (opcode) {
	case IORING_OP_READ: return "read";
	case IORING_OP_WRITE: return "write";
	case IORING_OP_READV: return "readv";
	case IORING_OP_WRITEV: return "writev";
	case IORING_OP_FSYNC: return "fsync";
	case IORING_OP_STATX: return "statx";
	case IORING_OP_CLOSE: return "close";
	case IORING_OP_OPENAT: return "open";
	case IORING_OP_UNLINKAT: return "unlink";
	case IORING_OP_RENAMEAT: return "rename";
	case IORING_OP_MKDIRAT: return "mkdir";
	case IORING_OP_SOCKET: return "socket";
	case IORING_OP_ACCEPT: return "accept";
	case IORING_OP_CONNECT: return "connect";
	case IORING_OP_RECV: return "recv";
	case IORING_OP_SEND: return "send";
	case IORING_OP_RECVMSG: return "recvmsg";
	case IORING_OP_SENDMSG: return "sendmsg";
	case IORING_OP_SHUTDOWN: return "shutdown";
	case IORING_OP_POLL_ADD: return "poll";
	case IORING_OP_SPLICE: return "splice";
	case IORING_OP_TEE: return "tee";
	default: return "io_uring op";
	}
}

/* "recv fd 7 (127.0.0.1:51234)", then ", deadline +2.000s" if it has one. */
static ringo_task *describe_io(const struct ringo__wait *w, char *buf, size_t cap,
			       int64_t now)
{
	const struct ringo__io *io = ringo__container_of(w, const struct ringo__io, w);
	size_t len = 0;
	ringo__dump_add(buf, cap, &len, "%s", op_name(io->opcode));
	if (io->fd >= 0 && io->opcode != IORING_OP_OPENAT && io->opcode != IORING_OP_SOCKET &&
	    io->opcode != IORING_OP_UNLINKAT && io->opcode != IORING_OP_RENAMEAT &&
	    io->opcode != IORING_OP_MKDIRAT && io->opcode != IORING_OP_STATX) {
		char peer[256];
		ringo__dump_fd(io->fd, peer, sizeof(peer));
		ringo__dump_add(buf, cap, &len, " fd %d", io->fd);
		if (peer[0])
			ringo__dump_add(buf, cap, &len, " (%s)", peer);
	}
	if (!ringo_deadline_none(io->deadline)) {
		char rel[32];
		ringo__dump_add(buf, cap, &len, ", deadline %s",
				ringo__dump_rel(rel, io->deadline.ns, now));
	}
	return NULL;
}

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
	io->w.describe = describe_io;
	io->opcode = (uint8_t)opcode;
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
	io->fd = io->sqe->fd;
	ringo__ring_arm(io->sqe, ringo__wait_kernel_op(&io->w, true));
	RINGO_PROBE2(op__submit, &io->w.op, io->opcode);
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

/* Sockets: each call one SQE (lib/io.c), IPv4, IPv6 and Unix. */
#include <string.h>
#include <sys/socket.h>

#include "io.h"

ssize_t ringo_recv(int fd, void *buf, size_t n, int flags, int64_t deadline)
{
	if (!buf && n)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_RECV, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_recv(io.sqe, fd, buf, n, flags);
	return ringo__io_await(&io);
}

ssize_t ringo_send(int fd, const void *buf, size_t n, int flags, int64_t deadline)
{
	if (!buf && n)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_SEND, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_send(io.sqe, fd, buf, n, flags | MSG_NOSIGNAL);
	return ringo__io_await(&io);
}

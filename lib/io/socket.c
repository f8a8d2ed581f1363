/* SPDX-License-Identifier: MIT */
/* Sockets: each call that may suspend is one SQE (lib/io/io.c); bind, listen
 * and the address helpers are plain calls. IPv4, IPv6 and Unix. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/io.h"

int ringo_socket(int domain, int type, int protocol, ringo_deadline deadline)
{
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_SOCKET, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_socket(io.sqe, domain, type, protocol, 0);
	return (int)ringo__io_await(&io);
}

int ringo_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!addr)
		return -EINVAL;
	return bind(fd, addr, len) < 0 ? -errno : 0;
}

int ringo_listen(int fd, int backlog)
{
	return listen(fd, backlog) < 0 ? -errno : 0;
}

int ringo_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, ringo_deadline deadline)
{
	if (addr && !len)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_ACCEPT, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_accept(io.sqe, fd, addr, len, flags);
	return (int)ringo__io_await(&io);
}

int ringo_connect(int fd, const struct sockaddr *addr, socklen_t len, ringo_deadline deadline)
{
	if (!addr)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_CONNECT, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_connect(io.sqe, fd, addr, len);
	return (int)ringo__io_await(&io);
}

ssize_t ringo_recv(int fd, void *buf, size_t n, int flags, ringo_deadline deadline)
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

ssize_t ringo_send(int fd, const void *buf, size_t n, int flags, ringo_deadline deadline)
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

ssize_t ringo_recvmsg(int fd, struct msghdr *msg, int flags, ringo_deadline deadline)
{
	if (!msg)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_RECVMSG, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_recvmsg(io.sqe, fd, msg, (unsigned)flags);
	return ringo__io_await(&io);
}

ssize_t ringo_sendmsg(int fd, const struct msghdr *msg, int flags, ringo_deadline deadline)
{
	if (!msg)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_SENDMSG, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_sendmsg(io.sqe, fd, msg, (unsigned)flags | MSG_NOSIGNAL);
	return ringo__io_await(&io);
}

ssize_t ringo_send_all(int fd, const void *buf, size_t n, int flags, size_t *done,
		       ringo_deadline deadline)
{
	size_t sent = 0;
	ssize_t ret = 0;
	if (!buf && n) {
		ret = -EINVAL;
		goto out;
	}
	while (sent < n) {
		ret = ringo_send(fd, (const char *)buf + sent, n - sent, flags, deadline);
		if (ret <= 0)
			break;
		sent += (size_t)ret;
	}
	/* A stream socket never sends 0 of a nonzero length; should one do
	 * so, stop rather than spin, and say how far it got. */
	if (ret >= 0)
		ret = (ssize_t)sent;
out:
	if (done)
		*done = sent;
	return ret;
}

int ringo_shutdown(int fd, int how, ringo_deadline deadline)
{
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_SHUTDOWN, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_shutdown(io.sqe, fd, how);
	return (int)ringo__io_await(&io);
}

/* ---- addresses ---- */

static int unix_addr(const char *path, struct sockaddr_storage *addr, socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)addr;
	size_t n = strlen(path);
	if (n == 0)
		return -EINVAL;
	/* With its NUL: a path that only fits without one is not portable. */
	if (n >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int ringo_addr_parse(const char *host, uint16_t port, struct sockaddr_storage *addr,
		     socklen_t *len)
{
	if (!addr || !len)
		return -EINVAL;
	if (host && (host[0] == '/' || strncmp(host, "./", 2) == 0))
		return unix_addr(host, addr, len);
	if (host && strncmp(host, "unix:", 5) == 0)
		return unix_addr(host + 5, addr, len);
	struct sockaddr_in in4;
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(port);
	if (!host || !*host) {
		in4.sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (strcmp(host, "localhost") == 0) {
		in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET, host, &in4.sin_addr) != 1) {
		struct sockaddr_in6 in6;
		memset(&in6, 0, sizeof(in6));
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &in6.sin6_addr) != 1)
			return -EINVAL;
		memset(addr, 0, sizeof(*addr));
		memcpy(addr, &in6, sizeof(in6));
		*len = sizeof(in6);
		return 0;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, &in4, sizeof(in4));
	*len = sizeof(in4);
	return 0;
}

/* A socket file left at path by a server that has gone would make bind
 * fail with EADDRINUSE: remove it, as asyncio's create_unix_server does,
 * but only if it is a socket (never a regular file given by mistake). */
static void unlink_stale_socket(const struct sockaddr_un *un)
{
	struct stat st;
	if (lstat(un->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(un->sun_path);
}

int ringo_listen_on(const char *host, uint16_t port, int backlog)
{
	return ringo__listen_on(host, port, backlog, false);
}

int ringo__listen_on(const char *host, uint16_t port, int backlog, bool reuse_port)
{
	struct sockaddr_storage addr;
	socklen_t len;
	int ret = ringo_addr_parse(host, port, &addr, &len);
	if (ret < 0)
		return ret;
	int family = addr.ss_family;
	int fd = ringo_socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	if (fd == -EOPNOTSUPP) {
		/* Kernels before 5.19 lack IORING_OP_SOCKET; socket(2)
		 * never blocks, so the plain call serves them. */
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd;
	if (family == AF_UNIX) {
		unlink_stale_socket((const struct sockaddr_un *)&addr);
	} else {
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    (reuse_port &&
		     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)) {
			ret = -errno;
			goto err_close;
		}
	}
	ret = ringo_bind(fd, (const struct sockaddr *)&addr, len);
	if (ret < 0)
		goto err_close;
	ret = ringo_listen(fd, backlog > 0 ? backlog : SOMAXCONN);
	if (ret < 0)
		goto err_close;
	return fd;

err_close:
	close(fd);
	return ret;
}

int ringo_local_port(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		return -errno;
	switch (addr.ss_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)&addr)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)&addr)->sin6_port);
	default:
		return -EAFNOSUPPORT;
	}
}

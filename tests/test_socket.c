/* SPDX-License-Identifier: MIT */
/* Sockets (lib/io/socket.c) over real loopback connections: IPv4, IPv6 and
 * Unix; bulk transfer through small buffers, vectored I/O, half-close,
 * deadlines, vanished peers, and address parsing. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ringo.h>

/* A connected client socket for host:port (inside a task). */
static int dial(const char *host, uint16_t port)
{
	struct sockaddr_storage a;
	socklen_t len;
	assert_int_equal(ringo_addr_parse(host, port, &a, &len), 0);
	int fd = ringo_socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	assert_int_equal(ringo_connect(fd, (struct sockaddr *)&a, len,
				       ringo_deadline_in(RINGO_SEC(5))),
			 0);
	return fd;
}

/* A connected pair over a listener at host (port 0: any). */
struct conn {
	int lfd, cfd, sfd;
};

static void open_conn(struct conn *c, const char *host)
{
	c->lfd = ringo_listen_on(host, 0, 0);
	assert_true(c->lfd >= 0);
	int port = 0;
	if (host[0] != '/' && strncmp(host, "unix:", 5) != 0 && strncmp(host, "./", 2) != 0) {
		port = ringo_local_port(c->lfd);
		assert_true(port > 0);
	}
	c->cfd = dial(host, (uint16_t)port);
	c->sfd = ringo_accept(c->lfd, NULL, NULL, SOCK_CLOEXEC, ringo_deadline_in(RINGO_SEC(5)));
	assert_true(c->sfd >= 0);
}

static void close_conn(struct conn *c)
{
	close(c->cfd);
	close(c->sfd);
	close(c->lfd);
}

/* ---- bulk: 16 MiB through 4 KiB socket buffers ---- */

#define BULK (16u << 20)

struct bulk {
	int fd;
	unsigned char *got;
	size_t len;
};

static intptr_t bulk_receiver(void *arg)
{
	struct bulk *b = arg;
	for (;;) {
		size_t room = BULK - b->len;
		ssize_t n = ringo_recv(b->fd, b->got + b->len, room ? room : 1, 0,
				       ringo_deadline_in(RINGO_SEC(10)));
		if (n < 0)
			return n;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		if (b->len > BULK)
			return -EOVERFLOW;
	}
}

static void small_buffers(int fd)
{
	int small = 4096;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
}

static intptr_t bulk_main(void *arg)
{
	(void)arg;
	unsigned char *data = malloc(BULK);
	assert_non_null(data);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < BULK; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (unsigned char)x;
	}
	struct conn c;
	c.lfd = ringo_listen_on("127.0.0.1", 0, 0);
	assert_true(c.lfd >= 0);
	small_buffers(c.lfd); /* inherited by the accepted socket */
	struct sockaddr_storage a;
	socklen_t len;
	assert_int_equal(ringo_addr_parse("127.0.0.1", (uint16_t)ringo_local_port(c.lfd), &a,
					  &len),
			 0);
	c.cfd = ringo_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(c.cfd >= 0);
	small_buffers(c.cfd);
	assert_int_equal(ringo_connect(c.cfd, (struct sockaddr *)&a, len, RINGO_NO_DEADLINE), 0);
	c.sfd = ringo_accept(c.lfd, NULL, NULL, SOCK_CLOEXEC, RINGO_NO_DEADLINE);
	assert_true(c.sfd >= 0);

	struct bulk b = { .fd = c.sfd, .got = malloc(BULK), .len = 0 };
	assert_non_null(b.got);
	ringo_task *rx;
	assert_int_equal(ringo_task_create(bulk_receiver, &b, NULL, &rx), 0);
	size_t done = 0;
	assert_int_equal(ringo_send_all(c.cfd, data, BULK, 0, &done,
					ringo_deadline_in(RINGO_SEC(20))),
			 BULK);
	assert_int_equal(done, BULK);
	assert_int_equal(ringo_shutdown(c.cfd, SHUT_WR, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_task_await(rx), 0);
	ringo_task_unref(rx);
	assert_int_equal(b.len, BULK);
	assert_memory_equal(b.got, data, BULK);
	free(b.got);
	free(data);
	close_conn(&c);
	return 0;
}

static void test_bulk_small_buffers(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(bulk_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- echo over each family ---- */

static intptr_t echo_server(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	int fd = ringo_accept(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC,
			      ringo_deadline_in(RINGO_SEC(5)));
	if (fd < 0)
		return fd;
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	getsockname(lfd, (struct sockaddr *)&local, &llen);
	if (peer.ss_family != local.ss_family)
		return -EPROTO;
	char buf[64];
	ssize_t total = 0;
	for (;;) {
		ssize_t n = ringo_recv(fd, buf, sizeof(buf), 0, ringo_deadline_in(RINGO_SEC(5)));
		if (n <= 0) {
			close(fd);
			return n < 0 ? n : total;
		}
		total += n;
		size_t done;
		ssize_t s = ringo_send_all(fd, buf, (size_t)n, 0, &done, RINGO_NO_DEADLINE);
		if (s != n) {
			close(fd);
			return s < 0 ? s : -EIO;
		}
	}
}

static intptr_t echo_main(void *arg)
{
	const char *host = arg;
	int lfd = ringo_listen_on(host, 0, 4);
	assert_true(lfd >= 0);
	int port = ringo_local_port(lfd);
	bool is_unix = port == -EAFNOSUPPORT;
	assert_true(is_unix || port > 0);
	ringo_task *srv;
	assert_int_equal(ringo_task_create(echo_server, (void *)(intptr_t)lfd, NULL, &srv), 0);
	int fd = dial(host, is_unix ? 0 : (uint16_t)port);
	static const char msg[] = "ping over one family, then pong";
	assert_int_equal(ringo_send(fd, msg, sizeof(msg), 0, RINGO_NO_DEADLINE), sizeof(msg));
	char back[sizeof(msg)];
	size_t got = 0;
	while (got < sizeof(msg)) {
		ssize_t n = ringo_recv(fd, back + got, sizeof(back) - got, 0,
				       ringo_deadline_in(RINGO_SEC(5)));
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(back, msg, sizeof(msg));
	assert_int_equal(ringo_shutdown(fd, SHUT_WR, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_task_await(srv), sizeof(msg));
	ringo_task_unref(srv);
	close(fd);
	close(lfd);
	return 0;
}

static void test_echo_ipv4(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(echo_main, "127.0.0.1"), 0);
	assert_int_equal(harness_run(echo_main, "localhost"), 0);
	assert_int_equal(harness_count_fds(), fds);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void test_echo_ipv6(void **state)
{
	(void)state;
	if (!have_ipv6_loopback()) {
		print_message("skipped: no IPv6 loopback (::1) on this machine\n");
		skip();
	}
	int fds = harness_count_fds();
	assert_int_equal(harness_run(echo_main, "::1"), 0);
	assert_int_equal(harness_count_fds(), fds);
}

static char sock_path[64];

static void test_echo_unix(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	snprintf(sock_path, sizeof(sock_path), "/tmp/ringo-test-socket-%d.sock", (int)getpid());
	unlink(sock_path);
	assert_int_equal(harness_run(echo_main, sock_path), 0);
	/* The socket file stays; a second server on the path removes the
	 * stale one rather than failing with EADDRINUSE. */
	struct stat st;
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	char prefixed[80];
	snprintf(prefixed, sizeof(prefixed), "unix:%s", sock_path);
	assert_int_equal(harness_run(echo_main, prefixed), 0);
	unlink(sock_path);
	assert_int_equal(harness_count_fds(), fds);
}

/* A path that is not a socket is never removed. */
static intptr_t not_a_socket(void *arg)
{
	const char *path = arg;
	assert_int_equal(ringo_listen_on(path, 0, 0), -EADDRINUSE);
	return 0;
}

static void test_unix_path_not_a_socket(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	char path[64];
	snprintf(path, sizeof(path), "/tmp/ringo-test-file-%d", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("precious", f);
	fclose(f);
	assert_int_equal(harness_run(not_a_socket, path), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 8);
	unlink(path);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- errors ---- */

static intptr_t refused_main(void *arg)
{
	(void)arg;
	/* A port that was just free and has no listener. */
	int lfd = ringo_listen_on("127.0.0.1", 0, 0);
	assert_true(lfd >= 0);
	int port = ringo_local_port(lfd);
	/* Listening on it again fails: no SO_REUSEPORT. */
	assert_int_equal(ringo_listen_on("127.0.0.1", (uint16_t)port, 0), -EADDRINUSE);
	close(lfd);
	struct sockaddr_storage a;
	socklen_t len;
	assert_int_equal(ringo_addr_parse("127.0.0.1", (uint16_t)port, &a, &len), 0);
	int fd = ringo_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	assert_int_equal(ringo_connect(fd, (struct sockaddr *)&a, len,
				       ringo_deadline_in(RINGO_SEC(5))),
			 -ECONNREFUSED);
	close(fd);
	/* Arguments checked before anything is submitted. */
	assert_int_equal(ringo_connect(0, NULL, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_bind(0, NULL, 0), -EINVAL);
	assert_int_equal(ringo_recvmsg(0, NULL, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_sendmsg(0, NULL, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_socket(12345, SOCK_STREAM, 0, RINGO_NO_DEADLINE), -EAFNOSUPPORT);
	assert_int_equal(ringo_local_port(-1), -EBADF);
	assert_int_equal(ringo_listen(-1, 1), -EBADF);
	return 0;
}

static void test_errors(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(refused_main, NULL), 0);
	assert_int_equal(ringo_socket(AF_INET, SOCK_STREAM, 0, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_connect(0, NULL, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- vectored I/O ---- */

static intptr_t msg_main(void *arg)
{
	(void)arg;
	struct conn c;
	open_conn(&c, "127.0.0.1");
	struct iovec out[3] = {
		{ (void *)"abc", 3 }, { (void *)"defg", 4 }, { (void *)"hi", 2 },
	};
	struct msghdr m = { .msg_iov = out, .msg_iovlen = 3 };
	assert_int_equal(ringo_sendmsg(c.cfd, &m, 0, RINGO_NO_DEADLINE), 9);
	char a[4], b[5];
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct msghdr r = { .msg_iov = in, .msg_iovlen = 2 };
	assert_int_equal(ringo_recvmsg(c.sfd, &r, MSG_WAITALL, ringo_deadline_in(RINGO_SEC(5))),
			 9);
	assert_memory_equal(a, "abcd", 4);
	assert_memory_equal(b, "efghi", 5);
	close_conn(&c);

	/* Control messages: an fd passed over a Unix socket. */
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec one = { (void *)"F", 1 };
	struct msghdr fm = { .msg_iov = &one, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&fm);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pipefd[1], sizeof(int));
	assert_int_equal(ringo_sendmsg(sp[0], &fm, 0, RINGO_NO_DEADLINE), 1);
	close(pipefd[1]);
	memset(&ctl, 0, sizeof(ctl));
	char f;
	struct iovec rone = { &f, 1 };
	struct msghdr rm = { .msg_iov = &rone, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	assert_int_equal(ringo_recvmsg(sp[1], &rm, MSG_CMSG_CLOEXEC, RINGO_NO_DEADLINE), 1);
	assert_int_equal(f, 'F');
	cm = CMSG_FIRSTHDR(&rm);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	int passed;
	memcpy(&passed, CMSG_DATA(cm), sizeof(int));
	/* The passed fd is the pipe's write end. */
	assert_int_equal(write(passed, "z", 1), 1);
	char z;
	assert_int_equal(read(pipefd[0], &z, 1), 1);
	assert_int_equal(z, 'z');
	close(passed);
	close(pipefd[0]);
	close(sp[0]);
	close(sp[1]);
	return 0;
}

static void test_recvmsg_sendmsg(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(msg_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- half-close ---- */

static intptr_t shutdown_main(void *arg)
{
	(void)arg;
	struct conn c;
	open_conn(&c, "127.0.0.1");
	assert_int_equal(ringo_send(c.cfd, "last", 4, 0, RINGO_NO_DEADLINE), 4);
	assert_int_equal(ringo_shutdown(c.cfd, SHUT_WR, RINGO_NO_DEADLINE), 0);
	char buf[8];
	assert_int_equal(ringo_recv(c.sfd, buf, sizeof(buf), MSG_WAITALL,
				    ringo_deadline_in(RINGO_SEC(5))),
			 4);
	assert_memory_equal(buf, "last", 4);
	assert_int_equal(ringo_recv(c.sfd, buf, sizeof(buf), 0, ringo_deadline_in(RINGO_SEC(5))),
			 0);
	/* Only one direction is shut: the peer still answers. */
	assert_int_equal(ringo_send(c.sfd, "reply", 5, 0, RINGO_NO_DEADLINE), 5);
	assert_int_equal(ringo_recv(c.cfd, buf, 5, MSG_WAITALL, ringo_deadline_in(RINGO_SEC(5))),
			 5);
	assert_memory_equal(buf, "reply", 5);
	assert_int_equal(ringo_shutdown(-1, SHUT_RDWR, RINGO_NO_DEADLINE), -EBADF);
	close_conn(&c);
	return 0;
}

static void test_shutdown(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(shutdown_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- deadlines ---- */

static intptr_t deadline_main(void *arg)
{
	(void)arg;
	struct conn c;
	open_conn(&c, "127.0.0.1");
	char buf[16] = "untouched";
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_recv(c.sfd, buf, sizeof(buf), 0,
				    ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(50));
	assert_true(took < RINGO_SEC(2));
	assert_string_equal(buf, "untouched");
	/* The connection is intact: what is sent now is received. */
	assert_int_equal(ringo_send(c.cfd, "later", 5, 0, RINGO_NO_DEADLINE), 5);
	assert_int_equal(ringo_recv(c.sfd, buf, sizeof(buf), 0, ringo_deadline_in(RINGO_SEC(5))),
			 5);
	assert_memory_equal(buf, "later", 5);
	close(c.cfd);
	close(c.sfd);
	/* And a fresh connection on the same listener works too. */
	c.cfd = dial("127.0.0.1", (uint16_t)ringo_local_port(c.lfd));
	c.sfd = ringo_accept(c.lfd, NULL, NULL, SOCK_CLOEXEC, ringo_deadline_in(RINGO_SEC(5)));
	assert_true(c.sfd >= 0);
	assert_int_equal(ringo_send(c.sfd, "fresh", 5, 0, RINGO_NO_DEADLINE), 5);
	assert_int_equal(ringo_recv(c.cfd, buf, sizeof(buf), 0, ringo_deadline_in(RINGO_SEC(5))),
			 5);
	assert_memory_equal(buf, "fresh", 5);
	/* accept has deadlines too. */
	assert_int_equal(ringo_accept(c.lfd, NULL, NULL, 0, ringo_deadline_in(RINGO_MSEC(20))),
			 -ETIMEDOUT);
	close_conn(&c);
	return 0;
}

static void test_recv_deadline(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(deadline_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* send_all stopped by its deadline says exactly how much went: the peer
 * receives that many bytes, no more. */
static intptr_t send_all_deadline_main(void *arg)
{
	(void)arg;
	struct conn c;
	c.lfd = ringo_listen_on("127.0.0.1", 0, 0);
	assert_true(c.lfd >= 0);
	small_buffers(c.lfd);
	c.cfd = dial("127.0.0.1", (uint16_t)ringo_local_port(c.lfd));
	small_buffers(c.cfd);
	c.sfd = ringo_accept(c.lfd, NULL, NULL, SOCK_CLOEXEC, RINGO_NO_DEADLINE);
	assert_true(c.sfd >= 0);
	size_t n = 4u << 20;
	char *data = calloc(1, n);
	assert_non_null(data);
	size_t done = 12345;
	assert_int_equal(ringo_send_all(c.cfd, data, n, 0, &done,
					ringo_deadline_in(RINGO_MSEC(100))),
			 -ETIMEDOUT);
	assert_true(done > 0 && done < n);
	size_t got = 0;
	for (;;) {
		ssize_t r = ringo_recv(c.sfd, data, n, 0, ringo_deadline_in(RINGO_MSEC(100)));
		if (r == -ETIMEDOUT)
			break;
		assert_true(r > 0);
		got += (size_t)r;
	}
	assert_int_equal(got, done);
	/* Bad arguments: done still says 0. */
	done = 1;
	assert_int_equal(ringo_send_all(c.cfd, NULL, 1, 0, &done, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(done, 0);
	assert_int_equal(ringo_send_all(c.cfd, data, 0, 0, &done, RINGO_NO_DEADLINE), 0);
	assert_int_equal(done, 0);
	free(data);
	close_conn(&c);
	return 0;
}

static void test_send_all_deadline(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	assert_int_equal(harness_run(send_all_deadline_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- a vanished peer ---- */

static intptr_t epipe_main(void *arg)
{
	(void)arg;
	struct conn c;
	open_conn(&c, "127.0.0.1");
	close(c.sfd);
	c.sfd = -1;
	/* The first sends may still be accepted; the peer's RST then turns
	 * them into errors, never into SIGPIPE. */
	ssize_t r = 0;
	for (int i = 0; i < 200 && r >= 0; i++) {
		r = ringo_send(c.cfd, "x", 1, 0, RINGO_NO_DEADLINE);
		if (r >= 0)
			assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	}
	assert_true(r == -EPIPE || r == -ECONNRESET);
	/* Once reset, sendmsg and send_all say EPIPE too. */
	struct iovec v = { (void *)"y", 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
	assert_int_equal(ringo_sendmsg(c.cfd, &m, 0, RINGO_NO_DEADLINE), -EPIPE);
	size_t done = 7;
	assert_int_equal(ringo_send_all(c.cfd, "zz", 2, 0, &done, RINGO_NO_DEADLINE), -EPIPE);
	assert_int_equal(done, 0);
	close(c.cfd);
	close(c.lfd);
	return 0;
}

static void test_send_to_closed_peer(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	/* Default SIGPIPE disposition: a send without MSG_NOSIGNAL would
	 * kill the test. */
	assert_int_equal(harness_run(epipe_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- addresses ---- */

static void test_addr_parse(void **state)
{
	(void)state;
	struct sockaddr_storage a;
	socklen_t len;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a;

	assert_int_equal(ringo_addr_parse("10.1.2.3", 8080, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in4->sin_port), 8080);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), 0x0a010203);

	assert_int_equal(ringo_addr_parse("localhost", 1, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(ntohs(in4->sin_port), 1);

	assert_int_equal(ringo_addr_parse(NULL, 65535, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(in4->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(ntohs(in4->sin_port), 65535);
	assert_int_equal(ringo_addr_parse("", 0, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(in4->sin_addr.s_addr, htonl(INADDR_ANY));

	assert_int_equal(ringo_addr_parse("::1", 443, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(in6->sin6_port), 443);
	assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	assert_int_equal(ringo_addr_parse("2001:db8::7", 1, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET6);
	assert_int_equal(in6->sin6_addr.s6_addr[15], 7);
	assert_int_equal(ringo_addr_parse("::ffff:1.2.3.4", 1, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_INET6);

	assert_int_equal(ringo_addr_parse("/run/x.sock", 99, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_UNIX);
	assert_string_equal(un->sun_path, "/run/x.sock");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 12);
	assert_int_equal(ringo_addr_parse("./rel.sock", 0, &a, &len), 0);
	assert_string_equal(un->sun_path, "./rel.sock");
	assert_int_equal(ringo_addr_parse("unix:plain", 0, &a, &len), 0);
	assert_int_equal(a.ss_family, AF_UNIX);
	assert_string_equal(un->sun_path, "plain");
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 6);

	/* sun_path holds 107 characters and the NUL. */
	char path[200] = "/";
	memset(path + 1, 'p', 106);
	path[107] = '\0';
	assert_int_equal(ringo_addr_parse(path, 0, &a, &len), 0);
	assert_int_equal(strlen(un->sun_path), 107);
	path[107] = 'p';
	path[108] = '\0';
	assert_int_equal(ringo_addr_parse(path, 0, &a, &len), -ENAMETOOLONG);
	char prefixed[220];
	snprintf(prefixed, sizeof(prefixed), "unix:%s", path);
	assert_int_equal(ringo_addr_parse(prefixed, 0, &a, &len), -ENAMETOOLONG);

	static const char *const bad[] = {
		"example.com", "127.0.0.1.", "1.2.3", "256.1.1.1", "::1::", "[::1]",
		"unix:", "rel/path", " 127.0.0.1", "LOCALHOST",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ringo_addr_parse(bad[i], 1, &a, &len), -EINVAL);
	assert_int_equal(ringo_addr_parse("127.0.0.1", 1, NULL, &len), -EINVAL);
	assert_int_equal(ringo_addr_parse("127.0.0.1", 1, &a, NULL), -EINVAL);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_small_buffers),
		cmocka_unit_test(test_echo_ipv4),
		cmocka_unit_test(test_echo_ipv6),
		cmocka_unit_test(test_echo_unix),
		cmocka_unit_test(test_unix_path_not_a_socket),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_recvmsg_sendmsg),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_recv_deadline),
		cmocka_unit_test(test_send_all_deadline),
		cmocka_unit_test(test_send_to_closed_peer),
		cmocka_unit_test(test_addr_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

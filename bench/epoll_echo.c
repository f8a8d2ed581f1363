/* SPDX-License-Identifier: MIT */
/* The yardstick for bench/echo.c: a plain echo server on epoll, the way a
 * careful C programmer writes one without a framework. One thread,
 * level-triggered, nonblocking sockets, a 64 KiB read buffer shared by
 * every connection (echoed at once; only what the peer's window cannot take
 * is kept, and the connection then waits for EPOLLOUT).
 *
 * epoll_echo [--host H] [--port N]: prints "listening on HOST:PORT" once
 * ready, and exits 0 on SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF = 64 * 1024, EVENTS = 256 };

struct conn {
	int fd;
	char *pending;   /* bytes the socket would not take yet */
	size_t plen;
};

static char buf[BUF];

static void drop(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pending);
	free(c);
}

/* Sends p[0..n); keeps what does not fit. Returns -1 if the peer is gone. */
static int send_out(int ep, struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			char *q = realloc(c->pending, c->plen + n);
			if (!q)
				return -1;
			memcpy(q + c->plen, p, n);
			c->pending = q;
			c->plen += n;
			struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			return 0;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int on_readable(int ep, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (send_out(ep, c, buf, (size_t)n) < 0)
				return -1;
			if (c->plen || (size_t)n < sizeof(buf))
				return 0;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -1;
	}
}

static int on_writable(int ep, struct conn *c)
{
	char *p = c->pending;
	size_t n = c->plen;
	c->pending = NULL;
	c->plen = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	int ret = send_out(ep, c, p, n);
	free(p);
	return ret;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	int port = 8888;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host") && i + 1 < argc)
			host = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--host H] [--port N]\n", argv[0]);
			return 2;
		}
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "epoll_echo: bad host %s\n", host);
		return 2;
	}
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socklen_t alen = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, SOMAXCONN) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0) {
		perror("epoll_echo: listen");
		return 1;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	ev.data.ptr = &sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	printf("listening on %s:%d\n", host, ntohs(a.sin_port));
	fflush(stdout);

	struct epoll_event events[EVENTS];
	for (;;) {
		int n = epoll_wait(ep, events, EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			void *p = events[i].data.ptr;
			if (p == &sfd) {
				close(l);
				close(sfd);
				close(ep);
				return 0; /* the connections close as the process exits */
			}
			if (!p) {
				int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0)
					continue;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				struct conn *c = calloc(1, sizeof(*c));
				if (!c) {
					close(fd);
					continue;
				}
				c->fd = fd;
				struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				continue;
			}
			struct conn *c = p;
			int ret = (events[i].events & EPOLLOUT) ? on_writable(ep, c)
								 : on_readable(ep, c);
			if (ret < 0 || (events[i].events & (EPOLLERR | EPOLLHUP) &&
					!(events[i].events & EPOLLIN)))
				drop(ep, c);
		}
	}
}

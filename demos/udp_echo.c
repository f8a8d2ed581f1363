/* SPDX-License-Identifier: MIT */
/* A UDP echo server: asyncio's create_datagram_endpoint with a protocol
 * whose datagram_received sends the datagram back where it came from.
 *
 *   udp_echo [--host H] [--port N] [--batch N]   (default 127.0.0.1:8888)
 *
 * Prints "listening on HOST:PORT" once bound (--port 0 picks a free port,
 * and the line says which). SIGINT or SIGTERM closes it and exits 0. The
 * datagrams received in one round are echoed by sends queued together,
 * which reach the kernel in one submission. With --batch N, up to N
 * datagrams already received are echoed by one ringo_datagram_sendmmsg
 * (one wait for the batch) instead. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringo.h>

struct config {
	const char *host;
	uint16_t port;
	unsigned batch;
	sigset_t signals;
	ringo_datagram *ep;
};

static intptr_t echo(void *arg)
{
	struct config *cfg = arg;
	char buf[65536];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = ringo_datagram_recvfrom(cfg->ep, buf, sizeof(buf), &from, &fromlen,
						    RINGO_NO_DEADLINE);
		if (n == -ECANCELED || n == -ESHUTDOWN)
			return 0;
		if (n < 0)
			continue; /* an ICMP error about an earlier reply: ignore */
		int ret = ringo_datagram_sendto(cfg->ep, buf, (size_t)n, (struct sockaddr *)&from,
						fromlen);
		if (ret < 0)
			return ret;
	}
}

enum { MAX_BATCH = 64 };

/* --batch: a blocking receive, then what else is there already, echoed as
 * one batch. */
static intptr_t echo_batched(void *arg)
{
	struct config *cfg = arg;
	static char buf[MAX_BATCH][2048];
	struct sockaddr_storage from[MAX_BATCH];
	ringo_datagram_msg m[MAX_BATCH];
	for (;;) {
		unsigned n = 0;
		while (n < cfg->batch) {
			socklen_t fromlen = sizeof(from[n]);
			/* the first waits; the others take what is queued */
			ringo_deadline dl = n ? ringo_deadline_at(1) : RINGO_NO_DEADLINE;
			ssize_t r = ringo_datagram_recvfrom(cfg->ep, buf[n], sizeof(buf[n]), &from[n],
							    &fromlen, dl);
			if (r == -ECANCELED || r == -ESHUTDOWN)
				return 0;
			if (r == -ETIMEDOUT)
				break;
			if (r < 0)
				continue;
			m[n] = (ringo_datagram_msg){ buf[n], (size_t)r, (struct sockaddr *)&from[n],
						     fromlen };
			n++;
		}
		ssize_t r = ringo_datagram_sendmmsg(cfg->ep, m, n, RINGO_NO_DEADLINE);
		if (r == -ECANCELED || r == -ESHUTDOWN)
			return 0;
	}
}

static intptr_t serve(void *arg)
{
	struct config *cfg = arg;
	ringo_datagram_opts opts = { .max_size = 0 };
	int ret = ringo_datagram_endpoint(cfg->host, cfg->port, NULL, 0, &opts, &cfg->ep);
	if (ret < 0) {
		fprintf(stderr, "udp_echo: cannot bind %s:%u: %s\n", cfg->host, cfg->port,
			strerror(-ret));
		return ret;
	}
	printf("listening on %s:%d\n", cfg->host, ringo_datagram_port(cfg->ep));
	fflush(stdout);
	ringo_task *t;
	ret = ringo_task_create(cfg->batch ? echo_batched : echo, cfg, NULL, &t);
	if (ret < 0) {
		ringo_datagram_close(cfg->ep);
		return ret;
	}
	int sig = ringo_signal_wait(&cfg->signals, RINGO_NO_DEADLINE);
	ringo_task_cancel(t);
	intptr_t r = ringo_task_await(t);
	ringo_task_unref(t);
	ringo_datagram_close(cfg->ep);
	if (r < 0)
		fprintf(stderr, "udp_echo: %s\n", strerror((int)-r));
	return sig > 0 && r >= 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	struct config cfg = { .host = "127.0.0.1", .port = 8888 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host") && i + 1 < argc) {
			cfg.host = argv[++i];
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			char *end;
			unsigned long p = strtoul(argv[++i], &end, 10);
			if (*end || p > 65535)
				goto usage;
			cfg.port = (uint16_t)p;
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			char *end;
			unsigned long b = strtoul(argv[++i], &end, 10);
			if (*end || b < 1 || b > MAX_BATCH)
				goto usage;
			cfg.batch = (unsigned)b;
		} else {
			goto usage;
		}
	}
	/* Blocked from the start, so that one arriving before the wait is not
	 * lost (nor kills us); ringo_signal_wait reads them from a signalfd. */
	sigemptyset(&cfg.signals);
	sigaddset(&cfg.signals, SIGINT);
	sigaddset(&cfg.signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &cfg.signals, NULL);
	intptr_t result;
	if (ringo_run(serve, &cfg, &result) < 0 || result < 0)
		return 1;
	return 0;

usage:
	fprintf(stderr, "usage: %s [--host H] [--port N] [--batch N (1-64)]\n", argv[0]);
	return 2;
}

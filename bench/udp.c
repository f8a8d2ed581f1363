/* SPDX-License-Identifier: MIT */
/* UDP echo servers under one load: ringo's demos/udp_echo against a plain
 * C server on recvmmsg/sendmmsg (bench/mmsg_echo.c), and udp_echo --batch 8
 * (what is received echoed by one ringo_datagram_sendmmsg). The load: SOCKS
 * client sockets, each keeping WINDOW datagrams of MSG bytes outstanding
 * (sent with sendmmsg, received with recvmmsg), for SECONDS after a
 * warm-up; a datagram lost is given up after 200 ms. Each server runs
 * alone, pinned to CPU 0 with the load on CPU 1; the rounds alternate and
 * each server's best is kept. Reports echoed datagrams per second and the
 * server's CPU time per datagram.
 *
 * bench_udp UDP_ECHO MMSG_ECHO */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

enum { SOCKS = 8, WINDOW = 8, MSG = 64, ROUNDS = 3 };
static const double SECONDS = 3.0, WARMUP = 0.5;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Echoed datagrams per second while the load runs for `seconds`. */
static double load(int port, double seconds, long *lost)
{
	int fds[SOCKS], out[SOCKS];
	double last[SOCKS];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < SOCKS; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("bench_udp: client");
			exit(1);
		}
		out[i] = 0;
		last[i] = now();
	}
	static char msg[WINDOW][MSG], in[WINDOW][2048];
	struct iovec siov[WINDOW], riov[WINDOW];
	struct mmsghdr sm[WINDOW], rm[WINDOW];
	for (int k = 0; k < WINDOW; k++) {
		memset(msg[k], 'a' + k % 26, MSG);
		siov[k] = (struct iovec){ msg[k], MSG };
		sm[k].msg_hdr = (struct msghdr){ .msg_iov = &siov[k], .msg_iovlen = 1 };
		riov[k] = (struct iovec){ in[k], sizeof(in[k]) };
		rm[k].msg_hdr = (struct msghdr){ .msg_iov = &riov[k], .msg_iovlen = 1 };
	}
	long echoed = 0;
	double start = now(), end = start + seconds;
	struct pollfd p[SOCKS];
	while (now() < end) {
		for (int i = 0; i < SOCKS; i++) {
			int want = WINDOW - out[i];
			if (want > 0) {
				int s = sendmmsg(fds[i], sm, (unsigned)want, 0);
				if (s > 0)
					out[i] += s;
			}
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		}
		poll(p, SOCKS, 50);
		double t = now();
		for (int i = 0; i < SOCKS; i++) {
			if (p[i].revents & POLLIN) {
				int r = recvmmsg(fds[i], rm, WINDOW, MSG_DONTWAIT, NULL);
				if (r > 0) {
					echoed += r;
					out[i] -= r;
					if (out[i] < 0)
						out[i] = 0;
					last[i] = t;
				}
			} else if (out[i] && t - last[i] > 0.2) {
				*lost += out[i];
				out[i] = 0;
				last[i] = t;
			}
		}
	}
	double rate = (double)echoed / (now() - start);
	for (int i = 0; i < SOCKS; i++)
		close(fds[i]);
	return rate;
}

/* One round for a server (with extra, an option and its value, or NULL):
 * its rate and its CPU seconds per datagram. */
static double run(const char *path, const char *extra, double *cpu_per)
{
	int port = bench_free_port();
	char ports[16];
	snprintf(ports, sizeof(ports), "%d", port);
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		bench_pin(0);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (extra)
			execl(path, path, "--port", ports, "--batch", extra, (char *)NULL);
		else
			execl(path, path, "--port", ports, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char line[128] = { 0 };
	ssize_t n = read(fds[0], line, sizeof(line) - 1); /* "listening on ..." */
	if (n <= 0) {
		fprintf(stderr, "bench_udp: %s did not start\n", path);
		waitpid(pid, NULL, 0);
		return -1;
	}
	long lost = 0;
	load(port, WARMUP, &lost);
	double t0 = bench_cpu_seconds(pid);
	double t = now();
	double rate = load(port, SECONDS, &lost);
	double wall = now() - t;
	double t1 = bench_cpu_seconds(pid);
	*cpu_per = (t1 - t0) / (rate * wall);
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	close(fds[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "bench_udp: %s did not exit 0 on SIGTERM\n", path);
	if (lost)
		fprintf(stderr, "bench_udp: %s: %ld datagrams lost (given up after 200 ms)\n",
			path, lost);
	return rate;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s UDP_ECHO MMSG_ECHO\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	bench_pin(1);
	const char *names[3] = { "ringo udp_echo", "recvmmsg/sendmmsg", "udp_echo --batch 8" };
	const char *paths[3] = { argv[1], argv[2], argv[1] };
	const char *extra[3] = { NULL, NULL, "8" };
	double best[3] = { 0, 0, 0 }, cpu[3] = { 0, 0, 0 };
	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < 3; s++) {
			double c = 0, rate = run(paths[s], extra[s], &c);
			printf("  round %d: %-18s %9.0f datagrams/s, server CPU %.2f us/datagram\n", r,
			       names[s], rate, c * 1e6);
			if (rate > best[s]) {
				best[s] = rate;
				cpu[s] = c;
			}
		}
	}
	printf("udp echo %dx%d outstanding, %d B: ringo %.0f/s (%.2f us CPU/datagram) | "
	       "recvmmsg %.0f/s (%.2f us CPU/datagram) | ratio %.2fx rate, %.2fx CPU/datagram\n",
	       SOCKS, WINDOW, MSG, best[0], cpu[0] * 1e6, best[1], cpu[1] * 1e6,
	       best[1] > 0 ? best[0] / best[1] : 0, cpu[1] > 0 ? cpu[0] / cpu[1] : 0);
	printf("udp echo, batched sends (ringo_datagram_sendmmsg): %.0f/s (%.2f us CPU/datagram) | "
	       "ratio to recvmmsg %.2fx rate, %.2fx CPU/datagram\n",
	       best[2], cpu[2] * 1e6, best[1] > 0 ? best[2] / best[1] : 0,
	       cpu[1] > 0 ? cpu[2] / cpu[1] : 0);
	return best[0] > 0 && best[1] > 0 ? 0 : 1;
}

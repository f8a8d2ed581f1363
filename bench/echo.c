/* SPDX-License-Identifier: MIT */
/* Echo servers under one load: ringo's demos/echo_server against a plain
 * epoll server in C (bench/epoll_echo.c). The load: CONNS connections, each
 * sending a MSG-byte message and waiting for its echo before the next
 * (closed loop), for SECONDS after a warm-up. Each server runs alone,
 * pinned to one CPU with the load generator on the other (when there are
 * two); the rounds alternate and each server's best is kept.
 *
 * Two load generators, since on loopback the generator shares the work of
 * every packet: demos/echo_client (ringo, batching its sends in one
 * io_uring_enter, so it costs less per message than either server), and
 * this program on epoll (a recv and a send per message, which costs as
 * much as the server it loads, and so saturates as soon as they do).
 *
 * bench_echo RINGO_SERVER EPOLL_SERVER ECHO_CLIENT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "serve.h"

enum { CONNS = 64, MSG = 64, ROUNDS = 3 };
static const double SECONDS = 3.0, WARMUP = 0.5;

/* CPU seconds used by this process (who == RUSAGE_SELF) or its waited-for
 * children (RUSAGE_CHILDREN). */
static double cpu_seconds(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct conn {
	int fd;
	size_t got;  /* bytes of the current echo received */
};

/* Runs the load against port for warm-up + SECONDS; returns round trips
 * per second during the measured part, or a negative value. */
static double load(int port)
{
	static struct conn c[CONNS];
	static const char msg[MSG] = "0123456789abcdef0123456789abcdef"
				     "0123456789abcdef0123456789abcde";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int one = 1;
	for (int i = 0; i < CONNS; i++) {
		c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c[i].fd < 0 || connect(c[i].fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			return -1;
		setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		c[i].got = 0;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
		if (send(c[i].fd, msg, MSG, MSG_NOSIGNAL) != MSG)
			return -1;
	}
	int64_t start = bench_now() + (int64_t)(WARMUP * 1e9);
	int64_t end = start + (int64_t)(SECONDS * 1e9);
	long trips = 0, counted_from = -1;
	int64_t now = bench_now();
	struct epoll_event events[CONNS];
	char buf[4096];
	while (now < end) {
		int n = epoll_wait(ep, events, CONNS, 1000);
		if (n <= 0)
			return -1; /* the server stalled */
		for (int i = 0; i < n; i++) {
			struct conn *k = events[i].data.ptr;
			ssize_t r = recv(k->fd, buf, sizeof(buf), 0);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				return -1;
			}
			k->got += (size_t)r;
			if (k->got < MSG)
				continue;
			if (k->got > MSG)
				return -1; /* one message at a time: never more */
			k->got = 0;
			trips++;
			if (send(k->fd, msg, MSG, MSG_NOSIGNAL) != MSG)
				return -1;
		}
		now = bench_now();
		if (counted_from < 0 && now >= start)
			counted_from = trips;
	}
	for (int i = 0; i < CONNS; i++)
		close(c[i].fd);
	close(ep);
	return (double)(trips - counted_from) / ((double)(now - start) / 1e9);
}

/* Runs echo_client against port on CPU 1 for seconds; returns its round
 * trips per second, or a negative value. */
static double client_load(const char *client, int port, double seconds)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s %s --port %d -c %d -s %d -d %g",
		 sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? "taskset -c 1" : "", client, port, CONNS,
		 MSG, seconds);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[256];
	double rps = -1;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "round trips/s"))
			sscanf(line, "%lf", &rps);
	if (pclose(p) != 0)
		return -1;
	return rps;
}

/* One round: starts the server, loads it, stops it. Returns round trips
 * per second, and the CPU use (0..1) of the server in busy[0] and of the
 * load generator in busy[1]. */
static double run(const char *path, const char *client, double busy[2])
{
	struct bench_server s;
	char port[16];
	snprintf(port, sizeof(port), "%d", bench_free_port());
	fflush(NULL); /* the child would flush our buffered lines again */
	char *pinned[] = { "taskset", "-c", "0", (char *)path, "--port", port, NULL };
	char **argv = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? pinned : pinned + 3;
	if (bench_server_start(&s, argv, atoi(port)) < 0) {
		fprintf(stderr, "bench_echo: %s did not start\n", path);
		return -1;
	}
	double rps;
	double cpu0;
	int64_t t0;
	int who = client ? RUSAGE_CHILDREN : RUSAGE_SELF;
	if (client)
		client_load(client, s.port, WARMUP);
	cpu0 = bench_cpu_seconds(s.pid);
	double gen = cpu_seconds(who);
	t0 = bench_now();
	rps = client ? client_load(client, s.port, SECONDS) : load(s.port);
	double wall = (double)(bench_now() - t0) / 1e9;
	busy[0] = (bench_cpu_seconds(s.pid) - cpu0) / wall;
	busy[1] = (cpu_seconds(who) - gen) / wall;
	int status = bench_server_stop(&s);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_echo: %s did not exit 0 on SIGTERM\n", path);
		return -1;
	}
	return rps;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s RINGO_SERVER EPOLL_SERVER ECHO_CLIENT\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	bench_pin(1);
	static const char *const gen_names[] = { "echo_client (ringo)", "epoll generator" };
	for (int g = 0; g < 2; g++) {
		const char *client = g == 0 ? argv[3] : NULL;
		double best[2] = { 0, 0 }, busy_at_best[2][2] = { { 0, 0 }, { 0, 0 } };
		for (int r = 0; r < ROUNDS; r++) {
			for (int k = 0; k < 2; k++) {
				double busy[2];
				double rps = run(argv[1 + k], client, busy);
				if (rps < 0)
					return 1;
				printf("  %s, round %d: %-6s %8.0f round trips/s, CPU: server %3.0f%%, "
				       "load generator %3.0f%%\n",
				       gen_names[g], r + 1, k ? "epoll" : "ringo", rps, busy[0] * 100,
				       busy[1] * 100);
				if (rps > best[k]) {
					best[k] = rps;
					busy_at_best[k][0] = busy[0];
					busy_at_best[k][1] = busy[1];
				}
			}
		}
		double ratio = best[0] / best[1];
		char name[64];
		snprintf(name, sizeof(name), "echo 64x64B, %s", gen_names[g]);
		/* The server's CPU time per round trip tells its cost even when
		 * the generator, or a busy machine, sets the pace. */
		printf("%-36s ringo %8.0f rt/s (%5.2f us CPU/rt) | epoll %8.0f rt/s (%5.2f us CPU/rt) "
		       "| %4.2fx%s\n",
		       name, best[0], busy_at_best[0][0] / best[0] * 1e6, best[1],
		       busy_at_best[1][0] / best[1] * 1e6, ratio,
		       g == 0 ? (ratio >= 1.3 ? " | target >= 1.3x: met" : " | target >= 1.3x: MISSED")
			      : "");
		fflush(stdout);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Soak: each server demo under mixed load, then checked for leaks.
 *
 *	bench_soak [--seconds N] http=PATH echo=PATH kv=PATH
 *
 * For each server (N seconds each; default 20, or RINGO_SOAK_SECONDS):
 * starts it on a free port, measures its idle RSS and open fds after a
 * warm-up, then runs WORKERS client threads that each repeat, at random:
 * valid requests with their replies checked byte for byte (45%), garbage
 * (20%), connections reset (RST) half way through a request (20%), slow
 * clients that send a byte every 100 ms for up to 3 s (10%), and clients
 * that pipeline without reading and then reset (5%). Then it waits for the
 * server to settle (http_server runs with --header-timeout 2 --idle-timeout
 * 4, so its slow clients are cut off), and checks that the server still
 * answers, that no fd leaked (/proc/PID/fd back to its idle count), that
 * RSS is back near its idle level (at most idle + 50% + 8 MiB: malloc
 * keeps some of what it grew to), and that SIGTERM ends it with exit 0.
 * Prints one line of figures per server; exits 1 if a check failed. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/demo_server.h"

#define WORKERS 24

enum kind { HTTP, ECHO, KV };
static const char *const kind_names[] = {"http", "echo", "kv"};

static atomic_bool stop_load;
static atomic_long n_valid, n_garbage, n_reset, n_slow, n_flood, n_requests, n_wrong,
	n_refused;
static int g_port;
static enum kind g_kind;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static int fd_count(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void reset_close(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static bool send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k <= 0)
			return false;
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return true;
}

static bool recv_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = recv(fd, buf + got, n - got, 0);
		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

/* One request and its exact reply for the server kind; i makes it vary. */
static size_t request(unsigned i, char *req, size_t cap, char *reply, size_t rcap)
{
	switch (g_kind) {
	case HTTP:
		snprintf(reply, rcap, "Hello, World!");
		return (size_t)snprintf(req, cap, "GET / HTTP/1.1\r\nHost: soak\r\n\r\n");
	case ECHO: {
		size_t n = 1 + i % 2000;
		for (size_t k = 0; k < n; k++)
			req[k] = (char)('a' + (i + k) % 26);
		memcpy(reply, req, n);
		reply[n] = 0;
		return n;
	}
	case KV:
	default: {
		/* SET a unique key, GET it back, DEL it: the store ends empty */
		char val[64];
		int w = snprintf(val, sizeof(val), "v%0*u", (int)(1 + i % 50), 0u);
		snprintf(reply, rcap, "+OK\r\n$%d\r\n%s\r\n:1\r\n", w, val);
		return (size_t)snprintf(req, cap, "SET soak:%u %s\r\nGET soak:%u\r\nDEL soak:%u\r\n",
					i, val, i, i);
	}
	}
}

/* Reads one reply to request() and checks it. */
static bool check_reply(int fd, const char *reply)
{
	char buf[4096];
	if (g_kind == HTTP) {
		/* head, then the 13-byte body; the head ends with CRLF CRLF */
		size_t len = 0;
		for (;;) {
			if (len == sizeof(buf) - 1 || recv(fd, buf + len, 1, 0) != 1)
				return false;
			len++;
			if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
				break;
		}
		buf[len] = 0;
		if (strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) != 0 ||
		    !strstr(buf, "Content-Length: 13\r\n"))
			return false;
		return recv_exact(fd, buf, 13) && memcmp(buf, reply, 13) == 0;
	}
	size_t n = strlen(reply);
	return recv_exact(fd, buf, n) && memcmp(buf, reply, n) == 0;
}

static void do_valid(int fd, unsigned *seed)
{
	char req[4096], reply[4096];
	int batch = 1 + rand_r(seed) % 8, rounds = 1 + rand_r(seed) % 8;
	for (int r = 0; r < rounds; r++) {
		unsigned base = (unsigned)rand_r(seed);
		for (int b = 0; b < batch; b++) {
			size_t n = request(base + (unsigned)b, req, sizeof(req), reply, sizeof(reply));
			if (!send_all(fd, req, n)) {
				atomic_fetch_add(&n_wrong, 1);
				return;
			}
		}
		for (int b = 0; b < batch; b++) {
			request(base + (unsigned)b, req, sizeof(req), reply, sizeof(reply));
			if (!check_reply(fd, reply)) {
				atomic_fetch_add(&n_wrong, 1);
				return;
			}
			atomic_fetch_add(&n_requests, 1);
		}
	}
	atomic_fetch_add(&n_valid, 1);
}

static void do_garbage(int fd, unsigned *seed)
{
	char buf[4096];
	size_t n = 1 + (size_t)rand_r(seed) % sizeof(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)rand_r(seed);
	send_all(fd, buf, n);
	/* read what comes for a moment, then leave */
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, 50) == 1 && recv(fd, buf, sizeof(buf), 0) > 0)
		;
	atomic_fetch_add(&n_garbage, 1);
}

static void do_reset(int fd, unsigned *seed)
{
	char req[4096], reply[4096];
	size_t n = request((unsigned)rand_r(seed), req, sizeof(req), reply, sizeof(reply));
	send_all(fd, req, 1 + (size_t)rand_r(seed) % n);
	if (rand_r(seed) % 2)
		usleep(1000);
	reset_close(fd);
	atomic_fetch_add(&n_reset, 1);
}

static void do_slow(int fd, unsigned *seed)
{
	char req[4096], reply[4096];
	size_t n = request((unsigned)rand_r(seed), req, sizeof(req), reply, sizeof(reply));
	double until = now_s() + 3;
	for (size_t i = 0; i < n && now_s() < until && !atomic_load(&stop_load); i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(100000);
	}
	atomic_fetch_add(&n_slow, 1);
}

static void do_flood(int fd, unsigned *seed)
{
	char req[4096], reply[4096];
	struct timeval tv = {.tv_usec = 200000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 2000 && !atomic_load(&stop_load); i++) {
		size_t n = request((unsigned)rand_r(seed), req, sizeof(req), reply, sizeof(reply));
		if (!send_all(fd, req, n))
			break;
	}
	atomic_fetch_add(&n_flood, 1);
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + (unsigned)time(NULL);
	while (!atomic_load(&stop_load)) {
		int fd = dial(g_port);
		if (fd < 0) {
			atomic_fetch_add(&n_refused, 1);
			usleep(10000);
			continue;
		}
		int r = rand_r(&seed) % 100;
		if (r < 45)
			do_valid(fd, &seed);
		else if (r < 65)
			do_garbage(fd, &seed);
		else if (r < 85)
			do_reset(fd, &seed), fd = -1;
		else if (r < 95)
			do_slow(fd, &seed);
		else
			do_flood(fd, &seed), reset_close(fd), fd = -1;
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/* One valid exchange on a fresh connection. */
static bool answers(void)
{
	int fd = dial(g_port);
	if (fd < 0)
		return false;
	char req[4096], reply[4096];
	size_t n = request(7, req, sizeof(req), reply, sizeof(reply));
	bool ok = send_all(fd, req, n) && check_reply(fd, reply);
	close(fd);
	return ok;
}

static bool soak(enum kind kind, const char *path, double seconds)
{
	static const char *const http_args[] = {"--header-timeout", "2", "--idle-timeout", "4",
						NULL};
	struct harness_server s;
	if (harness_server_start_args(&s, path, kind == HTTP ? http_args : NULL) < 0)
		return false;
	g_kind = kind;
	g_port = s.port;
	atomic_store(&stop_load, false);
	atomic_long *counters[] = {&n_valid, &n_garbage, &n_reset, &n_slow, &n_flood,
				   &n_requests, &n_wrong, &n_refused};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		atomic_store(counters[i], 0);
	/* warm-up, then the idle figures */
	for (int i = 0; i < 50; i++)
		answers();
	usleep(500000);
	long rss0 = rss_kib(s.pid);
	int fds0 = fd_count(s.pid);
	pthread_t t[WORKERS];
	double t0 = now_s();
	for (uintptr_t i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	long rss_peak = rss0;
	int fds_peak = fds0;
	while (now_s() - t0 < seconds) {
		usleep(250000);
		long r = rss_kib(s.pid);
		int f = fd_count(s.pid);
		if (r > rss_peak)
			rss_peak = r;
		if (f > fds_peak)
			fds_peak = f;
	}
	atomic_store(&stop_load, true);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	double load_s = now_s() - t0;
	/* settle: the server closes what the clients left (http: its idle and
	 * header timeouts) */
	int fds1 = fd_count(s.pid);
	for (int i = 0; i < 150 && fds1 > fds0; i++) {
		usleep(100000);
		fds1 = fd_count(s.pid);
	}
	bool ok_answers = answers();
	fds1 = fd_count(s.pid);
	for (int i = 0; i < 50 && fds1 > fds0; i++) { /* the server closes that one too */
		usleep(100000);
		fds1 = fd_count(s.pid);
	}
	long rss1 = rss_kib(s.pid);
	if (fds1 != fds0) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd; ss -tnoi 'sport = :%d'", (int)s.pid,
			 s.port);
		fflush(stdout);
		if (system(cmd) != 0)
			fprintf(stderr, "soak: could not list the fds\n");
	}
	int status = harness_server_stop(&s, SIGTERM); /* -1: killed after 10 s */
	bool ok_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	bool ok_fds = fds1 == fds0;
	bool ok_rss = rss1 >= 0 && rss1 <= rss0 + rss0 / 2 + 8192;
	bool ok_wrong = atomic_load(&n_wrong) == 0;
	printf("soak %s: %.0f s, %d workers: connections %ld valid (%ld requests checked, %ld wrong), "
	       "%ld garbage, %ld reset, %ld slow, %ld flood; %ld refused\n",
	       kind_names[kind], load_s, WORKERS, atomic_load(&n_valid), atomic_load(&n_requests),
	       atomic_load(&n_wrong), atomic_load(&n_garbage), atomic_load(&n_reset),
	       atomic_load(&n_slow), atomic_load(&n_flood), atomic_load(&n_refused));
	printf("soak %s: RSS idle %ld KiB, peak %ld KiB, after %ld KiB (%+ld) %s; fds idle %d, "
	       "peak %d, after %d %s; answers after: %s; SIGTERM: %s\n",
	       kind_names[kind], rss0, rss_peak, rss1, rss1 - rss0, ok_rss ? "ok" : "TOO HIGH", fds0,
	       fds_peak, fds1, ok_fds ? "ok" : "LEAKED", ok_answers ? "yes" : "NO",
	       ok_exit ? "exit 0" : "FAILED");
	fflush(stdout);
	return ok_answers && ok_exit && ok_fds && ok_rss && ok_wrong;
}

int main(int argc, char **argv)
{
	double seconds = 20;
	const char *env = getenv("RINGO_SOAK_SECONDS");
	if (env)
		seconds = atof(env);
	signal(SIGPIPE, SIG_IGN);
	bool ok = true;
	int ran = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			seconds = atof(argv[++i]);
			continue;
		}
		for (int k = 0; k < 3; k++) {
			size_t n = strlen(kind_names[k]);
			if (strncmp(argv[i], kind_names[k], n) == 0 && argv[i][n] == '=') {
				ok &= soak((enum kind)k, argv[i] + n + 1, seconds);
				ran++;
			}
		}
	}
	if (!ran) {
		fprintf(stderr, "usage: %s [--seconds N] http=PATH echo=PATH kv=PATH\n", argv[0]);
		return 2;
	}
	printf("soak: %s\n", ok ? "every check passed" : "A CHECK FAILED");
	return ok ? 0 : 1;
}

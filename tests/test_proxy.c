/* SPDX-License-Identifier: MIT */
/* demos/proxy in front of demos/echo_server, over real sockets: 16 MiB
 * echoed through it byte for byte (sent in 1-byte and 1-MiB pieces), a
 * half close passed on, the idle timeout, the connection limit, an
 * upstream that refuses, no fd left behind, exit 0 on SIGINT and SIGTERM;
 * with --threads 2, connections served by both loops.
 *
 *   test_proxy PROXY ECHO_SERVER */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOTAL ((size_t)16 << 20)
#define MIB ((size_t)1 << 20)

static const char *proxy_path, *echo_path;
static struct harness_server echo;

/* Starts the proxy to upstream port up, with more options. */
static void start_proxy(struct harness_server *p, int up, const char *opt, const char *val)
{
	char upstream[64];
	snprintf(upstream, sizeof(upstream), "127.0.0.1:%d", up);
	const char *extra[] = { "--upstream", upstream, opt, val, NULL };
	assert_int_equal(harness_server_start_args(p, proxy_path, extra), 0);
}

static void stop_ok(struct harness_server *p, int sig)
{
	int status = harness_server_stop(p, sig);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Waits up to ms for fd's end of stream (or reset); returns the ms it took
 * or -1. */
static int wait_closed(int fd, int ms)
{
	int64_t t0 = harness_now();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	while (poll(&p, 1, ms) == 1) {
		ssize_t n = recv(fd, &c, 1, 0);
		if (n <= 0)
			return (int)((harness_now() - t0) / 1000000);
	}
	return -1;
}

static int count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static char pattern(size_t i)
{
	return (char)((i * 13 + i / 4093) & 0xff);
}

struct writer {
	int fd;
	pthread_t th;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	static char buf[MIB];
	size_t done = 0;
	bool small = true;
	while (done < TOTAL) {
		size_t piece = small ? 1 : MIB;
		if (piece > TOTAL - done)
			piece = TOTAL - done;
		for (size_t i = 0; i < piece; i++)
			buf[i] = pattern(done + i);
		size_t off = 0;
		while (off < piece) {
			ssize_t n = send(w->fd, buf + off, piece - off, MSG_NOSIGNAL);
			if (n <= 0)
				return NULL;
			off += (size_t)n;
		}
		done += piece;
		small = small ? done % 4096 != 0 : true;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

static void test_bytes_identical(void **state)
{
	(void)state;
	struct harness_server p;
	start_proxy(&p, echo.port, "--idle-timeout", "30");
	/* Counted once it waits for signals (its signalfd is made after it
	 * says it listens) and a first connection has come and gone. */
	int first = harness_connect(p.port);
	assert_int_equal(send(first, "x", 1, 0), 1);
	assert_int_equal(shutdown(first, SHUT_WR), 0);
	assert_true(wait_closed(first, 10000) >= 0);
	close(first);
	usleep(200000);
	int before = count_fds(p.pid);
	for (int round = 0; round < 2; round++) {
		int fd = harness_connect(p.port);
		struct writer w = { .fd = fd };
		assert_int_equal(pthread_create(&w.th, NULL, writer_main, &w), 0);
		static char buf[256 * 1024];
		size_t got = 0;
		bool same = true;
		for (;;) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			assert_int_equal(poll(&pf, 1, 10000), 1);
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			assert_true(n >= 0);
			if (n == 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				same = same && buf[i] == pattern(got + (size_t)i);
			got += (size_t)n;
		}
		pthread_join(w.th, NULL);
		assert_int_equal(got, TOTAL);
		assert_true(same);
		close(fd);
	}
	/* Both connections are gone from the proxy (polled: it closes them
	 * after the client's end). */
	int after = -1;
	for (int i = 0; i < 500 && (after = count_fds(p.pid)) != before; i++)
		usleep(10000);
	assert_int_equal(after, before);
	stop_ok(&p, SIGTERM);
}

static void test_half_close(void **state)
{
	(void)state;
	struct harness_server p;
	start_proxy(&p, echo.port, "--idle-timeout", "30");
	int fd = harness_connect(p.port);
	assert_int_equal(send(fd, "hello", 5, 0), 5);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	char buf[16];
	size_t got = 0;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&pf, 1, 10000), 1);
		ssize_t n = recv(fd, buf + got, sizeof(buf) - got, 0);
		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	assert_int_equal(got, 5);
	assert_memory_equal(buf, "hello", 5);
	close(fd);
	stop_ok(&p, SIGINT);
}

static void test_idle_timeout(void **state)
{
	(void)state;
	struct harness_server p;
	start_proxy(&p, echo.port, "--idle-timeout", "0.3");
	int fd = harness_connect(p.port);
	/* A byte now and then keeps it open past the timeout... */
	for (int i = 0; i < 4; i++) {
		usleep(150000);
		assert_int_equal(send(fd, "x", 1, 0), 1);
		char c;
		assert_int_equal(recv(fd, &c, 1, 0), 1);
	}
	/* ...silence closes it, no sooner than the timeout. */
	int ms = wait_closed(fd, 10000);
	assert_true(ms >= 250);
	assert_true(ms < 5000);
	close(fd);
	stop_ok(&p, SIGTERM);
}

static void test_max_conns(void **state)
{
	(void)state;
	struct harness_server p;
	start_proxy(&p, echo.port, "--max-connections", "1");
	int a = harness_connect(p.port);
	assert_int_equal(send(a, "a", 1, 0), 1);
	char c;
	assert_int_equal(recv(a, &c, 1, 0), 1);
	int b = harness_connect(p.port);
	assert_true(wait_closed(b, 10000) >= 0);
	close(b);
	/* The first still works. */
	assert_int_equal(send(a, "z", 1, 0), 1);
	assert_int_equal(recv(a, &c, 1, 0), 1);
	assert_int_equal(c, 'z');
	close(a);
	stop_ok(&p, SIGTERM);
}

static void test_upstream_refuses(void **state)
{
	(void)state;
	/* A port nobody listens on: bind one, then close it. */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	close(l);
	struct harness_server p;
	start_proxy(&p, ntohs(a.sin_port), "--idle-timeout", "30");
	int fd = harness_connect(p.port);
	assert_true(wait_closed(fd, 10000) >= 0);
	close(fd);
	stop_ok(&p, SIGTERM);
}

static void test_signal_with_connections(void **state)
{
	(void)state;
	int sigs[] = { SIGINT, SIGTERM };
	for (int i = 0; i < 2; i++) {
		struct harness_server p;
		start_proxy(&p, echo.port, "--idle-timeout", "30");
		int fd = harness_connect(p.port);
		assert_int_equal(send(fd, "q", 1, 0), 1);
		char c;
		assert_int_equal(recv(fd, &c, 1, 0), 1);
		stop_ok(&p, sigs[i]);
		close(fd);
	}
}

/* The run time in ns of each of pid's threads named like it, but its main
 * thread (ringo_run_threads's loop threads; io_uring's workers are named
 * iou-*): up to cap, returns how many. */
static int loop_thread_times(pid_t pid, long *tids, uint64_t *ns, int cap)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < cap) {
		long tid = strtol(e->d_name, NULL, 10);
		if (tid <= 0 || tid == pid)
			continue;
		char comm[32] = "";
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/comm", (int)pid, tid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		bool ours = fgets(comm, sizeof(comm), f) && !strncmp(comm, "proxy", 5);
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/schedstat", (int)pid, tid);
		f = fopen(path, "r");
		unsigned long long run = 0;
		if (f && fscanf(f, "%llu", &run) == 1 && ours) {
			tids[n] = tid;
			ns[n++] = run;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

/* --threads 2: 16 connections at once, each echoing 256 KiB through the
 * proxy; SO_REUSEPORT spreads them, so both loop threads work (the chance
 * that all 16 land on one loop is 2^-15); SIGINT ends both, exit 0. */
static void test_threads(void **state)
{
	(void)state;
	enum { CONNS = 16, EACH = 256 * 1024 };
	struct harness_server p;
	char upstream[64];
	snprintf(upstream, sizeof(upstream), "127.0.0.1:%d", echo.port);
	const char *args[] = { "--upstream", upstream, "--threads", "2", NULL };
	assert_int_equal(harness_server_start_args(&p, proxy_path, args), 0);
	long tids[8];
	uint64_t before[8], after[8];
	assert_int_equal(loop_thread_times(p.pid, tids, before, 8), 2);
	int fds[CONNS];
	for (int i = 0; i < CONNS; i++)
		fds[i] = harness_connect(p.port);
	static char out[EACH], in[EACH];
	for (size_t i = 0; i < EACH; i++)
		out[i] = pattern(i);
	for (int i = 0; i < CONNS; i++) {
		/* Written in pieces the socket buffers hold, read back as it goes. */
		size_t sent = 0, got = 0;
		while (got < EACH) {
			if (sent < EACH) {
				ssize_t n = send(fds[i], out + sent, EACH - sent > 65536 ? 65536 : EACH - sent,
						 MSG_DONTWAIT);
				if (n > 0)
					sent += (size_t)n;
			}
			struct pollfd pf = { .fd = fds[i], .events = POLLIN };
			assert_int_equal(poll(&pf, 1, 10000), 1);
			ssize_t n = recv(fds[i], in + got, EACH - got, 0);
			assert_true(n > 0);
			got += (size_t)n;
		}
		assert_memory_equal(in, out, EACH);
	}
	long tids2[8];
	assert_int_equal(loop_thread_times(p.pid, tids2, after, 8), 2);
	for (int i = 0; i < 2; i++) {
		int j = tids2[0] == tids[i] ? 0 : 1;
		assert_int_equal(tids2[j], tids[i]);
		/* A loop that served nothing slept: well under 1 ms. */
		assert_true(after[j] - before[i] > 1000000);
	}
	for (int i = 0; i < CONNS; i++)
		close(fds[i]);
	stop_ok(&p, SIGINT);
}

static void test_bad_command_line(void **state)
{
	(void)state;
	const char *bad[][3] = { { "--port", "1", NULL },
				 { "--upstream", "nohostport", NULL },
				 { "--upstream", "h:99999", NULL },
				 { "--threads", "x", NULL } };
	for (int i = 0; i < 4; i++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stderr))
				_exit(126);
			execl(proxy_path, proxy_path, bad[i][0], bad[i][1], (char *)NULL);
			_exit(127);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 2);
	}
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return harness_server_start(&echo, echo_path);
}

static int teardown(void **state)
{
	(void)state;
	int status = harness_server_stop(&echo, SIGTERM);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s PROXY ECHO_SERVER\n", argv[0]);
		return 2;
	}
	proxy_path = argv[1];
	echo_path = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_identical),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_max_conns),
		cmocka_unit_test(test_upstream_refuses),
		cmocka_unit_test(test_signal_with_connections),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_bad_command_line),
	};
	return cmocka_run_group_tests_name("proxy", tests, setup, teardown);
}

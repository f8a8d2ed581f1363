/* SPDX-License-Identifier: MIT */
/* The acceptor (lib/io/acceptor.c) over real loopback connections: a
 * thousand connections with none lost or duplicated, FIFO hand-off,
 * deadlines, cancellation, close, back-off when descriptors run out, and
 * a loop that ends with the acceptor still open. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ringo.h>

/* A client connected to 127.0.0.1:port that has sent the 4-byte idx, or
 * a negative errno (inside a task). */
static int dial_send(uint16_t port, uint32_t idx)
{
	struct sockaddr_storage a;
	socklen_t len;
	int ret = ringo_addr_parse("127.0.0.1", port, &a, &len);
	if (ret < 0)
		return ret;
	int fd = ringo_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	if (fd < 0)
		return fd;
	ret = ringo_connect(fd, (struct sockaddr *)&a, len, ringo_deadline_in(RINGO_SEC(5)));
	if (ret == 0)
		ret = (int)ringo_send(fd, &idx, sizeof(idx), 0, RINGO_NO_DEADLINE);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* The index a connection's client sent, or a negative errno. */
static intptr_t read_index(int fd)
{
	uint32_t idx;
	ssize_t n = ringo_recv(fd, &idx, sizeof(idx), MSG_WAITALL,
			       ringo_deadline_in(RINGO_SEC(5)));
	if (n < 0)
		return n;
	return n == sizeof(idx) ? (intptr_t)idx : -EPROTO;
}

static uint16_t port_of(int lfd)
{
	int port = ringo_local_port(lfd);
	assert_true(port > 0);
	return (uint16_t)port;
}

/* A listening socket on 127.0.0.1 (returned) with an acceptor on it. */
static int listen_with_acceptor(ringo_acceptor **a)
{
	int lfd = ringo_listen_on("127.0.0.1", 0, 0);
	assert_true(lfd >= 0);
	assert_int_equal(ringo_acceptor_open(lfd, a), 0);
	return lfd;
}

/* Runs fn as the main task and checks that it left no fd open. */
static void run_without_leaks(intptr_t (*fn)(void *))
{
	int fds = harness_count_fds();
	assert_int_equal(harness_run(fn, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- a thousand connections ---- */

#define CONNS 1000
#define CLIENTS 8
#define SERVERS 4

struct storm {
	ringo_acceptor *a;
	ringo_event *all_in;
	uint16_t port;
	int seen[CONNS];
	int accepted;
};

struct client_arg {
	struct storm *s;
	int first;
};

static intptr_t storm_client(void *arg)
{
	struct client_arg *c = arg;
	for (int i = c->first; i < CONNS; i += CLIENTS) {
		int fd = dial_send(c->s->port, (uint32_t)i);
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static intptr_t storm_server(void *arg)
{
	struct storm *s = arg;
	for (;;) {
		int fd = ringo_acceptor_accept(s->a, ringo_deadline_in(RINGO_SEC(20)));
		if (fd == -ESHUTDOWN)
			return 0;
		if (fd < 0)
			return fd;
		intptr_t idx = read_index(fd);
		close(fd);
		if (idx < 0)
			return idx;
		if (idx >= CONNS)
			return -ERANGE;
		s->seen[idx]++;
		if (++s->accepted == CONNS)
			ringo_event_set(s->all_in);
	}
}

static intptr_t storm_main(void *arg)
{
	struct storm *s = arg;
	int lfd = ringo_listen_on("127.0.0.1", 0, 0);
	assert_true(lfd >= 0);
	s->port = port_of(lfd);
	assert_int_equal(ringo_acceptor_open(lfd, &s->a), 0);
	assert_int_equal(ringo_event_create(&s->all_in), 0);
	ringo_task *t[SERVERS + CLIENTS];
	struct client_arg ca[CLIENTS];
	for (int i = 0; i < SERVERS; i++)
		assert_int_equal(ringo_task_create(storm_server, s, NULL, &t[i]), 0);
	for (int i = 0; i < CLIENTS; i++) {
		ca[i] = (struct client_arg){ s, i };
		assert_int_equal(ringo_task_create(storm_client, &ca[i], NULL, &t[SERVERS + i]), 0);
	}
	assert_int_equal(ringo_gather(t + SERVERS, CLIENTS, NULL, 0), 0);
	assert_int_equal(ringo_event_wait(s->all_in), 1);
	/* Every server task waits again: close answers them -ESHUTDOWN. */
	assert_int_equal(ringo_acceptor_close(s->a), 0);
	assert_int_equal(ringo_gather(t, SERVERS, NULL, 0), 0);
	for (int i = 0; i < SERVERS + CLIENTS; i++)
		ringo_task_unref(t[i]);
	ringo_event_destroy(s->all_in);
	close(lfd);
	return 0;
}

/* A soft RLIMIT_NOFILE of 1024 would not hold the connections of both
 * sides at once. */
static bool raise_nofile(rlim_t want)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		return false;
	rl.rlim_cur = want;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

static void test_thousand_connections(void **state)
{
	(void)state;
	if (!raise_nofile(4 * CONNS)) {
		print_message("skipped: RLIMIT_NOFILE's hard limit is below %d\n", 4 * CONNS);
		skip();
	}
	int fds = harness_count_fds();
	static struct storm s;
	memset(&s, 0, sizeof(s));
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(storm_main, &s), 0);
	int64_t took = harness_now() - t0;
	assert_int_equal(s.accepted, CONNS);
	for (int i = 0; i < CONNS; i++)
		assert_int_equal(s.seen[i], 1);
	print_message("      %d connections accepted in %.1f ms\n", CONNS, (double)took / 1e6);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- FIFO hand-off, deadlines, cancellation ---- */

struct waiter_arg {
	ringo_acceptor *a;
	struct harness_log *log;
	const char *name;
	ringo_deadline deadline;
};

/* Accepts one connection and logs "<name>:<index>" or "<name>:<error>". */
static intptr_t waiter(void *arg)
{
	struct waiter_arg *w = arg;
	int fd = ringo_acceptor_accept(w->a, w->deadline);
	if (fd < 0) {
		harness_log(w->log, "%s:%s", w->name,
			    fd == -ETIMEDOUT    ? "ETIMEDOUT"
			    : fd == -ECANCELED  ? "ECANCELED"
			    : fd == -ESHUTDOWN  ? "ESHUTDOWN"
			    : fd == -EINVAL     ? "EINVAL"
						: "other");
		return fd;
	}
	intptr_t idx = read_index(fd);
	close(fd);
	harness_log(w->log, "%s:%ld", w->name, (long)idx);
	return idx;
}

static intptr_t fifo_main(void *arg)
{
	(void)arg;
	struct harness_log log = { .len = 0 };
	ringo_acceptor *a;
	int lfd = listen_with_acceptor(&a);
	struct waiter_arg w[4] = {
		{ a, &log, "A", RINGO_NO_DEADLINE }, { a, &log, "B", RINGO_NO_DEADLINE }, { a, &log, "C", RINGO_NO_DEADLINE }, { a, &log, "D", RINGO_NO_DEADLINE },
	};
	ringo_task *t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(ringo_task_create(waiter, &w[i], NULL, &t[i]), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	/* B leaves the queue before any connection: it takes none. */
	assert_true(ringo_task_cancel(t[1]));
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = dial_send(port_of(lfd), (uint32_t)i);
		assert_true(c[i] >= 0);
		/* One at a time, so arrival order is connection order. */
		assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	}
	assert_int_equal(ringo_task_await(t[0]), 0);
	assert_int_equal(ringo_task_await(t[1]), -ECANCELED);
	assert_int_equal(ringo_task_await(t[2]), 1);
	assert_int_equal(ringo_task_await(t[3]), 2);
	assert_string_equal(log.buf, "B:ECANCELED A:0 C:1 D:2");
	for (int i = 0; i < 4; i++)
		ringo_task_unref(t[i]);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	/* Connections arriving with nobody waiting are queued, in order, and
	 * taken without suspending. */
	for (int i = 0; i < 3; i++) {
		c[i] = dial_send(port_of(lfd), (uint32_t)(10 + i));
		assert_true(c[i] >= 0);
		assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	}
	for (int i = 0; i < 3; i++) {
		int fd = ringo_acceptor_accept(a, ringo_deadline_in(-1));
		assert_true(fd >= 0);
		assert_int_equal(read_index(fd), 10 + i);
		close(fd);
		close(c[i]);
	}
	assert_int_equal(ringo_acceptor_close(a), 0);
	close(lfd);
	return 0;
}

static void test_fifo_and_cancel(void **state)
{
	(void)state;
	run_without_leaks(fifo_main);
}

static intptr_t deadline_main(void *arg)
{
	(void)arg;
	ringo_acceptor *a;
	int lfd = listen_with_acceptor(&a);
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_acceptor_accept(a, ringo_deadline_in(RINGO_MSEC(50))), -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(50));
	assert_true(took < RINGO_SEC(2));
	/* A deadline already past, nothing queued: at once. */
	t0 = ringo_time();
	assert_int_equal(ringo_acceptor_accept(a, ringo_deadline_in(-1)), -ETIMEDOUT);
	assert_true(ringo_time() - t0 < RINGO_MSEC(10));
	/* The timed-out waiter took nothing: the next connection goes to
	 * the next accept. */
	struct harness_log log = { .len = 0 };
	struct waiter_arg w = { a, &log, "W", ringo_deadline_in(RINGO_SEC(5)) };
	ringo_task *t;
	assert_int_equal(ringo_task_create(waiter, &w, NULL, &t), 0);
	int c = dial_send(port_of(lfd), 7);
	assert_true(c >= 0);
	assert_int_equal(ringo_task_await(t), 7);
	ringo_task_unref(t);
	close(c);
	/* A pending cancellation is delivered before waiting. */
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_acceptor_accept(a, RINGO_NO_DEADLINE), -ECANCELED);
	assert_int_equal(ringo_acceptor_close(a), 0);
	close(lfd);
	return 0;
}

static void test_deadline(void **state)
{
	(void)state;
	run_without_leaks(deadline_main);
}

/* ---- close ---- */

static intptr_t close_main(void *arg)
{
	(void)arg;
	struct harness_log log = { .len = 0 };
	ringo_acceptor *a;
	int lfd = listen_with_acceptor(&a);
	/* A takes the queued connection without waiting; B and C wait. */
	int c = dial_send(port_of(lfd), 1);
	assert_true(c >= 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	struct waiter_arg w[3] = {
		{ a, &log, "A", ringo_deadline_in(RINGO_SEC(5)) },
		{ a, &log, "B", ringo_deadline_in(RINGO_SEC(5)) },
		{ a, &log, "C", RINGO_NO_DEADLINE },
	};
	ringo_task *t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(waiter, &w[i], NULL, &t[i]), 0);
	assert_int_equal(ringo_task_await(t[0]), 1);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_acceptor_close(a), 0);
	assert_int_equal(ringo_task_await(t[1]), -ESHUTDOWN);
	assert_int_equal(ringo_task_await(t[2]), -ESHUTDOWN);
	/* Long before B's deadline. */
	assert_true(ringo_time() - t0 < RINGO_SEC(1));
	for (int i = 0; i < 3; i++)
		ringo_task_unref(t[i]);
	assert_string_equal(log.buf, "A:1 B:ESHUTDOWN C:ESHUTDOWN");
	/* The listening socket is still the caller's, and works. */
	int c2 = dial_send(port_of(lfd), 2);
	assert_true(c2 >= 0);
	int fd = ringo_accept(lfd, NULL, NULL, SOCK_CLOEXEC, ringo_deadline_in(RINGO_SEC(5)));
	assert_true(fd >= 0);
	assert_int_equal(read_index(fd), 2);
	close(fd);
	close(c);
	close(c2);
	close(lfd);
	return 0;
}

static void test_close_wakes_waiters(void **state)
{
	(void)state;
	run_without_leaks(close_main);
}

/* A connection queued when close comes: the server side is closed. */
static intptr_t close_queued_main(void *arg)
{
	(void)arg;
	ringo_acceptor *a;
	int lfd = listen_with_acceptor(&a);
	int c = dial_send(port_of(lfd), 1);
	assert_true(c >= 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_int_equal(ringo_acceptor_close(a), 0);
	/* Closed with the client's index unread: a reset. */
	char b;
	assert_int_equal(ringo_recv(c, &b, 1, 0, ringo_deadline_in(RINGO_SEC(5))), -ECONNRESET);
	close(c);
	close(lfd);
	return 0;
}

static void test_close_closes_queued(void **state)
{
	(void)state;
	run_without_leaks(close_queued_main);
}

/* Closing from a callback (no task to suspend): freed by the last CQE. */
static void close_cb(void *arg)
{
	ringo_acceptor_close(arg);
}

/* A task cancelled while it closes still finishes closing. */
static intptr_t closer(void *arg)
{
	int r = ringo_acceptor_close(arg);
	if (r != 0)
		return -EPROTO;
	return ringo_sleep(0) == -ECANCELED ? 1 : -EPROTO;
}

static intptr_t close_elsewhere_main(void *arg)
{
	(void)arg;
	ringo_acceptor *a;
	int lfd = listen_with_acceptor(&a);
	assert_int_equal(ringo_call_soon(close_cb, a, NULL), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);

	assert_int_equal(ringo_acceptor_open(lfd, &a), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(closer, a, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	/* t is in close now, waiting for the accept's last CQE. */
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), 1);
	ringo_task_unref(t);
	close(lfd);
	return 0;
}

static void test_close_from_callback_or_cancelled(void **state)
{
	(void)state;
	run_without_leaks(close_elsewhere_main);
}

/* ---- the loop ends with acceptors open ---- */

struct leftover {
	ringo_acceptor *a[2];
	int lfd[2], c;
	struct harness_log log;
	struct waiter_arg w;
};

static intptr_t leftover_main(void *arg)
{
	struct leftover *l = arg;
	for (int i = 0; i < 2; i++) {
		l->lfd[i] = ringo_listen_on("127.0.0.1", 0, 0);
		assert_true(l->lfd[i] >= 0);
		assert_int_equal(ringo_acceptor_open(l->lfd[i], &l->a[i]), 0);
	}
	/* The first holds a connection nobody took; on the second a task
	 * still waits when main returns: the shutdown cancels it, then stops
	 * both accepts. */
	l->c = dial_send(port_of(l->lfd[0]), 5);
	assert_true(l->c >= 0);
	l->w = (struct waiter_arg){ l->a[1], &l->log, "late", RINGO_NO_DEADLINE };
	assert_int_equal(ringo_task_create(waiter, &l->w, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	return 0;
}

static void test_loop_ends_with_acceptor_open(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	static struct leftover l;
	memset(&l, 0, sizeof(l));
	int64_t t0 = harness_now();
	/* harness_run: ringo_run returns 0. */
	assert_int_equal(harness_run(leftover_main, &l), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(2));
	assert_string_equal(l.log.buf, "late:ECANCELED");
	/* Outside their loop: -EPERM, and freed, with the connection the
	 * first still held closed. */
	assert_int_equal(ringo_acceptor_close(l.a[0]), -EPERM);
	assert_int_equal(ringo_acceptor_close(l.a[1]), -EPERM);
	/* Closed with the client's index unread: a reset. */
	char b;
	assert_int_equal(recv(l.c, &b, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	close(l.c);
	close(l.lfd[0]);
	close(l.lfd[1]);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- a listening socket that fails ---- */

static intptr_t broken_main(void *arg)
{
	(void)arg;
	struct harness_log log = { .len = 0 };
	ringo_acceptor *a;
	int lfd = listen_with_acceptor(&a);
	struct waiter_arg w = { a, &log, "W", ringo_deadline_in(RINGO_SEC(5)) };
	ringo_task *t;
	assert_int_equal(ringo_task_create(waiter, &w, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	/* Shutting a listening socket down makes accept fail with EINVAL:
	 * the acceptor stops (no spinning) and says so. */
	assert_int_equal(shutdown(lfd, SHUT_RDWR), 0);
	assert_int_equal(ringo_task_await(t), -EINVAL);
	ringo_task_unref(t);
	assert_int_equal(ringo_acceptor_accept(a, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_acceptor_close(a), 0);
	close(lfd);
	assert_string_equal(log.buf, "W:EINVAL");
	return 0;
}

static void test_listening_socket_fails(void **state)
{
	(void)state;
	run_without_leaks(broken_main);
}

static intptr_t open_errors_main(void *arg)
{
	(void)arg;
	ringo_acceptor *a = NULL;
	assert_int_equal(ringo_acceptor_open(-1, &a), -EINVAL);
	assert_int_equal(ringo_acceptor_open(0, NULL), -EINVAL);
	/* Not listening, not a socket, not open. */
	int s = ringo_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(s >= 0);
	assert_int_equal(ringo_acceptor_open(s, &a), -EINVAL);
	close(s);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ringo_acceptor_open(p[0], &a), -EINVAL);
	close(p[0]);
	close(p[1]);
	assert_int_equal(ringo_acceptor_open(p[0], &a), -EBADF);
	assert_null(a);
	assert_int_equal(ringo_acceptor_accept(NULL, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_acceptor_close(NULL), 0);
	return 0;
}

static void test_open_errors(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	ringo_acceptor *a;
	assert_int_equal(ringo_acceptor_open(0, &a), -EPERM);
	assert_int_equal(harness_run(open_errors_main, NULL), 0);
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- out of descriptors: back off, then recover ---- */

#define PENDING 5
#define MAX_FILLERS 4096

static int64_t cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static intptr_t emfile_main(void *arg)
{
	(void)arg;
	int lfd = ringo_listen_on("127.0.0.1", 0, 0);
	if (lfd < 0)
		return lfd;
	/* The connections wait in the backlog. */
	int c[PENDING];
	for (int i = 0; i < PENDING; i++) {
		c[i] = dial_send((uint16_t)ringo_local_port(lfd), (uint32_t)i);
		if (c[i] < 0)
			return c[i];
	}
	/* Then the table fills up to a low limit, and the acceptor starts:
	 * every accept fails with EMFILE. */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	static int filler[MAX_FILLERS];
	int nfill = 0;
	while (nfill < MAX_FILLERS) {
		int fd = dup(lfd);
		if (fd < 0)
			break;
		filler[nfill++] = fd;
	}
	if (nfill < 10)
		return -ENFILE;
	ringo_acceptor *a;
	int ret = ringo_acceptor_open(lfd, &a);
	if (ret < 0)
		return ret;
	/* A second of that must cost next to no CPU (without the back-off,
	 * spinning cost 0.4 s of it on the development VM). */
	int64_t cpu0 = cpu_ns();
	ret = ringo_sleep(RINGO_SEC(1));
	int64_t cpu = cpu_ns() - cpu0;
	printf("cpu_ms=%d\n", (int)(cpu / 1000000));
	printf("while_full=%d\n", ringo_acceptor_accept(a, ringo_deadline_in(-1)));
	printf("cpu_small=%d\n", cpu < RINGO_MSEC(100));
	/* Free some descriptors: the pending connections are accepted. */
	for (int i = 0; i < 10; i++)
		close(filler[--nfill]);
	int64_t t0 = ringo_time();
	unsigned got = 0;
	for (int i = 0; i < PENDING; i++) {
		int fd = ringo_acceptor_accept(a, ringo_deadline_in(RINGO_SEC(5)));
		if (fd < 0) {
			printf("accept=%d\n", fd);
			break;
		}
		intptr_t idx = read_index(fd);
		if (idx >= 0 && idx < PENDING)
			got |= 1u << idx;
		close(fd);
	}
	printf("recovered_ms=%d\n", (int)((ringo_time() - t0) / 1000000));
	printf("got=%#x\n", got);
	for (int i = 0; i < PENDING; i++)
		close(c[i]);
	while (nfill)
		close(filler[--nfill]);
	ringo_acceptor_close(a);
	close(lfd);
	return ret;
}

static void emfile_child(void *arg)
{
	(void)arg;
	intptr_t result = INTPTR_MIN;
	int r = ringo_run(emfile_main, NULL, &result);
	printf("run=%d result=%ld\n", r, (long)result);
}

static void test_emfile_backs_off(void **state)
{
	(void)state;
	char out[1024];
	int status = harness_fork(emfile_child, NULL, out, sizeof(out));
	print_message("%s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	char expect[64];
	snprintf(expect, sizeof(expect), "while_full=%d\n", -ETIMEDOUT);
	assert_non_null(strstr(out, expect));
	assert_non_null(strstr(out, "cpu_small=1\n"));
	assert_non_null(strstr(out, "got=0x1f\n"));
	assert_non_null(strstr(out, "run=0 result=0\n"));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_connections),
		cmocka_unit_test(test_fifo_and_cancel),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_close_wakes_waiters),
		cmocka_unit_test(test_close_closes_queued),
		cmocka_unit_test(test_close_from_callback_or_cancelled),
		cmocka_unit_test(test_loop_ends_with_acceptor_open),
		cmocka_unit_test(test_listening_socket_fails),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_emfile_backs_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

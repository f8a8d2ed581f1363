/* SPDX-License-Identifier: MIT */
/* Streams under stress (issue 11 item 14): many pipelining connections on
 * one loop, with stream limits and write_high so small that reading pauses
 * and resumes and drains wait all the time, random delays on every side,
 * and every byte checked in order. Run with the loop's buffer ring, a tiny
 * one (-ENOBUFS all the time) and none (single-shot recv). A lost wake-up
 * shows as no progress: every stream has a deadline, so a hang becomes
 * -ETIMEDOUT and a failure that says where.
 *
 * Each connection: a client pipelines REQS requests ("q SEQ PADLEN PAD\n")
 * in random pieces, then shuts its write side; the server answers each with
 * "r SEQ M\n" and M bytes of a pattern and "\n" (M up to 2000 bytes), and
 * closes at the client's end of stream. Servers read either with readline
 * or the way demos/kv_server.c does (peek, parse, consume, drain, fill; half
 * of those fill with the count of seen bytes given, fill_past).
 * Clients are tasks on the same loop (streams) or threads that read slowly
 * through plain sockets. RINGO_STRESS_SEED=N repeats a run's randomness. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ringo.h>

enum {
	CONNS = 32,         /* connections; the last THREAD_CLIENTS are threads */
	THREAD_CLIENTS = 6,
	REQS = 150,         /* requests per connection */
	LIMIT = 128,        /* servers' stream limit: reading pauses over 256 */
	WRITE_HIGH = 256,   /* drain waits while more is buffered */
	MAX_PAD = 100,
	MAX_REPLY = 2000,
	LINE_MAX_LEN = 128, /* a request line's most: within LIMIT */
};

#define DEADLINE RINGO_SEC(20) /* no run needs a tenth of it */

/* xorshift64*: each task and thread draws its own sequence. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

static uint64_t seed;

static uint64_t seed_for(int conn, int role)
{
	uint64_t x = seed ^ ((uint64_t)conn << 32) ^ ((uint64_t)role << 56) ^ 0x9e3779b97f4a7c15u;
	return x ? x : 1;
}

static size_t reply_len(int conn, unsigned seq)
{
	return ((size_t)seq * 37 + (size_t)conn * 11) % MAX_REPLY;
}

static char pad_byte(unsigned seq, size_t i)
{
	return (char)('a' + (seq + i) % 26);
}

static char reply_byte(unsigned seq, size_t i)
{
	return (char)('A' + (seq * 7 + i) % 26);
}

struct conn;
static void note_failure(struct conn *c, const char *why);

struct conn {
	int idx;
	int fd[2];          /* [0] the server's, [1] the client's */
	ringo_stream *srv, *cli;
	char *req;          /* every request, as the client sends them */
	size_t req_len;
	char *want;         /* every reply, as the server should send them */
	size_t want_len;
	size_t got;         /* reply bytes the client has checked */
	unsigned answered;  /* requests the server has answered */
	const char *failed; /* what went wrong, for the message */
};

/* Records what went wrong first on c. */
static void note_failure(struct conn *c, const char *why)
{
	if (!c->failed)
		c->failed = why;
}

static void build(struct conn *c)
{
	uint64_t x = seed_for(c->idx, 0);
	c->req = malloc((size_t)REQS * LINE_MAX_LEN);
	c->want = malloc((size_t)REQS * (MAX_REPLY + 32));
	assert_non_null(c->req);
	assert_non_null(c->want);
	c->req_len = c->want_len = 0;
	for (unsigned seq = 0; seq < REQS; seq++) {
		size_t pad = rnd(&x) % (MAX_PAD + 1);
		c->req_len += (size_t)sprintf(c->req + c->req_len, "q %u %zu ", seq, pad);
		for (size_t i = 0; i < pad; i++)
			c->req[c->req_len++] = pad_byte(seq, i);
		c->req[c->req_len++] = '\n';
		size_t m = reply_len(c->idx, seq);
		c->want_len += (size_t)sprintf(c->want + c->want_len, "r %u %zu\n", seq, m);
		for (size_t i = 0; i < m; i++)
			c->want[c->want_len++] = reply_byte(seq, i);
		c->want[c->want_len++] = '\n';
	}
}

/* ---- the server side ---- */

/* Checks one request line, len bytes with its '\n', and returns its
 * sequence number or -EPROTO. The line is not NUL-terminated: it may be in
 * a buffer of the loop's buffer ring (ringo_stream_peek), followed by stale
 * bytes of an earlier receive up to the end of the ring's mapping, past
 * which may lie the guard gap of a task stack. So it is copied before
 * sscanf, which reads its whole input to the NUL first. */
static int check_request(struct conn *c, const char *line, size_t len)
{
	char copy[LINE_MAX_LEN + 1];
	unsigned seq;
	size_t pad;
	int head;
	if (len > LINE_MAX_LEN)
		goto garbled;
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (sscanf(copy, "q %u %zu%n", &seq, &pad, &head) != 2 || pad > MAX_PAD ||
	    copy[head++] != ' ' || seq != c->answered || (size_t)head + pad + 1 != len)
		goto garbled;
	for (size_t i = 0; i < pad; i++)
		if (copy[head + i] != pad_byte(seq, i)) {
			note_failure(c, "server: a request's byte wrong");
			return -EPROTO;
		}
	return (int)seq;
garbled:
	note_failure(c, "server: a request garbled");
	return -EPROTO;
}

/* Checks one request line (len bytes with its '\n') and writes its reply. */
static int answer(struct conn *c, const char *line, size_t len)
{
	int r = check_request(c, line, len);
	if (r < 0)
		return r;
	unsigned seq = (unsigned)r;
	char buf[MAX_REPLY + 32];
	size_t m = reply_len(c->idx, seq);
	size_t n = (size_t)sprintf(buf, "r %u %zu\n", seq, m);
	for (size_t i = 0; i < m; i++)
		buf[n++] = reply_byte(seq, i);
	buf[n++] = '\n';
	c->answered++;
	return ringo_stream_write(c->srv, buf, n);
}

/* Now and then a short sleep: other tasks run, CQEs pile up. */
static int maybe_sleep(uint64_t *x, unsigned one_in, int64_t max_us)
{
	if (rnd(x) % one_in)
		return 0;
	return ringo_sleep((int64_t)(rnd(x) % (uint64_t)max_us) * 1000);
}

static intptr_t serve_lines(struct conn *c)
{
	uint64_t x = seed_for(c->idx, 1);
	char line[LINE_MAX_LEN + 1];
	for (;;) {
		ssize_t n = ringo_stream_readline(c->srv, line, sizeof(line));
		if (n == 0)
			break;
		if (n < 0) {
			note_failure(c, "server: readline failed");
			return n;
		}
		int ret = answer(c, line, (size_t)n);
		if (ret == 0)
			ret = maybe_sleep(&x, 8, 1000);
		if (ret == 0)
			ret = ringo_stream_drain(c->srv);
		if (ret < 0) {
			note_failure(c, "server: write or drain failed");
			return ret;
		}
	}
	return 0;
}

/* As demos/kv_server.c: every complete request buffered, then one drain,
 * then a fill past what was parsed (bytes that came while it waited count):
 * ringo_stream_fill, which counts what peek saw, or with past set,
 * ringo_stream_fill_past with the count given. */
static intptr_t serve_batches(struct conn *c, bool past)
{
	uint64_t x = seed_for(c->idx, 1);
	for (;;) {
		const void *data;
		size_t n = ringo_stream_peek(c->srv, &data);
		size_t used = 0;
		const char *nl;
		while (used < n && (nl = memchr((const char *)data + used, '\n', n - used))) {
			size_t len = (size_t)(nl - ((const char *)data + used)) + 1;
			int ret = answer(c, (const char *)data + used, len);
			if (ret < 0)
				return ret;
			used += len;
		}
		ringo_stream_consume(c->srv, used);
		size_t seen = n - used;
		int ret = maybe_sleep(&x, 8, 1000);
		if (ret == 0)
			ret = ringo_stream_drain(c->srv);
		if (ret < 0) {
			note_failure(c, "server: sleep or drain failed");
			return ret;
		}
		ssize_t more = past ? ringo_stream_fill_past(c->srv, seen)
				    : ringo_stream_fill(c->srv);
		if (more == 0)
			return seen ? -EPROTO : 0;
		if (more < 0) {
			note_failure(c, "server: fill failed");
			return more;
		}
	}
}

static intptr_t server(void *arg)
{
	struct conn *c = arg;
	intptr_t ret = c->idx % 2 ? serve_batches(c, c->idx % 4 == 3) : serve_lines(c);
	if (ret == 0 && c->answered != REQS) {
		note_failure(c, "server: requests missing at the end of stream");
		ret = -EPROTO;
	}
	int closed = ringo_stream_wait_closed(c->srv);
	return ret < 0 ? ret : closed;
}

/* ---- clients on the loop ---- */

static intptr_t client_writer(void *arg)
{
	struct conn *c = arg;
	uint64_t x = seed_for(c->idx, 2);
	for (size_t off = 0; off < c->req_len;) {
		size_t n = 1 + rnd(&x) % 700;
		if (n > c->req_len - off)
			n = c->req_len - off;
		int ret = ringo_stream_write(c->cli, c->req + off, n);
		if (ret == 0)
			ret = maybe_sleep(&x, 4, 500);
		if (ret == 0)
			ret = ringo_stream_drain(c->cli);
		if (ret < 0) {
			note_failure(c, "client: write or drain failed");
			return ret;
		}
		off += n;
	}
	int ret = ringo_stream_write_eof(c->cli);
	if (ret < 0)
		note_failure(c, "client: write_eof failed");
	return ret;
}

/* Checks n bytes that came after c->got against the expected replies. */
static int check(struct conn *c, const char *buf, size_t n)
{
	if (n > c->want_len - c->got || memcmp(buf, c->want + c->got, n) != 0) {
		note_failure(c, "client: a reply's byte wrong");
		return -EPROTO;
	}
	c->got += n;
	return 0;
}

static intptr_t client_reader(void *arg)
{
	struct conn *c = arg;
	uint64_t x = seed_for(c->idx, 3);
	char buf[4096];
	for (;;) {
		ssize_t n = ringo_stream_read(c->cli, buf, 1 + rnd(&x) % sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			note_failure(c, "client: read failed");
			return n;
		}
		int ret = check(c, buf, (size_t)n);
		if (ret == 0)
			ret = maybe_sleep(&x, 8, 1000);
		if (ret < 0)
			return ret;
	}
	if (c->got != c->want_len) {
		note_failure(c, "client: replies missing at the end of stream");
		return -EPROTO;
	}
	return 0;
}

/* ---- clients on threads: plain sockets, reading slowly ---- */

static void *thread_client(void *arg)
{
	struct conn *c = arg;
	uint64_t x = seed_for(c->idx, 4);
	int fd = c->fd[1];
	size_t sent = 0;
	int64_t end = harness_now() + DEADLINE;
	char buf[2048];
	while (c->got < c->want_len) {
		int64_t left_ms = (end - harness_now()) / 1000000;
		if (left_ms <= 0) {
			note_failure(c, "thread client: no progress until the deadline");
			return NULL;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (sent < c->req_len)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)left_ms) < 0) {
			note_failure(c, "thread client: poll failed");
			return NULL;
		}
		if (p.revents & POLLOUT) {
			size_t n = 1 + rnd(&x) % 500;
			if (n > c->req_len - sent)
				n = c->req_len - sent;
			ssize_t r = send(fd, c->req + sent, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN) {
				note_failure(c, "thread client: send failed");
				return NULL;
			}
			if (r > 0)
				sent += (size_t)r;
			if (sent == c->req_len)
				shutdown(fd, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, buf, 1 + rnd(&x) % sizeof(buf), MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				note_failure(c, "thread client: the server ended early");
				return NULL;
			}
			if (r > 0 && check(c, buf, (size_t)r) < 0)
				return NULL;
		}
		if (rnd(&x) % 4 == 0)
			usleep((useconds_t)(rnd(&x) % 300));
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;
	if (poll(&p, 1, (int)(DEADLINE / 1000000)) != 1 || recv(fd, &b, 1, 0) != 0)
		note_failure(c, "thread client: no end of stream after the replies");
	return NULL;
}

/* ---- the run ---- */

static struct conn conns[CONNS];

static void stream_open(int fd, ringo_stream **s)
{
	ringo_stream_opts o = { .limit = LIMIT, .write_high = WRITE_HIGH };
	assert_int_equal(ringo_stream_open(fd, &o, s), 0);
	ringo_stream_set_deadline(*s, ringo_deadline_in(DEADLINE));
}

static intptr_t stress_body(void *arg)
{
	(void)arg;
	ringo_task *t[3 * CONNS];
	int nt = 0;
	for (int i = 0; i < CONNS; i++) {
		struct conn *c = &conns[i];
		stream_open(c->fd[0], &c->srv);
		assert_int_equal(ringo_task_create(server, c, NULL, &t[nt++]), 0);
		if (i >= CONNS - THREAD_CLIENTS)
			continue;
		stream_open(c->fd[1], &c->cli);
		assert_int_equal(ringo_task_create(client_writer, c, NULL, &t[nt++]), 0);
		assert_int_equal(ringo_task_create(client_reader, c, NULL, &t[nt++]), 0);
	}
	intptr_t res[3 * CONNS];
	assert_int_equal(ringo_gather(t, (size_t)nt, res, RINGO_RETURN_EXCEPTIONS), 0);
	intptr_t first = 0;
	for (int i = 0; i < nt; i++) {
		if (res[i] < 0 && !first)
			first = res[i];
		ringo_task_unref(t[i]);
	}
	for (int i = 0; i < CONNS; i++) {
		ringo_stream_destroy(conns[i].srv);
		ringo_stream_destroy(conns[i].cli);
	}
	return first;
}

/* One run with RINGO_BUFRING set to ring (NULL: the default ring). */
static void run_stress(const char *ring)
{
	char *saved = getenv("RINGO_BUFRING") ? strdup(getenv("RINGO_BUFRING")) : NULL;
	if (ring)
		setenv("RINGO_BUFRING", ring, 1);
	else
		unsetenv("RINGO_BUFRING");
	pthread_t th[THREAD_CLIENTS];
	for (int i = 0; i < CONNS; i++) {
		struct conn *c = &conns[i];
		memset(c, 0, sizeof(*c));
		c->idx = i;
		harness_tcp_pair(c->fd);
		build(c);
	}
	for (int i = 0; i < THREAD_CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_client,
						&conns[CONNS - THREAD_CLIENTS + i]), 0);
	int64_t start = harness_now();
	intptr_t ret = harness_run(stress_body, NULL);
	for (int i = 0; i < THREAD_CLIENTS; i++)
		pthread_join(th[i], NULL);
	int bad = 0;
	size_t bytes = 0;
	for (int i = 0; i < CONNS; i++) {
		struct conn *c = &conns[i];
		bytes += c->req_len + c->got;
		if (c->failed || c->got != c->want_len) {
			fprintf(stderr, "conn %d (%s, %s): %s; %u of %d answered, %zu of %zu reply bytes\n",
				i, i % 2 ? (i % 4 == 3 ? "peek/fill_past server" : "peek/fill server")
				      : "readline server",
				i >= CONNS - THREAD_CLIENTS ? "thread client" : "task client",
				c->failed ? c->failed : "replies missing", c->answered, REQS, c->got,
				c->want_len);
			bad++;
		}
		if (i >= CONNS - THREAD_CLIENTS)
			close(c->fd[1]);
		free(c->req);
		free(c->want);
	}
	printf("# RINGO_BUFRING=%s seed %llu: %d connections, %zu bytes, %.2f s\n",
	       ring ? ring : "(default)", (unsigned long long)seed, CONNS, bytes,
	       (double)(harness_now() - start) / 1e9);
	if (saved) {
		setenv("RINGO_BUFRING", saved, 1);
		free(saved);
	} else {
		unsetenv("RINGO_BUFRING");
	}
	assert_int_equal(bad, 0);
	assert_int_equal(ret, 0);
}

/* check_request reads nothing past the line: here the line ends a
 * mapping (non-NUL bytes before it) whose next page faults, as the last
 * buffer of the loop's buffer ring may end right below a stack's guard
 * gap. sscanf on the line itself read on to the fault (a crash of this
 * test, reported as an overflow into the guard of task 'main'). */
static void test_request_check_stays_in_the_line(void **state)
{
	(void)state;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + page, page, PROT_NONE), 0);
	memset(m, 'x', page);
	static const char line[] = "q 7 3 hij\n";
	size_t len = sizeof(line) - 1;
	memcpy(m + page - len, line, len);
	struct conn c = { .answered = 7 };
	assert_int_equal(check_request(&c, m + page - len, len), 7);
	assert_null(c.failed);
	/* And a bad one is still told. */
	c.answered = 8;
	assert_int_equal(check_request(&c, m + page - len, len), -EPROTO);
	assert_string_equal(c.failed, "server: a request garbled");
	munmap(m, 2 * page);
}

static void test_default_ring(void **state)
{
	(void)state;
	run_stress(NULL);
}

/* Four 64-byte buffers for 32 connections: -ENOBUFS all the time. */
static void test_tiny_ring(void **state)
{
	(void)state;
	run_stress("4x64");
}

/* No buffer ring: single-shot recvs while a reader waits. */
static void test_no_ring(void **state)
{
	(void)state;
	run_stress("0");
}

int main(void)
{
	const char *env = getenv("RINGO_STRESS_SEED");
	seed = env ? strtoull(env, NULL, 10) : (uint64_t)harness_now();
	printf("# RINGO_STRESS_SEED=%llu\n", (unsigned long long)seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_check_stays_in_the_line),
		cmocka_unit_test(test_default_ring),
		cmocka_unit_test(test_tiny_ring),
		cmocka_unit_test(test_no_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

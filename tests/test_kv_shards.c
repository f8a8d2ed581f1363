/* SPDX-License-Identifier: MIT */
/* kv_server --threads N, the sharded store (issue 10): keys to shards and
 * commands to parts as units (demos/kv/route.c), then the servers
 * themselves: a script of every command family (single keys, multi-key
 * commands whose keys span shards, expiry, DBSIZE, FLUSHDB, pipelined
 * mixes, QUIT, a protocol error after commands for other loops) gets
 * byte for byte the same replies from --threads 2 and --threads 4 as from
 * --threads 1; redis-benchmark runs without an error against 4 loops; and
 * SIGINT in the middle of cross-loop traffic ends the server with 0.
 *
 * Usage: test_kv_shards PATH-TO-kv_server */
#include "harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv/command.h"
#include "kv/route.h"

static const char *kv_path;

static struct kv_str S(const char *s)
{
	return (struct kv_str){s, strlen(s)};
}

/* Two keys that 2 shards place apart, and two they place together. */
static void keys_apart(unsigned n, struct kv_str *a, struct kv_str *b)
{
	static char names[2][16];
	snprintf(names[0], sizeof(names[0]), "k0");
	*a = S(names[0]);
	for (int i = 1;; i++) {
		snprintf(names[1], sizeof(names[1]), "k%d", i);
		if (kv_shard_of(S(names[1]), n) != kv_shard_of(*a, n))
			break;
	}
	*b = S(names[1]);
}

static void test_shard_of(void **state)
{
	(void)state;
	unsigned count[4] = {0};
	char key[32];
	for (int i = 0; i < 4000; i++) {
		snprintf(key, sizeof(key), "key:%012d", i);
		unsigned s = kv_shard_of(S(key), 4);
		assert_true(s < 4);
		assert_int_equal(kv_shard_of(S(key), 4), s); /* the same every time */
		assert_int_equal(kv_shard_of(S(key), 1), 0);
		count[s]++;
	}
	for (int s = 0; s < 4; s++)
		assert_true(count[s] > 800 && count[s] < 1200); /* spread */
}

static enum kv_route route(unsigned n, unsigned *shard, const char *name, ...)
{
	struct kv_str argv[16] = {S(name)};
	size_t argc = 1;
	va_list ap;
	va_start(ap, name);
	for (const char *a; (a = va_arg(ap, const char *));)
		argv[argc++] = S(a);
	va_end(ap);
	const struct kv_command *cmd = kv_command_find(argv[0]);
	assert_non_null(cmd);
	return kv_route(cmd, argv, argc, n, shard);
}

static void test_route(void **state)
{
	(void)state;
	struct kv_str a, b;
	keys_apart(2, &a, &b);
	unsigned sa = kv_shard_of(a, 2), sb = kv_shard_of(b, 2), s;
	assert_int_not_equal(sa, sb);
	assert_int_equal(route(2, &s, "get", a.p, NULL), KV_ROUTE_ONE);
	assert_int_equal(s, sa);
	assert_int_equal(route(2, &s, "set", b.p, "v", "ex", "10", NULL), KV_ROUTE_ONE);
	assert_int_equal(s, sb);
	assert_int_equal(route(2, &s, "mget", a.p, a.p, NULL), KV_ROUTE_ONE);
	assert_int_equal(s, sa);
	assert_int_equal(route(2, &s, "mget", a.p, b.p, NULL), KV_ROUTE_SPLIT);
	assert_int_equal(route(2, &s, "del", b.p, a.p, NULL), KV_ROUTE_SPLIT);
	/* MSET's values do not route it */
	assert_int_equal(route(2, &s, "mset", a.p, b.p, NULL), KV_ROUTE_ONE);
	assert_int_equal(s, sa);
	assert_int_equal(route(2, &s, "mset", a.p, "1", b.p, "2", NULL), KV_ROUTE_SPLIT);
	/* arguments that do not fit: only an error, here */
	assert_int_equal(route(2, &s, "mset", a.p, "1", b.p, NULL), KV_ROUTE_HERE);
	assert_int_equal(route(2, &s, "get", a.p, b.p, NULL), KV_ROUTE_HERE);
	assert_int_equal(route(2, &s, "dbsize", "x", NULL), KV_ROUTE_HERE);
	assert_int_equal(route(2, &s, "ping", NULL), KV_ROUTE_HERE);
	assert_int_equal(route(2, &s, "quit", NULL), KV_ROUTE_HERE);
	assert_int_equal(route(2, &s, "dbsize", NULL), KV_ROUTE_EVERY);
	assert_int_equal(route(2, &s, "flushdb", "async", NULL), KV_ROUTE_EVERY);
	assert_int_equal(route(1, &s, "flushdb", NULL), KV_ROUTE_ONE);
	assert_int_equal(route(1, &s, "mget", a.p, b.p, NULL), KV_ROUTE_ONE);
	/* the parts of a split command */
	const struct kv_command *mset = kv_command_find(S("mset"));
	size_t nargs;
	assert_int_equal(kv_route_parts(mset, 7), 3);
	assert_int_equal(kv_route_part(mset, 2, &nargs), 5);
	assert_int_equal(nargs, 2);
	const struct kv_command *del = kv_command_find(S("del"));
	assert_int_equal(kv_route_parts(del, 4), 3);
	assert_int_equal(kv_route_part(del, 2, &nargs), 3);
	assert_int_equal(nargs, 1);
}

static void expect_merge(const char *name, const char *const *replies, size_t n,
			 const char *want)
{
	struct kv_str r[8];
	for (size_t i = 0; i < n; i++)
		r[i] = S(replies[i]);
	struct kv_out o = {0};
	kv_merge(kv_command_find(S(name)), r, n, &o);
	assert_int_equal(o.len, strlen(want));
	assert_memory_equal(o.buf, want, o.len);
	kv_out_free(&o);
}

static void test_merge(void **state)
{
	(void)state;
	static const char *const mget[] = {"*1\r\n$1\r\na\r\n", "*1\r\n$-1\r\n",
					   "*1\r\n$3\r\nb\r\n\r\n"};
	expect_merge("mget", mget, 3, "*3\r\n$1\r\na\r\n$-1\r\n$3\r\nb\r\n\r\n");
	static const char *const sums[] = {":1\r\n", ":0\r\n", ":12\r\n"};
	expect_merge("del", sums, 3, ":13\r\n");
	expect_merge("dbsize", sums, 2, ":1\r\n");
	static const char *const err[] = {":1\r\n", "-ERR out of memory\r\n", "-ERR other\r\n"};
	expect_merge("exists", err, 3, "-ERR out of memory\r\n");
	static const char *const oks[] = {"+OK\r\n", "+OK\r\n"};
	expect_merge("mset", oks, 2, "+OK\r\n");
	static const char *const syntax[] = {"-ERR syntax error\r\n", "-ERR syntax error\r\n"};
	expect_merge("flushdb", syntax, 2, "-ERR syntax error\r\n");
}

/* ---- against the servers ---- */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	buf_add(b, tmp, (size_t)n);
}

static bool ends_with(const struct buf *b, const char *s)
{
	size_t n = strlen(s);
	return b->len >= n && memcmp(b->p + b->len - n, s, n) == 0;
}

/* Sends req[0..n) while receiving into got until it ends with end, or the
 * connection ends (end NULL: until then). 10 s without progress fails. */
static void exchange(int fd, const char *req, size_t n, const char *end, struct buf *got)
{
	size_t sent = 0;
	for (;;) {
		if (end && sent == n && ends_with(got, end))
			return;
		struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (sent < n ? POLLOUT : 0))};
		assert_int_equal(poll(&p, 1, 10000), 1);
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			char in[65536];
			ssize_t k = recv(fd, in, sizeof(in), MSG_DONTWAIT);
			if (k == 0 || (k < 0 && errno == ECONNRESET)) {
				assert_null(end);
				return;
			}
			assert_true(k > 0 || errno == EAGAIN);
			if (k > 0)
				buf_add(got, in, (size_t)k);
		}
		if (sent < n && (p.revents & POLLOUT)) {
			ssize_t k = send(fd, req + sent, n - sent, MSG_DONTWAIT);
			assert_true(k > 0 || errno == EAGAIN);
			if (k > 0)
				sent += (size_t)k;
		}
	}
}

#define END "ECHO __end_of_chunk__\r\n"
#define END_REPLY "$16\r\n__end_of_chunk__\r\n"

/* The script: chunks sent one after another on one connection, each
 * answered in full before the next is sent; a chunk "SLEEP n" waits n ms
 * instead. */
static void script(struct buf *chunks, size_t *n)
{
	size_t k = 0;
	/* single keys, every command and option */
	buf_printf(&chunks[k++],
		   "FLUSHDB\r\nPING\r\nPING hi\r\nECHO x\r\nGET a\r\nSET a 1\r\nGET a\r\n"
		   "SET a 2 NX\r\nSET b 2 NX\r\nSET c 3 XX\r\nSET a 3 XX GET\r\nSET n 1 GET\r\n"
		   "INCR a\r\nINCR cnt\r\nDECR cnt\r\nDECR neg\r\nINCR b\r\nSET s abc\r\nINCR s\r\n"
		   "SET t 5 EX 100\r\nTTL t\r\nINCR t\r\nTTL t\r\nSET t 6 KEEPTTL\r\nTTL t\r\n"
		   "EXPIRE a 100\r\nTTL a\r\nEXPIRE nokey 10\r\nTTL nokey\r\nEXPIRE a -1\r\n"
		   "GET a\r\nSET a 1 EX 0\r\nSET a 1 PX abc\r\nSET a 1 FOO\r\nGET\r\n"
		   "TTL\r\nINCR a b\r\nNOSUCH x y\r\nCOMMAND\r\nCONFIG GET save appendonly\r\n"
		   "DBSIZE\r\n");
	/* multi-key commands over keys of every shard */
	struct buf *c = &chunks[k++];
	buf_printf(c, "MSET");
	for (int i = 0; i < 40; i++)
		buf_printf(c, " key%d val%d", i, i);
	buf_printf(c, "\r\nDBSIZE\r\nMGET");
	for (int i = 0; i < 45; i++)
		buf_printf(c, " key%d", i % 2 ? i : 44 - i);
	buf_printf(c, "\r\nEXISTS key1 key1 key2 nokey key39 key3\r\n"
		      "DEL key1 key1 key5 nokey key7 key11 key13\r\nDBSIZE\r\n"
		      "MGET key1 key2 key3 key4 key5\r\nMSET key1 a key2\r\nMGET\r\nDEL\r\n"
		      "EXISTS\r\nMSET key2 b key2 c key3 d\r\nMGET key2 key3 key2\r\n"
		      "SET key4 x EX 100\r\nMSET key4 y key8 z\r\nTTL key4\r\n"
		      "DEL key20 key21 key22 key23 key24 key25 key26 key27 key28 key29\r\n"
		      "DBSIZE\r\nDBSIZE x\r\nFLUSHDB x\r\nFLUSHDB ASYNC\r\nDBSIZE\r\nMGET key0 key30\r\n");
	/* expiry on every shard: lazily and actively */
	c = &chunks[k++];
	for (int i = 0; i < 16; i++)
		buf_printf(c, "SET exp%d v PX 150\r\n", i);
	buf_printf(c, "SET keep v\r\nMSET m1 1 m2 2\r\nEXPIRE m1 1000\r\nEXPIRE m2 -5\r\n"
		      "DBSIZE\r\nGET exp3\r\n");
	buf_printf(&chunks[k++], "SLEEP 600");
	c = &chunks[k++];
	buf_printf(c, "GET exp3\r\nTTL exp4\r\nEXISTS");
	for (int i = 0; i < 16; i++)
		buf_printf(c, " exp%d", i);
	buf_printf(c, "\r\nDBSIZE\r\nTTL m1\r\nMGET m1 m2 keep\r\n");
	/* a long pipelined mix */
	c = &chunks[k++];
	buf_printf(c, "FLUSHDB\r\n");
	for (int i = 0; i < 3000; i++) {
		int a = (i * 7) % 101, b = (i * 13) % 97;
		switch (i % 11) {
		case 0: buf_printf(c, "SET k:%d v%d\r\n", a, i); break;
		case 1: buf_printf(c, "*2\r\n$3\r\nGET\r\n$%d\r\nk:%d\r\n",
				   snprintf(NULL, 0, "k:%d", b), b); break;
		case 2: buf_printf(c, "INCR ctr:%d\r\n", a % 7); break;
		case 3: buf_printf(c, "MGET k:%d k:%d k:%d\r\n", a, b, a + 1); break;
		case 4: buf_printf(c, "MSET k:%d x%d k:%d y%d\r\n", b, i, a, i); break;
		case 5: buf_printf(c, "DEL k:%d k:%d\r\n", a, b + 3); break;
		case 6: buf_printf(c, "EXISTS k:%d k:%d k:%d\r\n", a, b, a); break;
		case 7: buf_printf(c, "DBSIZE\r\n"); break;
		case 8: buf_printf(c, "PING\r\n"); break;
		case 9: buf_printf(c, "SET k:%d %d EX 1000\r\nTTL k:%d\r\n", b, i, b); break;
		default: buf_printf(c, "BOGUS %d\r\nECHO e%d\r\n", i, i); break;
		}
	}
	buf_printf(c, "DBSIZE\r\n");
	/* a value larger than a round, to another shard and back */
	c = &chunks[k++];
	buf_printf(c, "*3\r\n$3\r\nSET\r\n$4\r\nbig1\r\n$200000\r\n");
	for (int i = 0; i < 200000; i++)
		buf_add(c, &"abcdefghijklmnopqrstuvwxyz"[i % 26], 1);
	buf_printf(c, "\r\nMSET big2 small\r\nMGET big2 big1 big2\r\nDEL big1 big2\r\nDBSIZE\r\n");
	/* the end: commands for other loops, then QUIT, then what is not
	 * answered */
	buf_printf(&chunks[k++], "MGET key1 key2 key3 key4\r\nDBSIZE\r\nQUIT\r\nPING\r\n");
	*n = k;
}

/* Runs the script against a server started with --threads threads and
 * returns everything it answered, chunk after chunk. */
static void run_script(const char *threads, struct buf *got)
{
	static const char *args[] = {"--threads", NULL, NULL};
	args[1] = threads;
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, kv_path, args), 0);
	int fd = harness_connect(s.port);
	struct buf chunks[16] = {0};
	size_t n;
	script(chunks, &n);
	for (size_t i = 0; i < n; i++) {
		int ms;
		if (sscanf(chunks[i].p, "SLEEP %d", &ms) == 1) {
			usleep((useconds_t)ms * 1000);
		} else if (i + 1 < n) {
			buf_add(&chunks[i], END, strlen(END));
			exchange(fd, chunks[i].p, chunks[i].len, END_REPLY, got);
		} else {
			exchange(fd, chunks[i].p, chunks[i].len, NULL, got); /* QUIT: to the end */
		}
		free(chunks[i].p);
	}
	close(fd);
	/* a protocol error after commands for other loops: those answered,
	 * then the error, then the end */
	fd = harness_connect(s.port);
	static const char bad[] = "MSET p1 1 p2 2 p3 3\r\nMGET p1 p2 p3 p4\r\nDEL p1 p2 p3\r\n"
				  "*2\r\n$3\r\nGET\r\n$x\r\n";
	exchange(fd, bad, sizeof(bad) - 1, NULL, got);
	close(fd);
	int status = harness_server_stop(&s, SIGINT);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The first place where a and b differ, shown. */
static void compare(const struct buf *want, const struct buf *got, const char *threads)
{
	size_t i = 0;
	while (i < want->len && i < got->len && want->p[i] == got->p[i])
		i++;
	if (i == want->len && i == got->len)
		return;
	size_t from = i > 60 ? i - 60 : 0;
	fprintf(stderr, "--threads %s differs at byte %zu of %zu/%zu:\n1: '%.*s'\n%s: '%.*s'\n",
		threads, i, want->len, got->len, (int)(i + 60 - from), want->p + from, threads,
		(int)(i + 60 - from), got->p + from);
	fail();
}

static void test_same_replies(void **state)
{
	(void)state;
	struct buf one = {0}, two = {0}, four = {0};
	run_script("1", &one);
	/* what it covers was answered as redis answers: spot checks */
	assert_non_null(strstr(one.p, "*45\r\n$-1\r\n$4\r\nval1\r\n$-1\r\n$4\r\nval3\r\n"));
	assert_non_null(strstr(one.p, "-ERR Protocol error: invalid bulk length\r\n"));
	assert_non_null(strstr(one.p, "+OK\r\n"));
	run_script("2", &two);
	compare(&one, &two, "2");
	run_script("4", &four);
	compare(&one, &four, "4");
	free(one.p);
	free(two.p);
	free(four.p);
}

/* redis-benchmark's commands, keys spread over every shard, pipelined and
 * not: every test runs to its end and reports its rate. */
static void test_redis_benchmark(void **state)
{
	(void)state;
	if (!harness_have_program("redis-benchmark")) {
		fprintf(stderr, "redis-benchmark is not installed (Debian: redis-tools): skipped\n");
		skip();
	}
	static const char *const args[] = {"--threads", "4", NULL};
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, kv_path, args), 0);
	for (int pipeline = 1; pipeline <= 16; pipeline *= 16) {
		char cmd[256];
		size_t cap = 1 << 20; /* the progress lines too, each ended by CR */
		char *out = malloc(cap);
		assert_non_null(out);
		snprintf(cmd, sizeof(cmd),
			 "redis-benchmark -p %d -t ping,set,get,incr,mset -n 4000 -r 1000 -c 8 "
			 "-P %d -q 2>&1",
			 s.port, pipeline);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		size_t n = 0, k;
		while ((k = fread(out + n, 1, cap - 1 - n, p)) > 0)
			n += k;
		out[n] = 0;
		assert_int_equal(pclose(p), 0);
		static const char *const tests[] = {"PING_INLINE: ", "PING_MBULK: ", "SET: ",
						    "GET: ", "INCR: ", "MSET (10 keys): "};
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
			/* the result line, "SET: 1234.5 requests per second", not
			 * a progress line, "SET: rps=..." */
			const char *at = out;
			size_t len = strlen(tests[i]);
			while ((at = strstr(at, tests[i])) && !isdigit((unsigned char)at[len]))
				at += len;
			if (!at)
				fprintf(stderr, "redis-benchmark said (its end): %s\n",
					n > 2000 ? out + n - 2000 : out);
			assert_non_null(at);
			double rps;
			assert_int_equal(sscanf(at + len, "%lf requests per second", &rps), 1);
			assert_true(rps > 0);
		}
		assert_null(strstr(out, "ERR"));
		free(out);
	}
	int status = harness_server_stop(&s, SIGINT);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* SIGINT while clients keep loops busy with each other's keys: every loop
 * ends, the server exits 0, and every connection is closed. */
static void test_sigint_under_load(void **state)
{
	(void)state;
	static const char *const args[] = {"--threads", "4", NULL};
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, kv_path, args), 0);
	enum { CLIENTS = 8 };
	int fds[CLIENTS];
	struct buf req = {0};
	for (int i = 0; i < 2000; i++)
		buf_printf(&req, "MSET a%d 1 b%d 2 c%d 3\r\nMGET a%d b%d c%d\r\nDBSIZE\r\n", i, i, i,
			   i, i, i);
	for (int i = 0; i < CLIENTS; i++) {
		fds[i] = harness_connect(s.port);
		/* as much as the socket takes, without reading the replies */
		size_t sent = 0;
		while (sent < req.len) {
			ssize_t k = send(fds[i], req.p + sent, req.len - sent, MSG_DONTWAIT);
			if (k <= 0)
				break;
			sent += (size_t)k;
		}
	}
	usleep(20000);
	int status = harness_server_stop(&s, SIGINT);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (int i = 0; i < CLIENTS; i++) {
		struct buf got = {0};
		exchange(fds[i], "", 0, NULL, &got); /* to the end of the stream */
		free(got.p);
		close(fds[i]);
	}
	free(req.p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-kv_server\n", argv[0]);
		return 2;
	}
	kv_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shard_of),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_same_replies),
		cmocka_unit_test(test_redis_benchmark),
		cmocka_unit_test(test_sigint_under_load),
	};
	return cmocka_run_group_tests_name("kv_shards", tests, NULL, NULL);
}

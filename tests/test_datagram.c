/* SPDX-License-Identifier: MIT */
/* Datagram endpoints (lib/io/datagram.c): UDP over IPv4 and IPv6 and Unix
 * datagram sockets; a burst of numbered, checksummed datagrams through a
 * tiny buffer ring with nothing corrupted; deadlines and cancellation of
 * a receive; queued sends and their errors; the same burst in batches of
 * ringo_datagram_sendmmsg, with its counts and errors; closing under a
 * waiting reader.
 * Each case runs with the multishot receive and, with RINGO_BUFRING=0,
 * with single-shot receives (the test re-executes itself). */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ringo.h>

/* ---- echo between two endpoints, on each address family ---- */

static intptr_t echo_family(void *arg)
{
	const char *host = arg;
	bool is_unix = host[0] == '/';
	char spath[64], cpath[64];
	const char *shost = host, *chost = host;
	if (is_unix) {
		snprintf(spath, sizeof(spath), "/tmp/ringo-dg-s-%d", (int)getpid());
		snprintf(cpath, sizeof(cpath), "/tmp/ringo-dg-c-%d", (int)getpid());
		shost = spath;
		chost = cpath;
	}
	ringo_datagram *srv, *cli;
	assert_int_equal(ringo_datagram_endpoint(shost, 0, NULL, 0, NULL, &srv), 0);
	int port = ringo_datagram_port(srv);
	assert_true(is_unix ? port == 0 : port > 0);
	assert_int_equal(ringo_datagram_endpoint(chost, 0, shost, (uint16_t)port, NULL, &cli), 0);
	ringo_deadline dl = ringo_deadline_in(RINGO_SEC(5));

	assert_int_equal(ringo_datagram_sendto(cli, "ping", 4, NULL, 0), 0);
	assert_int_equal(ringo_datagram_drain(cli, dl), 0);
	char buf[64];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	assert_int_equal(ringo_datagram_recvfrom(srv, buf, sizeof(buf), &from, &fromlen, dl), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(from.ss_family, is_unix ? AF_UNIX : (host[0] == ':' ? AF_INET6 : AF_INET));
	/* The reply goes back to the address it came from. */
	assert_int_equal(ringo_datagram_send(srv, "pong!", 5, (struct sockaddr *)&from, fromlen, dl),
			 5);
	assert_int_equal(ringo_datagram_recvfrom(cli, buf, sizeof(buf), NULL, NULL, dl), 5);
	assert_memory_equal(buf, "pong!", 5);
	/* Empty datagrams are datagrams too; a short buffer truncates. */
	assert_int_equal(ringo_datagram_sendto(cli, "", 0, NULL, 0), 0);
	assert_int_equal(ringo_datagram_sendto(cli, "0123456789", 10, NULL, 0), 0);
	assert_int_equal(ringo_datagram_recvfrom(srv, buf, sizeof(buf), NULL, NULL, dl), 0);
	assert_int_equal(ringo_datagram_recvfrom(srv, buf, 3, NULL, NULL, dl), 3);
	assert_memory_equal(buf, "012", 3);
	ringo_datagram_close(cli);
	ringo_datagram_close(srv);
	if (is_unix) {
		/* The bound paths are removed at close. */
		assert_int_equal(access(spath, F_OK), -1);
		assert_int_equal(access(cpath, F_OK), -1);
	}
	return 0;
}

static void test_echo_ipv4(void **state)
{
	(void)state;
	assert_int_equal(harness_run(echo_family, "127.0.0.1"), 0);
}

static void test_echo_ipv6(void **state)
{
	(void)state;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		skip(); /* no IPv6 loopback on this machine */
	assert_int_equal(harness_run(echo_family, "::1"), 0);
}

static void test_echo_unix(void **state)
{
	(void)state;
	assert_int_equal(harness_run(echo_family, "/unix"), 0);
}

/* ---- a burst: every datagram arrives intact, in order on loopback ---- */

enum { BURST = 20000, BURST_WINDOW = 32 };

/* Datagram i: its number, its length, then bytes derived from both. */
static size_t make_datagram(unsigned i, unsigned char *p)
{
	size_t len = 8 + (i * 7919u) % 1400;
	memcpy(p, &i, 4);
	uint32_t l = (uint32_t)len;
	memcpy(p + 4, &l, 4);
	for (size_t k = 8; k < len; k++)
		p[k] = (unsigned char)(i * 31u + k * 17u);
	return len;
}

struct burst {
	ringo_datagram *srv;
	unsigned got, bad;
	ringo_semaphore *window;
};

static intptr_t burst_receiver(void *arg)
{
	struct burst *b = arg;
	unsigned char buf[2048], want[2048];
	while (b->got < BURST) {
		ssize_t n = ringo_datagram_recvfrom(b->srv, buf, sizeof(buf), NULL, NULL,
						    ringo_deadline_in(RINGO_SEC(10)));
		if (n < 0)
			return n;
		unsigned i;
		memcpy(&i, buf, 4);
		size_t len = make_datagram(i, want);
		if (i != b->got || (size_t)n != len || memcmp(buf, want, len) != 0)
			b->bad++;
		b->got++;
		ringo_semaphore_release(b->window);
	}
	return 0;
}

static intptr_t burst_main(void *arg)
{
	(void)arg;
	struct burst b = { 0 };
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &b.srv), 0);
	int port = ringo_datagram_port(b.srv);
	ringo_datagram *cli;
	assert_int_equal(ringo_datagram_endpoint(NULL, 0, "127.0.0.1", (uint16_t)port, NULL, &cli),
			 0);
	/* A window keeps the socket buffer from overflowing (loopback UDP
	 * drops nothing else). */
	assert_int_equal(ringo_semaphore_create(&b.window, BURST_WINDOW), 0);
	ringo_task *rt;
	assert_int_equal(ringo_task_create(burst_receiver, &b, NULL, &rt), 0);
	unsigned char p[2048];
	for (unsigned i = 0; i < BURST; i++) {
		assert_int_equal(ringo_semaphore_acquire(b.window), 0);
		size_t len = make_datagram(i, p);
		assert_int_equal(ringo_datagram_sendto(cli, p, len, NULL, 0), 0);
	}
	assert_int_equal(ringo_datagram_drain(cli, ringo_deadline_in(RINGO_SEC(10))), 0);
	assert_int_equal(ringo_task_await(rt), 0);
	ringo_task_unref(rt);
	assert_int_equal(b.got, BURST);
	assert_int_equal(b.bad, 0);
	ringo_semaphore_destroy(b.window);
	ringo_datagram_close(cli);
	ringo_datagram_close(b.srv);
	return 0;
}

static void test_burst(void **state)
{
	(void)state;
	assert_int_equal(harness_run(burst_main, NULL), 0);
}

/* ---- batches: ringo_datagram_sendmmsg ---- */

enum { BATCH = 16 };

static intptr_t sendmmsg_main(void *arg)
{
	(void)arg;
	struct burst b = { 0 };
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &b.srv), 0);
	int port = ringo_datagram_port(b.srv);
	struct sockaddr_storage to;
	socklen_t tolen;
	assert_int_equal(ringo_addr_parse("127.0.0.1", (uint16_t)port, &to, &tolen), 0);
	/* Unconnected: each message names its address. */
	ringo_datagram *cli;
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &cli), 0);
	assert_int_equal(ringo_semaphore_create(&b.window, BURST_WINDOW), 0);
	ringo_task *rt;
	assert_int_equal(ringo_task_create(burst_receiver, &b, NULL, &rt), 0);
	static unsigned char p[BATCH][2048];
	ringo_datagram_msg m[BATCH];
	for (unsigned i = 0; i < BURST; i += BATCH) {
		for (unsigned k = 0; k < BATCH; k++) {
			assert_int_equal(ringo_semaphore_acquire(b.window), 0);
			m[k] = (ringo_datagram_msg){ p[k], make_datagram(i + k, p[k]),
						     (struct sockaddr *)&to, tolen };
		}
		assert_int_equal(ringo_datagram_sendmmsg(cli, m, BATCH,
							 ringo_deadline_in(RINGO_SEC(10))),
				 BATCH);
		/* The bytes were copied: reusing the buffers at once is safe. */
		memset(p, 0xee, sizeof(p));
	}
	assert_int_equal(ringo_task_await(rt), 0);
	ringo_task_unref(rt);
	assert_int_equal(b.got, BURST);
	assert_int_equal(b.bad, 0);

	/* Errors: too big for UDP alone is its error; beside good ones,
	 * the count of those sent. */
	static char big[70000];
	ringo_datagram_msg bad[3] = {
		{ "a", 1, (struct sockaddr *)&to, tolen },
		{ big, sizeof(big), (struct sockaddr *)&to, tolen },
		{ "c", 1, (struct sockaddr *)&to, tolen },
	};
	assert_int_equal(ringo_datagram_sendmmsg(cli, bad + 1, 1, RINGO_NO_DEADLINE), -EMSGSIZE);
	assert_int_equal(ringo_datagram_sendmmsg(cli, bad, 3, RINGO_NO_DEADLINE), 2);
	char buf[8];
	for (int k = 0; k < 2; k++)
		assert_int_equal(ringo_datagram_recvfrom(b.srv, buf, sizeof(buf), NULL, NULL,
							 ringo_deadline_in(RINGO_SEC(5))),
				 1);
	/* The batch's errors are its own: the next drain has none. */
	assert_int_equal(ringo_datagram_drain(cli, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_datagram_sendmmsg(cli, bad, 0, RINGO_NO_DEADLINE), 0);
	bad[0].buf = NULL;
	assert_int_equal(ringo_datagram_sendmmsg(cli, bad, 1, RINGO_NO_DEADLINE), -EINVAL);
	bad[0].tolen = 0;
	bad[0].buf = "a";
	assert_int_equal(ringo_datagram_sendmmsg(cli, bad, 1, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_datagram_sendmmsg(NULL, bad, 1, RINGO_NO_DEADLINE), -EINVAL);
	ringo_semaphore_destroy(b.window);
	ringo_datagram_close(cli);
	ringo_datagram_close(b.srv);
	return 0;
}

static void test_sendmmsg(void **state)
{
	(void)state;
	assert_int_equal(harness_run(sendmmsg_main, NULL), 0);
}

/* ---- deadlines, cancellation, -EBUSY, closing under a reader ---- */

static intptr_t reader(void *arg)
{
	ringo_datagram *ep = arg;
	char buf[16];
	return ringo_datagram_recvfrom(ep, buf, sizeof(buf), NULL, NULL, RINGO_NO_DEADLINE);
}

static intptr_t waits_main(void *arg)
{
	(void)arg;
	ringo_datagram *ep;
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &ep), 0);
	char buf[16];
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_datagram_recvfrom(ep, buf, sizeof(buf), NULL, NULL,
						 ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	assert_true(ringo_time() - t0 >= RINGO_MSEC(45));

	/* A cancelled reader takes nothing; the next one gets the datagram. */
	ringo_task *t;
	assert_int_equal(ringo_task_create(reader, ep, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_datagram_recvfrom(ep, buf, sizeof(buf), NULL, NULL,
						 RINGO_NO_DEADLINE),
			 -EBUSY);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	int port = ringo_datagram_port(ep);
	ringo_datagram *cli;
	assert_int_equal(ringo_datagram_endpoint(NULL, 0, "127.0.0.1", (uint16_t)port, NULL, &cli),
			 0);
	assert_int_equal(ringo_datagram_send(cli, "x", 1, NULL, 0, RINGO_NO_DEADLINE), 1);
	assert_int_equal(ringo_datagram_recvfrom(ep, buf, sizeof(buf), NULL, NULL,
						 ringo_deadline_in(RINGO_SEC(5))),
			 1);

	/* Closing under a waiting reader wakes it with -ESHUTDOWN. */
	assert_int_equal(ringo_task_create(reader, ep, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	ringo_datagram_close(ep);
	assert_int_equal(ringo_task_await(t), -ESHUTDOWN);
	ringo_task_unref(t);
	ringo_datagram_close(cli);
	return 0;
}

static void test_deadline_cancel_close(void **state)
{
	(void)state;
	assert_int_equal(harness_run(waits_main, NULL), 0);
}

/* ---- errors: ICMP port unreachable on a connected socket ---- */

static intptr_t refused_main(void *arg)
{
	(void)arg;
	/* A port nobody listens on: bind one and close it. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	ringo_datagram *cli;
	assert_int_equal(ringo_datagram_endpoint(NULL, 0, "127.0.0.1", ntohs(a.sin_port), NULL,
						 &cli),
			 0);
	assert_int_equal(ringo_datagram_sendto(cli, "x", 1, NULL, 0), 0);
	assert_int_equal(ringo_datagram_drain(cli, ringo_deadline_in(RINGO_SEC(5))), 0);
	char buf[4];
	/* The ICMP error comes back to the next receive, once. */
	assert_int_equal(ringo_datagram_recvfrom(cli, buf, sizeof(buf), NULL, NULL,
						 ringo_deadline_in(RINGO_SEC(5))),
			 -ECONNREFUSED);
	assert_int_equal(ringo_datagram_recvfrom(cli, buf, sizeof(buf), NULL, NULL,
						 ringo_deadline_in(RINGO_MSEC(30))),
			 -ETIMEDOUT);
	ringo_datagram_close(cli);
	return 0;
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(harness_run(refused_main, NULL), 0);
}

/* ---- bad input ---- */

static intptr_t bad_main(void *arg)
{
	(void)arg;
	ringo_datagram *ep;
	assert_int_equal(ringo_datagram_endpoint(NULL, 0, NULL, 0, NULL, &ep), -EINVAL);
	assert_int_equal(ringo_datagram_endpoint("not an address", 0, NULL, 0, NULL, &ep), -EINVAL);
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, "::1", 9, NULL, &ep), -EINVAL);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ringo_datagram_open(sv[0], NULL, &ep), -EINVAL);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, &ep), 0);
	assert_int_equal(ringo_datagram_recvfrom(ep, NULL, 4, NULL, NULL, RINGO_NO_DEADLINE), -EINVAL);
	struct sockaddr_storage from;
	assert_int_equal(ringo_datagram_recvfrom(ep, &from, 4, &from, NULL, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_datagram_sendto(ep, NULL, 4, NULL, 0), -EINVAL);
	ringo_datagram_close(ep);
	ringo_datagram_close(NULL);
	return 0;
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(harness_run(bad_main, NULL), 0);
}

/* An endpoint left open when main returns: the loop's end stops it. */
static intptr_t left_open_main(void *arg)
{
	ringo_datagram **out = arg;
	assert_int_equal(ringo_datagram_endpoint("127.0.0.1", 0, NULL, 0, NULL, out), 0);
	return 0;
}

static void test_left_open(void **state)
{
	(void)state;
	ringo_datagram *ep = NULL;
	assert_int_equal(harness_run(left_open_main, &ep), 0);
	ringo_datagram_close(ep); /* after the loop: closes and frees */
}

int main(int argc, char **argv)
{
	/* Run everything twice: with the multishot receive and without. */
	if (argc == 1 && !getenv("RINGO_BUFRING")) {
		pid_t pid = fork();
		if (pid == 0) {
			setenv("RINGO_BUFRING", "0", 1);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		int status;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
		/* And with a tiny ring, so that -ENOBUFS happens. */
		setenv("RINGO_BUFRING", "4x2048", 1);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_ipv4),
		cmocka_unit_test(test_echo_ipv6),
		cmocka_unit_test(test_echo_unix),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_sendmmsg),
		cmocka_unit_test(test_deadline_cancel_close),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_left_open),
	};
	fprintf(stderr, "RINGO_BUFRING=%s\n", getenv("RINGO_BUFRING"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Name resolution through the executor: localhost, numeric hosts, a name
 * that does not exist (no network needed: .invalid never resolves), the
 * EAI_* mapping, cancellation, and ringo_resolve feeding a connect. */
#include "harness.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringo.h>

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return in->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static uint16_t port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
}

static intptr_t localhost_main(void *arg)
{
	(void)arg;
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	struct addrinfo *res = NULL;
	assert_int_equal(ringo_getaddrinfo("localhost", "8080", &hints, &res), 0);
	assert_non_null(res);
	int n = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next, n++) {
		assert_true(is_loopback(ai->ai_addr));
		assert_int_equal(port_of(ai->ai_addr), 8080);
		assert_int_equal(ai->ai_socktype, SOCK_STREAM);
	}
	assert_true(n >= 1);
	freeaddrinfo(res);

	/* A numeric host, without hints. */
	res = NULL;
	hints.ai_flags = AI_NUMERICHOST;
	assert_int_equal(ringo_getaddrinfo("::1", "7", &hints, &res), 0);
	assert_int_equal(res->ai_family, AF_INET6);
	assert_true(is_loopback(res->ai_addr));
	assert_int_equal(port_of(res->ai_addr), 7);
	freeaddrinfo(res);
	assert_int_equal(ringo_getaddrinfo("127.0.0.1", NULL, NULL, &res), 0);
	assert_int_equal(res->ai_family, AF_INET);
	freeaddrinfo(res);
	return 0;
}

static void test_localhost(void **state)
{
	(void)state;
	assert_int_equal(harness_run(localhost_main, NULL), 0);
}

/* EAI_* codes become negative errnos. */
static intptr_t errors_main(void *arg)
{
	(void)arg;
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	assert_int_equal(ringo_getaddrinfo("not-a-number", NULL, &hints, &res), -ENOENT);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICSERV;
	assert_int_equal(ringo_getaddrinfo("127.0.0.1", "http", &hints, &res), -ENOENT);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = 12345;
	assert_int_equal(ringo_getaddrinfo("127.0.0.1", NULL, &hints, &res), -EAFNOSUPPORT);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = 0x40000000;
	assert_int_equal(ringo_getaddrinfo("127.0.0.1", NULL, &hints, &res), -EINVAL);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = 12345;
	assert_int_equal(ringo_getaddrinfo("127.0.0.1", NULL, &hints, &res), -ESOCKTNOSUPPORT);
	assert_null(res);
	assert_int_equal(ringo_getaddrinfo("localhost", NULL, NULL, NULL), -EINVAL);
	return 0;
}

static void test_error_mapping(void **state)
{
	(void)state;
	struct addrinfo *res;
	assert_int_equal(ringo_getaddrinfo("localhost", NULL, NULL, &res), -EPERM);
	assert_int_equal(harness_run(errors_main, NULL), 0);
}

/* A name in the reserved .invalid domain: NXDOMAIN (-ENOENT) from a name
 * server, or -EAGAIN where none answers; within a deadline either way
 * (RES_OPTIONS keeps glibc's retries short without a network). */
static intptr_t nonexistent_main(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_timeout_enter(&to, RINGO_SEC(8)), 0);
	struct addrinfo *res = NULL;
	intptr_t r = ringo_getaddrinfo("no-such-host.ringo-test.invalid", "80", NULL, &res);
	r = ringo_timeout_exit(to, r);
	ringo_timeout_destroy(to);
	assert_true(r == -ENOENT || r == -EAGAIN);
	assert_null(res);
	assert_true(ringo_time() - t0 < RINGO_SEC(8));
	return 0;
}

static void test_nonexistent_name(void **state)
{
	(void)state;
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
	assert_int_equal(harness_run(nonexistent_main, NULL), 0);
	unsetenv("RES_OPTIONS");
}

/* A lookup cancelled while it waits for a worker: -ECANCELED at once, and
 * the request is freed (ASan would say otherwise). */
static intptr_t hold_worker(void *arg)
{
	(void)arg;
	usleep(300000);
	return 1;
}

static intptr_t occupy(void *arg)
{
	(void)arg;
	intptr_t r;
	return ringo_run_in_executor(hold_worker, NULL, &r);
}

static intptr_t lookup(void *arg)
{
	(void)arg;
	struct addrinfo *res = NULL;
	intptr_t r = ringo_getaddrinfo("localhost", "80", NULL, &res);
	if (r == 0)
		freeaddrinfo(res);
	return r;
}

static intptr_t cancel_main(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_executor_set_workers(1), 0);
	ringo_task *busy, *t;
	assert_int_equal(ringo_task_create(occupy, NULL, NULL, &busy), 0);
	assert_int_equal(ringo_task_create(lookup, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	int64_t t0 = ringo_time();
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_time() - t0 < RINGO_MSEC(200));
	assert_int_equal(ringo_task_await(busy), 0);
	ringo_task_unref(t);
	ringo_task_unref(busy);
	/* Cancelled while running: it finishes on its own, and is freed then. */
	assert_int_equal(ringo_task_create(lookup, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	ringo_task_cancel(t);
	intptr_t r = ringo_task_await(t);
	assert_true(r == -ECANCELED || r == 0);
	ringo_task_unref(t);
	return 0;
}

static void test_cancel(void **state)
{
	(void)state;
	assert_int_equal(harness_run(cancel_main, NULL), 0);
}

/* ringo_resolve: numeric without the executor, names through it; the
 * result connects. */
static intptr_t resolve_main(void *arg)
{
	(void)arg;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	assert_int_equal(ringo_resolve("127.0.0.1", 9, &ss, &len, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(port_of((struct sockaddr *)&ss), 9);
	assert_int_equal(ringo_resolve("::1", 9, &ss, &len, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ringo_resolve("/tmp/x.sock", 0, &ss, &len, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ss.ss_family, AF_UNIX);
	assert_int_equal(ringo_resolve("unix:", 0, &ss, &len, RINGO_NO_DEADLINE), -EINVAL);
	int r = ringo_resolve("no-such-host.ringo-test.invalid", 9, &ss, &len, RINGO_NO_DEADLINE);
	assert_true(r == -ENOENT || r == -EAGAIN);

	/* Not "localhost" (ringo_addr_parse knows that one): the name goes to
	 * the resolver, which finds it in /etc/hosts whatever its case. */
	assert_int_equal(ringo_resolve("LOCALHOST", 0, &ss, &len, RINGO_NO_DEADLINE), 0);
	assert_true(is_loopback((struct sockaddr *)&ss));
	int lfd = ringo_listen_on(ss.ss_family == AF_INET ? "127.0.0.1" : "::1", 0, 4);
	assert_true(lfd >= 0);
	int port = ringo_local_port(lfd);
	assert_true(port > 0);
	assert_int_equal(ringo_resolve("LOCALHOST", (uint16_t)port, &ss, &len, RINGO_NO_DEADLINE), 0);
	assert_int_equal(port_of((struct sockaddr *)&ss), port);
	int fd = ringo_socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	assert_int_equal(ringo_connect(fd, (struct sockaddr *)&ss, len,
				       ringo_deadline_in(RINGO_SEC(5))),
			 0);
	int c = ringo_accept(lfd, NULL, NULL, SOCK_CLOEXEC, ringo_deadline_in(RINGO_SEC(5)));
	assert_true(c >= 0);
	close(c);
	close(fd);
	close(lfd);
	return 0;
}

/* A deadline: the one worker is busy for 300 ms, so the lookup cannot end
 * before the 20 ms deadline. Numeric hosts ignore it (nothing to wait for). */
static intptr_t resolve_deadline_main(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_executor_set_workers(1), 0);
	ringo_task *busy;
	assert_int_equal(ringo_task_create(occupy, NULL, NULL, &busy), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	struct sockaddr_storage ss;
	socklen_t len;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_resolve("LOCALHOST", 80, &ss, &len, ringo_deadline_at(t0 + RINGO_MSEC(20))),
			 -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(20));
	assert_true(took < RINGO_MSEC(250));
	assert_int_equal(ringo_resolve("127.0.0.1", 80, &ss, &len, ringo_deadline_at(t0 - 1)), 0);
	assert_int_equal(ringo_task_await(busy), 0);
	ringo_task_unref(busy);
	/* With the worker free, a deadline well ahead does not get in the way. */
	assert_int_equal(ringo_resolve("LOCALHOST", 80, &ss, &len,
				       ringo_deadline_in(RINGO_SEC(5))),
			 0);
	assert_int_equal(port_of((struct sockaddr *)&ss), 80);
	return 0;
}

static void test_resolve_deadline(void **state)
{
	(void)state;
	assert_int_equal(harness_run(resolve_deadline_main, NULL), 0);
}

static void test_resolve(void **state)
{
	(void)state;
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
	assert_int_equal(harness_run(resolve_main, NULL), 0);
	unsetenv("RES_OPTIONS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_localhost),
		cmocka_unit_test(test_error_mapping),
		cmocka_unit_test(test_nonexistent_name),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

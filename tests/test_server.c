/* SPDX-License-Identifier: MIT */
/* Servers and client connections (lib/io/server.c): start_server on port 0,
 * many clients, closing with and without cancelling the handlers, handler
 * errors, wait_closed, Unix sockets, open_connection's errors. */
#include "harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringo.h>

/* ---- 50 clients ---- */

#define CLIENTS 50

struct shared {
	int handled;       /* handlers that returned */
	int cancelled;     /* handlers that saw -ECANCELED */
	int errors;        /* clients that saw something wrong */
	uint16_t port;
	const char *host;
	struct harness_log log;
};

/* Echoes one line. */
static intptr_t echo_once(ringo_stream *s, void *arg)
{
	(void)arg;
	char line[64];
	ssize_t n = ringo_stream_readline(s, line, sizeof(line));
	return n > 0 ? ringo_stream_write(s, line, (size_t)n) : n;
}

/* Answers each line in upper case until the client is done. */
static intptr_t upper(ringo_stream *s, void *arg)
{
	struct shared *sh = arg;
	char line[256];
	ssize_t n;
	while ((n = ringo_stream_readline(s, line, sizeof(line))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			line[i] = (char)toupper((unsigned char)line[i]);
		if (ringo_stream_write(s, line, (size_t)n) < 0)
			break;
		if (ringo_stream_drain(s) < 0)
			break;
	}
	if (n == -ECANCELED)
		sh->cancelled++;
	sh->handled++;
	return n < 0 ? n : 0;
}

static intptr_t client(void *arg)
{
	struct shared *sh = arg;
	ringo_stream *s;
	int ret = ringo_open_connection(sh->host, sh->port, NULL, ringo_deadline_in(RINGO_SEC(10)),
					&s);
	if (ret < 0) {
		sh->errors++;
		return ret;
	}
	char line[64], back[64];
	for (int i = 0; i < 3; i++) {
		int len = snprintf(line, sizeof(line), "hello %d from %p\n", i, (void *)&line);
		ringo_stream_write(s, line, (size_t)len);
		ssize_t n = ringo_stream_readline(s, back, sizeof(back));
		for (int k = 0; k < len; k++)
			line[k] = (char)toupper((unsigned char)line[k]);
		if (n != len || memcmp(back, line, (size_t)len) != 0)
			sh->errors++;
	}
	/* The handler sees the end, returns, and the server closes. */
	ringo_stream_write_eof(s);
	if (ringo_stream_read(s, back, sizeof(back)) != 0)
		sh->errors++;
	ringo_stream_destroy(s);
	return 0;
}

static intptr_t many_clients(void *arg)
{
	struct shared *sh = arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server(sh->host, 0, upper, sh, NULL, &srv), 0);
	sh->port = ringo_server_port(srv);
	if (sh->host[0] != '/')
		assert_true(sh->port > 0);
	ringo_task *t[CLIENTS];
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(ringo_task_create(client, sh, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, CLIENTS, NULL, 0), 0);
	for (int i = 0; i < CLIENTS; i++)
		ringo_task_unref(t[i]);
	assert_int_equal(ringo_server_close(srv, false), 0);
	assert_int_equal(sh->errors, 0);
	assert_int_equal(sh->handled, CLIENTS);
	assert_int_equal(sh->cancelled, 0);
	return 0;
}

static void test_many_clients(void **state)
{
	(void)state;
	struct shared sh = { .host = "127.0.0.1" };
	assert_int_equal(harness_run(many_clients, &sh), 0);
}

static void test_ipv6_and_unix(void **state)
{
	(void)state;
	struct shared sh = { .host = "::1" };
	assert_int_equal(harness_run(many_clients, &sh), 0);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/ringo-test-server-%d.sock", (int)getpid());
	struct shared un = { .host = path };
	assert_int_equal(harness_run(many_clients, &un), 0);
	/* Closing the server removed its socket file. */
	assert_int_equal(access(path, F_OK), -1);
}

/* ---- closing with handlers running ---- */

struct idle {
	struct shared sh;
	ringo_stream *clients[8];
};

static intptr_t close_cancels(void *arg)
{
	struct idle *c = arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, &c->sh, NULL, &srv), 0);
	uint16_t port = ringo_server_port(srv);
	for (int i = 0; i < 8; i++)
		assert_int_equal(ringo_open_connection("127.0.0.1", port, NULL, RINGO_NO_DEADLINE, &c->clients[i]),
				 0);
	/* Every handler is running, waiting for a line. */
	assert_int_equal(ringo_stream_write(c->clients[0], "ping\n", 5), 0);
	char back[8];
	assert_int_equal(ringo_stream_readline(c->clients[0], back, sizeof(back)), 5);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_server_close(srv, true), 0);
	assert_true(ringo_time() - t0 < RINGO_SEC(2));
	assert_int_equal(c->sh.handled, 8);
	assert_int_equal(c->sh.cancelled, 8);
	/* The clients see their connections end; no new ones are taken. */
	for (int i = 0; i < 8; i++) {
		ssize_t n = ringo_stream_read(c->clients[i], back, sizeof(back));
		assert_true(n == 0 || n == -ECONNRESET);
		ringo_stream_destroy(c->clients[i]);
	}
	ringo_stream *late;
	assert_int_equal(ringo_open_connection("127.0.0.1", port, NULL, RINGO_NO_DEADLINE, &late), -ECONNREFUSED);
	return 0;
}

static void test_close_cancels_handlers(void **state)
{
	(void)state;
	struct idle c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(harness_run(close_cancels, &c), 0);
}

/* Without cancel_handlers, close waits for the handlers to end. */
static intptr_t finisher(void *arg)
{
	struct idle *c = arg;
	assert_int_equal(ringo_sleep(RINGO_MSEC(50)), 0);
	harness_log(&c->sh.log, "clients-done");
	for (int i = 0; i < 4; i++)
		assert_int_equal(ringo_stream_write_eof(c->clients[i]), 0);
	return 0;
}

static intptr_t close_waits(void *arg)
{
	struct idle *c = arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, &c->sh, NULL, &srv), 0);
	uint16_t port = ringo_server_port(srv);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ringo_open_connection("127.0.0.1", port, NULL, RINGO_NO_DEADLINE, &c->clients[i]),
				 0);
		/* A round trip: its handler is running. */
		char back[8];
		assert_int_equal(ringo_stream_write(c->clients[i], "x\n", 2), 0);
		assert_int_equal(ringo_stream_readline(c->clients[i], back, sizeof(back)), 2);
	}
	ringo_task *t;
	assert_int_equal(ringo_task_create(finisher, c, NULL, &t), 0);
	assert_int_equal(ringo_server_close(srv, false), 0);
	harness_log(&c->sh.log, "closed handled=%d", c->sh.handled);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	for (int i = 0; i < 4; i++)
		ringo_stream_destroy(c->clients[i]);
	assert_string_equal(c->sh.log.buf, "clients-done closed handled=4");
	assert_int_equal(c->sh.cancelled, 0);
	return 0;
}

static void test_close_waits_for_handlers(void **state)
{
	(void)state;
	struct idle c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(harness_run(close_waits, &c), 0);
}

/* Cancelling the task that closes cancels the handlers; close still
 * waits for them before it frees the server. */
static intptr_t closer(void *arg)
{
	return ringo_server_close(arg, false);
}

static intptr_t close_cancelled(void *arg)
{
	struct idle *c = arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, &c->sh, NULL, &srv), 0);
	uint16_t port = ringo_server_port(srv);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ringo_open_connection("127.0.0.1", port, NULL, RINGO_NO_DEADLINE, &c->clients[i]),
				 0);
		char back[8];
		assert_int_equal(ringo_stream_write(c->clients[i], "x\n", 2), 0);
		assert_int_equal(ringo_stream_readline(c->clients[i], back, sizeof(back)), 2);
	}
	ringo_task *t;
	assert_int_equal(ringo_task_create(closer, srv, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_false(ringo_task_done(t));
	ringo_task_cancel(t);
	/* close returned 0 with the cancellation still pending: the task
	 * ends cancelled, after every handler. */
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	assert_int_equal(c->sh.handled, 4);
	assert_int_equal(c->sh.cancelled, 4);
	for (int i = 0; i < 4; i++)
		ringo_stream_destroy(c->clients[i]);
	return 0;
}

static void test_cancel_the_closer(void **state)
{
	(void)state;
	struct idle c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(harness_run(close_cancelled, &c), 0);
}

/* ---- handler errors, output flushed after the handler ---- */

static intptr_t failing(ringo_stream *s, void *arg)
{
	(void)arg;
	/* Its reply is still delivered: the server flushes, then closes. */
	static char big[1 << 20];
	memset(big, 'r', sizeof(big));
	ringo_stream_write(s, big, sizeof(big));
	return -EIO;
}

static intptr_t handler_errors(void *arg)
{
	(void)arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, failing, NULL, NULL, &srv), 0);
	for (int i = 0; i < 3; i++) {
		ringo_stream *s;
		assert_int_equal(ringo_open_connection("127.0.0.1", ringo_server_port(srv), NULL,
						       RINGO_NO_DEADLINE, &s),
				 0);
		static char buf[65536];
		size_t total = 0;
		ssize_t n;
		while ((n = ringo_stream_read(s, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(total, 1 << 20);
		ringo_stream_destroy(s);
	}
	assert_int_equal(ringo_server_close(srv, false), 0);
	return 0;
}

static void test_handler_errors(void **state)
{
	(void)state;
	assert_int_equal(harness_run(handler_errors, NULL), 0);
}

/* ---- wait_closed ---- */

struct forever {
	ringo_server *srv;
	struct harness_log log;
};

static intptr_t serve_forever(void *arg)
{
	struct forever *f = arg;
	int ret = ringo_server_wait_closed(f->srv);
	harness_log(&f->log, "wait_closed=%d", ret);
	return ret;
}

static intptr_t wait_closed(void *arg)
{
	(void)arg;
	struct forever f;
	memset(&f, 0, sizeof(f));
	assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, NULL, NULL, &f.srv), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(serve_forever, &f, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_false(ringo_task_done(t));
	harness_log(&f.log, "close");
	assert_int_equal(ringo_server_close(f.srv, false), 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	assert_string_equal(f.log.buf, "close wait_closed=0");
	return 0;
}

static void test_wait_closed(void **state)
{
	(void)state;
	assert_int_equal(harness_run(wait_closed, NULL), 0);
}

/* Closed before its accept task has even started. */
static intptr_t close_at_once(void *arg)
{
	(void)arg;
	ringo_server *srv;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, NULL, NULL, &srv), 0);
		assert_int_equal(ringo_server_close(srv, i == 1), 0);
	}
	return 0;
}

static void test_close_at_once(void **state)
{
	(void)state;
	assert_int_equal(harness_run(close_at_once, NULL), 0);
}

/* A host name, resolved by getaddrinfo on the executor: this machine's
 * own name, when it resolves to the loopback (as /etc/hosts often says). */
static intptr_t by_name(void *arg)
{
	const char *name = arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, echo_once, NULL, NULL, &srv), 0);
	ringo_stream *s;
	assert_int_equal(ringo_open_connection(name, ringo_server_port(srv), NULL,
					       ringo_deadline_in(RINGO_SEC(5)), &s),
			 0);
	char buf[8];
	assert_int_equal(ringo_stream_write(s, "name\n", 5), 0);
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 5);
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	return 0;
}

static void test_host_name(void **state)
{
	(void)state;
	static char name[256];
	assert_int_equal(gethostname(name, sizeof(name) - 1), 0);
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		skip(); /* this machine's name does not resolve */
	bool loopback = ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr ==
			htonl(INADDR_LOOPBACK);
	freeaddrinfo(res);
	if (!loopback)
		skip(); /* it resolves, but not to 127.0.0.1, where the server is */
	assert_int_equal(harness_run(by_name, name), 0);
}

/* ---- errors ---- */

static intptr_t errors(void *arg)
{
	(void)arg;
	ringo_stream *s = NULL;
	/* Nobody listens on a port just freed. */
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, NULL, NULL, &srv), 0);
	uint16_t port = ringo_server_port(srv);
	/* The port is taken. */
	ringo_server *again;
	assert_int_equal(ringo_start_server("127.0.0.1", port, upper, NULL, NULL, &again),
			 -EADDRINUSE);
	assert_int_equal(ringo_server_close(srv, false), 0);
	assert_int_equal(ringo_open_connection("127.0.0.1", port, NULL, RINGO_NO_DEADLINE, &s), -ECONNREFUSED);
	/* An unknown name (or no resolver answering in time). */
	int ret = ringo_open_connection("no.such.host.invalid", 80, NULL,
					ringo_deadline_in(RINGO_SEC(5)), &s);
	assert_true(ret == -ENOENT || ret == -EAGAIN || ret == -ETIMEDOUT);
	assert_int_equal(ringo_open_connection("127.0.0.1", 1, NULL, RINGO_NO_DEADLINE, NULL), -EINVAL);
	assert_int_equal(ringo_start_server("127.0.0.1", 0, NULL, NULL, NULL, &srv), -EINVAL);
	assert_null(s);
	return 0;
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(harness_run(errors, NULL), 0);
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, upper, NULL, NULL, &srv), -EPERM);
	assert_int_equal(ringo_server_port(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_clients),
		cmocka_unit_test(test_ipv6_and_unix),
		cmocka_unit_test(test_close_cancels_handlers),
		cmocka_unit_test(test_close_waits_for_handlers),
		cmocka_unit_test(test_cancel_the_closer),
		cmocka_unit_test(test_handler_errors),
		cmocka_unit_test(test_wait_closed),
		cmocka_unit_test(test_close_at_once),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

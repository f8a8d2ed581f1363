/* SPDX-License-Identifier: MIT */
/* A key-value server that speaks the Redis protocol (RESP2), on ringo's
 * streams: one task per connection, one task expiring keys on time.
 *
 *	kv_server [--host H] [--port N] [--max-connections N]
 *			(default 127.0.0.1:6380, 10000; port 0 picks one)
 *
 * Over --max-connections at once, a new connection gets redis's "-ERR max
 * number of clients reached" and is closed.
 * The commands (kv/command.h) are those redis-cli and redis-benchmark
 * need, with redis 7's replies byte for byte; the protocol parser is
 * kv/resp.h and the store kv/store.h. This file is the server: connections
 * and the expiry task.
 *
 * Requests are parsed in place in the stream's buffer (peek, consume): a
 * command's arguments point into it, and a command that has not fully
 * arrived is resumed where its parse stopped once more bytes come (fill).
 * Every complete command in the buffer is answered before the replies of
 * the batch are handed to the stream in one write and drained once, which
 * is what makes pipelining cheap. A malformed or oversized request gets
 * "-ERR Protocol error: ..." and its connection is closed; an unknown
 * command gets redis's error and the connection stays usable.
 *
 * Keys expire on time: lazily, when a command touches an expired key, and
 * actively, by a task that sleeps until the earliest deadline of a heap of
 * deadlines (as `async with timeout_at(next): await wake.wait()`; a new key
 * that expires sooner wakes it).
 *
 * Prints "listening on HOST:PORT" once ready; SIGINT or SIGTERM closes the
 * server, cancels the connections' tasks and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringo.h>

#include "conn_limit.h"
#include "kv/command.h"
#include "kv/resp.h"

#define OUT_FLUSH (64u << 10)        /* replies past which a batch is drained */

static struct kv_store db;

/* ------------------------------------------------------------------------
 * Expiry
 * ------------------------------------------------------------------------ */

static void wake_expiry(void *arg)
{
	ringo_event_set(arg);
}

/* The active expiry task: deletes keys whose deadline has passed (a bounded
 * number per turn, so clients are not kept waiting), then waits until the
 * next deadline or until a sooner one is set. */
static intptr_t expire_keys(void *arg)
{
	ringo_event *wake = arg;
	for (;;) {
		int r;
		if (kv_store_expire_due(&db, kv_now_ms(), 1000)) {
			r = ringo_sleep(0);
		} else {
			db.wake_ms = kv_store_next_deadline(&db);
			ringo_event_clear(wake);
			if (db.wake_ms && db.wake_ms < INT64_MAX / 1000000) {
				ringo_timeout *to;
				r = ringo_timeout_enter_at(&to, db.wake_ms * 1000000);
				if (r < 0)
					return r;
				r = (int)ringo_timeout_exit(to, ringo_event_wait(wake));
				ringo_timeout_destroy(to);
				if (r == -ETIMEDOUT)
					r = 0;
			} else {
				r = ringo_event_wait(wake);
			}
		}
		if (r < 0)
			return r; /* cancelled: the server is shutting down */
	}
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

static int to_stream(void *arg, const void *p, size_t n)
{
	return ringo_stream_write(arg, p, n);
}

/* Serves one connection: answers every complete command buffered, hands
 * the batch's replies to the stream, drains once, waits for more. When it
 * returns, the server sends what is still buffered and closes the stream. A batch
 * whose replies grow large (many GETs of big values, say) is cut short and
 * drained before the rest is answered, so a client that does not read
 * cannot make the server buffer without bound. */
static intptr_t serve_conn(ringo_stream *s)
{
	struct kv_out out = {.sink = to_stream, .sink_arg = s};
	struct kv_ctx c = {.store = &db, .out = &out};
	struct kv_request q = {0};
	kv_request_reset(&q);
	intptr_t ret = 0;
	for (;;) {
		const void *data;
		size_t n = ringo_stream_peek(s, &data);
		size_t used = 0;
		bool full = false;
		while (used < n && !c.quit && !full) {
			enum kv_parse_result r =
				kv_parse_request(&q, (const char *)data + used, n - used);
			if (r == KV_PARSE_MORE)
				break;
			if (r == KV_PARSE_ERROR) {
				kv_out_error(&out, "ERR Protocol error: %s", q.err);
				c.quit = true;
				break;
			}
			kv_execute(&c, q.argv, q.argc);
			used += q.pos;
			kv_request_reset(&q);
			full = out.len + out.handed >= OUT_FLUSH;
		}
		/* data is valid only until the stream next suspends */
		ringo_stream_consume(s, used);
		size_t seen = n - used; /* buffered, and parsed as far as it goes */
		kv_out_flush(&out);
		if (out.err) {
			ret = out.err;
			break;
		}
		if (c.quit)
			break; /* the server sends what is buffered, then closes */
		ret = ringo_stream_drain(s);
		if (ret < 0)
			break;
		out.handed = 0;
		/* The rest of the batch, already buffered, or bytes that came
		 * while the drain waited: fill would wait for more than those. */
		if (full || ringo_stream_peek(s, NULL) > seen)
			continue;
		ret = ringo_stream_fill(s);
		if (ret <= 0)
			break; /* the peer is done, the stream failed, or shutdown */
	}
	kv_request_free(&q);
	kv_out_free(&out);
	return ret < 0 ? ret : 0;
}

/* A connection's task: within the limit, served; over it, redis's error
 * and closed. */
static intptr_t serve(ringo_stream *s, void *arg)
{
	struct conn_limit *limit = arg;
	if (!conn_limit_enter(limit)) {
		static const char busy[] = "-ERR max number of clients reached\r\n";
		ringo_stream_write(s, busy, sizeof(busy) - 1);
		ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(1)));
		return 0;
	}
	intptr_t ret = serve_conn(s);
	conn_limit_leave(limit);
	return ret;
}

/* ------------------------------------------------------------------------
 * main: the server until SIGINT or SIGTERM
 * ------------------------------------------------------------------------ */

struct config {
	const char *host;
	uint16_t port;
	struct conn_limit limit;
};

static void signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

static intptr_t run_server(void *arg)
{
	struct config *cfg = arg;
	ringo_event *wake;
	int r = ringo_event_create(&wake);
	if (r < 0)
		return r;
	db.wake = wake_expiry;
	db.wake_arg = wake;
	r = kv_store_init(&db);
	if (r < 0)
		goto free_event;
	ringo_task *expiry;
	r = ringo_task_create(expire_keys, wake, NULL, &expiry);
	if (r < 0)
		goto free_store;
	ringo_server *srv;
	r = ringo_start_server(cfg->host, cfg->port, serve, &cfg->limit, NULL, &srv);
	if (r < 0) {
		fprintf(stderr, "kv_server: cannot listen on %s:%u: %s\n", cfg->host,
			cfg->port, strerror(-r));
	} else {
		printf("listening on %s:%u\n", cfg->host, ringo_server_port(srv));
		fflush(stdout);
		sigset_t set;
		signals(&set);
		r = ringo_signal_wait(&set, RINGO_NO_DEADLINE);
		if (r > 0) {
			printf("%s: closing\n", r == SIGINT ? "SIGINT" : "SIGTERM");
			fflush(stdout);
			r = 0;
		}
		ringo_server_close(srv, true);
	}
	ringo_task_cancel(expiry);
	ringo_task_await(expiry);
	ringo_task_unref(expiry);
free_store:
	kv_store_free(&db);
free_event:
	ringo_event_destroy(wake);
	return r;
}

static int usage(void)
{
	fprintf(stderr, "usage: kv_server [--host H] [--port N] [--max-connections N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct config cfg = {.host = "127.0.0.1", .port = 6380};
	size_t max_conns = CONN_LIMIT_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--host") == 0) {
			cfg.host = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*end || p < 0 || p > 65535)
				return usage();
			cfg.port = (uint16_t)p;
		} else if (i + 1 < argc && strcmp(argv[i], "--max-connections") == 0) {
			if (!conn_limit_parse(argv[++i], &max_conns))
				return usage();
		} else {
			return usage();
		}
	}
	conn_limit_init(&cfg.limit, max_conns, "kv_server");
	/* Blocked from the start, so that one sent as soon as the server says
	 * it listens is not lost: ringo_signal_wait takes it. */
	sigset_t set;
	signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	intptr_t result;
	int r = ringo_run(run_server, &cfg, &result);
	return r == 0 && result == 0 ? 0 : 1;
}

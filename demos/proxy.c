/* SPDX-License-Identifier: MIT */
/* A TCP proxy: every connection accepted is joined to a new connection to
 * the upstream, and bytes are copied both ways (ringo_stream_copy) until
 * both sides are done.
 *
 *   proxy --upstream HOST:PORT [--host H] [--port N] [--idle-timeout SECONDS]
 *         [--max-connections N] [--threads N]
 *   (default 127.0.0.1:8890, idle 300 s, 1024 connections, 1 loop)
 *
 * Prints "listening on HOST:PORT" once it accepts (--port 0 picks a free
 * port). A side that ends its sending is passed on as a half close
 * (write_eof), so request/response protocols that close one way work; a
 * connection that moves no byte either way for --idle-timeout seconds (0:
 * never) is closed; connections over --max-connections are closed at once
 * (each takes up to 6 fds: its two sockets and a pipe for each direction
 * while it splices).
 * --threads N runs N loops on one port (0: one per CPU; demos/shards.h),
 * the connection limit counting all of them together.
 * SIGINT or SIGTERM closes every connection and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringo.h>

#include "conn_limit.h"
#include "shards.h"

struct config {
	const char *host;
	uint16_t port;
	char up_host[256];
	uint16_t up_port;
	double idle;
	struct conn_limit limit;
	sigset_t signals;
	ringo_stream_opts stream;
	struct shards sh;
};

/* One direction: copies until from's end, then passes the end on. If it
 * fails (a reset, the idle timeout), the other direction is cancelled. */
struct half {
	ringo_stream *from, *to;
	ringo_task *other;
};

static intptr_t pass(void *arg)
{
	struct half *h = arg;
	ssize_t n = ringo_stream_copy(h->from, h->to, 0, RINGO_NO_DEADLINE, NULL);
	int ret = n < 0 ? (int)n : ringo_stream_write_eof(h->to);
	if (ret < 0 && h->other)
		ringo_task_cancel(h->other);
	return ret < 0 ? ret : 0;
}

static intptr_t serve(ringo_stream *client, void *arg)
{
	struct config *cfg = arg;
	if (!conn_limit_enter(&cfg->limit))
		return 0; /* over the limit: the server closes it */
	ringo_stream *up;
	int ret = ringo_open_connection(cfg->up_host, cfg->up_port, &cfg->stream,
					ringo_deadline_in(RINGO_SEC(10)), &up);
	if (ret < 0) {
		conn_limit_leave(&cfg->limit);
		return ret;
	}
	/* upstream -> client on a task of its own, client -> upstream here */
	struct half down = { up, client, ringo_task_current() }, upward = { client, up, NULL };
	ringo_task *t;
	ret = ringo_task_create(pass, &down, NULL, &t);
	if (ret == 0) {
		upward.other = t;
		intptr_t mine = pass(&upward);
		intptr_t theirs = ringo_task_await(t);
		if (theirs == -ECANCELED && !ringo_task_done(t)) {
			/* We were cancelled while waiting: so is t; its end. */
			theirs = ringo_task_await(t);
		}
		ringo_task_unref(t);
		ret = (int)(mine < 0 ? mine : theirs);
	}
	if (ret < 0)
		ringo_stream_destroy(up); /* aborted: nothing more to send */
	else if (ringo_stream_wait_closed(up) != -ESHUTDOWN)
		ringo_stream_destroy(up);
	conn_limit_leave(&cfg->limit);
	return ret;
}

static intptr_t run(void *arg)
{
	struct config *cfg = arg;
	ringo_server *srv;
	int ret = shards_start_server(&cfg->sh, serve, cfg, &srv);
	if (ret < 0)
		return ret;
	int sig = shards_wait(&cfg->sh, &cfg->signals);
	/* Close: stop accepting, cancel the handlers, wait for them. */
	ringo_server_close(srv, true);
	return sig >= 0 ? 0 : -EIO;  /* loops other than 0 get 0 */
}

static bool parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long p = strtoul(s, &end, 10);
	if (*s == '\0' || *end || p > 65535)
		return false;
	*out = (uint16_t)p;
	return true;
}

/* HOST:PORT, the host possibly in brackets ([::1]:80). */
static bool parse_upstream(const char *s, struct config *cfg)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !parse_port(colon + 1, &cfg->up_port) || cfg->up_port == 0)
		return false;
	const char *h = s;
	size_t len = (size_t)(colon - s);
	if (h[0] == '[' && len >= 2 && h[len - 1] == ']') {
		h++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(cfg->up_host))
		return false;
	memcpy(cfg->up_host, h, len);
	cfg->up_host[len] = '\0';
	return true;
}

int main(int argc, char **argv)
{
	static struct config cfg = { .host = "127.0.0.1", .port = 8890, .idle = 300 };
	size_t max_conns = 1024;
	unsigned threads = 1;
	bool have_upstream = false;
	for (int i = 1; i < argc; i++) {
		char *end;
		if (!strcmp(argv[i], "--host") && i + 1 < argc) {
			cfg.host = argv[++i];
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			if (!parse_port(argv[++i], &cfg.port))
				goto usage;
		} else if (!strcmp(argv[i], "--upstream") && i + 1 < argc) {
			if (!parse_upstream(argv[++i], &cfg))
				goto usage;
			have_upstream = true;
		} else if (!strcmp(argv[i], "--idle-timeout") && i + 1 < argc) {
			cfg.idle = strtod(argv[++i], &end);
			if (*end || !(cfg.idle >= 0 && cfg.idle < 1e9))
				goto usage;
		} else if (!strcmp(argv[i], "--max-connections") && i + 1 < argc) {
			if (!conn_limit_parse(argv[++i], &max_conns))
				goto usage;
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			if (!shards_parse(argv[++i], &threads))
				goto usage;
		} else {
			goto usage;
		}
	}
	if (!have_upstream)
		goto usage;
	cfg.stream.idle_timeout = (int64_t)(cfg.idle * 1e9);
	/* Room for 6 fds a connection; the limit is what that allows. */
	cfg.limit.max = conn_limit_init(&cfg.limit, 6 * max_conns, "proxy") / 6;
	if (cfg.limit.max == 0)
		cfg.limit.max = 1;
	/* Blocked from the start, so that one arriving before the wait is not
	 * lost (nor kills us); ringo_signal_wait reads them from a signalfd. */
	sigemptyset(&cfg.signals);
	sigaddset(&cfg.signals, SIGINT);
	sigaddset(&cfg.signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &cfg.signals, NULL);
	cfg.sh = (struct shards){ .prog = "proxy", .host = cfg.host, .port = cfg.port,
				  .n = threads, .stream = &cfg.stream };
	if (shards_bind(&cfg.sh) < 0)
		return 1;
	return shards_run(&cfg.sh, run, &cfg);

usage:
	fprintf(stderr,
		"usage: %s --upstream HOST:PORT [--host H] [--port N] [--idle-timeout SECONDS] "
		"[--max-connections N] [--threads N]\n",
		argv[0]);
	return 2;
}

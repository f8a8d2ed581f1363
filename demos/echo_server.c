/* SPDX-License-Identifier: MIT */
/* An echo server: asyncio's start_server with a handler that writes back
 * what it reads.
 *
 *   echo_server [--host H] [--port N] [--max-connections N] [--threads N]
 *               [--idle-timeout SECONDS]	(default 127.0.0.1:8888, 10000, 1, none)
 *
 * A connection over --max-connections at once (all loops together) is closed at once;
 * one that moved no byte for --idle-timeout seconds is closed.
 * --threads N runs N loops on one port (0: one per CPU; demos/shards.h).
 * Prints "listening on HOST:PORT" once it accepts (--port 0 picks a free
 * port, and the line says which). SIGINT or SIGTERM closes every
 * connection and exits 0. */
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
	sigset_t signals;
	struct conn_limit limit;
	struct shards sh;
	ringo_stream_opts stream;
};

/* One connection: echo until the client is done. asyncio's version is
 * data = await reader.read(n); writer.write(data); await writer.drain();
 * ringo_stream_copy from the stream to itself does that without bringing
 * the bytes up to user space (splice through a pipe) where it can. */
static intptr_t echo_conn(ringo_stream *s)
{
	ssize_t n = ringo_stream_copy(s, s, 0, RINGO_NO_DEADLINE, NULL);
	return n < 0 ? n : 0; /* the client closed; or its error */
}

/* A connection's task: within the limit, served; over it, closed at once. */
static intptr_t echo(ringo_stream *s, void *arg)
{
	struct conn_limit *limit = arg;
	if (!conn_limit_enter(limit))
		return 0;
	intptr_t ret = echo_conn(s);
	conn_limit_leave(limit);
	return ret;
}

static intptr_t serve(void *arg)
{
	struct config *cfg = arg;
	ringo_server *srv;
	int ret = shards_start_server(&cfg->sh, echo, &cfg->limit, &srv);
	if (ret < 0)
		return ret;
	int sig = shards_wait(&cfg->sh, &cfg->signals);
	/* Close: stop accepting, cancel the handlers, wait for them. */
	ringo_server_close(srv, true);
	return sig >= 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	struct config cfg = { .host = "127.0.0.1", .port = 8888 };
	size_t max_conns = CONN_LIMIT_DEFAULT;
	unsigned threads = 1;
	const char *tls_cert = NULL, *tls_key = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tls-cert") && i + 1 < argc) {
			tls_cert = argv[++i];
		} else if (!strcmp(argv[i], "--tls-key") && i + 1 < argc) {
			tls_key = argv[++i];
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			if (!shards_parse(argv[++i], &threads))
				goto usage;
		} else if (!strcmp(argv[i], "--host") && i + 1 < argc) {
			cfg.host = argv[++i];
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			char *end;
			unsigned long p = strtoul(argv[++i], &end, 10);
			if (*end || p > 65535)
				goto usage;
			cfg.port = (uint16_t)p;
		} else if (!strcmp(argv[i], "--max-connections") && i + 1 < argc) {
			if (!conn_limit_parse(argv[++i], &max_conns))
				goto usage;
		} else if (!strcmp(argv[i], "--idle-timeout") && i + 1 < argc) {
			char *end;
			double idle = strtod(argv[++i], &end);
			if (*end || !(idle >= 0 && idle < 1e9))
				goto usage;
			cfg.stream.idle_timeout = (int64_t)(idle * 1e9);
		} else {
			goto usage;
		}
	}
	if (!tls_cert != !tls_key)
		goto usage;
	conn_limit_init(&cfg.limit, max_conns, "echo_server");
	ringo_tls_context *tls = NULL;
	if (tls_cert) {
		/* One context for every loop (OpenSSL contexts are thread-safe). */
		ringo_tls_opts t = { .server = true, .cert_file = tls_cert, .key_file = tls_key };
		int ret = ringo_tls_context_create(&t, &tls);
		if (ret < 0) {
			fprintf(stderr, "echo_server: TLS: %s\n", strerror(-ret));
			return 1;
		}
	}

	/* Blocked from the start, so that one arriving before the wait is not
	 * lost (nor kills us); ringo_signal_wait reads them from a signalfd. */
	sigemptyset(&cfg.signals);
	sigaddset(&cfg.signals, SIGINT);
	sigaddset(&cfg.signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &cfg.signals, NULL);
	cfg.sh = (struct shards){ .prog = "echo_server", .host = cfg.host, .port = cfg.port,
				  .n = threads, .tls = tls, .stream = &cfg.stream };
	if (shards_bind(&cfg.sh) < 0)
		return 1;
	int rc = shards_run(&cfg.sh, serve, &cfg);
	ringo_tls_context_unref(tls);
	return rc;

usage:
	fprintf(stderr,
		"usage: %s [--host H] [--port N] [--max-connections N] [--threads N]\n"
		"       [--tls-cert CERT.pem --tls-key KEY.pem] [--idle-timeout SECONDS]\n",
		argv[0]);
	return 2;
}

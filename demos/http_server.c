/* SPDX-License-Identifier: MIT */
/* An HTTP/1.1 server: keep-alive, pipelining, `GET /` answers
 * "Hello, World!".
 *
 *	http_server [--host H] [--port N]
 *
 * One task per connection (ringo_start_server). Each task parses the
 * requests already in its stream's buffer in place (ringo_stream_peek),
 * answers every complete one into the stream's output buffer, and only then
 * waits: for the replies to drain and for more bytes. A pipelined batch is
 * therefore answered with one send. Request bodies announced by
 * Content-Length are read and discarded; a malformed request, one whose
 * head exceeds 8 KiB, or a chunked body gets 400 and the connection is
 * closed. SIGINT or SIGTERM closes the server, cancels the connections and
 * exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringo.h>

#include "http/parse.h"

static const char hello[] = "Hello, World!";

/* ---- the Date header, formatted once per second ---- */

static char date_line[64];
static time_t date_when;

/* The answer to `GET /` with keep-alive, the common case, is built once
 * per second, when its Date changes. */
static char hello_reply[256];
static size_t hello_reply_len;

static void fill(char *buf, size_t cap, size_t *len, const char *status, const char *body,
		 bool head_only, bool keep_alive);

static const char *http_date(void)
{
	time_t now = time(NULL);
	if (now != date_when) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(date_line, sizeof(date_line), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		date_when = now;
		fill(hello_reply, sizeof(hello_reply), &hello_reply_len, "200 OK", hello, false,
		     true);
	}
	return date_line;
}

/* ---- answering ---- */

static void fill(char *buf, size_t cap, size_t *len, const char *status, const char *body,
		 bool head_only, bool keep_alive)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 %s\r\n"
			 "Server: ringo\r\n"
			 "%s"
			 "Content-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n"
			 "%s"
			 "\r\n"
			 "%s",
			 status, date_line, strlen(body),
			 keep_alive ? "" : "Connection: close\r\n", head_only ? "" : body);
	*len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static int respond(ringo_stream *s, const char *status, const char *body, bool head_only,
		   bool keep_alive)
{
	char reply[512];
	size_t len;
	http_date();
	fill(reply, sizeof(reply), &len, status, body, head_only, keep_alive);
	return ringo_stream_write(s, reply, len);
}

static void write_hello(ringo_stream *s)
{
	http_date(); /* rebuilds hello_reply when the second has changed */
	ringo_stream_write(s, hello_reply, hello_reply_len);
}

static intptr_t serve(ringo_stream *s, void *arg)
{
	(void)arg;
	size_t skip = 0;   /* body bytes still to discard */
	for (;;) {
		/* Answer every complete request that is buffered. */
		bool close_after = false;
		for (;;) {
			const void *data;
			size_t len = ringo_stream_peek(s, &data);
			if (skip) {
				size_t n = len < skip ? len : skip;
				ringo_stream_consume(s, n);
				skip -= n;
				if (skip)
					break;
				len = ringo_stream_peek(s, &data);
			}
			if (len == 0)
				break;
			struct http_request rq;
			enum http_parse_result r = http_parse_request(data, len, &rq);
			if (r == HTTP_PARSE_MORE)
				break;
			if (r == HTTP_PARSE_BAD) {
				respond(s, "400 Bad Request", "Bad Request", false, false);
				close_after = true;
				break;
			}
			ringo_stream_consume(s, rq.head_len);
			skip = rq.body_len;
			if (!rq.is_get)
				respond(s, "405 Method Not Allowed", "Method Not Allowed", false,
					rq.keep_alive);
			else if (!rq.root)
				respond(s, "404 Not Found", "Not Found", rq.head_only, rq.keep_alive);
			else if (rq.head_only || !rq.keep_alive)
				respond(s, "200 OK", hello, rq.head_only, rq.keep_alive);
			else
				write_hello(s);
			if (!rq.keep_alive) {
				close_after = true;
				break;
			}
		}
		int ret = ringo_stream_drain(s);
		if (ret < 0 || close_after)
			return ret < 0 ? ret : 0;
		ssize_t more = ringo_stream_fill(s);
		if (more <= 0)
			return more; /* the client closed (0) or failed */
	}
}

/* ---- main ---- */

struct config {
	const char *host;
	uint16_t port;
};

static intptr_t main_task(void *arg)
{
	struct config *cfg = arg;
	ringo_server *srv;
	int ret = ringo_start_server(cfg->host, cfg->port, serve, NULL, NULL, &srv);
	if (ret < 0) {
		fprintf(stderr, "http_server: cannot listen on %s:%u: %s\n", cfg->host,
			cfg->port, strerror(-ret));
		return ret;
	}
	printf("listening on %s:%u\n", cfg->host, ringo_server_port(srv));
	fflush(stdout);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	ret = ringo_signal_wait(&stop, RINGO_NO_DEADLINE);
	if (ret > 0) {
		printf("%s: closing\n", ret == SIGINT ? "SIGINT" : "SIGTERM");
		fflush(stdout);
	}
	ringo_server_close(srv, true);
	return ret < 0 ? ret : 0;
}

static void usage(void)
{
	fputs("usage: http_server [--host HOST] [--port PORT]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct config cfg = { "127.0.0.1", 8080 };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
			cfg.host = argv[++i];
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*end || p < 0 || p > 65535)
				usage();
			cfg.port = (uint16_t)p;
		} else {
			usage();
		}
	}
	/* Blocked from the start, so that a signal sent at any moment, even
	 * before the wait for it, is taken by ringo_signal_wait (pending until
	 * then) rather than kill us with its default disposition. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	intptr_t result;
	int ret = ringo_run(main_task, &cfg, &result);
	if (ret < 0)
		return 1;
	return result < 0 ? 1 : 0;
}

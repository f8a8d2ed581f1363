/* SPDX-License-Identifier: MIT */
/* An HTTP/1.1 server: keep-alive, pipelining, `GET /` answers
 * "Hello, World!".
 *
 *	http_server [--host H] [--port N] [--header-timeout SEC] [--idle-timeout SEC]
 *	            [--max-connections N] [--root DIR] [--threads N]
 *
 * --threads N runs N loops on one port (0: one per CPU; demos/shards.h),
 * --max-connections counting all of them together. With --tls-cert and --tls-key it
 * serves HTTPS (ALPN http/1.1, the handshake bounded by --header-timeout;
 * --root files are then read and encrypted instead of spliced).
 *
 * One task per connection (ringo_start_server). Each task parses the
 * requests already in its stream's buffer in place (ringo_stream_peek),
 * answers every complete one into the stream's output buffer, and only then
 * waits: for the replies to drain and for more bytes. A pipelined batch is
 * therefore answered with one send. Request bodies announced by
 * Content-Length are read and discarded; a malformed request, one whose
 * head exceeds 8 KiB, or a chunked body gets 400 and the connection is
 * closed. A request head must arrive within --header-timeout seconds
 * (default 10) of its first byte, or of the accept for the first request
 * (408 and closed); a connection that waits for the next request, for a
 * body's bytes or for the client to read longer than --idle-timeout
 * (default 60) is closed. Over --max-connections (default 10000) at once,
 * a new connection gets 503 and is closed. With --root DIR, GET and HEAD
 * serve the files under DIR instead (a directory: its index.html), each
 * sent by ringo_stream_sendfile (splice, zero-copy) with its
 * Content-Length; 404 for what is not there, 403 for what is not a regular
 * file or lies outside DIR (opened with openat2 RESOLVE_BENEATH, so a
 * symlink cannot lead out), 400 for a target with a "." or ".." segment,
 * encoded (%2e%2e) or not. SIGINT or SIGTERM closes the
 * server, cancels the connections and exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ringo.h>

#include "conn_limit.h"
#include "shards.h"
#include "http/parse.h"
#include "http/path.h"

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

/* The server's settings and its connection count. */
struct server {
	int64_t header_ns;      /* a request head must arrive within this */
	int64_t idle_ns;        /* a kept-alive connection may wait this long */
	struct conn_limit limit;  /* all loops together */
	int root_fd;            /* --root: the directory served, or -1 */
};

/* ---- static files (--root) ---- */

static const char *content_type(const char *path)
{
	static const char *const types[][2] = {
		{ ".html", "text/html" }, { ".txt", "text/plain" }, { ".css", "text/css" },
		{ ".js", "text/javascript" }, { ".json", "application/json" },
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* Opens path beneath dirfd without following anything out of it (openat2
 * RESOLVE_BENEATH, IORING_OP_OPENAT2): "..", absolute symlinks and
 * symlinks that climb out fail with -EXDEV. */
static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return ringo_openat2(dirfd, path, &how, RINGO_NO_DEADLINE);
}

/* Answers GET or HEAD for the file at path (decoded, relative to the
 * root; a directory serves its index.html). Returns 0, or a negative errno
 * that ends the connection (the file could not be sent whole). */
static int serve_file(ringo_stream *s, const struct server *srv, const char *path,
		      bool head_only, bool keep_alive)
{
	int fd = open_beneath(srv->root_fd, *path ? path : ".");
	struct statx st;
	int ret = fd;
	if (fd >= 0) {
		ret = ringo_statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &st,
				  RINGO_NO_DEADLINE);
		if (ret == 0 && S_ISDIR(st.stx_mode)) {
			int dir = fd;
			fd = ret = open_beneath(dir, "index.html");
			ringo_close(dir, RINGO_NO_DEADLINE);
			if (fd >= 0)
				ret = ringo_statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE,
						  &st, RINGO_NO_DEADLINE);
			path = "index.html";
		}
		if (ret == 0 && !S_ISREG(st.stx_mode))
			ret = -EACCES;
	}
	if (ret < 0) {
		if (fd >= 0)
			ringo_close(fd, RINGO_NO_DEADLINE);
		if (ret == -ENOENT || ret == -ENOTDIR)
			return respond(s, "404 Not Found", "Not Found", head_only, keep_alive);
		if (ret == -EXDEV || ret == -ELOOP || ret == -EACCES || ret == -EPERM)
			return respond(s, "403 Forbidden", "Forbidden", head_only, keep_alive);
		return respond(s, "500 Internal Server Error", "Internal Server Error", head_only,
			       keep_alive);
	}
	/* Reads wait in the kernel: the file's O_NONBLOCK must go. */
	fcntl(fd, F_SETFL, 0);
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\n"
			 "Server: ringo\r\n"
			 "%s"
			 "Content-Type: %s\r\n"
			 "Content-Length: %llu\r\n"
			 "%s"
			 "\r\n",
			 http_date(), content_type(path), (unsigned long long)st.stx_size,
			 keep_alive ? "" : "Connection: close\r\n");
	ret = ringo_stream_write(s, head, (size_t)n);
	if (ret == 0 && !head_only && st.stx_size > 0) {
		/* The file goes by splice, the idle deadline bounding it all. */
		ringo_stream_set_deadline(s, ringo_deadline_in(srv->idle_ns));
		ssize_t sent = ringo_stream_sendfile(s, fd, 0, (size_t)st.stx_size, NULL);
		if (sent >= 0 && (uint64_t)sent != st.stx_size)
			sent = -EIO; /* the file shrank: the length we promised is wrong */
		ret = sent < 0 ? (int)sent : 0;
	}
	ringo_close(fd, RINGO_NO_DEADLINE);
	return ret;
}

/* Serves one connection. Deadlines: a request's head must have fully
 * arrived header_ns after its first byte (the first request's: after the
 * accept), or the client gets 408 (if it sent part of one) and is closed;
 * between requests, while a
 * body arrives and while replies drain, the connection may wait idle_ns
 * for progress before it is closed. */
static intptr_t serve_conn(ringo_stream *s, const struct server *srv)
{
	size_t skip = 0;                   /* body bytes still to discard */
	int64_t head_since = ringo_time(); /* when the awaited head began; 0: none yet */
	for (;;) {
		/* Answer every complete request that is buffered. */
		bool close_after = false;
		size_t len;
		for (;;) {
			const void *data;
			len = ringo_stream_peek(s, &data);
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
			char path[HTTP_HEAD_MAX];
			int plen = -2;
			if (srv->root_fd >= 0 && rq.is_get)
				plen = http_path_decode((const char *)data + rq.target_off,
							rq.target_len, path, sizeof(path));
			ringo_stream_consume(s, rq.head_len);
			head_since = 0;
			skip = rq.body_len;
			if (plen == -1) {
				respond(s, "400 Bad Request", "Bad Request", false, false);
				close_after = true;
				break;
			}
			if (plen >= 0) {
				int ret = serve_file(s, srv, path, rq.head_only, rq.keep_alive);
				if (ret < 0)
					return ret;
			} else if (!rq.is_get)
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
		ringo_stream_set_deadline(s, ringo_deadline_in(srv->idle_ns));
		int ret = ringo_stream_drain(s);
		if (ret < 0 || close_after)
			return ret < 0 ? ret : 0;
		bool in_head = !skip && (len > 0 || head_since);
		if (in_head) {
			if (!head_since)
				head_since = ringo_time();
			ringo_stream_set_deadline(s, ringo_deadline_at(head_since + srv->header_ns));
		} else {
			ringo_stream_set_deadline(s, ringo_deadline_in(srv->idle_ns));
		}
		/* Waits for bytes past those peeked: bytes that came while
		 * the drain waited count, it returns at once for them. */
		ssize_t more = ringo_stream_fill(s);
		if (more == -ETIMEDOUT && in_head && len > 0) {
			respond(s, "408 Request Timeout", "Request Timeout", false, false);
			/* the server sends it as it closes, within this */
			ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(1)));
			return 0;
		}
		if (more <= 0)
			return more == -ETIMEDOUT ? 0 : more; /* idle, closed (0) or failed */
	}
}

/* A connection's task: within the limit, served; over it, 503 and closed. */
static intptr_t serve(ringo_stream *s, void *arg)
{
	struct server *srv = arg;
	if (!conn_limit_enter(&srv->limit)) {
		respond(s, "503 Service Unavailable", "Service Unavailable", false, false);
		ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(1)));
		return 0;
	}
	intptr_t ret = serve_conn(s, srv);
	conn_limit_leave(&srv->limit);
	return ret;
}

/* ---- main ---- */

struct config {
	const char *host;
	uint16_t port;
	struct server srv;
	struct shards sh;
};

static intptr_t main_task(void *arg)
{
	struct config *cfg = arg;
	ringo_server *srv;
	int ret = shards_start_server(&cfg->sh, serve, &cfg->srv, &srv);
	if (ret < 0)
		return ret;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	ret = shards_wait(&cfg->sh, &stop);
	if (ret > 0) {
		printf("%s: closing\n", ret == SIGINT ? "SIGINT" : "SIGTERM");
		fflush(stdout);
	}
	ringo_server_close(srv, true);
	return ret < 0 ? ret : 0;
}

static void usage(void)
{
	fputs("usage: http_server [--host HOST] [--port PORT] [--header-timeout SEC]\n"
	      "                   [--idle-timeout SEC] [--max-connections N] [--root DIR]\n"
	      "                   [--threads N] [--tls-cert CERT.pem --tls-key KEY.pem]\n",
	      stderr);
	exit(2);
}

/* A positive number of seconds (fractions allowed) in ns, or usage(). */
static int64_t seconds(const char *arg)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(v > 0) || v > 1e6)
		usage();
	return (int64_t)(v * 1e9);
}

int main(int argc, char **argv)
{
	struct config cfg = {"127.0.0.1", 8080, {RINGO_SEC(10), RINGO_SEC(60), {0}, -1}, {0}};
	size_t max_conns = CONN_LIMIT_DEFAULT;
	const char *root = NULL;
	unsigned threads = 1;
	const char *tls_cert = NULL, *tls_key = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc) {
			tls_cert = argv[++i];
		} else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc) {
			tls_key = argv[++i];
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if (!shards_parse(argv[++i], &threads))
				usage();
		} else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
			cfg.host = argv[++i];
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*end || p < 0 || p > 65535)
				usage();
			cfg.port = (uint16_t)p;
		} else if (strcmp(argv[i], "--header-timeout") == 0 && i + 1 < argc) {
			cfg.srv.header_ns = seconds(argv[++i]);
		} else if (strcmp(argv[i], "--idle-timeout") == 0 && i + 1 < argc) {
			cfg.srv.idle_ns = seconds(argv[++i]);
		} else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			root = argv[++i];
		} else if (strcmp(argv[i], "--max-connections") == 0 && i + 1 < argc) {
			if (!conn_limit_parse(argv[++i], &max_conns))
				usage();
		} else {
			usage();
		}
	}
	conn_limit_init(&cfg.srv.limit, max_conns, "http_server");
	cfg.srv.root_fd = -1;
	if (root) {
		cfg.srv.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfg.srv.root_fd < 0) {
			fprintf(stderr, "http_server: --root %s: %s\n", root, strerror(errno));
			return 2;
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
	if (!tls_cert != !tls_key)
		usage();
	ringo_tls_context *tls = NULL;
	if (tls_cert) {
		/* One context for every loop (OpenSSL contexts are thread-safe). */
		ringo_tls_opts t = { .server = true, .cert_file = tls_cert, .key_file = tls_key,
				     .alpn = "http/1.1" };
		int ret = ringo_tls_context_create(&t, &tls);
		if (ret < 0) {
			fprintf(stderr, "http_server: TLS: %s\n", strerror(-ret));
			return 1;
		}
	}
	cfg.sh = (struct shards){ .prog = "http_server", .host = cfg.host, .port = cfg.port,
				  .n = threads, .tls = tls, .handshake_timeout = cfg.srv.header_ns };
	if (shards_bind(&cfg.sh) < 0)
		return 1;
	int rc = shards_run(&cfg.sh, main_task, &cfg);
	ringo_tls_context_unref(tls);
	return rc;
}

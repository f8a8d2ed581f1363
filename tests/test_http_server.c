/* SPDX-License-Identifier: MIT */
/* The HTTP demo (demos/http_server.c) over a real socket: curl's answer,
 * keep-alive, pipelining, bodies, HTTP/1.0, malformed and oversized
 * requests, and a clean exit on SIGTERM and SIGINT. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *server_path;

static void start(struct harness_server *s)
{
	assert_int_equal(harness_server_start(s, server_path), 0);
}

/* Sends sig and expects the server to exit 0. */
static void stop(struct harness_server *s, int sig)
{
	int status = harness_server_stop(s, sig);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void send_str(int fd, const char *s)
{
	size_t len = strlen(s);
	assert_int_equal(write(fd, s, len), (ssize_t)len);
}

/* Reads until n responses (each ends with its Content-Length body) have
 * come or the server closes; returns the bytes read. */
static size_t read_some(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) != 1)
			break;
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Whether the server closed the connection (EOF within 2 s). */
static bool closed_by_server(int fd)
{
	char b[512];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, 2000) == 1) {
		ssize_t n = read(fd, b, sizeof(b));
		if (n <= 0)
			return n == 0;
	}
	return false;
}

static void test_curl(void **state)
{
	(void)state;
	if (!harness_have_program("curl"))
		skip();
	struct harness_server s;
	start(&s);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "curl -s -i http://127.0.0.1:%d/", s.port);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char out[2048];
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(out, "Content-Length: 13\r\n"));
	assert_non_null(strstr(out, "\r\nDate: "));
	assert_non_null(strstr(out, " GMT\r\n"));
	assert_string_equal(strstr(out, "\r\n\r\n") + 4, "Hello, World!");
	stop(&s, SIGTERM);
}

static void test_keepalive_and_pipelining(void **state)
{
	(void)state;
	struct harness_server s;
	start(&s);
	int fd = harness_connect(s.port);
	/* Two requests on one connection, one after the other. */
	char buf[8192];
	for (int i = 0; i < 2; i++) {
		send_str(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
		read_some(fd, buf, sizeof(buf), 200);
		assert_int_equal(count(buf, "HTTP/1.1 200 OK\r\n"), 1);
		assert_null(strstr(buf, "Connection: close"));
	}
	/* Ten pipelined in one write, with a body to skip and a HEAD and a
	 * 404 among them: ten answers, in order. */
	char req[4096] = "";
	for (int i = 0; i < 7; i++)
		strcat(req, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	strcat(req, "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
	strcat(req, "HEAD / HTTP/1.1\r\n\r\n");
	strcat(req, "GET /nope HTTP/1.1\r\n\r\n");
	send_str(fd, req);
	size_t len = read_some(fd, buf, sizeof(buf), 300);
	assert_true(len > 0);
	assert_int_equal(count(buf, "HTTP/1.1 "), 10);
	assert_int_equal(count(buf, "Hello, World!"), 8);
	const char *last = strstr(buf, "HTTP/1.1 404 Not Found\r\n");
	assert_non_null(last);
	assert_int_equal(count(last, "HTTP/1.1 "), 1);
	/* Connection: close is honoured after the answer. */
	send_str(fd, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
	len = read_some(fd, buf, sizeof(buf), 2000);
	assert_int_equal(count(buf, "HTTP/1.1 200 OK\r\n"), 1);
	assert_non_null(strstr(buf, "Connection: close\r\n"));
	close(fd);
	/* HTTP/1.0 closes by default. */
	fd = harness_connect(s.port);
	send_str(fd, "GET / HTTP/1.0\r\n\r\n");
	read_some(fd, buf, sizeof(buf), 2000);
	assert_int_equal(count(buf, "HTTP/1.1 200 OK\r\n"), 1);
	assert_non_null(strstr(buf, "Connection: close\r\n"));
	close(fd);
	stop(&s, SIGINT);
}

/* Issue 11 item 14: requests that arrive while the server waits for its
 * replies to drain are answered. The client's tiny receive window keeps
 * the server's send buffer full, so that its drain waits; batches of
 * pipelined requests sent meanwhile arrive during a drain. The server used
 * to wait for bytes beyond those (fill) and never answered the last batch. */
static void test_requests_during_drain(void **state)
{
	(void)state;
	struct harness_server s;
	start(&s);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int small = 4096;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s.port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	/* Answers of about 130 bytes, more than the server's send buffer
	 * holds. */
	enum { BATCH = 1000 };
	int batches = 50;
	if ((size_t)batches < (harness_tcp_wmem_max() + (2u << 20)) / (BATCH * 130))
		batches = (int)((harness_tcp_wmem_max() + (2u << 20)) / (BATCH * 130));
	static const char one[] = "GET / HTTP/1.1\r\n\r\n";
	size_t rl = sizeof(one) - 1;
	char *req = malloc(BATCH * rl);
	assert_non_null(req);
	for (int i = 0; i < BATCH; i++)
		memcpy(req + (size_t)i * rl, one, rl);
	for (int b = 0; b < batches; b++) {
		size_t sent = 0;
		while (sent < BATCH * rl) {
			ssize_t n = write(fd, req + sent, BATCH * rl - sent);
			assert_true(n > 0);
			sent += (size_t)n;
		}
		usleep(5000);
	}
	/* Every answer has the same length (the Date line's is fixed). */
	size_t cap = (size_t)BATCH * batches * 256, len = 0;
	char *in = malloc(cap + 1);
	assert_non_null(in);
	int answers = 0;
	size_t scanned = 0; /* where the next answer's body may start */
	while (answers < BATCH * batches) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10000) != 1)
			break;
		ssize_t n = read(fd, in + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		in[len] = '\0';
		const char *q;
		while ((q = strstr(in + scanned, "Hello, World!"))) {
			answers++;
			scanned = (size_t)(q - in) + 13;
		}
		if (len > scanned + 12)
			scanned = len - 12;
	}
	assert_int_equal(answers, BATCH * batches);
	free(in);
	free(req);
	close(fd);
	stop(&s, SIGTERM);
}

static void test_bad_requests(void **state)
{
	(void)state;
	struct harness_server s;
	start(&s);
	static const char *bad[] = {
		"garbage\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	char buf[4096];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = harness_connect(s.port);
		send_str(fd, bad[i]);
		read_some(fd, buf, sizeof(buf), 2000);
		assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
		assert_non_null(strstr(buf, "Connection: close\r\n"));
		close(fd);
	}
	/* A head over 8 KiB without its end: 400, then the server closes. */
	int fd = harness_connect(s.port);
	char big[9000];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	read_some(fd, buf, sizeof(buf), 2000);
	assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
	close(fd);
	/* A client that sends half a request and leaves: the server goes on. */
	fd = harness_connect(s.port);
	send_str(fd, "GET / HT");
	close(fd);
	fd = harness_connect(s.port);
	send_str(fd, "GET / HTTP/1.1\r\n\r\n");
	read_some(fd, buf, sizeof(buf), 300);
	assert_int_equal(count(buf, "HTTP/1.1 200 OK\r\n"), 1);
	/* SIGTERM with this connection still open: the server closes it. */
	assert_int_equal(kill(s.pid, SIGTERM), 0);
	assert_true(closed_by_server(fd));
	close(fd);
	stop(&s, 0);
}

/* RFC 9110 §5.5 (issue 11 item 10): a bare LF, a bare CR or a NUL in a
 * field value gets 400 and the connection is closed, and nothing behind
 * the bad line is answered. */
static void test_ctl_in_fields(void **state)
{
	(void)state;
	struct harness_server s;
	start(&s);
#define B(s) {s, sizeof(s) - 1}
	static const struct {
		const char *req;
		size_t len;
	} bad[] = {
		B("GET / HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\rb\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\0b\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
	};
#undef B
	char buf[4096];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = harness_connect(s.port);
		assert_int_equal(write(fd, bad[i].req, bad[i].len), (ssize_t)bad[i].len);
		read_some(fd, buf, sizeof(buf), 2000);
		assert_int_equal(strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26), 0);
		assert_int_equal(count(buf, "HTTP/1.1 "), 1);
		assert_non_null(strstr(buf, "Connection: close\r\n"));
		close(fd);
	}
	stop(&s, SIGTERM);
}

/* Reads what comes until the server closes (10 s at most); returns how
 * long that took in ms, or -1 if it did not close. */
static long read_until_closed(int fd, char *buf, size_t cap)
{
	int64_t t0 = harness_now();
	size_t len = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	for (;;) {
		if (poll(&p, 1, 10000) != 1) {
			buf[len] = '\0';
			return -1;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (long)((harness_now() - t0) / 1000000);
}

static const char *const timeouts[] = {"--header-timeout", "0.5", "--idle-timeout", "1", NULL};

/* Issue 11 item 8: a head must arrive within --header-timeout (408, then
 * closed), however slowly its bytes trickle in; a connection that never
 * sends a byte is closed without a reply. */
static void test_header_timeout(void **state)
{
	(void)state;
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, server_path, timeouts), 0);
	char buf[4096];
	/* half a head, then nothing */
	int fd = harness_connect(s.port);
	send_str(fd, "GET / HT");
	long ms = read_until_closed(fd, buf, sizeof(buf));
	assert_true(ms >= 300 && ms < 5000);
	assert_int_equal(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30), 0);
	assert_non_null(strstr(buf, "Connection: close\r\n"));
	close(fd);
	/* a byte every 100 ms: still 408 at the header timeout */
	fd = harness_connect(s.port);
	static const char head[] = "GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int64_t t0 = harness_now();
	size_t i = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (i < sizeof(head) - 1 && poll(&p, 1, 100) == 0)
		assert_int_equal(write(fd, head + i++, 1), 1);
	ms = read_until_closed(fd, buf, sizeof(buf));
	ms += (long)((harness_now() - t0) / 1000000);
	assert_true(ms < 5000);
	assert_true(i < sizeof(head) - 1); /* closed before it could finish */
	assert_int_equal(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30), 0);
	close(fd);
	/* nothing at all: closed, no reply */
	fd = harness_connect(s.port);
	ms = read_until_closed(fd, buf, sizeof(buf));
	assert_true(ms >= 300 && ms < 5000);
	assert_string_equal(buf, "");
	close(fd);
	stop(&s, SIGTERM);
}

/* A kept-alive connection is closed after --idle-timeout without a
 * request, and stays open while requests keep coming. */
static void test_idle_timeout(void **state)
{
	(void)state;
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, server_path, timeouts), 0);
	char buf[4096];
	int fd = harness_connect(s.port);
	for (int i = 0; i < 6; i++) {  /* 6 x 300 ms: longer than the idle timeout */
		send_str(fd, "GET / HTTP/1.1\r\n\r\n");
		read_some(fd, buf, sizeof(buf), 300);
		assert_int_equal(count(buf, "HTTP/1.1 200 OK\r\n"), 1);
	}
	long ms = read_until_closed(fd, buf, sizeof(buf));
	assert_true(ms >= 500 && ms < 5000);
	assert_string_equal(buf, "");
	close(fd);
	stop(&s, SIGTERM);
}

/* Over --max-connections at once: 503, closed; room again once one ends.
 * With several loops the limit counts them all together: every one of
 * four more connections is turned away, whichever loop the kernel gives
 * it to. */
static void max_connections(const char *threads)
{
	const char *const args[] = {"--max-connections", "2", "--threads", threads, NULL};
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, server_path, args), 0);
	char buf[4096];
	int fd[2];
	for (int i = 0; i < 2; i++) {
		fd[i] = harness_connect(s.port);
		send_str(fd[i], "GET / HTTP/1.1\r\n\r\n");
		read_some(fd[i], buf, sizeof(buf), 300);
		assert_int_equal(count(buf, "HTTP/1.1 200 OK\r\n"), 1);
	}
	int extra;
	for (int i = 0; i < 4; i++) {
		extra = harness_connect(s.port);
		assert_true(read_until_closed(extra, buf, sizeof(buf)) >= 0);
		assert_int_equal(strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34), 0);
		close(extra);
	}
	close(fd[0]);
	/* the server sees the close soon; then a new connection is served */
	bool served = false;
	for (int i = 0; i < 100 && !served; i++) {
		extra = harness_connect(s.port);
		send_str(extra, "GET / HTTP/1.1\r\n\r\n");
		read_some(extra, buf, sizeof(buf), 300);
		served = count(buf, "HTTP/1.1 200 OK\r\n") == 1;
		if (!served)
			assert_int_equal(strncmp(buf, "HTTP/1.1 503 ", 13), 0);
		close(extra);
	}
	assert_true(served);
	close(fd[1]);
	stop(&s, SIGTERM);
}

static void test_max_connections(void **state)
{
	(void)state;
	max_connections("1");
}

static void test_max_connections_all_loops(void **state)
{
	(void)state;
	max_connections("2");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_http_server HTTP_SERVER_BINARY\n");
		return 2;
	}
	server_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_keepalive_and_pipelining),
		cmocka_unit_test(test_requests_during_drain),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_ctl_in_fields),
		cmocka_unit_test(test_header_timeout),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_max_connections),
		cmocka_unit_test(test_max_connections_all_loops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

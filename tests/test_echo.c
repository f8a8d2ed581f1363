/* SPDX-License-Identifier: MIT */
/* The echo demos together: echo_server --port 0 says where it listens,
 * echo_client runs its round trips against it and exits 0, and the server
 * exits 0 on SIGTERM (and on SIGINT) with clients still connected.
 *
 * test_echo ECHO_SERVER ECHO_CLIENT */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *server_path, *client_path;

static void start_server(struct harness_server *s)
{
	assert_int_equal(harness_server_start(s, server_path), 0);
}

struct client_args {
	int port;
	const char *conns, *messages, *size;
};

static void exec_client(void *arg)
{
	struct client_args *a = arg;
	char port[16];
	snprintf(port, sizeof(port), "%d", a->port);
	execl(client_path, client_path, "--port", port, "-c", a->conns, "-n", a->messages, "-s",
	      a->size, (char *)NULL);
	_exit(127);
}

static void run_client(struct client_args *a, char *out, size_t cap)
{
	int status = harness_fork(exec_client, a, out, cap);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("echo_client failed: %s", out);
}

static void test_round_trips(void **state)
{
	(void)state;
	struct harness_server s;
	start_server(&s);
	char out[1024];
	struct client_args a = { s.port, "8", "200", "64" };
	run_client(&a, out, sizeof(out));
	assert_non_null(strstr(out, "8 connections, 64-byte messages: 1600 round trips in "));
	assert_non_null(strstr(out, " round trips/s\n"));
	assert_non_null(strstr(out, "latency ms: p50 "));
	/* Messages larger than the stream's buffers and the buffer ring's. */
	struct client_args big = { s.port, "4", "20", "300000" };
	run_client(&big, out, sizeof(out));
	assert_non_null(strstr(out, "4 connections, 300000-byte messages: 80 round trips"));
	int status = harness_server_stop(&s, SIGTERM);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* SIGINT while a client is connected and idle: its handler is cancelled
 * and the server still exits 0. */
static void test_sigint_with_a_client(void **state)
{
	(void)state;
	struct harness_server s;
	start_server(&s);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s.port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	char buf[8];
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	int status = harness_server_stop(&s, SIGINT);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The connection was closed. */
	ssize_t n = read(fd, buf, sizeof(buf));
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	close(fd);
}

/* Issue 11 item 8: over --max-connections at once, a connection is closed
 * without an echo; once one ends there is room again. */
static void test_max_connections(void **state)
{
	(void)state;
	static const char *const args[] = {"--max-connections", "1", NULL};
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, server_path, args), 0);
	int first = harness_connect(s.port);
	char buf[8];
	assert_int_equal(write(first, "abc", 3), 3);
	assert_int_equal(read(first, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	int extra = harness_connect(s.port);
	(void)!write(extra, "xyz", 3);
	ssize_t n = read(extra, buf, sizeof(buf));
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	close(extra);
	close(first);
	bool served = false;
	for (int i = 0; i < 100 && !served; i++) {
		extra = harness_connect(s.port);
		assert_int_equal(write(extra, "def", 3), 3);
		n = read(extra, buf, sizeof(buf));
		served = n == 3 && memcmp(buf, "def", 3) == 0;
		if (!served)
			usleep(10000);
		close(extra);
	}
	assert_true(served);
	int status = harness_server_stop(&s, SIGTERM);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s ECHO_SERVER ECHO_CLIENT\n", argv[0]);
		return 2;
	}
	server_path = argv[1];
	client_path = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_sigint_with_a_client),
		cmocka_unit_test(test_max_connections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

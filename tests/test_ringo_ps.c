/* SPDX-License-Identifier: MIT */
/* tools/ringo-ps on a running demo server: the dump of a live process, the
 * process left running. argv[1]: the echo server, argv[2]: ringo-ps. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *server_path, *ps_path;

static void run_ps(pid_t pid, const char *flags, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 %s %s %d 2>&1", ps_path, flags, (int)pid);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
}

static void test_dump_of_a_running_server(void **state)
{
	(void)state;
	setenv("RINGO_DEBUG", "1", 1);
	struct harness_server s;
	int started = harness_server_start(&s, server_path);
	unsetenv("RINGO_DEBUG");
	assert_int_equal(started, 0);
	int c = harness_connect(s.port);
	/* Once the connection is served, its task waits for data. */
	assert_int_equal(write(c, "hi\n", 3), 3);
	char buf[16];
	assert_true(read(c, buf, sizeof(buf)) > 0);

	char out[16384];
	run_ps(s.pid, "", out, sizeof(out));
	fprintf(stderr, "%s", out);
	assert_memory_equal(out, "task dump: ", 11);
	assert_non_null(strstr(out, "\nmain  suspended for "));
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	getsockname(c, (struct sockaddr *)&me, &len);
	char peer[64];
	snprintf(peer, sizeof(peer), "(127.0.0.1:%u)", ntohs(me.sin_port));
	assert_non_null(strstr(out, peer));
	/* Call sites as file:line (addr2line), the server's own. */
	assert_non_null(strstr(out, " (echo_server.c:"));
	/* No backtraces unless asked for. */
	assert_null(strstr(out, "#0 "));

	/* Again, with stacks: the server is still there and answers. */
	run_ps(s.pid, "--stacks", out, sizeof(out));
	assert_non_null(strstr(out, "#0 "));
	assert_int_equal(write(c, "again\n", 6), 6);
	assert_true(read(c, buf, sizeof(buf)) > 0);
	close(c);
	int status = harness_server_stop(&s, SIGTERM);
	assert_true(status >= 0);
}

static void test_refuses_a_process_without_dumps(void **state)
{
	(void)state;
	/* This test process takes no dump requests: SIGUSR1 would kill it. */
	char cmd[1024], out[1024];
	snprintf(cmd, sizeof(cmd), "python3 %s %d 2>&1", ps_path, (int)getpid());
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_not_equal(pclose(p), 0);
	assert_non_null(strstr(out, "does not take dump requests on SIGUSR1"));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_ringo_ps ECHO_SERVER RINGO_PS\n");
		return 2;
	}
	server_path = argv[1];
	ps_path = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_of_a_running_server),
		cmocka_unit_test(test_refuses_a_process_without_dumps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

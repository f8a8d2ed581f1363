/* SPDX-License-Identifier: MIT */
/* The UDP echo demo (demos/udp_echo.c) over real sockets: socat's answer,
 * a burst of numbered datagrams from several clients echoed intact (also
 * with --batch, echoing by ringo_datagram_sendmmsg), and a clean exit on
 * SIGTERM and SIGINT, also right after it starts. */
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

static void stop(struct harness_server *s, int sig)
{
	int status = harness_server_stop(s, sig);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int udp_client(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void test_socat(void **state)
{
	(void)state;
	if (!harness_have_program("socat"))
		skip(); /* socat is not installed (scripts/deps.sh installs it) */
	struct harness_server s;
	assert_int_equal(harness_server_start(&s, server_path), 0);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "printf 'hello over udp' | socat -t 2 - UDP:127.0.0.1:%d", s.port);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char out[64] = { 0 };
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 14);
	assert_string_equal(out, "hello over udp");
	stop(&s, SIGTERM);
}

enum { CLIENTS = 4, PER_CLIENT = 2000, WINDOW = 16 };

/* Each client keeps WINDOW datagrams outstanding; every echo must be the
 * datagram it sent, in order (loopback reorders nothing), byte for byte. */
static void burst(const char *const *args)
{
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, server_path, args), 0);
	int fds[CLIENTS];
	unsigned sent[CLIENTS] = { 0 }, got[CLIENTS] = { 0 };
	for (int c = 0; c < CLIENTS; c++)
		fds[c] = udp_client(s.port);
	unsigned char msg[1500], in[2048];
	unsigned done = 0, bad = 0;
	while (done < CLIENTS) {
		for (int c = 0; c < CLIENTS; c++) {
			while (sent[c] < PER_CLIENT && sent[c] - got[c] < WINDOW) {
				unsigned id = (unsigned)c << 24 | sent[c];
				size_t len = 4 + (id * 13u) % 1400;
				memcpy(msg, &id, 4);
				for (size_t k = 4; k < len; k++)
					msg[k] = (unsigned char)(id + k * 7);
				assert_int_equal(send(fds[c], msg, len, 0), (ssize_t)len);
				sent[c]++;
			}
		}
		struct pollfd p[CLIENTS];
		for (int c = 0; c < CLIENTS; c++)
			p[c] = (struct pollfd){ .fd = fds[c], .events = POLLIN };
		int r = poll(p, CLIENTS, 5000);
		assert_true(r > 0); /* a lost datagram would stall here */
		for (int c = 0; c < CLIENTS; c++) {
			if (!(p[c].revents & POLLIN))
				continue;
			ssize_t n = recv(fds[c], in, sizeof(in), MSG_DONTWAIT);
			if (n < 0)
				continue;
			unsigned id = (unsigned)c << 24 | got[c];
			size_t len = 4 + (id * 13u) % 1400;
			memcpy(msg, &id, 4);
			for (size_t k = 4; k < len; k++)
				msg[k] = (unsigned char)(id + k * 7);
			if ((size_t)n != len || memcmp(in, msg, len) != 0)
				bad++;
			if (++got[c] == PER_CLIENT)
				done++;
		}
	}
	assert_int_equal(bad, 0);
	for (int c = 0; c < CLIENTS; c++)
		close(fds[c]);
	stop(&s, SIGINT);
}

static void test_burst(void **state)
{
	(void)state;
	burst(NULL);
}

static void test_burst_batched(void **state)
{
	(void)state;
	const char *args[] = { "--batch", "8", NULL };
	burst(args);
}

static void test_signal_at_once(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		struct harness_server s;
		assert_int_equal(harness_server_start(&s, server_path), 0);
		stop(&s, i % 2 ? SIGINT : SIGTERM);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s UDP_ECHO\n", argv[0]);
		return 2;
	}
	server_path = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socat),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_burst_batched),
		cmocka_unit_test(test_signal_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* The TLS demos over real sockets, against OpenSSL's and curl's clients,
 * with a certificate made here by `openssl req`: echo_server --tls-cert
 * answers `openssl s_client` and echo_client --tls-ca; http_server
 * --tls-cert answers curl --cacert (HTTPS, ALPN http/1.1, and a static
 * file by --root), and garbage instead of a ClientHello leaves it serving
 * the next client. */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *echo_server, *echo_client, *http_server;
static char dir[64], cert[128], key[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ringo-tlsdemo-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s -out %s -days 1 -subj /CN=localhost "
		 "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null",
		 key, cert);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "printf 'static file' > %s/file.txt", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void stop(struct harness_server *s)
{
	int status = harness_server_stop(s, SIGTERM);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Runs cmd and returns its output (static buffer). */
static const char *run(const char *cmd)
{
	static char out[8192];
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

static void test_echo(void **state)
{
	(void)state;
	const char *args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, echo_server, args), 0);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "(printf 'ping over tls\\n'; sleep 1) | openssl s_client -quiet -no_ign_eof -verify_return_error "
		 "-CAfile %s -verify_hostname localhost -connect 127.0.0.1:%d 2>/dev/null",
		 cert, s.port);
	assert_string_equal(run(cmd), "ping over tls\n");
	snprintf(cmd, sizeof(cmd), "%s --port %d --tls-ca %s -c 4 -n 200 -s 1000 >/dev/null",
		 echo_client, s.port, cert);
	assert_int_equal(system(cmd), 0);
	stop(&s);
}

static void test_https(void **state)
{
	(void)state;
	const char *args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
	struct harness_server s;
	assert_int_equal(harness_server_start_args(&s, http_server, args), 0);
	char cmd[1024];
	/* garbage first: that connection alone is closed */
	snprintf(cmd, sizeof(cmd),
		 "printf 'GET / HTTP/1.1\\r\\n\\r\\n' | timeout 5 socat - TCP:127.0.0.1:%d "
		 ">/dev/null 2>&1; true",
		 s.port);
	run(cmd);
	snprintf(cmd, sizeof(cmd),
		 "curl -s --max-time 10 --cacert %s -w ' %%{http_code} %%{http_version}' "
		 "https://localhost:%d/ https://127.0.0.1:%d/",
		 cert, s.port, s.port);
	assert_string_equal(run(cmd), "Hello, World! 200 1.1Hello, World! 200 1.1");
	/* without the CA, curl refuses the self-signed certificate */
	snprintf(cmd, sizeof(cmd), "curl -s --max-time 10 https://localhost:%d/ >/dev/null", s.port);
	assert_int_not_equal(system(cmd), 0);
	stop(&s);

	const char *args2[] = { "--tls-cert", cert, "--tls-key", key, "--root", dir, NULL };
	assert_int_equal(harness_server_start_args(&s, http_server, args2), 0);
	snprintf(cmd, sizeof(cmd), "curl -s --max-time 10 --cacert %s https://localhost:%d/file.txt",
		 cert, s.port);
	assert_string_equal(run(cmd), "static file");
	stop(&s);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s ECHO_SERVER ECHO_CLIENT HTTP_SERVER\n", argv[0]);
		return 2;
	}
	echo_server = argv[1];
	echo_client = argv[2];
	http_server = argv[3];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_https),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

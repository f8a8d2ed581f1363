/* SPDX-License-Identifier: MIT */
/* http_server --root (demos/http_server.c, demos/http/path.c): static
 * files by sendfile, byte for byte (a 3 MiB file, keep-alive, HEAD,
 * Content-Length), 404, a directory's index.html, and every way out of the
 * root refused: "..", encoded "%2e%2e" (either case, mixed), "%2f" tricks,
 * %00, absolute symlinks and relative ones that climb out; a symlink that
 * stays inside is served. Also the target decoder on its own. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/path.h"

static const char *server_path;
static char root[64], outside[64];

#define BIG (3u << 20)

static unsigned char big_byte(size_t i)
{
	return (unsigned char)((i * 7919u) >> 7);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/ringo-root-%d", (int)getpid());
	snprintf(outside, sizeof(outside), "/tmp/ringo-root-%d-secret", (int)getpid());
	char p[256];
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/dir", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/empty", root);
	assert_int_equal(mkdir(p, 0755), 0);
	write_file(root, "hello.txt", "hello, file\n", 12);
	write_file(root, "dir/index.html", "<p>index</p>", 12);
	write_file(root, "a b.txt", "space", 5);
	unsigned char *big = malloc(BIG);
	for (size_t i = 0; i < BIG; i++)
		big[i] = big_byte(i);
	write_file(root, "big.bin", big, BIG);
	free(big);
	assert_int_equal(mkdir(outside, 0755), 0);
	write_file(outside, "secret", "SECRET", 6);
	snprintf(p, sizeof(p), "%s/abs-link", root);
	char t[256];
	snprintf(t, sizeof(t), "%s/secret", outside);
	assert_int_equal(symlink(t, p), 0);
	snprintf(p, sizeof(p), "%s/rel-link", root);
	snprintf(t, sizeof(t), "../%s/secret", strrchr(outside, '/') + 1);
	assert_int_equal(symlink(t, p), 0);
	snprintf(p, sizeof(p), "%s/dir/in-link", root);
	assert_int_equal(symlink("../hello.txt", p), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
	return system(cmd) == 0 ? 0 : -1;
}

/* One response on fd: its status, and its body (Content-Length bytes,
 * none for HEAD) into body (malloc'ed, *len bytes). */
static int response(int fd, bool head, unsigned char **body, size_t *len)
{
	char hdr[4096];
	size_t n = 0;
	/* byte by byte up to the blank line: the body stays in the socket */
	while (n < sizeof(hdr) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_int_equal(read(fd, hdr + n, 1), 1);
		n++;
		if (n >= 4 && memcmp(hdr + n - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	hdr[n] = '\0';
	int status = 0;
	assert_int_equal(sscanf(hdr, "HTTP/1.1 %d", &status), 1);
	const char *cl = strstr(hdr, "Content-Length: ");
	assert_non_null(cl);
	size_t clen = strtoull(cl + 16, NULL, 10);
	*len = clen;
	*body = malloc(clen + 1);
	size_t got = 0;
	while (!head && got < clen) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 10000), 1);
		ssize_t r = read(fd, *body + got, clen - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	(*body)[clen] = 0;
	return status;
}

static int get(int fd, const char *method, const char *target, unsigned char **body,
	       size_t *len)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method, target);
	assert_int_equal(write(fd, req, (size_t)n), n);
	return response(fd, strcmp(method, "HEAD") == 0, body, len);
}

static void start(struct harness_server *s)
{
	const char *args[] = { "--root", root, NULL };
	assert_int_equal(harness_server_start_args(s, server_path, args), 0);
}

static void stop(struct harness_server *s)
{
	int status = harness_server_stop(s, SIGTERM);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_files(void **state)
{
	(void)state;
	struct harness_server s;
	start(&s);
	int fd = harness_connect(s.port);
	unsigned char *body;
	size_t len;
	/* all on one kept-alive connection */
	assert_int_equal(get(fd, "GET", "/hello.txt", &body, &len), 200);
	assert_int_equal(len, 12);
	assert_memory_equal(body, "hello, file\n", 12);
	free(body);
	assert_int_equal(get(fd, "HEAD", "/big.bin", &body, &len), 200);
	assert_int_equal(len, BIG);
	free(body);
	assert_int_equal(get(fd, "GET", "/big.bin", &body, &len), 200);
	assert_int_equal(len, BIG);
	size_t bad = 0;
	for (size_t i = 0; i < BIG; i++)
		bad += body[i] != big_byte(i);
	assert_int_equal(bad, 0);
	free(body);
	assert_int_equal(get(fd, "GET", "/dir/", &body, &len), 200);
	assert_string_equal((char *)body, "<p>index</p>");
	free(body);
	assert_int_equal(get(fd, "GET", "/dir/in-link?x=1", &body, &len), 200);
	assert_string_equal((char *)body, "hello, file\n");
	free(body);
	assert_int_equal(get(fd, "GET", "/a%20b.txt", &body, &len), 200);
	assert_string_equal((char *)body, "space");
	free(body);
	assert_int_equal(get(fd, "GET", "/nothing-here", &body, &len), 404);
	free(body);
	assert_int_equal(get(fd, "GET", "/empty/", &body, &len), 404);
	free(body);
	assert_int_equal(get(fd, "HEAD", "/nothing-here", &body, &len), 404);
	free(body);
	close(fd);

	/* curl agrees */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "curl -s --max-time 10 http://127.0.0.1:%d/big.bin | cmp -s - %s/big.bin", s.port,
		 root);
	assert_int_equal(system(cmd), 0);
	stop(&s);
}

static void test_traversal(void **state)
{
	(void)state;
	static const struct {
		const char *target;
		int status;
	} cases[] = {
		{ "/../ringo-secret", 400 },
		{ "/dir/../../x", 400 },
		{ "/%2e%2e/x", 400 },
		{ "/%2E%2e/x", 400 },
		{ "/.%2e/x", 400 },
		{ "/dir/%2e%2e%2f%2e%2e%2fx", 400 },
		{ "/./hello.txt", 400 },
		{ "/hello.txt%00.png", 400 },
		{ "/%zz", 400 },
		{ "/abs-link", 403 },
		{ "/rel-link", 403 },
	};
	struct harness_server s;
	start(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = harness_connect(s.port);
		unsigned char *body;
		size_t len;
		int status = get(fd, "GET", cases[i].target, &body, &len);
		if (status != cases[i].status)
			fail_msg("%s: %d, expected %d", cases[i].target, status, cases[i].status);
		assert_null(strstr((char *)body, "SECRET"));
		free(body);
		close(fd);
	}
	/* "//abs/path": an absolute path, which RESOLVE_BENEATH refuses. */
	int fd = harness_connect(s.port);
	unsigned char *body;
	size_t len;
	char target[256];
	snprintf(target, sizeof(target), "/%s/secret", outside);
	assert_int_equal(get(fd, "GET", target, &body, &len), 403);
	free(body);
	close(fd);
	stop(&s);
}

static void test_decode(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(http_path_decode("/", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(http_path_decode("/a/b%20c?q=..", 13, out, sizeof(out)), 5);
	assert_string_equal(out, "a/b c");
	assert_int_equal(http_path_decode("//x", 3, out, sizeof(out)), 2);
	assert_int_equal(http_path_decode("/...", 4, out, sizeof(out)), 3);
	assert_int_equal(http_path_decode("/a..b", 5, out, sizeof(out)), 4);
	assert_int_equal(http_path_decode("/..", 3, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("/a/..", 5, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("/a/%2E%2E/b", 11, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("/a/.", 4, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("x", 1, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("/%4", 3, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("/%00", 4, out, sizeof(out)), -1);
	assert_int_equal(http_path_decode("/abcdef", 7, out, 4), -1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s HTTP_SERVER\n", argv[0]);
		return 2;
	}
	server_path = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_traversal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

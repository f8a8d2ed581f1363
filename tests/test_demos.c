/* SPDX-License-Identifier: MIT */
/* Runs the demo programs and checks their exact output and timing. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *cancel_path, *gather_path, *async_for_path, *async_with_path, *pipeline_path,
	*cat_path;

static void exec_demo(void *arg)
{
	execl((const char *)arg, (const char *)arg, (char *)NULL);
	_exit(127);
}

/* Runs the demo; returns its output in out and its wall time in ns. */
static int64_t run_demo(const char *path, char *out, size_t cap)
{
	int64_t t0 = harness_now();
	int status = harness_fork(exec_demo, (void *)path, out, cap);
	int64_t took = harness_now() - t0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return took;
}

/* Like assert_string_equal, except that a time stamp "[S.Ts]" in the
 * output may be up to 0.4 s later than the one expected (on a loaded
 * machine a wake-up can come a tenth of a second late); the text around
 * the stamps must match exactly. */
static void assert_output_equal(const char *out, const char *expect)
{
	const char *o = out, *e = expect;
	while (*e) {
		double want, got;
		int ne = 0, no = 0;
		if (*e == '[' && sscanf(e, "[%lfs]%n", &want, &ne) == 1 && ne > 0) {
			if (sscanf(o, "[%lfs]%n", &got, &no) != 1 || no == 0 || got < want - 0.05 ||
			    got > want + 0.45)
				fail_msg("at byte %td: expected a stamp near %.*s in:\n%s", o - out, ne,
					 e, out);
			e += ne;
			o += no;
			continue;
		}
		if (*o != *e)
			fail_msg("at byte %td: expected \"%.20s\" in:\n%s", o - out, e, out);
		o++;
		e++;
	}
	if (*o)
		fail_msg("unexpected output at byte %td: \"%.20s\" in:\n%s", o - out, o, out);
}

static void test_cancel_demo(void **state)
{
	(void)state;
	char out[256];
	int64_t took = run_demo(cancel_path, out, sizeof(out));
	assert_string_equal(out, "canceled\n");
	/* call_later(1 s) cancels a 3 s sleep: about 1 s */
	assert_true(took >= 1000000000LL);
	assert_true(took < 2500000000LL);
}

static void test_gather_demo(void **state)
{
	(void)state;
	char out[2048];
	int64_t took = run_demo(gather_path, out, sizeof(out));
	assert_output_equal(out,
		"gather(sleep 1 s, sleep 2 s, sleep 3 s):\n"
		"[0.0s] task 1: sleeping 1 s\n"
		"[0.0s] task 2: sleeping 2 s\n"
		"[0.0s] task 3: sleeping 3 s\n"
		"[1.0s] task 1: done\n"
		"[2.0s] task 2: done\n"
		"[3.0s] task 3: done\n"
		"[3.0s] results: 10 20 30\n"
		"gather(..., return_exceptions=True) with task 2 failing:\n"
		"[0.0s] task 1: sleeping 1 s\n"
		"[0.0s] task 3: sleeping 3 s\n"
		"[1.0s] task 1: done\n"
		"[2.0s] task 2: failing with EIO\n"
		"[3.0s] task 3: done\n"
		"[3.0s] results: 10 Input/output error 30\n");
	assert_true(took >= 6000000000LL);
	assert_true(took < 9000000000LL);
}

static void test_async_for_demo(void **state)
{
	(void)state;
	char out[256];
	int64_t took = run_demo(async_for_path, out, sizeof(out));
	assert_string_equal(out, "1\n2\n3\n");
	/* 1 s before each of three items */
	assert_true(took >= 3000000000LL);
	assert_true(took < 4500000000LL);
}

static void test_async_with_demo(void **state)
{
	(void)state;
	char out[256];
	int64_t took = run_demo(async_with_path, out, sizeof(out));
	assert_string_equal(out, "start __aenter__\n"
				 "end __aenter__\n"
				 "start\n"
				 "end\n"
				 "start __aexit__\n"
				 "end __aexit__\n");
	/* 2 s in aenter, 4 s in the body, 3 s in aexit */
	assert_true(took >= 9000000000LL);
	assert_true(took < 12000000000LL);
}

static void test_pipeline_demo(void **state)
{
	(void)state;
	char out[4096];
	int64_t took = run_demo(pipeline_path, out, sizeof(out));
	assert_string_equal(out,
		"pipeline: 2 producers, 2 consumers, a queue of 2, a 2.7 s timeout\n"
		"producer 1: put a1\n"
		"producer 1: put a2\n"
		"producer 1: put a3\n"
		"producer 1: put a4\n"
		"producer 1: queue full, waiting to put a5\n"
		"producer 2: queue full, waiting to put b1\n"
		"consumer 1: got a1\n"
		"consumer 2: got a2\n"
		"consumer 1: done a1\n"
		"consumer 1: got a3\n"
		"producer 1: put a5\n"
		"producer 1: queue full, waiting to put a6\n"
		"consumer 2: done a2\n"
		"consumer 2: got a4\n"
		"producer 2: put b1\n"
		"producer 2: queue full, waiting to put b2\n"
		"consumer 1: done a3\n"
		"consumer 1: got a5\n"
		"producer 1: put a6\n"
		"producer 1: queue full, waiting to put a7\n"
		"consumer 2: done a4\n"
		"consumer 2: got b1\n"
		"producer 2: put b2\n"
		"producer 2: queue full, waiting to put b3\n"
		"consumer 1: done a5\n"
		"consumer 1: got a6\n"
		"producer 1: put a7\n"
		"producer 1: queue full, waiting to put a8\n"
		"consumer 1: cancelled while working on a6, cleaning up\n"
		"consumer 2: cancelled while working on b1, cleaning up\n"
		"consumer 1: cleanup done\n"
		"consumer 2: cleanup done\n"
		"pipeline: timed out; 5 jobs done, left in the queue: b2 a7\n");
	/* the 2.7 s timeout scope, then the consumers' cleanup */
	assert_true(took >= 3000000000LL);
	assert_true(took < 4500000000LL);
}

/* Runs cat_path with args (NULL-terminated), its stdout to out_fd (-1:
 * /dev/null) and its stderr into err (cap bytes, NUL-terminated). Returns
 * its exit status. */
static int run_cat(const char *const *args, int out_fd, char *err, size_t cap)
{
	char *argv[8] = { (char *)cat_path };
	for (int i = 0; args[i]; i++)
		argv[i + 1] = (char *)args[i];
	int errp[2];
	assert_int_equal(pipe2(errp, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (out_fd < 0)
			out_fd = open("/dev/null", O_WRONLY);
		dup2(out_fd, STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		execv(cat_path, argv);
		_exit(127);
	}
	close(errp[1]);
	size_t len = 0;
	ssize_t n;
	while ((n = read(errp[0], err + len, cap - 1 - len)) > 0 || (n < 0 && errno == EINTR))
		len += n > 0 ? (size_t)n : 0;
	err[len] = '\0';
	close(errp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void write_file(const char *path, const unsigned char *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, data + off, n - off);
		assert_true(w > 0);
		off += (size_t)w;
	}
	close(fd);
}

/* The whole of fd until end of file, into buf (cap bytes); its length. */
static size_t read_fd(int fd, unsigned char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		len += (size_t)n;
	}
	return len;
}

/* About 5 MiB of random bytes (not a whole number of cat's chunks), copied
 * to a file with -o and, twice over, to a pipe: byte for byte. */
static void test_cat_demo(void **state)
{
	(void)state;
	enum { SIZE = (5 << 20) + 12345 };
	char dir[] = "/tmp/ringo-test-cat-XXXXXX", in[64], out[64], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	unsigned char *data = malloc(SIZE), *got = malloc(2 * SIZE + 1);
	assert_non_null(data);
	assert_non_null(got);
	uint32_t x = (uint32_t)harness_now() | 1;
	for (size_t i = 0; i < SIZE; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (unsigned char)x;
	}
	write_file(in, data, SIZE);

	assert_int_equal(run_cat((const char *[]){ "-o", out, in, NULL }, -1, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	int fd = open(out, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read_fd(fd, got, 2 * SIZE + 1), SIZE);
	assert_memory_equal(got, data, SIZE);
	close(fd);

	/* To a pipe, read here while cat writes (more than a pipe holds). */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		char e[512];
		_exit(run_cat((const char *[]){ in, in, NULL }, p[1], e, sizeof(e)) == 0 &&
				      e[0] == '\0'
			      ? 0
			      : 1);
	}
	close(p[1]);
	assert_int_equal(read_fd(p[0], got, 2 * SIZE + 1), 2 * SIZE);
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_memory_equal(got, data, SIZE);
	assert_memory_equal(got + SIZE, data, SIZE);

	/* A file that is not there: said, skipped, exit 1. */
	char missing[64];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(run_cat((const char *[]){ "-o", out, missing, in, NULL }, -1, err,
				 sizeof(err)),
			 1);
	char expect[128];
	snprintf(expect, sizeof(expect), "cat: %s: No such file or directory\n", missing);
	assert_string_equal(err, expect);
	fd = open(out, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read_fd(fd, got, 2 * SIZE + 1), SIZE);
	assert_memory_equal(got, data, SIZE);
	close(fd);

	unlink(in);
	unlink(out);
	rmdir(dir);
	free(data);
	free(got);
}

/* Usage: test_demos NAME PATH — runs the test of the demo NAME at PATH.
 * meson registers one test per demo, so that they run in parallel. */
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char **path;
		struct CMUnitTest test;
	} demos[] = {
		{ "cancel", &cancel_path, cmocka_unit_test(test_cancel_demo) },
		{ "gather", &gather_path, cmocka_unit_test(test_gather_demo) },
		{ "async_for", &async_for_path, cmocka_unit_test(test_async_for_demo) },
		{ "async_with", &async_with_path, cmocka_unit_test(test_async_with_demo) },
		{ "pipeline", &pipeline_path, cmocka_unit_test(test_pipeline_demo) },
		{ "cat", &cat_path, cmocka_unit_test(test_cat_demo) },
	};
	for (size_t i = 0; argc == 3 && i < sizeof(demos) / sizeof(demos[0]); i++) {
		if (strcmp(argv[1], demos[i].name) == 0) {
			*demos[i].path = argv[2];
			const struct CMUnitTest tests[] = { demos[i].test };
			return cmocka_run_group_tests_name(demos[i].name, tests, NULL, NULL);
		}
	}
	fprintf(stderr, "usage: %s cancel|gather|async_for|async_with|pipeline|cat PATH\n", argv[0]);
	return 2;
}

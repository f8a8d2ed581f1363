/* Runs the demo programs and checks their exact output and timing. */
#include "harness.h"

#include <string.h>
#include <unistd.h>

static const char *cancel_path, *gather_path, *async_for_path, *async_with_path, *pipeline_path;

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
	assert_string_equal(out,
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
	};
	for (size_t i = 0; argc == 3 && i < sizeof(demos) / sizeof(demos[0]); i++) {
		if (strcmp(argv[1], demos[i].name) == 0) {
			*demos[i].path = argv[2];
			const struct CMUnitTest tests[] = { demos[i].test };
			return cmocka_run_group_tests_name(demos[i].name, tests, NULL, NULL);
		}
	}
	fprintf(stderr, "usage: %s cancel|gather|async_for|async_with|pipeline PATH\n", argv[0]);
	return 2;
}

/* Runs the demo programs and checks their exact output and timing. The
 * demos' paths come from meson as arguments, in the order of main(). */
#include "harness.h"

#include <string.h>
#include <unistd.h>

static const char *cancel_path, *gather_path, *async_for_path, *async_with_path;

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

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s CANCEL GATHER ASYNC_FOR ASYNC_WITH\n", argv[0]);
		return 2;
	}
	cancel_path = argv[1];
	gather_path = argv[2];
	async_for_path = argv[3];
	async_with_path = argv[4];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel_demo),
		cmocka_unit_test(test_gather_demo),
		cmocka_unit_test(test_async_for_demo),
		cmocka_unit_test(test_async_with_demo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

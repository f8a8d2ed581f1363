/* SPDX-License-Identifier: MIT */
/* ringo_set_log_fn: every message goes to the log function, one line each;
 * the default writes "ringo: <msg>" lines to stderr. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

struct captured {
	char lines[8][512];
	enum ringo_log_level levels[8];
	int n;
};

static void capture(enum ringo_log_level level, const char *msg, void *arg)
{
	struct captured *c = arg;
	if (c->n < 8) {
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", msg);
		c->levels[c->n] = level;
	}
	c->n++;
}

static intptr_t await_forever(void *arg)
{
	(void)arg;
	ringo_future *f;
	assert_int_equal(ringo_future_create(&f), 0);
	intptr_t r = ringo_future_await(f);
	ringo_future_unref(f);
	return r;
}

static void test_deadlock_goes_to_the_log_fn(void **state)
{
	(void)state;
	struct captured c = { .n = 0 };
	ringo_set_log_fn(capture, &c);
	intptr_t result = 0;
	assert_int_equal(ringo_run(await_forever, NULL, &result), -EDEADLK);
	ringo_set_log_fn(NULL, NULL);
	assert_int_equal(result, -ECANCELED);
	/* The headline, then the task dump: what each task waits on. */
	assert_int_equal(c.n, 3);
	assert_int_equal(c.levels[0], RINGO_LOG_ERROR);
	assert_string_equal(c.lines[0], "deadlock: the main task waits but no operation is "
					"in flight; cancelling every task");
	assert_memory_equal(c.lines[1], "task dump: 1 task, 0 operations in flight (pid ", 47);
	assert_memory_equal(c.lines[2], "main  suspended for ", 20);
	assert_non_null(strstr(c.lines[2], "s  future 0x"));
	assert_non_null(strstr(c.lines[2], " (set by nobody yet)"));
	for (int i = 0; i < c.n && i < 8; i++)
		assert_null(strchr(c.lines[i], '\n'));
}

static void default_child(void *arg)
{
	(void)arg;
	intptr_t result = 0;
	ringo_run(await_forever, NULL, &result);
}

static void test_default_writes_lines_to_stderr(void **state)
{
	(void)state;
	char out[4096];
	int status = harness_fork(default_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	/* The first line is the deadlock headline, with the prefix. */
	const char *head = "ringo: deadlock: the main task waits but no operation is in "
			   "flight; cancelling every task\n";
	assert_memory_equal(out, head, strlen(head));
}

static void quiet(enum ringo_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(*(int *)arg)++;
}

static void test_null_restores_the_default(void **state)
{
	(void)state;
	int calls = 0;
	ringo_set_log_fn(quiet, &calls);
	ringo_set_log_fn(NULL, NULL);
	/* Nothing goes to quiet: the message is on stderr again. */
	char out[4096];
	int status = harness_fork(default_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_non_null(strstr(out, "ringo: deadlock:"));
	assert_int_equal(calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadlock_goes_to_the_log_fn),
		cmocka_unit_test(test_default_writes_lines_to_stderr),
		cmocka_unit_test(test_null_restores_the_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

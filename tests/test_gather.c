/* SPDX-License-Identifier: MIT */
/* gather: argument order, first error, return-exceptions, cancellation. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

/* arg: milliseconds to sleep; a negative value fails with -EIO after |ms|. */
static intptr_t child(void *arg)
{
	intptr_t ms = (intptr_t)arg;
	int r = ringo_sleep(RINGO_MSEC(ms < 0 ? -ms : ms));
	if (r < 0) {
		harness_log(&log_, "c%ld:%d", (long)ms, r);
		return r;
	}
	harness_log(&log_, "c%ld", (long)ms);
	return ms < 0 ? -EIO : ms * 10;
}

static void spawn(ringo_task **t, const intptr_t *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ringo_task_create(child, (void *)ms[i], NULL, &t[i]), 0);
}

static void unref_all(ringo_task **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ringo_task_unref(t[i]);
}

static intptr_t argument_order(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 30, 10, 20 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	intptr_t results[3] = { 0 };
	assert_int_equal(ringo_gather(t, 3, results, 0), 0);
	assert_int_equal(results[0], 300);
	assert_int_equal(results[1], 100);
	assert_int_equal(results[2], 200);
	/* Gathering done tasks answers at once. */
	intptr_t again[3] = { 0 };
	assert_int_equal(ringo_gather(t, 3, again, 0), 0);
	assert_memory_equal(again, results, sizeof(results));
	unref_all(t, 3);
	return 0;
}

static void test_results_in_argument_order(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(argument_order, NULL), 0);
	assert_string_equal(log_.buf, "c10 c20 c30");
}

static intptr_t first_error(void *arg)
{
	(void)arg;
	/* Margins of 190 ms: a loaded machine may run a loop step late, and
	 * a step takes every timer that is due by then. */
	const intptr_t ms[] = { 400, -10, 200 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	intptr_t results[3] = { 1, 2, 3 };
	assert_int_equal(ringo_gather(t, 3, results, 0), -EIO);
	/* The log shows it returned before the 200 ms child finished. */
	harness_log(&log_, "gather");
	assert_int_equal(results[0], 1); /* left as they were */
	assert_int_equal(results[1], -EIO);
	assert_int_equal(results[2], 3);
	/* The others keep running. */
	assert_false(ringo_task_done(t[0]));
	assert_int_equal(ringo_task_await(t[0]), 4000);
	assert_int_equal(ringo_task_await(t[2]), 2000);
	unref_all(t, 3);
	return 0;
}

static void test_first_error_returns_at_once(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(first_error, NULL), 0);
	assert_string_equal(log_.buf, "c-10 gather c200 c400");
}

static intptr_t return_exceptions(void *arg)
{
	(void)arg;
	/* The children start and sleep at the first yield; the last (5 s) is
	 * cancelled at once, before the 10 ms one fails however loaded the
	 * machine (a 5 ms sleep here could oversleep past it). */
	const intptr_t ms[] = { 30, -10, 20, 5000 };
	ringo_task *t[4];
	spawn(t, ms, 4);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t[3]));
	intptr_t results[4];
	assert_int_equal(ringo_gather(t, 4, results, RINGO_RETURN_EXCEPTIONS), 0);
	assert_int_equal(results[0], 300);
	assert_int_equal(results[1], -EIO);
	assert_int_equal(results[2], 200);
	assert_int_equal(results[3], -ECANCELED);
	unref_all(t, 4);
	return 0;
}

static void test_return_exceptions(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(return_exceptions, NULL), 0);
	assert_string_equal(log_.buf, "c5000:-125 c-10 c20 c30");
}

static intptr_t cancelled_child_without_flag(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 30, 50 };
	ringo_task *t[2];
	spawn(t, ms, 2);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(ringo_task_cancel(t[1]));
	assert_int_equal(ringo_gather(t, 2, NULL, 0), -ECANCELED);
	/* The gathering task itself was not cancelled. */
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_task_await(t[0]), 300);
	unref_all(t, 2);
	return 0;
}

static void test_cancelled_child_is_an_error(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(cancelled_child_without_flag, NULL), 0);
}

/* A child that needs time to clean up after a cancellation. */
static intptr_t slow_cleanup(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "cleanup:%d", r);
	ringo_sleep(RINGO_MSEC(30)); /* cleanup that awaits */
	harness_log(&log_, "cleaned");
	return r;
}

static ringo_task *gather_children[3];

static intptr_t gatherer(void *arg)
{
	(void)arg;
	int r = ringo_gather(gather_children, 3, NULL, (unsigned)(uintptr_t)arg);
	harness_log(&log_, "gather:%d", r);
	return r;
}

static intptr_t cancel_gather(void *arg)
{
	const intptr_t ms[] = { 1, 10000 };
	spawn(gather_children, ms, 2);
	assert_int_equal(ringo_task_create(slow_cleanup, NULL, NULL, &gather_children[2]), 0);
	ringo_task *g;
	assert_int_equal(ringo_task_create(gatherer, arg, NULL, &g), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_true(ringo_task_cancel(g));
	assert_int_equal(ringo_task_await(g), -ECANCELED);
	assert_true(ringo_task_cancelled(g));
	assert_int_equal(ringo_task_result(gather_children[0]), 10);
	assert_true(ringo_task_cancelled(gather_children[1]));
	assert_true(ringo_task_done(gather_children[2]));
	ringo_task_unref(g);
	unref_all(gather_children, 3);
	return 0;
}

static void test_cancelling_gather_cancels_children(void **state)
{
	(void)state;
	for (unsigned flags = 0; flags <= RINGO_RETURN_EXCEPTIONS; flags++) {
		memset(&log_, 0, sizeof(log_));
		assert_int_equal(harness_run(cancel_gather, (void *)(uintptr_t)flags), 0);
		/* gather answers only after the slow child has cleaned up */
		assert_string_equal(log_.buf, "c1 c10000:-125 cleanup:-125 cleaned gather:-125");
	}
}

static intptr_t edge_cases(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_gather(NULL, 0, NULL, 0), 0);
	assert_int_equal(ringo_gather(NULL, 1, NULL, 0), -EINVAL);
	ringo_task *t[2] = { NULL, NULL };
	assert_int_equal(ringo_gather(t, 2, NULL, 0), -EINVAL);
	ringo_task *self[1] = { ringo_task_current() };
	assert_int_equal(ringo_gather(self, 1, NULL, 0), -EDEADLK);
	/* The same task twice. */
	const intptr_t ms[] = { 5 };
	spawn(t, ms, 1);
	t[1] = t[0];
	intptr_t results[2];
	assert_int_equal(ringo_gather(t, 2, results, 0), 0);
	assert_int_equal(results[0], 50);
	assert_int_equal(results[1], 50);
	ringo_task_unref(t[0]);
	return 0;
}

static void test_edge_cases(void **state)
{
	(void)state;
	assert_int_equal(harness_run(edge_cases, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_in_argument_order),
		cmocka_unit_test(test_first_error_returns_at_once),
		cmocka_unit_test(test_return_exceptions),
		cmocka_unit_test(test_cancelled_child_is_an_error),
		cmocka_unit_test(test_cancelling_gather_cancels_children),
		cmocka_unit_test(test_edge_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

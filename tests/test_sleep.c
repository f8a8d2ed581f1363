/* SPDX-License-Identifier: MIT */
/* Sleeping and yielding. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static intptr_t yielder(void *arg)
{
	for (int i = 0; i < 3; i++) {
		harness_log(&log_, "%s%d", (const char *)arg, i);
		assert_int_equal(ringo_sleep(0), 0);
	}
	return 0;
}

static intptr_t fairness(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	assert_int_equal(ringo_task_create(yielder, "A", NULL, &t[0]), 0);
	assert_int_equal(ringo_task_create(yielder, "B", NULL, &t[1]), 0);
	assert_int_equal(ringo_gather(t, 2, NULL, 0), 0);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	return 0;
}

static void test_yield_alternates(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(fairness, NULL), 0);
	assert_string_equal(log_.buf, "A0 B0 A1 B1 A2 B2");
}

static intptr_t timed(void *arg)
{
	int64_t ns = *(int64_t *)arg;
	int64_t t0 = harness_now();
	assert_int_equal(ringo_sleep(ns), 0);
	return harness_now() - t0;
}

static void test_sleep_never_returns_early(void **state)
{
	(void)state;
	int64_t ns = RINGO_MSEC(1);
	for (int i = 0; i < 20; i++)
		assert_true(harness_run(timed, &ns) >= ns);
	ns = RINGO_MSEC(50);
	assert_true(harness_run(timed, &ns) >= ns);
}

static void test_one_second(void **state)
{
	(void)state;
	int64_t ns = RINGO_SEC(1);
	int64_t took = harness_run(timed, &ns);
	assert_true(took >= RINGO_SEC(1));
	assert_true(took < RINGO_SEC(3));
}

static intptr_t sleep_and_log(void *arg)
{
	intptr_t ms = (intptr_t)arg;
	assert_int_equal(ringo_sleep(RINGO_MSEC(ms)), 0);
	harness_log(&log_, "%ld", (long)ms);
	return ms;
}

static intptr_t deadline_order(void *arg)
{
	(void)arg;
	/* 100 ms apart, so that a loaded machine cannot reorder them */
	intptr_t ms[] = { 300, 100, 200, 0, 400 };
	ringo_task *t[5];
	for (int i = 0; i < 5; i++)
		assert_int_equal(ringo_task_create(sleep_and_log, (void *)ms[i], NULL, &t[i]), 0);
	intptr_t results[5];
	assert_int_equal(ringo_gather(t, 5, results, 0), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(results[i], ms[i]);
		ringo_task_unref(t[i]);
	}
	return 0;
}

static void test_sleepers_wake_in_deadline_order(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(deadline_order, NULL), 0);
	assert_string_equal(log_.buf, "0 100 200 300 400");
}

static intptr_t until(void *arg)
{
	(void)arg;
	int64_t deadline = ringo_time() + RINGO_MSEC(30);
	assert_int_equal(ringo_sleep_until(deadline), 0);
	assert_true(ringo_time() >= deadline);
	/* A deadline in the past still goes through the ring and returns 0. */
	assert_int_equal(ringo_sleep_until(deadline - RINGO_SEC(1)), 0);
	return 0;
}

static void test_sleep_until(void **state)
{
	(void)state;
	assert_int_equal(harness_run(until, NULL), 0);
}

static intptr_t short_sleeper(void *arg)
{
	assert_int_equal(ringo_sleep(RINGO_MSEC(100)), 0);
	(*(int *)arg)++;
	return 0;
}

static intptr_t ten_thousand(void *arg)
{
	enum { N = 10000 };
	static ringo_task *t[N];
	for (int i = 0; i < N; i++)
		assert_int_equal(ringo_task_create(short_sleeper, arg, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, N, NULL, 0), 0);
	for (int i = 0; i < N; i++)
		ringo_task_unref(t[i]);
	return 0;
}

static void test_ten_thousand_sleepers_on_a_small_ring(void **state)
{
	(void)state;
	int count = 0;
	ringo_run_opts opts = { .ring_entries = 16 };
	intptr_t result = -1;
	int64_t t0 = harness_now();
	assert_int_equal(ringo_run_with(ten_thousand, &count, &result, &opts), 0);
	int64_t took = harness_now() - t0;
	assert_int_equal(result, 0);
	assert_int_equal(count, 10000);
	assert_true(took >= RINGO_MSEC(100));
	assert_true(took < RINGO_SEC(30)); /* about 0.2 s; generous for sanitizers under load */
}

static int64_t t0;

static intptr_t early_sleeper(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	harness_log(&log_, "A");
	return 0;
}

static intptr_t busy_then_until(void *arg)
{
	(void)arg;
	int64_t end = harness_now() + RINGO_MSEC(30);
	while (harness_now() < end)
		; /* holds the loop: A's timeout is not submitted yet */
	assert_int_equal(ringo_sleep_until(t0 + RINGO_MSEC(35)), 0);
	harness_log(&log_, "B");
	return 0;
}

static intptr_t deadline_from_call(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	t0 = ringo_time();
	assert_int_equal(ringo_task_create(early_sleeper, NULL, NULL, &t[0]), 0);
	assert_int_equal(ringo_task_create(busy_then_until, NULL, NULL, &t[1]), 0);
	assert_int_equal(ringo_gather(t, 2, NULL, 0), 0);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	return 0;
}

static void test_sleep_counts_from_the_call(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(deadline_from_call, NULL), 0);
	assert_string_equal(log_.buf, "A B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yield_alternates),
		cmocka_unit_test(test_sleep_never_returns_early),
		cmocka_unit_test(test_one_second),
		cmocka_unit_test(test_sleepers_wake_in_deadline_order),
		cmocka_unit_test(test_sleep_until),
		cmocka_unit_test(test_ten_thousand_sleepers_on_a_small_ring),
		cmocka_unit_test(test_sleep_counts_from_the_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

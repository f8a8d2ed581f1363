/* SPDX-License-Identifier: MIT */
/* wait: the three modes, timeouts, never raising or cancelling children. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

/* arg: milliseconds to sleep; a negative value fails with -EIO after |ms|.
 * A child cancelled while sleeping logs it and ends cancelled. */
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

/* Ends cancelled by itself (returns -ECANCELED) after 10 ms. */
static intptr_t self_cancelled(void *arg)
{
	(void)arg;
	ringo_sleep(RINGO_MSEC(10));
	harness_log(&log_, "cancelled-child");
	return -ECANCELED;
}

static void spawn(ringo_task **t, const intptr_t *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ringo_task_create(child, (void *)ms[i], NULL, &t[i]), 0);
}

static void finish_all(ringo_task **t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ringo_task_cancel(t[i]);
		ringo_task_await(t[i]);
		ringo_task_unref(t[i]);
	}
}

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* ---- ALL_COMPLETED ---- */

static intptr_t all_completed(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 30, 10, -20 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	bool done[3] = { false, false, false };
	int64_t t0 = harness_now();
	/* A failing child's error is not returned. */
	assert_int_equal(ringo_wait(t, 3, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, done), 3);
	int64_t el = harness_now() - t0;
	assert_true(el >= RINGO_MSEC(30) && el < RINGO_SEC(1));
	assert_true(done[0] && done[1] && done[2]);
	assert_int_equal(ringo_task_result(t[0]), 300);
	assert_int_equal(ringo_task_result(t[1]), 100);
	assert_int_equal(ringo_task_result(t[2]), -EIO);
	harness_log(&log_, "wait");
	finish_all(t, 3);
	return 0;
}

static void test_all_completed(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(all_completed, NULL), 0);
	assert_string_equal(log_.buf, "c10 c-20 c30 wait");
}

/* More children than fit the inline slots. */
static intptr_t all_completed_many(void *arg)
{
	(void)arg;
	enum { N = 40 };
	ringo_task *t[N];
	intptr_t ms[N];
	for (int i = 0; i < N; i++)
		ms[i] = 1 + (i * 7) % 20;
	spawn(t, ms, N);
	bool done[N];
	memset(done, 0, sizeof(done));
	assert_int_equal(ringo_wait(t, N, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, done), N);
	for (int i = 0; i < N; i++) {
		assert_true(done[i]);
		assert_int_equal(ringo_task_result(t[i]), ms[i] * 10);
	}
	finish_all(t, N);
	return 0;
}

static void test_all_completed_many(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(all_completed_many, NULL), 0);
}

/* ---- FIRST_COMPLETED ---- */

static intptr_t first_completed(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 60, 10, 40 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	bool done[3] = { true, false, true };
	assert_int_equal(ringo_wait(t, 3, RINGO_FIRST_COMPLETED, RINGO_NO_TIMEOUT, done), 1);
	harness_log(&log_, "wait:%d%d%d", done[0], done[1], done[2]);
	/* The others were not cancelled and finish normally. */
	assert_int_equal(ringo_task_cancelling(t[0]), 0);
	assert_int_equal(ringo_task_cancelling(t[2]), 0);
	assert_int_equal(ringo_wait(t, 3, RINGO_FIRST_COMPLETED, RINGO_NO_TIMEOUT, done), 1);
	assert_int_equal(ringo_wait(t, 3, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, NULL), 3);
	assert_int_equal(ringo_task_result(t[0]), 600);
	assert_int_equal(ringo_task_result(t[2]), 400);
	harness_log(&log_, "all");
	finish_all(t, 3);
	return 0;
}

static void test_first_completed(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(first_completed, NULL), 0);
	/* The second wait answered at once: t[1] was done already. */
	assert_string_equal(log_.buf, "c10 wait:010 c40 c60 all");
}

/* ---- FIRST_EXCEPTION ---- */

static intptr_t first_exception(void *arg)
{
	(void)arg;
	/* 300 ms, not 60: a loop held off the CPU for 30 ms would otherwise
	 * see the third task done in the same step as the failure. */
	const intptr_t ms[] = { 10, -30, 300 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	bool done[3];
	/* c10 completing normally does not end the wait; the failure does. */
	assert_int_equal(ringo_wait(t, 3, RINGO_FIRST_EXCEPTION, RINGO_NO_TIMEOUT, done), 2);
	harness_log(&log_, "wait:%d%d%d", done[0], done[1], done[2]);
	assert_false(ringo_task_done(t[2]));
	/* A failed task done already: answered without waiting. */
	assert_int_equal(ringo_wait(t, 3, RINGO_FIRST_EXCEPTION, RINGO_NO_TIMEOUT, done), 2);
	assert_int_equal(ringo_task_await(t[2]), 3000);
	finish_all(t, 3);
	return 0;
}

static void test_first_exception(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(first_exception, NULL), 0);
	assert_string_equal(log_.buf, "c10 c-30 wait:110 c300");
}

/* A cancelled child is not an exception; with no failure FIRST_EXCEPTION
 * waits for all. */
static intptr_t first_exception_ignores_cancelled(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	assert_int_equal(ringo_task_create(self_cancelled, NULL, NULL, &t[0]), 0);
	assert_int_equal(ringo_task_create(child, (void *)30, NULL, &t[1]), 0);
	bool done[2];
	assert_int_equal(ringo_wait(t, 2, RINGO_FIRST_EXCEPTION, RINGO_NO_TIMEOUT, done), 2);
	harness_log(&log_, "wait:%d%d", done[0], done[1]);
	assert_true(ringo_task_cancelled(t[0]));
	finish_all(t, 2);
	return 0;
}

static void test_first_exception_ignores_cancelled(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(first_exception_ignores_cancelled, NULL), 0);
	assert_string_equal(log_.buf, "cancelled-child c30 wait:11");
}

/* ---- timeouts ---- */

static intptr_t times_out(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 200, 10, 300 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	bool done[3];
	int64_t t0 = harness_now();
	assert_int_equal(ringo_wait(t, 3, RINGO_ALL_COMPLETED, RINGO_MSEC(50), done), 1);
	int64_t el = harness_now() - t0;
	assert_true(el >= RINGO_MSEC(50) && el < RINGO_MSEC(150));
	harness_log(&log_, "wait:%d%d%d", done[0], done[1], done[2]);
	/* Nothing was cancelled: they finish normally. */
	assert_int_equal(ringo_task_cancelling(t[0]), 0);
	assert_int_equal(ringo_task_await(t[0]), 2000);
	assert_int_equal(ringo_task_await(t[2]), 3000);
	finish_all(t, 3);
	return 0;
}

static void test_timeout_returns_done_so_far(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(times_out, NULL), 0);
	assert_string_equal(log_.buf, "c10 wait:010 c200 c300");
}

static intptr_t times_out_none_done(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(child, (void *)100, NULL, &t), 0);
	bool done = true;
	assert_int_equal(ringo_wait(&t, 1, RINGO_FIRST_COMPLETED, 0, &done), 0);
	assert_false(done);
	assert_int_equal(ringo_wait(&t, 1, RINGO_FIRST_COMPLETED, RINGO_MSEC(10), &done), 0);
	assert_false(done);
	harness_log(&log_, "timeouts");
	assert_int_equal(ringo_wait(&t, 1, RINGO_FIRST_COMPLETED, RINGO_SEC(10), &done), 1);
	assert_true(done);
	finish_all(&t, 1);
	return 0;
}

static void test_timeout_with_nothing_done(void **state)
{
	(void)state;
	reset();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(times_out_none_done, NULL), 0);
	/* The 10 s timer of the last wait was stopped, not waited for. */
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_string_equal(log_.buf, "timeouts c100");
}

/* ---- answering without suspending ---- */

static intptr_t probe(void *arg)
{
	(void)arg;
	harness_log(&log_, "probe");
	return 0;
}

static intptr_t already_satisfied(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	assert_int_equal(ringo_task_create(child, (void *)1, NULL, &t[0]), 0);
	assert_int_equal(ringo_task_create(child, (void *)50, NULL, &t[1]), 0);
	assert_int_equal(ringo_task_await(t[0]), 10);
	ringo_task *p;
	assert_int_equal(ringo_task_create(probe, NULL, NULL, &p), 0);
	bool done[2];
	assert_int_equal(ringo_wait(t, 2, RINGO_FIRST_COMPLETED, RINGO_NO_TIMEOUT, done), 1);
	harness_log(&log_, "wait");
	assert_int_equal(ringo_task_await(p), 0);
	ringo_task_unref(p);
	finish_all(t, 2);
	return 0;
}

static void test_condition_met_does_not_suspend(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(already_satisfied, NULL), 0);
	assert_string_equal(log_.buf, "c1 wait probe c50:-125");
}

/* ---- cancelling the waiter ---- */

static ringo_task *kids[2];

static intptr_t waiter(void *arg)
{
	(void)arg;
	bool done[2] = { true, true };
	int r = ringo_wait(kids, 2, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, done);
	harness_log(&log_, "waiter:%d done:%d%d", r, done[0], done[1]);
	return r;
}

static intptr_t cancel_waiter(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 40, 60 };
	spawn(kids, ms, 2);
	ringo_task *w;
	assert_int_equal(ringo_task_create(waiter, NULL, NULL, &w), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(ringo_task_cancel(w));
	assert_int_equal(ringo_task_await(w), -ECANCELED);
	/* The children were not cancelled. */
	assert_int_equal(ringo_task_cancelling(kids[0]), 0);
	assert_int_equal(ringo_task_cancelling(kids[1]), 0);
	assert_int_equal(ringo_task_await(kids[0]), 400);
	assert_int_equal(ringo_task_await(kids[1]), 600);
	ringo_task_unref(w);
	finish_all(kids, 2);
	return 0;
}

static void test_cancelling_waiter_leaves_children(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_waiter, NULL), 0);
	assert_string_equal(log_.buf, "waiter:-125 done:00 c40 c60");
}

/* ---- errors ---- */

static int cb_result;
static ringo_task *cb_task;

static void from_callback(void *arg)
{
	(void)arg;
	cb_result = ringo_wait(&cb_task, 1, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, NULL);
}

static intptr_t bad_args(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	assert_int_equal(ringo_task_create(child, (void *)5, NULL, &t[0]), 0);
	t[1] = NULL;
	assert_int_equal(ringo_wait(t, 0, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, NULL), -EINVAL);
	assert_int_equal(ringo_wait(NULL, 1, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, NULL), -EINVAL);
	assert_int_equal(ringo_wait(t, 2, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, NULL), -EINVAL);
	assert_int_equal(ringo_wait(t, 1, (ringo_wait_mode)7, RINGO_NO_TIMEOUT, NULL), -EINVAL);
	cb_task = t[0];
	cb_result = 1;
	assert_int_equal(ringo_call_soon(from_callback, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(cb_result, -EPERM);
	/* A pending cancellation is delivered instead of waiting. */
	ringo_task_cancel(ringo_task_current());
	assert_int_equal(ringo_wait(t, 1, RINGO_ALL_COMPLETED, RINGO_NO_TIMEOUT, NULL),
			 -ECANCELED);
	assert_int_equal(ringo_task_await(t[0]), 50);
	ringo_task_unref(t[0]);
	return 0;
}

static void test_bad_arguments(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(bad_args, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_completed),
		cmocka_unit_test(test_all_completed_many),
		cmocka_unit_test(test_first_completed),
		cmocka_unit_test(test_first_exception),
		cmocka_unit_test(test_first_exception_ignores_cancelled),
		cmocka_unit_test(test_timeout_returns_done_so_far),
		cmocka_unit_test(test_timeout_with_nothing_done),
		cmocka_unit_test(test_condition_met_does_not_suspend),
		cmocka_unit_test(test_cancelling_waiter_leaves_children),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

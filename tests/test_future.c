/* SPDX-License-Identifier: MIT */
/* Futures: results, errors, cancellation, waiters and done callbacks, all
 * woken through the ring and never inside set_*. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;
static ringo_future *fut;

static intptr_t waiter(void *arg)
{
	intptr_t r = ringo_future_await(fut);
	harness_log(&log_, "%s=%ld", (const char *)arg, (long)r);
	return r;
}

static void on_done(ringo_future *f, void *arg)
{
	harness_log(&log_, "cb%s=%ld", (const char *)arg, (long)ringo_future_result(f));
}

static intptr_t set_wakes_waiters_in_order(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&fut), 0);
	ringo_task *t[3];
	const char *names[] = { "a", "b", "c" };
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(waiter, (void *)names[i], NULL, &t[i]), 0);
	assert_int_equal(ringo_sleep(0), 0); /* all three wait now */
	assert_int_equal(ringo_future_add_done_callback(fut, on_done, "1"), 0);
	assert_int_equal(ringo_future_result(fut), -EAGAIN);
	assert_false(ringo_future_done(fut));
	assert_int_equal(ringo_future_set_result(fut, 42), 0);
	harness_log(&log_, "set");
	assert_true(ringo_future_done(fut));
	assert_int_equal(ringo_future_result(fut), 42);
	assert_int_equal(ringo_future_set_result(fut, 43), -EALREADY);
	assert_int_equal(ringo_future_set_error(fut, -EIO), -EALREADY);
	assert_false(ringo_future_cancel(fut));
	intptr_t results[3];
	assert_int_equal(ringo_gather(t, 3, results, 0), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(results[i], 42);
		ringo_task_unref(t[i]);
	}
	/* Awaiting a done future returns at once. */
	assert_int_equal(ringo_future_await(fut), 42);
	ringo_future_unref(fut);
	return 0;
}

static void test_set_result_wakes_waiters_in_order(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(set_wakes_waiters_in_order, NULL), 0);
	assert_string_equal(log_.buf, "set a=42 b=42 c=42 cb1=42");
}

static intptr_t errors(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&fut), 0);
	assert_int_equal(ringo_future_set_result(fut, -1), -EINVAL);
	assert_int_equal(ringo_future_set_error(fut, 0), -EINVAL);
	assert_int_equal(ringo_future_set_error(fut, 5), -EINVAL);
	ringo_task *t;
	assert_int_equal(ringo_task_create(waiter, "w", NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_future_set_error(fut, -EPIPE), 0);
	assert_int_equal(ringo_task_await(t), -EPIPE);
	assert_false(ringo_future_cancelled(fut));
	ringo_task_unref(t);
	ringo_future_unref(fut);
	assert_int_equal(ringo_future_create(NULL), -EINVAL);
	assert_int_equal(ringo_future_await(NULL), -EINVAL);
	assert_int_equal(ringo_future_set_result(NULL, 1), -EINVAL);
	assert_false(ringo_future_cancel(NULL));
	assert_false(ringo_future_done(NULL));
	ringo_future_unref(NULL);
	return 0;
}

static void test_errors(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(errors, NULL), 0);
	assert_string_equal(log_.buf, "w=-32");
}

static intptr_t cancel(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&fut), 0);
	ringo_task *t[2];
	assert_int_equal(ringo_task_create(waiter, "a", NULL, &t[0]), 0);
	assert_int_equal(ringo_task_create(waiter, "b", NULL, &t[1]), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_future_cancel(fut));
	assert_false(ringo_future_cancel(fut));
	assert_true(ringo_future_cancelled(fut));
	assert_int_equal(ringo_future_result(fut), -ECANCELED);
	intptr_t results[2];
	assert_int_equal(ringo_gather(t, 2, results, RINGO_RETURN_EXCEPTIONS), 0);
	assert_int_equal(results[0], -ECANCELED);
	assert_int_equal(results[1], -ECANCELED);
	/* The tasks ended cancelled, since awaiting raised CancelledError. */
	assert_true(ringo_task_cancelled(t[0]));
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	ringo_future_unref(fut);
	return 0;
}

static void test_cancel_wakes_every_waiter(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(cancel, NULL), 0);
	assert_string_equal(log_.buf, "a=-125 b=-125");
}

static intptr_t callbacks(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&fut), 0);
	assert_int_equal(ringo_future_add_done_callback(fut, on_done, "1"), 0);
	assert_int_equal(ringo_future_add_done_callback(fut, on_done, "2"), 0);
	assert_int_equal(ringo_future_add_done_callback(fut, on_done, "3"), 0);
	assert_int_equal(ringo_future_remove_done_callback(fut, on_done, "2"), 1);
	assert_int_equal(ringo_future_add_done_callback(fut, NULL, NULL), -EINVAL);
	assert_int_equal(ringo_future_set_result(fut, 8), 0);
	harness_log(&log_, "set");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_future_add_done_callback(fut, on_done, "late"), 0);
	harness_log(&log_, "added");
	/* The caller may drop its reference: a pending callback keeps one. */
	ringo_future_unref(fut);
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_done_callbacks_run_later_in_order(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(callbacks, NULL), 0);
	assert_string_equal(log_.buf, "set cb1=8 cb3=8 added cblate=8");
}

static ringo_future *kept;

static intptr_t keep_future(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&kept), 0);
	assert_int_equal(ringo_future_add_done_callback(kept, on_done, "never"), 0);
	ringo_future *dropped;
	assert_int_equal(ringo_future_create(&dropped), 0);
	assert_int_equal(ringo_future_add_done_callback(dropped, on_done, "never"), 0);
	ringo_future_unref(dropped); /* freed with its callback (LeakSanitizer checks) */
	return 0;
}

static void test_future_outliving_its_loop(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(keep_future, NULL), 0);
	assert_int_equal(ringo_future_set_result(kept, 1), -EPERM);
	assert_int_equal(ringo_future_set_error(kept, -EIO), -EPERM);
	assert_false(ringo_future_cancel(kept));
	assert_false(ringo_future_done(kept));
	assert_int_equal(ringo_future_add_done_callback(kept, on_done, "late"), -EPERM);
	ringo_future_unref(kept);
	assert_string_equal(log_.buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_result_wakes_waiters_in_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cancel_wakes_every_waiter),
		cmocka_unit_test(test_done_callbacks_run_later_in_order),
		cmocka_unit_test(test_future_outliving_its_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* shield: the awaiter's cancellation does not reach the shielded task. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* arg: milliseconds; logs how its sleep ended. */
static intptr_t inner(void *arg)
{
	int r = ringo_sleep(RINGO_MSEC((intptr_t)arg));
	harness_log(&log_, "inner:%d", r);
	return r < 0 ? r : 9;
}

static intptr_t shield_result(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner, (void *)10, NULL, &t), 0);
	harness_log(&log_, "shield:%ld", (long)ringo_shield(t));
	/* Done: answered at once. */
	harness_log(&log_, "again:%ld", (long)ringo_shield(t));
	ringo_task_unref(t);
	return 0;
}

static void test_returns_result(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(shield_result, NULL), 0);
	assert_string_equal(log_.buf, "inner:0 shield:9 again:9");
}

struct outer_arg {
	ringo_task *inner;
	int64_t returned_at;
};

static intptr_t outer(void *arg)
{
	struct outer_arg *o = arg;
	intptr_t r = ringo_shield(o->inner);
	o->returned_at = harness_now();
	harness_log(&log_, "outer:%ld", (long)r);
	return r;
}

static intptr_t cancel_awaiter(void *arg)
{
	(void)arg;
	struct outer_arg o = { 0 };
	assert_int_equal(ringo_task_create(inner, (void *)60, NULL, &o.inner), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(outer, &o, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	int64_t t0 = harness_now();
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	/* The awaiter got -ECANCELED at once; the inner task goes on. */
	assert_true(o.returned_at - t0 < RINGO_MSEC(30));
	assert_false(ringo_task_done(o.inner));
	assert_int_equal(ringo_task_cancelling(o.inner), 0);
	harness_log(&log_, "main");
	assert_int_equal(ringo_task_await(o.inner), 9);
	assert_false(ringo_task_cancelled(o.inner));
	ringo_task_unref(t);
	ringo_task_unref(o.inner);
	return 0;
}

static void test_cancelling_awaiter_spares_inner(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_awaiter, NULL), 0);
	assert_string_equal(log_.buf, "outer:-125 main inner:0");
}

/* Cancelling the shielded task itself does reach the awaiter. */
static intptr_t cancel_inner(void *arg)
{
	(void)arg;
	struct outer_arg o = { 0 };
	assert_int_equal(ringo_task_create(inner, (void *)10000, NULL, &o.inner), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(outer, &o, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(ringo_task_cancel(o.inner));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_int_equal(ringo_task_cancelling(t), 0);
	ringo_task_unref(t);
	ringo_task_unref(o.inner);
	return 0;
}

static void test_inner_cancelled(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_inner, NULL), 0);
	assert_string_equal(log_.buf, "inner:-125 outer:-125");
}

/* A pending cancellation is delivered without touching the inner task. */
static intptr_t pending(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner, (void *)10, NULL, &t), 0);
	ringo_task_cancel(ringo_task_current());
	harness_log(&log_, "shield:%ld", (long)ringo_shield(t));
	ringo_task_uncancel(ringo_task_current());
	assert_int_equal(ringo_task_cancelling(t), 0);
	harness_log(&log_, "await:%ld", (long)ringo_task_await(t));
	ringo_task_unref(t);
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(pending, NULL), 0);
	assert_string_equal(log_.buf, "shield:-125 inner:0 await:9");
}

static intptr_t bad_args(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_shield(NULL), -EINVAL);
	assert_int_equal(ringo_shield(ringo_task_current()), -EDEADLK);
	return 0;
}

static void test_bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(harness_run(bad_args, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_returns_result),
		cmocka_unit_test(test_cancelling_awaiter_spares_inner),
		cmocka_unit_test(test_inner_cancelled),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

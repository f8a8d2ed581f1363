/* SPDX-License-Identifier: MIT */
/* Timeout scopes: expiry, only its own cancellation turned into
 * -ETIMEDOUT, nested scopes (equal deadlines as asyncio 3.12), foreign
 * cancellations, reschedule. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

static int cancelling(void)
{
	return ringo_task_cancelling(ringo_task_current());
}

/* ---- expiry ---- */

static intptr_t expires(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	int64_t t0 = harness_now();
	int64_t before = ringo_time();
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(30)), 0);
	int64_t when = ringo_timeout_when(to);
	assert_true(when >= before + RINGO_MSEC(30) && when <= ringo_time() + RINGO_MSEC(30));
	assert_false(ringo_timeout_expired(to));
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "body:%d cancelling:%d expired:%d", r, cancelling(),
		    ringo_timeout_expired(to));
	intptr_t x = ringo_timeout_exit(to, r);
	int64_t el = harness_now() - t0;
	assert_true(el >= RINGO_MSEC(30) && el < RINGO_SEC(1)); /* the 30 ms scope, not the 10 s sleep */
	harness_log(&log_, "exit:%ld cancelling:%d expired:%d", (long)x, cancelling(),
		    ringo_timeout_expired(to));
	/* Exited: no second exit, no reschedule. */
	assert_int_equal(ringo_timeout_exit(to, 0), -EINVAL);
	assert_int_equal(ringo_timeout_reschedule(to, RINGO_NO_TIMEOUT), -EINVAL);
	ringo_timeout_destroy(to);
	/* Nothing left pending: the task sleeps normally. */
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	return 0;
}

static void test_expiry_becomes_timeout(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(expires, NULL), 0);
	assert_string_equal(log_.buf, "body:-125 cancelling:1 expired:1 "
				      "exit:-110 cancelling:0 expired:1");
}

static intptr_t in_time(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	int64_t t0 = harness_now();
	assert_int_equal(ringo_timeout_enter(&to, RINGO_SEC(5)), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	/* The body's value passes through. */
	assert_int_equal(ringo_timeout_exit(to, 7), 7);
	assert_false(ringo_timeout_expired(to));
	ringo_timeout_destroy(to);
	/* Its error too. */
	assert_int_equal(ringo_timeout_enter(&to, RINGO_SEC(5)), 0);
	assert_int_equal(ringo_timeout_exit(to, -EIO), -EIO);
	ringo_timeout_destroy(to);
	/* No deadline. */
	assert_int_equal(ringo_timeout_enter(&to, RINGO_NO_TIMEOUT), 0);
	assert_int_equal(ringo_timeout_when(to), RINGO_NO_TIMEOUT);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_timeout_exit(to, 0), 0);
	ringo_timeout_destroy(to);
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	return 0;
}

static void test_in_time_passes_result(void **state)
{
	(void)state;
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(in_time, NULL), 0);
	/* The 5 s timers were stopped, not waited for. */
	assert_true(harness_now() - t0 < RINGO_SEC(1));
}

/* A deadline already past (or a delay <= 0) expires at the loop's next
 * turn: the next await is cancelled. */
static intptr_t past_deadline(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	assert_int_equal(ringo_timeout_enter_at(&to, ringo_time() - RINGO_SEC(1)), 0);
	assert_false(ringo_timeout_expired(to));
	harness_log(&log_, "past:%d", ringo_sleep(RINGO_SEC(10)));
	harness_log(&log_, "exit:%ld", (long)ringo_timeout_exit(to, -ECANCELED));
	ringo_timeout_destroy(to);
	assert_int_equal(ringo_timeout_enter(&to, 0), 0);
	harness_log(&log_, "zero:%d", ringo_sleep(RINGO_SEC(10)));
	harness_log(&log_, "exit:%ld", (long)ringo_timeout_exit(to, -ECANCELED));
	ringo_timeout_destroy(to);
	/* A negative delay is a deadline that far in the past (asyncio's
	 * timeout(-1).when() is loop.time() - 1). */
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_timeout_enter(&to, -RINGO_SEC(5)), 0);
	assert_true(ringo_timeout_when(to) <= t0 - RINGO_SEC(5) + RINGO_SEC(1));
	harness_log(&log_, "negative:%d", ringo_sleep(RINGO_SEC(10)));
	harness_log(&log_, "exit:%ld", (long)ringo_timeout_exit(to, -ECANCELED));
	ringo_timeout_destroy(to);
	return 0;
}

static void test_past_deadline(void **state)
{
	(void)state;
	reset();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(past_deadline, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_string_equal(log_.buf, "past:-125 exit:-110 zero:-125 exit:-110 "
				      "negative:-125 exit:-110");
}

/* Issue 11 item 3: timeout(0) around sleep(0) expires, as in asyncio (a
 * deadline already past is scheduled with call_soon, so it lands before
 * the sleep's wake-up):
 *   async with asyncio.timeout(0): await asyncio.sleep(0)   # TimeoutError
 * Likewise a negative delay, a past timeout_at, and a reschedule into the
 * past; and yields around the sleep do not change it. */
static intptr_t zero_around_yield(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	assert_int_equal(ringo_timeout_enter(&to, 0), 0);
	int r = ringo_sleep(0);
	harness_log(&log_, "zero:%d", r);
	harness_log(&log_, "exit:%ld expired:%d", (long)ringo_timeout_exit(to, r),
		    ringo_timeout_expired(to));
	ringo_timeout_destroy(to);

	assert_int_equal(ringo_timeout_enter(&to, -RINGO_MSEC(1)), 0);
	r = ringo_sleep(0);
	harness_log(&log_, "negative:%d", r);
	harness_log(&log_, "exit:%ld", (long)ringo_timeout_exit(to, r));
	ringo_timeout_destroy(to);

	assert_int_equal(ringo_timeout_enter_at(&to, ringo_time()), 0);
	r = ringo_sleep(0);
	harness_log(&log_, "at_now:%d", r);
	harness_log(&log_, "exit:%ld", (long)ringo_timeout_exit(to, r));
	ringo_timeout_destroy(to);

	assert_int_equal(ringo_timeout_enter(&to, RINGO_SEC(10)), 0);
	assert_int_equal(ringo_timeout_reschedule(to, 0), 0);
	r = ringo_sleep(0);
	harness_log(&log_, "moved:%d", r);
	harness_log(&log_, "exit:%ld", (long)ringo_timeout_exit(to, r));
	ringo_timeout_destroy(to);
	return 0;
}

static void test_zero_timeout_around_yield(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) {
		ringo_run_opts opts = { .flags = i % 2 ? RINGO_RUN_PLAIN_RING : 0 };
		intptr_t result = -1;
		reset();
		assert_int_equal(ringo_run_with(zero_around_yield, NULL, &result, &opts), 0);
		assert_int_equal(result, 0);
		assert_string_equal(log_.buf, "zero:-125 exit:-110 expired:1 "
					      "negative:-125 exit:-110 "
					      "at_now:-125 exit:-110 "
					      "moved:-125 exit:-110");
	}
}

/* The body handles the cancellation and returns a value: no timeout. */
static intptr_t body_suppresses(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(10)), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "body:%d", r);
	intptr_t x = ringo_timeout_exit(to, 5);
	harness_log(&log_, "exit:%ld expired:%d cancelling:%d", (long)x,
		    ringo_timeout_expired(to), cancelling());
	ringo_timeout_destroy(to);
	return 0;
}

static void test_body_suppresses_cancel(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(body_suppresses, NULL), 0);
	assert_string_equal(log_.buf, "body:-125 exit:5 expired:1 cancelling:0");
}

/* ---- nesting ---- */

/* Equal deadlines: both scopes cancel (cancelling() == 2, one -ECANCELED
 * delivered); the inner exit withdraws its request, sees the count above
 * its entry value (1 > 0) and passes -ECANCELED on; the outer reports the
 * timeout. Python 3.12:
 *   async with timeout_at(d) as outer:
 *       async with timeout_at(d) as inner:
 *           await sleep(10)        # CancelledError
 *                                  # inner: CancelledError, inner.expired()
 *   # outer: TimeoutError */
static intptr_t nested_equal(void *arg)
{
	(void)arg;
	ringo_timeout *outer, *inner;
	int64_t d = ringo_time() + RINGO_MSEC(20);
	assert_int_equal(ringo_timeout_enter_at(&outer, d), 0);
	assert_int_equal(ringo_timeout_enter_at(&inner, d), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "body:%d cancelling:%d", r, cancelling());
	intptr_t ri = ringo_timeout_exit(inner, r);
	harness_log(&log_, "inner:%ld expired:%d cancelling:%d", (long)ri,
		    ringo_timeout_expired(inner), cancelling());
	intptr_t ro = ringo_timeout_exit(outer, ri);
	harness_log(&log_, "outer:%ld expired:%d cancelling:%d", (long)ro,
		    ringo_timeout_expired(outer), cancelling());
	ringo_timeout_destroy(inner);
	ringo_timeout_destroy(outer);
	return 0;
}

static void test_nested_equal_deadlines(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(nested_equal, NULL), 0);
	assert_string_equal(log_.buf, "body:-125 cancelling:2 "
				      "inner:-125 expired:1 cancelling:1 "
				      "outer:-110 expired:1 cancelling:0");
}

/* The inner deadline first: the inner reports it, the outer goes on. */
static intptr_t nested_inner_first(void *arg)
{
	(void)arg;
	ringo_timeout *outer, *inner;
	assert_int_equal(ringo_timeout_enter(&outer, RINGO_SEC(5)), 0);
	assert_int_equal(ringo_timeout_enter(&inner, RINGO_MSEC(10)), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	intptr_t ri = ringo_timeout_exit(inner, r);
	harness_log(&log_, "inner:%ld expired:%d", (long)ri, ringo_timeout_expired(inner));
	r = ringo_sleep(RINGO_MSEC(5));
	intptr_t ro = ringo_timeout_exit(outer, r);
	harness_log(&log_, "outer:%ld expired:%d", (long)ro, ringo_timeout_expired(outer));
	ringo_timeout_destroy(inner);
	ringo_timeout_destroy(outer);
	return 0;
}

/* The outer deadline first: the inner scope did not expire and passes the
 * cancellation on; the outer reports the timeout. */
static intptr_t nested_outer_first(void *arg)
{
	(void)arg;
	ringo_timeout *outer, *inner;
	assert_int_equal(ringo_timeout_enter(&outer, RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_timeout_enter(&inner, RINGO_SEC(5)), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	intptr_t ri = ringo_timeout_exit(inner, r);
	harness_log(&log_, "inner:%ld expired:%d", (long)ri, ringo_timeout_expired(inner));
	intptr_t ro = ringo_timeout_exit(outer, ri);
	harness_log(&log_, "outer:%ld expired:%d", (long)ro, ringo_timeout_expired(outer));
	ringo_timeout_destroy(inner);
	ringo_timeout_destroy(outer);
	return 0;
}

static void test_nested_different_deadlines(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(nested_inner_first, NULL), 0);
	assert_string_equal(log_.buf, "inner:-110 expired:1 outer:0 expired:0");
	reset();
	assert_int_equal(harness_run(nested_outer_first, NULL), 0);
	assert_string_equal(log_.buf, "inner:-125 expired:0 outer:-110 expired:1");
}

/* ---- foreign cancellations ---- */

static intptr_t scoped_sleeper(void *arg)
{
	int64_t cleanup = *(int64_t *)arg;
	ringo_timeout *to;
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(20)), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "body:%d", r);
	if (cleanup) {
		r = ringo_sleep(cleanup);
		harness_log(&log_, "cleanup:%d", r);
		r = -ECANCELED;
	}
	intptr_t x = ringo_timeout_exit(to, r);
	harness_log(&log_, "exit:%ld expired:%d cancelling:%d", (long)x,
		    ringo_timeout_expired(to), cancelling());
	ringo_timeout_destroy(to);
	return x;
}

/* Cancelled from outside before the deadline: -ECANCELED passes. */
static intptr_t foreign_before(void *arg)
{
	(void)arg;
	int64_t cleanup = 0;
	ringo_task *t;
	assert_int_equal(ringo_task_create(scoped_sleeper, &cleanup, NULL, &t), 0);
	/* One step: t enters its scope and sleeps. (A 5 ms sleep here lost the
	 * race with the 20 ms scope on a loaded machine.) */
	assert_int_equal(ringo_sleep(0), 0);
	ringo_task_cancel(t);
	harness_log(&log_, "task:%ld", (long)ringo_task_await(t));
	ringo_task_unref(t);
	/* The scope's timer was stopped: nothing fires at 20 ms. */
	assert_int_equal(ringo_sleep(RINGO_MSEC(30)), 0);
	return 0;
}

/* Cancelled from outside after the scope expired, during the body's
 * cleanup: two requests, one withdrawn, -ECANCELED passes. */
static intptr_t foreign_after(void *arg)
{
	(void)arg;
	int64_t cleanup = RINGO_SEC(10);
	ringo_task *t;
	assert_int_equal(ringo_task_create(scoped_sleeper, &cleanup, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(40)), 0);
	ringo_task_cancel(t);
	harness_log(&log_, "task:%ld", (long)ringo_task_await(t));
	ringo_task_unref(t);
	return 0;
}

static void test_foreign_cancel_passes_through(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(foreign_before, NULL), 0);
	assert_string_equal(log_.buf, "body:-125 exit:-125 expired:0 cancelling:1 task:-125");
	reset();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(foreign_after, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_string_equal(log_.buf, "body:-125 cleanup:-125 exit:-125 expired:1 cancelling:1 "
				      "task:-125");
}

/* ---- reschedule ---- */

static intptr_t reschedule(void *arg)
{
	(void)arg;
	ringo_timeout *to;
	/* From no deadline to one. */
	int64_t t0 = harness_now();
	assert_int_equal(ringo_timeout_enter(&to, RINGO_NO_TIMEOUT), 0);
	int64_t d = ringo_time() + RINGO_MSEC(20);
	assert_int_equal(ringo_timeout_reschedule(to, d), 0);
	assert_int_equal(ringo_timeout_when(to), d);
	int r = ringo_sleep(RINGO_SEC(10));
	assert_true(harness_now() - t0 >= RINGO_MSEC(20));
	harness_log(&log_, "set:%ld", (long)ringo_timeout_exit(to, r));
	ringo_timeout_destroy(to);

	/* Later: the first deadline passes without effect. */
	t0 = harness_now();
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_timeout_reschedule(to, ringo_time() + RINGO_MSEC(60)), 0);
	r = ringo_sleep(RINGO_MSEC(30));
	harness_log(&log_, "later:%d", r);
	r = ringo_sleep(RINGO_SEC(10));
	int64_t el = harness_now() - t0;
	assert_true(el >= RINGO_MSEC(60) && el < RINGO_SEC(1)); /* not the 10 s sleep */
	harness_log(&log_, "later:%ld", (long)ringo_timeout_exit(to, r));
	ringo_timeout_destroy(to);

	/* Removed: never expires. */
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_timeout_reschedule(to, RINGO_NO_TIMEOUT), 0);
	r = ringo_sleep(RINGO_MSEC(30));
	intptr_t x = ringo_timeout_exit(to, r);
	harness_log(&log_, "removed:%ld expired:%d", (long)x, ringo_timeout_expired(to));
	ringo_timeout_destroy(to);

	/* After expiry it can no longer be moved. */
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(5)), 0);
	r = ringo_sleep(RINGO_SEC(10));
	assert_int_equal(ringo_timeout_reschedule(to, ringo_time() + RINGO_SEC(1)), -EINVAL);
	harness_log(&log_, "expired:%ld", (long)ringo_timeout_exit(to, r));
	ringo_timeout_destroy(to);
	return 0;
}

static void test_reschedule(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(reschedule, NULL), 0);
	assert_string_equal(log_.buf, "set:-110 later:0 later:-110 removed:0 expired:0 "
				      "expired:-110");
}

/* ---- async with ---- */

static intptr_t async_with(void *arg)
{
	(void)arg;
	ringo_timeout_actx tm;
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_timeout(&tm, RINGO_MSEC(10)), as, err) {
		assert_ptr_equal((ringo_timeout *)as, tm.scope);
		err = ringo_sleep(RINGO_SEC(10));
		harness_log(&log_, "body:%d", err);
	}
	harness_log(&log_, "with:%d expired:%d scope:%d cancelling:%d", err, tm.expired,
		    tm.scope != NULL, cancelling());
	/* Leaving by break in time: the body's outcome unchanged. */
	RINGO_ASYNC_WITH(ringo_actx_timeout(&tm, RINGO_SEC(5)), as, err) {
		ringo_timeout_reschedule((ringo_timeout *)as, ringo_time() + RINGO_SEC(6));
		if (ringo_sleep(RINGO_MSEC(1)) == 0) {
			err = -EIO;
			break;
		}
		harness_log(&log_, "not reached");
	}
	harness_log(&log_, "with:%d expired:%d", err, tm.expired);
	/* Nested, equal deadlines: only the outer reports the timeout. */
	ringo_timeout_actx outer, inner;
	int64_t d = ringo_time() + RINGO_MSEC(10);
	intptr_t as2;
	int err2;
	RINGO_ASYNC_WITH(ringo_actx_timeout_at(&outer, d), as, err) {
		RINGO_ASYNC_WITH(ringo_actx_timeout_at(&inner, d), as2, err2) {
			err2 = ringo_sleep(RINGO_SEC(10));
		}
		harness_log(&log_, "inner:%d expired:%d", err2, inner.expired);
		err = err2;
	}
	harness_log(&log_, "outer:%d expired:%d", err, outer.expired);
	assert_null(ringo_actx_timeout(NULL, 0));
	return 0;
}

static void test_async_with(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(async_with, NULL), 0);
	assert_string_equal(log_.buf, "body:-125 with:-110 expired:1 scope:0 cancelling:0 "
				      "with:-5 expired:0 inner:-125 expired:1 outer:-110 expired:1");
}

/* ---- errors ---- */

static int cb_result;

static void from_callback(void *arg)
{
	ringo_timeout **to = arg;
	cb_result = ringo_timeout_enter(to, RINGO_SEC(1));
}

static intptr_t bad_args(void *arg)
{
	(void)arg;
	ringo_timeout *to = NULL;
	assert_int_equal(ringo_timeout_enter(NULL, 1), -EINVAL);
	assert_int_equal(ringo_timeout_enter_at(NULL, 1), -EINVAL);
	assert_int_equal(ringo_timeout_exit(NULL, 0), -EINVAL);
	assert_int_equal(ringo_timeout_reschedule(NULL, 0), -EINVAL);
	assert_false(ringo_timeout_expired(NULL));
	ringo_timeout_destroy(NULL);
	assert_int_equal(ringo_call_soon(from_callback, &to, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(cb_result, -EPERM);
	assert_null(to);
	/* Destroyed without exit: its timer is stopped. */
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(5)), 0);
	ringo_timeout_destroy(to);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
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
		cmocka_unit_test(test_expiry_becomes_timeout),
		cmocka_unit_test(test_in_time_passes_result),
		cmocka_unit_test(test_past_deadline),
		cmocka_unit_test(test_zero_timeout_around_yield),
		cmocka_unit_test(test_body_suppresses_cancel),
		cmocka_unit_test(test_nested_equal_deadlines),
		cmocka_unit_test(test_nested_different_deadlines),
		cmocka_unit_test(test_foreign_cancel_passes_through),
		cmocka_unit_test(test_reschedule),
		cmocka_unit_test(test_async_with),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

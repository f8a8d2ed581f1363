/* SPDX-License-Identifier: MIT */
/* wait_for: result in time, timeout after the inner task's cleanup, a
 * suppressed cancellation, timeout <= 0, cancelling the caller. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* How an inner task behaves. */
struct inner {
	int64_t sleep;     /* its work */
	int64_t cleanup;   /* awaited after it is cancelled */
	intptr_t value;    /* returned on success */
	intptr_t on_cancel; /* returned after cleanup (-ECANCELED or a value) */
	bool started;
};

static intptr_t inner_fn(void *arg)
{
	struct inner *in = arg;
	in->started = true;
	int r = ringo_sleep(in->sleep);
	if (r == 0) {
		harness_log(&log_, "inner:done");
		return in->value;
	}
	harness_log(&log_, "inner:%d", r);
	if (in->cleanup) {
		int c = ringo_sleep(in->cleanup);
		harness_log(&log_, "cleanup:%d", c);
	}
	return in->on_cancel;
}

/* ---- in time ---- */

static intptr_t in_time(void *arg)
{
	(void)arg;
	struct inner in = { .sleep = RINGO_MSEC(10), .value = 42 };
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &t), 0);
	int64_t t0 = harness_now();
	intptr_t r = ringo_wait_for(t, RINGO_SEC(5));
	harness_log(&log_, "wait_for:%ld", (long)r);
	assert_true(harness_now() - t0 < RINGO_MSEC(500));
	/* No limit at all. */
	struct inner in2 = { .sleep = RINGO_MSEC(10), .value = 43 };
	ringo_task *t2;
	assert_int_equal(ringo_task_create(inner_fn, &in2, NULL, &t2), 0);
	harness_log(&log_, "wait_for:%ld", (long)ringo_wait_for(t2, RINGO_NO_TIMEOUT));
	ringo_task_unref(t);
	ringo_task_unref(t2);
	return 0;
}

static void test_result_in_time(void **state)
{
	(void)state;
	reset();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(in_time, NULL), 0);
	/* The 5 s timer was stopped: the loop did not wait for it. */
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_string_equal(log_.buf, "inner:done wait_for:42 inner:done wait_for:43");
}

static intptr_t inner_error(void *arg)
{
	(void)arg;
	struct inner in = { .sleep = RINGO_SEC(10), .on_cancel = -EIO };
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	/* The inner task's own error comes back as is: here it answers the
	 * timeout's cancellation with -EIO. */
	assert_int_equal(ringo_wait_for(t, RINGO_MSEC(10)), -EIO);
	ringo_task_unref(t);
	return 0;
}

static void test_inner_error_passes_through(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(inner_error, NULL), 0);
	assert_string_equal(log_.buf, "inner:-125");
}

/* ---- already done: no suspension ---- */

static intptr_t probe(void *arg)
{
	(void)arg;
	harness_log(&log_, "probe");
	return 0;
}

static intptr_t already_done(void *arg)
{
	(void)arg;
	struct inner in = { .sleep = 0, .value = 9 };
	ringo_task *t, *p;
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &t), 0);
	assert_int_equal(ringo_task_await(t), 9);
	assert_int_equal(ringo_task_create(probe, NULL, NULL, &p), 0);
	/* Every kind of timeout, even <= 0, answers at once. */
	harness_log(&log_, "%ld", (long)ringo_wait_for(t, RINGO_SEC(1)));
	harness_log(&log_, "%ld", (long)ringo_wait_for(t, 0));
	harness_log(&log_, "%ld", (long)ringo_wait_for(t, -1));
	harness_log(&log_, "%ld", (long)ringo_wait_for(t, RINGO_NO_TIMEOUT));
	/* Even with a cancellation pending, which stays pending. */
	ringo_task_cancel(ringo_task_current());
	harness_log(&log_, "%ld", (long)ringo_wait_for(t, RINGO_SEC(1)));
	assert_int_equal(ringo_sleep(0), -ECANCELED);
	ringo_task_uncancel(ringo_task_current());
	assert_int_equal(ringo_task_await(p), 0);
	ringo_task_unref(p);
	ringo_task_unref(t);
	return 0;
}

static void test_done_task_answers_at_once(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(already_done, NULL), 0);
	assert_string_equal(log_.buf, "inner:done 9 9 9 9 9 probe");
}

/* ---- timeout: cancel, wait for cleanup, -ETIMEDOUT ---- */

static intptr_t times_out(void *arg)
{
	(void)arg;
	struct inner in = { .sleep = RINGO_SEC(10), .cleanup = RINGO_MSEC(40),
			    .on_cancel = -ECANCELED };
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &t), 0);
	int64_t t0 = harness_now();
	intptr_t r = ringo_wait_for(t, RINGO_MSEC(30));
	int64_t el = harness_now() - t0;
	harness_log(&log_, "wait_for:%ld", (long)r);
	/* 30 ms to the timeout, then 40 ms of cleanup awaited. */
	assert_true(el >= RINGO_MSEC(70) && el < RINGO_SEC(1)); /* not the 10 s sleep */
	assert_true(ringo_task_done(t));
	assert_true(ringo_task_cancelled(t));
	assert_int_equal(ringo_task_cancelling(ringo_task_current()), 0);
	ringo_task_unref(t);
	return 0;
}

static void test_timeout_waits_for_cleanup(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(times_out, NULL), 0);
	assert_string_equal(log_.buf, "inner:-125 cleanup:0 wait_for:-110");
}

static intptr_t suppressed(void *arg)
{
	(void)arg;
	struct inner in = { .sleep = RINGO_SEC(10), .cleanup = RINGO_MSEC(5), .on_cancel = 7 };
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &t), 0);
	harness_log(&log_, "wait_for:%ld", (long)ringo_wait_for(t, RINGO_MSEC(10)));
	assert_false(ringo_task_cancelled(t));
	ringo_task_unref(t);
	return 0;
}

static void test_suppressed_cancel_returns_value(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(suppressed, NULL), 0);
	assert_string_equal(log_.buf, "inner:-125 cleanup:0 wait_for:7");
}

/* ---- timeout <= 0 ---- */

static intptr_t zero_timeout(void *arg)
{
	(void)arg;
	/* Not started: its body never runs. */
	struct inner a = { .sleep = RINGO_MSEC(1), .value = 1 };
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &a, NULL, &t), 0);
	harness_log(&log_, "zero:%ld", (long)ringo_wait_for(t, 0));
	assert_false(a.started);
	assert_true(ringo_task_cancelled(t));
	ringo_task_unref(t);

	struct inner b = { .sleep = RINGO_MSEC(1), .value = 1 };
	assert_int_equal(ringo_task_create(inner_fn, &b, NULL, &t), 0);
	harness_log(&log_, "negative:%ld", (long)ringo_wait_for(t, -RINGO_SEC(1)));
	assert_false(b.started);
	ringo_task_unref(t);

	/* Started and sleeping: cancelled at once, cleanup awaited. */
	struct inner c = { .sleep = RINGO_SEC(10), .cleanup = RINGO_MSEC(5),
			   .on_cancel = -ECANCELED };
	assert_int_equal(ringo_task_create(inner_fn, &c, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(c.started);
	harness_log(&log_, "started:%ld", (long)ringo_wait_for(t, 0));
	assert_true(ringo_task_done(t));
	ringo_task_unref(t);

	/* Started and suppressing: its value. */
	struct inner d = { .sleep = RINGO_SEC(10), .on_cancel = 8 };
	assert_int_equal(ringo_task_create(inner_fn, &d, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "suppressed:%ld", (long)ringo_wait_for(t, 0));
	ringo_task_unref(t);
	return 0;
}

static void test_timeout_zero_cancels_before_start(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(zero_timeout, NULL), 0);
	assert_string_equal(log_.buf, "zero:-110 negative:-110 inner:-125 cleanup:0 started:-110 "
				      "inner:-125 suppressed:8");
}

/* ---- cancelling the caller ---- */

struct caller {
	struct inner in;
	int64_t timeout;
};

static intptr_t caller_fn(void *arg)
{
	struct caller *c = arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &c->in, NULL, &t), 0);
	intptr_t r = ringo_wait_for(t, c->timeout);
	harness_log(&log_, "wait_for:%ld inner_done:%d", (long)r, ringo_task_done(t));
	ringo_task_unref(t);
	return r;
}

static intptr_t cancel_caller(void *arg)
{
	struct caller *c = arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(caller_fn, c, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_true(ringo_task_cancel(t));
	harness_log(&log_, "cancel");
	intptr_t r = ringo_task_await(t);
	harness_log(&log_, "caller:%ld", (long)r);
	ringo_task_unref(t);
	return 0;
}

static void test_cancelling_caller_cancels_inner(void **state)
{
	(void)state;
	reset();
	struct caller c = { .in = { .sleep = RINGO_SEC(10), .cleanup = RINGO_MSEC(20),
				    .on_cancel = -ECANCELED },
			    .timeout = RINGO_SEC(5) };
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(cancel_caller, &c), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_string_equal(log_.buf, "cancel inner:-125 cleanup:0 wait_for:-125 inner_done:1 "
				      "caller:-125");

	/* The inner task suppresses it: its value, as asyncio returns. */
	reset();
	c.in.on_cancel = 6;
	assert_int_equal(harness_run(cancel_caller, &c), 0);
	assert_string_equal(log_.buf, "cancel inner:-125 cleanup:0 wait_for:6 inner_done:1 "
				      "caller:6");

	/* Without a timeout too. */
	reset();
	c.in.on_cancel = -ECANCELED;
	c.timeout = RINGO_NO_TIMEOUT;
	assert_int_equal(harness_run(cancel_caller, &c), 0);
	assert_string_equal(log_.buf, "cancel inner:-125 cleanup:0 wait_for:-125 inner_done:1 "
				      "caller:-125");
}

/* The caller is cancelled after the timeout fired, during the cleanup:
 * the outside cancellation wins, as in asyncio. */
static intptr_t cancel_during_cleanup(void *arg)
{
	struct caller *c = arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(caller_fn, c, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(30)), 0); /* timeout at 10, cleanup till 60 */
	assert_true(ringo_task_cancel(t));
	harness_log(&log_, "cancel");
	harness_log(&log_, "caller:%ld", (long)ringo_task_await(t));
	ringo_task_unref(t);
	return 0;
}

static void test_outside_cancel_beats_timeout(void **state)
{
	(void)state;
	reset();
	struct caller c = { .in = { .sleep = RINGO_SEC(10), .cleanup = RINGO_MSEC(50),
				    .on_cancel = -ECANCELED },
			    .timeout = RINGO_MSEC(10) };
	assert_int_equal(harness_run(cancel_during_cleanup, &c), 0);
	/* The second cancellation reaches the inner task's cleanup too. */
	assert_string_equal(log_.buf, "inner:-125 cancel cleanup:-125 wait_for:-125 inner_done:1 "
				      "caller:-125");
}

/* A cancellation pending when wait_for is called cancels the inner task
 * (here before it starts) and is answered once it has finished. */
static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	struct inner in = { .sleep = RINGO_MSEC(1), .value = 1 };
	ringo_task *t;
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &t), 0);
	ringo_task_cancel(ringo_task_current());
	harness_log(&log_, "wait_for:%ld", (long)ringo_wait_for(t, RINGO_SEC(1)));
	assert_false(in.started);
	assert_true(ringo_task_cancelled(t));
	/* It was delivered: the next await is not cancelled. */
	assert_int_equal(ringo_sleep(0), 0);
	ringo_task_uncancel(ringo_task_current());
	ringo_task_unref(t);
	return 0;
}

static void test_pending_cancel_cancels_inner(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_string_equal(log_.buf, "wait_for:-125");
}

/* ---- errors ---- */

static intptr_t cb_result;
static ringo_task *cb_task;

static void from_callback(void *arg)
{
	(void)arg;
	cb_result = ringo_wait_for(cb_task, RINGO_SEC(1));
}

static intptr_t bad_args(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_wait_for(NULL, 1), -EINVAL);
	assert_int_equal(ringo_wait_for(ringo_task_current(), RINGO_SEC(1)), -EDEADLK);
	struct inner in = { .sleep = RINGO_MSEC(5), .value = 3 };
	assert_int_equal(ringo_task_create(inner_fn, &in, NULL, &cb_task), 0);
	assert_int_equal(ringo_call_soon(from_callback, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(cb_result, -EPERM);
	assert_int_equal(ringo_wait_for(cb_task, RINGO_SEC(1)), 3);
	ringo_task_unref(cb_task);
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
		cmocka_unit_test(test_result_in_time),
		cmocka_unit_test(test_inner_error_passes_through),
		cmocka_unit_test(test_done_task_answers_at_once),
		cmocka_unit_test(test_timeout_waits_for_cleanup),
		cmocka_unit_test(test_suppressed_cancel_returns_value),
		cmocka_unit_test(test_timeout_zero_cancels_before_start),
		cmocka_unit_test(test_cancelling_caller_cancels_inner),
		cmocka_unit_test(test_outside_cancel_beats_timeout),
		cmocka_unit_test(test_pending_cancel_cancels_inner),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

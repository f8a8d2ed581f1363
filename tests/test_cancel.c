/* SPDX-License-Identifier: MIT */
/* Cancellation: asyncio's semantics, nothing completed thrown away. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include <ringo.h>
#include <ringo/debug.h>

static struct harness_log log_;

static intptr_t long_sleep(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "slept:%d", r);
	return r;
}

static intptr_t cancel_sleeping(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(long_sleep, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0); /* t starts and sleeps */
	assert_true(ringo_task_cancel(t));
	harness_log(&log_, "requested");
	assert_int_equal(ringo_task_cancelling(t), 1);
	assert_false(ringo_task_done(t)); /* waits for its timeout's own CQE */
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_task_done(t));
	assert_true(ringo_task_cancelled(t));
	assert_int_equal(ringo_task_result(t), -ECANCELED);
	assert_false(ringo_task_cancel(t)); /* done: nothing to cancel */
	ringo_task_unref(t);
	return 0;
}

static void test_cancel_sleeping_task(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(cancel_sleeping, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(2));
	assert_string_equal(log_.buf, "requested slept:-125");
}

static intptr_t handles_cancel(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	assert_int_equal(r, -ECANCELED);
	/* It handled the cancellation: it may await again and finish normally. */
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	return 77;
}

static intptr_t cancel_handled(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(handles_cancel, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), 77);
	assert_false(ringo_task_cancelled(t));
	assert_int_equal(ringo_task_cancelling(t), 1);
	ringo_task_unref(t);
	return 0;
}

static void test_handled_cancel_finishes_normally(void **state)
{
	(void)state;
	assert_int_equal(harness_run(cancel_handled, NULL), 0);
}

static int body_ran;

static intptr_t never_runs(void *arg)
{
	(void)arg;
	body_ran = 1;
	return 1;
}

static intptr_t cancel_before_start(void *arg)
{
	(void)arg;
	ringo_task *t;
	body_ran = 0;
	assert_int_equal(ringo_task_create(never_runs, NULL, NULL, &t), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_task_cancelled(t));
	assert_int_equal(body_ran, 0);
	ringo_task_unref(t);
	return 0;
}

static void test_cancel_before_start(void **state)
{
	(void)state;
	assert_int_equal(harness_run(cancel_before_start, NULL), 0);
	assert_int_equal(body_ran, 0);
}

static intptr_t sleep_twice(void *arg)
{
	(void)arg;
	int a = ringo_sleep(RINGO_SEC(10));
	int b = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "%d %d", a, b);
	return 0;
}

static intptr_t double_cancel(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(sleep_twice, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t));
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_cancelling(t), 2);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	return 0;
}

static void test_double_cancel_delivers_once(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(double_cancel, NULL), 0);
	assert_string_equal(log_.buf, "-125 0");
}

static intptr_t self_cancel(void *arg)
{
	(void)arg;
	ringo_task *self = ringo_task_current();
	assert_true(ringo_task_cancel(self));
	harness_log(&log_, "still running");
	int r = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "%d", r);
	/* uncancel withdraws a request not yet delivered */
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_task_cancelling(self), 2);
	assert_int_equal(ringo_task_uncancel(self), 1);
	assert_int_equal(ringo_task_uncancel(self), 0);
	assert_int_equal(ringo_task_uncancel(self), 0);
	r = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "%d", r);
	return 0;
}

static void test_self_cancel_and_uncancel(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(self_cancel, NULL), 0);
	assert_string_equal(log_.buf, "still running -125 0");
}

static intptr_t yield_loop(void *arg)
{
	(void)arg;
	for (int i = 0;; i++) {
		int r = ringo_sleep(0);
		if (r < 0) {
			harness_log(&log_, "yield %d: %d", i, r);
			return r;
		}
	}
}

static intptr_t cancel_yielding(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(yield_loop, NULL, NULL, &t), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_task_cancelled(t));
	ringo_task_unref(t);
	return 0;
}

static void test_cancel_yielding_task(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(cancel_yielding, NULL), 0);
	assert_string_equal(log_.buf, "yield 2: -125");
}

/* ---- cancelling a task that awaits another ---- */

static intptr_t inner_logged(void *arg)
{
	int ignore = (int)(intptr_t)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "inner:%d", r);
	if (ignore && r == -ECANCELED)
		return 5; /* suppresses the cancellation */
	return r;
}

static intptr_t outer(void *arg)
{
	ringo_task *inner;
	assert_int_equal(ringo_task_create(inner_logged, arg, NULL, &inner), 0);
	intptr_t r = ringo_task_await(inner);
	harness_log(&log_, "outer:%ld inner_cancelled:%d", (long)r, ringo_task_cancelled(inner));
	ringo_task_unref(inner);
	return r;
}

static intptr_t cancel_outer(void *arg)
{
	ringo_task *t;
	assert_int_equal(ringo_task_create(outer, arg, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(ringo_task_cancel(t));
	intptr_t r = ringo_task_await(t);
	harness_log(&log_, "main:%ld", (long)r);
	ringo_task_unref(t);
	return 0;
}

static void test_cancel_propagates_to_awaited_task(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(cancel_outer, (void *)0), 0);
	assert_string_equal(log_.buf, "inner:-125 outer:-125 inner_cancelled:1 main:-125");
	/* The inner task suppresses it: the outer gets its value, as in asyncio. */
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(cancel_outer, (void *)1), 0);
	assert_string_equal(log_.buf, "inner:-125 outer:5 inner_cancelled:0 main:5");
}

/* ---- cancelling a task that awaits a future cancels the future ---- */

static ringo_future *fut;

static intptr_t await_fut(void *arg)
{
	(void)arg;
	return ringo_future_await(fut);
}

static intptr_t cancel_future_waiter(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_future_create(&fut), 0);
	assert_int_equal(ringo_task_create(await_fut, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t));
	assert_true(ringo_future_cancelled(fut));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	ringo_future_unref(fut);
	return 0;
}

static void test_cancel_future_waiter(void **state)
{
	(void)state;
	assert_int_equal(harness_run(cancel_future_waiter, NULL), 0);
}

/* A result that arrived before the cancellation is returned, and the
 * cancellation comes at the next await. */
static intptr_t await_then_yield(void *arg)
{
	(void)arg;
	intptr_t r = ringo_future_await(fut);
	int next = ringo_sleep(0);
	harness_log(&log_, "%ld %d", (long)r, next);
	return 0;
}

static intptr_t result_wins(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_future_create(&fut), 0);
	assert_int_equal(ringo_task_create(await_then_yield, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_future_set_result(fut, 11), 0);
	/* The wake-up is in flight: the result must not be lost. */
	assert_true(ringo_task_cancel(t));
	assert_false(ringo_future_cancelled(fut));
	/* it saw -ECANCELED at its next await and returned normally */
	assert_int_equal(ringo_task_await(t), 0);
	assert_false(ringo_task_cancelled(t));
	ringo_task_unref(t);
	ringo_future_unref(fut);
	return 0;
}

static void test_completed_result_is_not_lost(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(result_wins, NULL), 0);
	assert_string_equal(log_.buf, "11 -125");
}

/* ---- the race: a cancel against a timeout that is completing ---- */

struct race {
	int first, second;
};

static intptr_t racer(void *arg)
{
	struct race *r = arg;
	r->first = ringo_sleep(RINGO_USEC(20));
	r->second = ringo_sleep(0);
	return 0;
}

static void spin(int64_t ns)
{
	int64_t end = harness_now() + ns;
	while (harness_now() < end)
		;
}

static intptr_t race_many(void *arg)
{
	int *outcomes = arg; /* [0]: cancel won, [1]: timeout won */
	for (int i = 0; i < 10000; i++) {
		struct race r = { 1, 1 };
		ringo_task *t;
		assert_int_equal(ringo_task_create(racer, &r, NULL, &t), 0);
		assert_int_equal(ringo_sleep(0), 0); /* t submits its timeout */
		spin((i % 40) * 1000);               /* 0..39 µs: both sides of 20 µs */
		assert_true(ringo_task_cancel(t));
		ringo_task_await(t);
		if (r.first == -ECANCELED && r.second == 0)
			outcomes[0]++;
		else if (r.first == 0 && r.second == -ECANCELED)
			outcomes[1]++;
		else
			fail_msg("iteration %d: first=%d second=%d", i, r.first, r.second);
		ringo_task_unref(t);
	}
	return 0;
}

static void test_cancel_races_completing_timeout(void **state)
{
	(void)state;
	int outcomes[2] = { 0, 0 };
	assert_int_equal(harness_run(race_many, outcomes), 0);
	assert_int_equal(outcomes[0] + outcomes[1], 10000);
	/* Both outcomes really happen, or the test proves nothing. */
	assert_true(outcomes[0] > 0);
	assert_true(outcomes[1] > 0);
	print_message("cancel won %d, timeout won %d\n", outcomes[0], outcomes[1]);
}

/* A cancel's own CQE: with IOSQE_CQE_SKIP_SUCCESS (Linux 5.17+) the kernel
 * posts none for a cancel that worked, so none is counted in flight or
 * dispatched; RINGO_NO_CQE_SKIP=1 keeps them (one each). Either way every
 * cancelled task resumes on its own timeout's CQE and nothing stays in
 * flight. */
static intptr_t cancel_ten(void *arg)
{
	uint64_t *internal = arg;
	ringo_task *t[10];
	for (int i = 0; i < 10; i++)
		assert_int_equal(ringo_task_create(long_sleep, NULL, NULL, &t[i]), 0);
	assert_int_equal(ringo_sleep(0), 0); /* all asleep */
	struct ringo_loop_stats a, b;
	assert_int_equal(ringo_loop_stats(&a), 0);
	for (int i = 0; i < 10; i++)
		assert_true(ringo_task_cancel(t[i]));
	assert_int_equal(ringo_gather(t, 10, NULL, RINGO_RETURN_EXCEPTIONS), 0);
	assert_int_equal(ringo_loop_stats(&b), 0);
	for (int i = 0; i < 10; i++) {
		assert_true(ringo_task_cancelled(t[i]));
		ringo_task_unref(t[i]);
	}
	*internal = b.cqes_internal - a.cqes_internal;
	assert_int_equal(b.ops_in_flight, a.ops_in_flight - 10);
	return 0;
}

static void test_cancel_cqes(void **state)
{
	(void)state;
	uint64_t internal = 99;
	setenv("RINGO_NO_CQE_SKIP", "1", 1);
	assert_int_equal(harness_run(cancel_ten, &internal), 0);
	unsetenv("RINGO_NO_CQE_SKIP");
	assert_int_equal(internal, 10);
	internal = 99;
	assert_int_equal(harness_run(cancel_ten, &internal), 0);
	assert_true(internal == 0 || internal == 10);
	print_message("a cancel's own CQE: %s\n",
		      internal == 0 ? "skipped (IOSQE_CQE_SKIP_SUCCESS)" : "posted (old kernel)");
}

/* Many cancelled sleeps at once: the kernel posts their CQEs as deferred
 * task work, at most 20 per io_uring_enter unless asked for more (Linux
 * 6.13+); the loop asks for as many as its CQ has room for. Each task
 * still resumes on its own timeout's CQE, once; a sleeper nobody
 * cancelled is left alone. */
enum { MANY = 5000 };
static int many_seen[MANY];

static intptr_t counted_sleep(void *arg)
{
	int r = ringo_sleep(RINGO_SEC(10));
	if (r == -ECANCELED)
		many_seen[(intptr_t)arg]++;
	return r;
}

static intptr_t bystander(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(10));
}

static intptr_t cancel_many(void *arg)
{
	uint64_t *enters = arg;
	static ringo_task *t[MANY];
	ringo_task *other;
	assert_int_equal(ringo_task_create(bystander, NULL, NULL, &other), 0);
	for (intptr_t i = 0; i < MANY; i++)
		assert_int_equal(ringo_task_create(counted_sleep, (void *)i, NULL, &t[i]), 0);
	assert_int_equal(ringo_sleep(0), 0); /* all asleep */
	struct ringo_loop_stats a, b;
	assert_int_equal(ringo_loop_stats(&a), 0);
	for (int i = 0; i < MANY; i++)
		assert_true(ringo_task_cancel(t[i]));
	assert_int_equal(ringo_gather(t, MANY, NULL, RINGO_RETURN_EXCEPTIONS), 0);
	assert_int_equal(ringo_loop_stats(&b), 0);
	*enters = b.enters - a.enters;
	for (int i = 0; i < MANY; i++) {
		assert_true(ringo_task_cancelled(t[i]));
		assert_int_equal(ringo_task_result(t[i]), -ECANCELED);
		assert_int_equal(many_seen[i], 1);
		ringo_task_unref(t[i]);
	}
	/* The bystander still sleeps, untouched. */
	assert_int_equal(b.ops_in_flight, a.ops_in_flight - MANY);
	assert_false(ringo_task_done(other));
	assert_int_equal(ringo_task_cancelling(other), 0);
	assert_true(ringo_task_cancel(other));
	assert_int_equal(ringo_task_await(other), -ECANCELED);
	ringo_task_unref(other);
	return 0;
}

static void test_cancel_many_sleeps(void **state)
{
	(void)state;
	memset(many_seen, 0, sizeof(many_seen));
	uint64_t enters = 0;
	assert_int_equal(harness_run(cancel_many, &enters), 0);
	/* 5,000 CQEs, 20 per enter, would be 250 enters or more. */
	print_message("%d cancelled sleeps: %llu enters\n", MANY, (unsigned long long)enters);
	assert_true(enters < 100);
}

static intptr_t await_fut_handle(void *arg)
{
	(void)arg;
	intptr_t r = ringo_future_await(fut);
	harness_log(&log_, "await:%ld", (long)r);
	return 7; /* handles the cancellation */
}

static intptr_t double_cancel_future_wait(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_future_create(&fut), 0);
	assert_int_equal(ringo_task_create(await_fut_handle, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t));
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), 7);
	assert_false(ringo_task_cancelled(t));
	assert_int_equal(ringo_task_cancelling(t), 2);
	ringo_task_unref(t);
	ringo_future_unref(fut);
	return 0;
}

static void test_double_cancel_of_a_future_wait(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(double_cancel_future_wait, NULL), 0);
	assert_string_equal(log_.buf, "await:-125");
}

static intptr_t short_sleep_twice(void *arg)
{
	(void)arg;
	int a = ringo_sleep(RINGO_MSEC(1));
	int b = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "%d %d", a, b);
	return 0;
}

static intptr_t uncancel_after_expiry(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(short_sleep_twice, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	spin(RINGO_MSEC(5)); /* its timer has expired; the CQE is not dispatched */
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_uncancel(t), 0);
	assert_int_equal(ringo_task_await(t), 0);
	assert_false(ringo_task_cancelled(t));
	ringo_task_unref(t);
	return 0;
}

static void test_uncancel_withdraws_a_cancel_that_missed(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(uncancel_after_expiry, NULL), 0);
	assert_string_equal(log_.buf, "0 0");
}

static intptr_t cancel_self_then_fail(void *arg)
{
	(void)arg;
	ringo_task_cancel(ringo_task_current());
	return -EIO;
}

static intptr_t error_beats_pending_cancel(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(cancel_self_then_fail, NULL, NULL, &t), 0);
	assert_int_equal(ringo_task_await(t), -EIO);
	assert_false(ringo_task_cancelled(t));
	ringo_task_unref(t);
	assert_int_equal(ringo_task_create(cancel_self_then_fail, NULL, NULL, &t), 0);
	ringo_task_unref(t);
	return 0;
}

static void test_error_returned_with_cancel_pending_is_kept(void **state)
{
	(void)state;
	assert_int_equal(harness_run(error_beats_pending_cancel, NULL), 0);
}

/* ---- issue 11 item 2: a cancellation pending when an await starts goes
 * through the awaited object (asyncio, bpo-34872) ---- */

static intptr_t suppresses(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "inner:%d", r);
	return 7;
}

static intptr_t pending_then_await_task(void *arg)
{
	(void)arg;
	ringo_task *a, *b;
	assert_int_equal(ringo_task_create(long_sleep, NULL, NULL, &a), 0);
	assert_int_equal(ringo_task_create(suppresses, NULL, NULL, &b), 0);
	assert_int_equal(ringo_sleep(0), 0); /* both sleep */
	ringo_task *self = ringo_task_current();
	/* The awaited task is cancelled and its outcome is the answer. */
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_task_await(a), -ECANCELED);
	assert_true(ringo_task_cancelled(a));
	assert_int_equal(ringo_task_cancelling(a), 1);
	harness_log(&log_, "a:done");
	/* Delivered once: the next await is not cancelled. */
	assert_int_equal(ringo_sleep(0), 0);
	/* A task that handles the cancellation answers with its value. */
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_task_await(b), 7);
	assert_false(ringo_task_cancelled(b));
	harness_log(&log_, "b:7");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_task_uncancel(self), 1);
	assert_int_equal(ringo_task_uncancel(self), 0);
	ringo_task_unref(a);
	ringo_task_unref(b);
	return 0;
}

static void test_pending_cancel_goes_to_awaited_task(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(pending_then_await_task, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(5));
	assert_string_equal(log_.buf, "slept:-125 a:done inner:-125 b:7");
}

static intptr_t pending_then_await_future(void *arg)
{
	(void)arg;
	ringo_future *f;
	assert_int_equal(ringo_future_create(&f), 0);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_future_await(f), -ECANCELED);
	assert_true(ringo_future_done(f));
	assert_true(ringo_future_cancelled(f));
	assert_int_equal(ringo_sleep(0), 0);
	/* A future already done answers without suspending, and the
	 * cancellation stays pending for the next await (asyncio). */
	ringo_future *g;
	assert_int_equal(ringo_future_create(&g), 0);
	assert_int_equal(ringo_future_set_result(g, 3), 0);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_future_await(g), 3);
	assert_int_equal(ringo_sleep(0), -ECANCELED);
	ringo_future_unref(f);
	ringo_future_unref(g);
	return 0;
}

static void test_pending_cancel_goes_to_awaited_future(void **state)
{
	(void)state;
	assert_int_equal(harness_run(pending_then_await_future, NULL), 0);
}

static intptr_t pending_then_gather(void *arg)
{
	(void)arg;
	ringo_task *t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(long_sleep, NULL, NULL, &t[i]), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(ringo_task_current()));
	intptr_t results[3] = { 1, 1, 1 };
	assert_int_equal(ringo_gather(t, 3, results, RINGO_RETURN_EXCEPTIONS), -ECANCELED);
	for (int i = 0; i < 3; i++) {
		assert_true(ringo_task_cancelled(t[i]));
		assert_int_equal(results[i], -ECANCELED);
		ringo_task_unref(t[i]);
	}
	harness_log(&log_, "gathered");
	return 0;
}

static void test_pending_cancel_goes_to_gathered_children(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(pending_then_gather, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(5));
	assert_string_equal(log_.buf, "slept:-125 slept:-125 slept:-125 gathered");
}

/* shield: the awaiter gets -ECANCELED, the shielded task runs on. */
static intptr_t pending_then_shield(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(suppresses, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_shield(t), -ECANCELED);
	assert_false(ringo_task_done(t));
	assert_int_equal(ringo_task_cancelling(t), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), 7);
	ringo_task_unref(t);
	return 0;
}

static void test_pending_cancel_and_shield(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(pending_then_shield, NULL), 0);
	assert_string_equal(log_.buf, "inner:-125");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel_sleeping_task),
		cmocka_unit_test(test_handled_cancel_finishes_normally),
		cmocka_unit_test(test_cancel_before_start),
		cmocka_unit_test(test_double_cancel_delivers_once),
		cmocka_unit_test(test_self_cancel_and_uncancel),
		cmocka_unit_test(test_cancel_yielding_task),
		cmocka_unit_test(test_cancel_propagates_to_awaited_task),
		cmocka_unit_test(test_cancel_future_waiter),
		cmocka_unit_test(test_completed_result_is_not_lost),
		cmocka_unit_test(test_cancel_races_completing_timeout),
		cmocka_unit_test(test_cancel_cqes),
		cmocka_unit_test(test_cancel_many_sleeps),
		cmocka_unit_test(test_double_cancel_of_a_future_wait),
		cmocka_unit_test(test_uncancel_withdraws_a_cancel_that_missed),
		cmocka_unit_test(test_error_returned_with_cancel_pending_is_kept),
		cmocka_unit_test(test_pending_cancel_goes_to_awaited_task),
		cmocka_unit_test(test_pending_cancel_goes_to_awaited_future),
		cmocka_unit_test(test_pending_cancel_goes_to_gathered_children),
		cmocka_unit_test(test_pending_cancel_and_shield),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

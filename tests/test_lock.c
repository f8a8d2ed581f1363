/* SPDX-License-Identifier: MIT */
/* Lock: FIFO hand-off without barging, cancellation, bad input. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;
static ringo_lock *lock;

static void reset_log(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* Acquires, holds the lock across a yield, releases; logs each step under
 * the name arg. */
static intptr_t worker(void *arg)
{
	const char *name = arg;
	int r = ringo_lock_acquire(lock);
	if (r < 0) {
		harness_log(&log_, "%s:%d", name, r);
		return r;
	}
	harness_log(&log_, "%s+", name);
	assert_true(ringo_lock_locked(lock));
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "%s-", name);
	assert_int_equal(ringo_lock_release(lock), 0);
	return 0;
}

static void spawn(ringo_task **t, const char *name)
{
	assert_int_equal(ringo_task_create(worker, (void *)name, NULL, t), 0);
}

static void await_unref(ringo_task *t, intptr_t expect)
{
	assert_int_equal(ringo_task_await(t), expect);
	ringo_task_unref(t);
}

/* ---- basics ---- */

static intptr_t basics(void *arg)
{
	(void)arg;
	assert_false(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_acquire(lock), 0);
	assert_true(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_try_acquire(lock), -EBUSY);
	assert_int_equal(ringo_lock_release(lock), 0);
	assert_false(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_release(lock), -EPERM);
	assert_int_equal(ringo_lock_try_acquire(lock), 0);
	assert_true(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_release(lock), 0);
	return 0;
}

static void test_basics(void **state)
{
	(void)state;
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(basics, NULL), 0);
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* ---- bad input ---- */

static void from_callback(void *arg)
{
	int *r = arg;
	*r = ringo_lock_acquire(lock);
}

static intptr_t bad_input(void *arg)
{
	(void)arg;
	int in_callback = 1;
	assert_int_equal(ringo_call_soon(from_callback, &in_callback, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(in_callback, -EPERM);
	assert_false(ringo_lock_locked(lock));
	return 0;
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(ringo_lock_create(NULL), -EINVAL);
	assert_int_equal(ringo_lock_acquire(NULL), -EINVAL);
	assert_int_equal(ringo_lock_try_acquire(NULL), -EINVAL);
	assert_int_equal(ringo_lock_release(NULL), -EINVAL);
	assert_false(ringo_lock_locked(NULL));
	assert_int_equal(ringo_lock_destroy(NULL), 0);

	assert_int_equal(ringo_lock_create(&lock), 0);
	/* outside a loop: acquire may suspend, so it is refused */
	assert_int_equal(ringo_lock_acquire(lock), -EPERM);
	assert_false(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_release(lock), -EPERM);
	/* the calls that never suspend work anywhere */
	assert_int_equal(ringo_lock_try_acquire(lock), 0);
	assert_int_equal(ringo_lock_release(lock), 0);
	assert_int_equal(harness_run(bad_input, NULL), 0);
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* ---- FIFO ---- */

static intptr_t fifo(void *arg)
{
	(void)arg;
	ringo_task *t[4];
	static const char *names[] = { "w1", "w2", "w3", "w4" };
	assert_int_equal(ringo_lock_acquire(lock), 0);
	for (int i = 0; i < 4; i++)
		spawn(&t[i], names[i]);
	assert_int_equal(ringo_sleep(0), 0); /* all four queue, in order */
	harness_log(&log_, "main-");
	assert_int_equal(ringo_lock_release(lock), 0);
	for (int i = 0; i < 4; i++)
		await_unref(t[i], 0);
	assert_false(ringo_lock_locked(lock));
	return 0;
}

static void test_fifo_and_exclusion(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(fifo, NULL), 0);
	assert_string_equal(log_.buf, "main- w1+ w1- w2+ w2- w3+ w3- w4+ w4-");
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* ---- no barging ---- */

static intptr_t late_arrival(void *arg)
{
	(void)arg;
	harness_log(&log_, "C:arrives locked:%d", ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_try_acquire(lock), -EBUSY);
	return worker("C");
}

static intptr_t no_barging(void *arg)
{
	(void)arg;
	ringo_task *b, *c;
	assert_int_equal(ringo_lock_acquire(lock), 0);
	spawn(&b, "B");
	assert_int_equal(ringo_sleep(0), 0); /* B queues */
	/* C's start is queued before B's wake-up: C runs first and must still
	 * find the lock taken. */
	assert_int_equal(ringo_task_create(late_arrival, NULL, NULL, &c), 0);
	assert_int_equal(ringo_lock_release(lock), 0);
	/* handed to B, which has not run yet */
	assert_true(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_try_acquire(lock), -EBUSY);
	/* main arrives late too: it queues behind B, and before C, which
	 * only reaches acquire once main suspends */
	assert_int_equal(ringo_lock_acquire(lock), 0);
	harness_log(&log_, "main+");
	assert_int_equal(ringo_lock_release(lock), 0);
	await_unref(b, 0);
	await_unref(c, 0);
	return 0;
}

static void test_no_barging(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(no_barging, NULL), 0);
	assert_string_equal(log_.buf, "C:arrives locked:1 B+ B- main+ C+ C-");
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* ---- cancellation ---- */

static intptr_t cancel_queued(void *arg)
{
	(void)arg;
	ringo_task *t[3];
	static const char *names[] = { "w1", "w2", "w3" };
	assert_int_equal(ringo_lock_acquire(lock), 0);
	for (int i = 0; i < 3; i++)
		spawn(&t[i], names[i]);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t[1]));
	assert_int_equal(ringo_lock_destroy(lock), -EBUSY); /* w1, w3 queued */
	harness_log(&log_, "main-");
	assert_int_equal(ringo_lock_release(lock), 0);
	await_unref(t[0], 0);
	await_unref(t[1], -ECANCELED);
	await_unref(t[2], 0);
	assert_false(ringo_lock_locked(lock));
	return 0;
}

static void test_cancel_while_queued(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(cancel_queued, NULL), 0);
	/* w2 left the queue at once: its -ECANCELED wake-up is queued before
	 * the release's; w3 is served after w1 */
	assert_string_equal(log_.buf, "main- w2:-125 w1+ w1- w3+ w3-");
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

static intptr_t handed_then_cancelled(void *arg)
{
	(void)arg;
	int r = ringo_lock_acquire(lock);
	harness_log(&log_, "B:acquire:%d locked:%d", r, ringo_lock_locked(lock));
	int s = ringo_sleep(0);
	harness_log(&log_, "B:next-await:%d", s);
	assert_int_equal(ringo_lock_release(lock), 0);
	return s;
}

static intptr_t cancel_after_handoff(void *arg)
{
	(void)arg;
	ringo_task *b, *c;
	assert_int_equal(ringo_lock_acquire(lock), 0);
	assert_int_equal(ringo_task_create(handed_then_cancelled, NULL, NULL, &b), 0);
	spawn(&c, "C");
	assert_int_equal(ringo_sleep(0), 0); /* B, then C queue */
	assert_int_equal(ringo_lock_release(lock), 0); /* B owns it now */
	assert_true(ringo_task_cancel(b));    /* too late to take it away */
	await_unref(b, -ECANCELED);
	await_unref(c, 0); /* and the lock was not stranded */
	assert_false(ringo_lock_locked(lock));
	return 0;
}

static void test_cancel_after_handoff_keeps_lock(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(cancel_after_handoff, NULL), 0);
	assert_string_equal(log_.buf,
			    "B:acquire:0 locked:1 B:next-await:-125 C+ C-");
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* A pending cancellation: a free lock is taken without suspending (as
 * asyncio, which does not yield there); a held one is not waited for. */
static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	ringo_task *self = ringo_task_current();
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_lock_acquire(lock), 0);
	assert_int_equal(ringo_lock_acquire(lock), -ECANCELED);
	assert_int_equal(ringo_lock_release(lock), 0);
	assert_false(ringo_lock_locked(lock));
	assert_int_equal(ringo_sleep(0), 0); /* delivered once */
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* ---- release from a callback, and leftovers at shutdown ---- */

static void release_cb(void *arg)
{
	(void)arg;
	harness_log(&log_, "cb:release:%d", ringo_lock_release(lock));
}

static intptr_t callback_release(void *arg)
{
	(void)arg;
	ringo_task *b;
	assert_int_equal(ringo_lock_acquire(lock), 0);
	spawn(&b, "B");
	assert_int_equal(ringo_call_later(RINGO_MSEC(1), release_cb, NULL, NULL), 0);
	await_unref(b, 0);
	return 0;
}

static void test_release_from_callback(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(callback_release, NULL), 0);
	assert_string_equal(log_.buf, "cb:release:0 B+ B-");
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

static intptr_t leave_waiters(void *arg)
{
	ringo_task **t = arg;
	assert_int_equal(ringo_lock_acquire(lock), 0);
	spawn(&t[0], "B");
	spawn(&t[1], "C");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_lock_destroy(lock), -EBUSY);
	return 0; /* returns holding the lock, B and C still queued */
}

static void test_waiters_left_at_shutdown(void **state)
{
	(void)state;
	reset_log();
	ringo_task *t[2];
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(harness_run(leave_waiters, t), 0);
	assert_string_equal(log_.buf, "B:-125 C:-125");
	assert_true(ringo_task_cancelled(t[0]));
	assert_true(ringo_task_cancelled(t[1]));
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	assert_true(ringo_lock_locked(lock));
	assert_int_equal(ringo_lock_destroy(lock), 0); /* nobody queued now */
}

/* A waiter handed the lock has not resumed yet: destroying the lock then
 * would leave it a dangling pointer, so destroy refuses. */
static ringo_lock *handoff_lock;

static intptr_t take_and_release(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_lock_acquire(handoff_lock), 0);
	assert_int_equal(ringo_lock_release(handoff_lock), 0);
	return 0;
}

static intptr_t destroy_after_handoff(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_lock_create(&handoff_lock), 0);
	assert_int_equal(ringo_lock_acquire(handoff_lock), 0);
	ringo_task *w;
	assert_int_equal(ringo_task_create(take_and_release, NULL, NULL, &w), 0);
	assert_int_equal(ringo_sleep(0), 0); /* w queues */
	assert_int_equal(ringo_lock_release(handoff_lock), 0); /* handed to w */
	assert_int_equal(ringo_lock_destroy(handoff_lock), -EBUSY);
	assert_int_equal(ringo_task_await(w), 0);
	assert_int_equal(ringo_lock_destroy(handoff_lock), 0);
	ringo_task_unref(w);
	return 0;
}

static void test_destroy_refused_while_a_handoff_is_in_flight(void **state)
{
	(void)state;
	assert_int_equal(harness_run(destroy_after_handoff, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_fifo_and_exclusion),
		cmocka_unit_test(test_no_barging),
		cmocka_unit_test(test_cancel_while_queued),
		cmocka_unit_test(test_cancel_after_handoff_keeps_lock),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_release_from_callback),
		cmocka_unit_test(test_waiters_left_at_shutdown),
		cmocka_unit_test(test_destroy_refused_while_a_handoff_is_in_flight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Condition: notify order, the lock re-acquired on every return, also on
 * cancellation; wait_for; bad input. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;
static ringo_condition *cond;

static void reset_log(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* Runs fn(arg) as the main task with a fresh condition and checks the log it left. */
static void run_checked(ringo_task_fn fn, void *arg, const char *expect_log)
{
	reset_log();
	assert_int_equal(ringo_condition_create(&cond, NULL), 0);
	assert_int_equal(harness_run(fn, arg), 0);
	assert_string_equal(log_.buf, expect_log);
	assert_int_equal(ringo_condition_destroy(cond), 0);
}

static void await_unref(ringo_task *t, intptr_t expect)
{
	assert_int_equal(ringo_task_await(t), expect);
	ringo_task_unref(t);
}

/* Waits once under the lock; logs the result and whether the lock is held
 * on return; releases. */
static intptr_t waiter(void *arg)
{
	const char *name = arg;
	assert_int_equal(ringo_condition_acquire(cond), 0);
	int r = ringo_condition_wait(cond);
	harness_log(&log_, "%s:%d locked:%d", name, r, ringo_condition_locked(cond));
	assert_int_equal(ringo_condition_release(cond), 0);
	return r;
}

static void spawn(ringo_task **t, const char *name)
{
	assert_int_equal(ringo_task_create(waiter, (void *)name, NULL, t), 0);
}

/* ---- basics and bad input ---- */

static intptr_t basics(void *arg)
{
	(void)arg;
	assert_false(ringo_condition_locked(cond));
	assert_int_equal(ringo_condition_wait(cond), -EPERM);
	assert_int_equal(ringo_condition_notify(cond, 1), -EPERM);
	assert_int_equal(ringo_condition_notify_all(cond), -EPERM);
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_true(ringo_condition_locked(cond));
	assert_true(ringo_lock_locked(ringo_condition_lock(cond)));
	assert_int_equal(ringo_condition_notify(cond, 1), 0); /* nobody waits */
	assert_int_equal(ringo_condition_notify(cond, -1), -EINVAL);
	assert_int_equal(ringo_condition_notify_all(cond), 0);
	assert_int_equal(ringo_condition_release(cond), 0);
	assert_int_equal(ringo_condition_release(cond), -EPERM);
	return 0;
}

static void test_basics(void **state)
{
	(void)state;
	assert_int_equal(ringo_condition_create(&cond, NULL), 0);
	assert_non_null(ringo_condition_lock(cond));
	assert_int_equal(harness_run(basics, NULL), 0);
	assert_int_equal(ringo_condition_destroy(cond), 0);
}

static bool always(void *arg)
{
	(void)arg;
	return true;
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(ringo_condition_create(NULL, NULL), -EINVAL);
	assert_int_equal(ringo_condition_destroy(NULL), 0);
	assert_null(ringo_condition_lock(NULL));
	assert_int_equal(ringo_condition_acquire(NULL), -EINVAL);
	assert_int_equal(ringo_condition_release(NULL), -EINVAL);
	assert_false(ringo_condition_locked(NULL));
	assert_int_equal(ringo_condition_wait(NULL), -EINVAL);
	assert_int_equal(ringo_condition_wait_for(NULL, always, NULL), -EINVAL);
	assert_int_equal(ringo_condition_notify(NULL, 1), -EINVAL);
	assert_int_equal(ringo_condition_notify_all(NULL), -EINVAL);
	assert_int_equal(ringo_condition_create(&cond, NULL), 0);
	assert_int_equal(ringo_condition_wait_for(cond, NULL, NULL), -EINVAL);
	assert_int_equal(ringo_condition_wait_for(cond, always, NULL), -EPERM);
	/* outside a task, even holding the lock */
	assert_int_equal(ringo_lock_try_acquire(ringo_condition_lock(cond)), 0);
	assert_int_equal(ringo_condition_wait(cond), -EPERM);
	assert_true(ringo_condition_locked(cond));
	assert_int_equal(ringo_condition_release(cond), 0);
	assert_int_equal(ringo_condition_destroy(cond), 0);
}

/* Two conditions on one borrowed lock: destroying them leaves it. */
static intptr_t shared_lock(void *arg)
{
	ringo_condition **c = arg;
	assert_int_equal(ringo_condition_acquire(c[0]), 0);
	assert_true(ringo_condition_locked(c[1]));
	assert_int_equal(ringo_condition_notify(c[1], 1), 0); /* holds it via c[0] */
	assert_int_equal(ringo_condition_release(c[1]), 0);
	assert_false(ringo_condition_locked(c[0]));
	return 0;
}

static void test_shared_lock(void **state)
{
	(void)state;
	ringo_lock *lock;
	ringo_condition *c[2];
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(ringo_condition_create(&c[0], lock), 0);
	assert_int_equal(ringo_condition_create(&c[1], lock), 0);
	assert_ptr_equal(ringo_condition_lock(c[0]), lock);
	assert_ptr_equal(ringo_condition_lock(c[1]), lock);
	assert_int_equal(harness_run(shared_lock, c), 0);
	assert_int_equal(ringo_condition_destroy(c[0]), 0);
	assert_int_equal(ringo_condition_destroy(c[1]), 0);
	assert_int_equal(ringo_lock_try_acquire(lock), 0); /* still alive */
	assert_int_equal(ringo_lock_release(lock), 0);
	assert_int_equal(ringo_lock_destroy(lock), 0);
}

/* ---- notify(n) is FIFO; woken waiters re-acquire after the notifier ---- */

static intptr_t notify_order(void *arg)
{
	(void)arg;
	ringo_task *t[4];
	static const char *names[] = { "w1", "w2", "w3", "w4" };
	for (int i = 0; i < 4; i++)
		spawn(&t[i], names[i]);
	assert_int_equal(ringo_sleep(0), 0); /* all four wait, in order */
	assert_int_equal(ringo_condition_destroy(cond), -EBUSY);
	assert_false(ringo_condition_locked(cond)); /* wait released it */

	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_int_equal(ringo_condition_notify(cond, 2), 2);
	/* the woken run, and must queue for the lock we still hold */
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	harness_log(&log_, "main-");
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(t[0], 1);
	await_unref(t[1], 1);

	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_int_equal(ringo_condition_notify(cond, 0), 0);
	assert_int_equal(ringo_condition_notify(cond, 1), 1);
	harness_log(&log_, "main-");
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(t[2], 1);

	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_int_equal(ringo_condition_notify(cond, 5), 1);
	assert_int_equal(ringo_condition_notify_all(cond), 0);
	harness_log(&log_, "main-");
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(t[3], 1);
	return 0;
}

static void test_notify_fifo(void **state)
{
	(void)state;
	run_checked(notify_order, NULL, "main- w1:1 locked:1 w2:1 locked:1 "
				      "main- w3:1 locked:1 main- w4:1 locked:1");
}

static intptr_t notify_all(void *arg)
{
	(void)arg;
	ringo_task *t[3];
	static const char *names[] = { "w1", "w2", "w3" };
	for (int i = 0; i < 3; i++)
		spawn(&t[i], names[i]);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_int_equal(ringo_condition_notify_all(cond), 3);
	/* woken, not yet back: still inside wait() */
	assert_int_equal(ringo_condition_destroy(cond), -EBUSY);
	assert_int_equal(ringo_sleep(0), 0); /* they queue for the lock */
	/* nobody waits on the condition now, but on its own lock */
	assert_int_equal(ringo_condition_destroy(cond), -EBUSY);
	harness_log(&log_, "main-");
	assert_int_equal(ringo_condition_release(cond), 0);
	for (int i = 0; i < 3; i++)
		await_unref(t[i], 1);
	return 0;
}

static void test_notify_all(void **state)
{
	(void)state;
	run_checked(notify_all, NULL, "main- w1:1 locked:1 w2:1 locked:1 w3:1 locked:1");
}

/* ---- cancellation ---- */

/* Cancelled while waiting: it still returns holding the lock, which it
 * must first wait for. */
static intptr_t cancel_waiting(void *arg)
{
	(void)arg;
	ringo_task *a, *b;
	spawn(&a, "a");
	spawn(&b, "b");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_true(ringo_task_cancel(a));
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0); /* a queues for the lock */
	assert_false(ringo_task_done(a));
	harness_log(&log_, "main-");
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(a, -ECANCELED);
	/* a did not take b's notification */
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_int_equal(ringo_condition_notify(cond, 1), 1);
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(b, 1);
	return 0;
}

static void test_cancel_reacquires_lock(void **state)
{
	(void)state;
	run_checked(cancel_waiting, NULL, "main- a:-125 locked:1 b:1 locked:1");
}

/* Waits, then logs what the wait returned, whether it held the lock, and
 * what its next await returned. */
static intptr_t logging_waiter(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_condition_acquire(cond), 0);
	int r = ringo_condition_wait(cond);
	bool locked = ringo_condition_locked(cond);
	assert_int_equal(ringo_condition_release(cond), 0);
	int s = ringo_sleep(0);
	harness_log(&log_, "w:%d locked:%d next:%d", r, locked, s);
	return s;
}

/* Notified, then cancelled before it ran: the notification is kept (1),
 * the cancellation comes at its next await. A cancel that arrives while it
 * queues for the lock does not interrupt that either. */
static intptr_t notified_then_cancelled(void *arg)
{
	intptr_t during_reacquire = (intptr_t)arg;
	ringo_task *w;
	assert_int_equal(ringo_task_create(logging_waiter, NULL, NULL, &w), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_int_equal(ringo_condition_notify(cond, 1), 1);
	if (during_reacquire)
		assert_int_equal(ringo_sleep(0), 0); /* w runs, queues for the lock */
	assert_true(ringo_task_cancel(w));
	harness_log(&log_, "main-");
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(w, -ECANCELED);
	return 0;
}

static void test_notified_then_cancelled(void **state)
{
	(void)state;
	for (intptr_t during = 0; during < 2; during++) {
		run_checked(notified_then_cancelled, (void *)during, "main- w:1 locked:1 next:-125");
	}
}

/* Cancelled while waiting, and again while re-acquiring: one -ECANCELED. */
static intptr_t cancel_twice(void *arg)
{
	(void)arg;
	ringo_task *w;
	assert_int_equal(ringo_task_create(logging_waiter, NULL, NULL, &w), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_true(ringo_task_cancel(w));
	assert_int_equal(ringo_sleep(0), 0); /* w queues for the lock */
	assert_true(ringo_task_cancel(w));
	assert_int_equal(ringo_task_cancelling(w), 2);
	assert_int_equal(ringo_condition_release(cond), 0);
	await_unref(w, 0);
	return 0;
}

static void test_cancel_during_reacquire_delivered_once(void **state)
{
	(void)state;
	run_checked(cancel_twice, NULL, "w:-125 locked:1 next:0");
}

/* A cancellation pending on entry: -ECANCELED at once, the lock kept. */
static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_condition_acquire(cond), 0);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_condition_wait(cond), -ECANCELED);
	assert_true(ringo_condition_locked(cond));
	assert_int_equal(ringo_condition_release(cond), 0);
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	assert_int_equal(ringo_condition_create(&cond, NULL), 0);
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_int_equal(ringo_condition_destroy(cond), 0);
}

/* ---- wait_for ---- */

static int counter;

static bool reached_three(void *arg)
{
	(void)arg;
	harness_log(&log_, "pred:%d", counter);
	return counter >= 3;
}

static intptr_t wait_for_three(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_condition_acquire(cond), 0);
	int r = ringo_condition_wait_for(cond, reached_three, NULL);
	harness_log(&log_, "done:%d locked:%d", r, ringo_condition_locked(cond));
	/* already true: no wait */
	if (r == 1)
		assert_int_equal(ringo_condition_wait_for(cond, reached_three, NULL), 1);
	assert_int_equal(ringo_condition_release(cond), 0);
	return r;
}

static intptr_t wait_for(void *arg)
{
	(void)arg;
	ringo_task *w;
	counter = 0;
	assert_int_equal(ringo_task_create(wait_for_three, NULL, NULL, &w), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ringo_sleep(0), 0);
		assert_int_equal(ringo_condition_acquire(cond), 0);
		counter++;
		assert_int_equal(ringo_condition_notify_all(cond), 1);
		assert_int_equal(ringo_condition_release(cond), 0);
	}
	await_unref(w, 1);
	return 0;
}

static void test_wait_for(void **state)
{
	(void)state;
	run_checked(wait_for, NULL, "pred:0 pred:1 pred:2 pred:3 done:1 locked:1 pred:3");
}

static intptr_t wait_for_cancelled(void *arg)
{
	(void)arg;
	ringo_task *w;
	counter = 0;
	assert_int_equal(ringo_task_create(wait_for_three, NULL, NULL, &w), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(w));
	await_unref(w, -ECANCELED);
	assert_false(ringo_condition_locked(cond));
	return 0;
}

static void test_wait_for_cancelled(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_condition_create(&cond, NULL), 0);
	assert_int_equal(harness_run(wait_for_cancelled, NULL), 0);
	/* the lock was held again when it returned (and then released) */
	assert_string_equal(log_.buf, "pred:0 done:-125 locked:1");
	assert_int_equal(ringo_condition_destroy(cond), 0);
}

/* ---- leftovers ---- */

static intptr_t leave_waiters(void *arg)
{
	ringo_task **t = arg;
	spawn(&t[0], "a");
	spawn(&t[1], "b");
	assert_int_equal(ringo_sleep(0), 0);
	return 0; /* a and b still wait; the lock is free */
}

/* Shutdown cancels them: each re-acquires the lock in turn and returns
 * -ECANCELED holding it. */
static void test_waiters_left_at_shutdown(void **state)
{
	(void)state;
	reset_log();
	ringo_task *t[2];
	assert_int_equal(ringo_condition_create(&cond, NULL), 0);
	assert_int_equal(harness_run(leave_waiters, t), 0);
	assert_string_equal(log_.buf, "a:-125 locked:1 b:-125 locked:1");
	for (int i = 0; i < 2; i++) {
		assert_true(ringo_task_cancelled(t[i]));
		ringo_task_unref(t[i]);
	}
	assert_false(ringo_condition_locked(cond));
	assert_int_equal(ringo_condition_destroy(cond), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_shared_lock),
		cmocka_unit_test(test_notify_fifo),
		cmocka_unit_test(test_notify_all),
		cmocka_unit_test(test_cancel_reacquires_lock),
		cmocka_unit_test(test_notified_then_cancelled),
		cmocka_unit_test(test_cancel_during_reacquire_delivered_once),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_wait_for),
		cmocka_unit_test(test_wait_for_cancelled),
		cmocka_unit_test(test_waiters_left_at_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Semaphore and BoundedSemaphore: counting, FIFO hand-off without
 * barging, cancellation, over-release, bad input. */
#include "harness.h"

#include <limits.h>
#include <string.h>

#include <ringo.h>

static struct harness_log log_;
static ringo_semaphore *sem;
static int inside, max_inside;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
	inside = max_inside = 0;
}

static void await_unref(ringo_task *t, intptr_t expect)
{
	assert_int_equal(ringo_task_await(t), expect);
	ringo_task_unref(t);
}

/* Acquires a permit, holds it across a yield, releases it. */
static intptr_t worker(void *arg)
{
	const char *name = arg;
	int r = ringo_semaphore_acquire(sem);
	if (r < 0) {
		harness_log(&log_, "%s:%d", name, r);
		return r;
	}
	harness_log(&log_, "%s+", name);
	if (++inside > max_inside)
		max_inside = inside;
	assert_int_equal(ringo_sleep(0), 0);
	inside--;
	harness_log(&log_, "%s-", name);
	assert_int_equal(ringo_semaphore_release(sem), 0);
	return 0;
}

static void spawn(ringo_task **t, const char *name)
{
	assert_int_equal(ringo_task_create(worker, (void *)name, NULL, t), 0);
}

/* ---- counting ---- */

static intptr_t counting(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_semaphore_value(sem), 2);
	assert_false(ringo_semaphore_locked(sem));
	assert_int_equal(ringo_semaphore_acquire(sem), 0);
	assert_int_equal(ringo_semaphore_try_acquire(sem), 0);
	assert_int_equal(ringo_semaphore_value(sem), 0);
	assert_true(ringo_semaphore_locked(sem));
	assert_int_equal(ringo_semaphore_try_acquire(sem), -EBUSY);
	assert_int_equal(ringo_semaphore_release(sem), 0);
	assert_int_equal(ringo_semaphore_release(sem), 0);
	/* an unbounded semaphore may go above its initial value */
	assert_int_equal(ringo_semaphore_release(sem), 0);
	assert_int_equal(ringo_semaphore_value(sem), 3);
	return 0;
}

static void test_counting(void **state)
{
	(void)state;
	assert_int_equal(ringo_semaphore_create(&sem, 2), 0);
	assert_int_equal(harness_run(counting, NULL), 0);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

static void test_bounded_over_release(void **state)
{
	(void)state;
	assert_int_equal(ringo_semaphore_create_bounded(&sem, 2), 0);
	assert_int_equal(ringo_semaphore_release(sem), -EOVERFLOW);
	assert_int_equal(ringo_semaphore_value(sem), 2);
	assert_int_equal(ringo_semaphore_try_acquire(sem), 0);
	assert_int_equal(ringo_semaphore_release(sem), 0);
	assert_int_equal(ringo_semaphore_release(sem), -EOVERFLOW);
	assert_int_equal(ringo_semaphore_value(sem), 2);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);

	assert_int_equal(ringo_semaphore_create_bounded(&sem, 0), 0);
	assert_true(ringo_semaphore_locked(sem));
	assert_int_equal(ringo_semaphore_release(sem), -EOVERFLOW);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);

	/* the count of an unbounded one stops at INT_MAX */
	assert_int_equal(ringo_semaphore_create(&sem, INT_MAX), 0);
	assert_int_equal(ringo_semaphore_release(sem), -EOVERFLOW);
	assert_int_equal(ringo_semaphore_value(sem), INT_MAX);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(ringo_semaphore_create(NULL, 1), -EINVAL);
	assert_int_equal(ringo_semaphore_create(&sem, -1), -EINVAL);
	assert_int_equal(ringo_semaphore_create_bounded(NULL, 1), -EINVAL);
	assert_int_equal(ringo_semaphore_create_bounded(&sem, -1), -EINVAL);
	assert_int_equal(ringo_semaphore_acquire(NULL), -EINVAL);
	assert_int_equal(ringo_semaphore_try_acquire(NULL), -EINVAL);
	assert_int_equal(ringo_semaphore_release(NULL), -EINVAL);
	assert_int_equal(ringo_semaphore_value(NULL), -EINVAL);
	assert_false(ringo_semaphore_locked(NULL));
	assert_int_equal(ringo_semaphore_destroy(NULL), 0);
	assert_int_equal(ringo_semaphore_create(&sem, 1), 0);
	assert_int_equal(ringo_semaphore_acquire(sem), -EPERM); /* not in a task */
	assert_int_equal(ringo_semaphore_value(sem), 1);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

/* ---- FIFO, bounded concurrency, no barging ---- */

static intptr_t limit_two(void *arg)
{
	(void)arg;
	ringo_task *t[5];
	static const char *names[] = { "w1", "w2", "w3", "w4", "w5" };
	for (int i = 0; i < 5; i++)
		spawn(&t[i], names[i]);
	for (int i = 0; i < 5; i++)
		await_unref(t[i], 0);
	assert_int_equal(ringo_semaphore_value(sem), 2);
	return 0;
}

static void test_fifo_limit(void **state)
{
	(void)state;
	reset();
	assert_int_equal(ringo_semaphore_create_bounded(&sem, 2), 0);
	assert_int_equal(harness_run(limit_two, NULL), 0);
	assert_string_equal(log_.buf, "w1+ w2+ w1- w2- w3+ w4+ w3- w4- w5+ w5-");
	assert_int_equal(max_inside, 2);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

static intptr_t late_arrival(void *arg)
{
	(void)arg;
	harness_log(&log_, "C:arrives value:%d", ringo_semaphore_value(sem));
	assert_int_equal(ringo_semaphore_try_acquire(sem), -EBUSY);
	return worker("C");
}

static intptr_t no_barging(void *arg)
{
	(void)arg;
	ringo_task *b, *c;
	assert_int_equal(ringo_semaphore_acquire(sem), 0);
	spawn(&b, "B");
	assert_int_equal(ringo_sleep(0), 0); /* B queues */
	assert_int_equal(ringo_semaphore_destroy(sem), -EBUSY);
	/* C starts before B's wake-up is delivered */
	assert_int_equal(ringo_task_create(late_arrival, NULL, NULL, &c), 0);
	harness_log(&log_, "main-");
	assert_int_equal(ringo_semaphore_release(sem), 0);
	assert_int_equal(ringo_semaphore_value(sem), 0); /* the permit went to B */
	assert_true(ringo_semaphore_locked(sem));
	await_unref(b, 0);
	await_unref(c, 0);
	assert_int_equal(ringo_semaphore_value(sem), 1);
	return 0;
}

static void test_no_barging(void **state)
{
	(void)state;
	reset();
	assert_int_equal(ringo_semaphore_create_bounded(&sem, 1), 0);
	assert_int_equal(harness_run(no_barging, NULL), 0);
	assert_string_equal(log_.buf, "main- C:arrives value:0 B+ B- C+ C-");
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

/* ---- cancellation ---- */

static intptr_t cancel_queued(void *arg)
{
	(void)arg;
	ringo_task *t[3];
	static const char *names[] = { "w1", "w2", "w3" };
	for (int i = 0; i < 3; i++)
		spawn(&t[i], names[i]);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t[1]));
	harness_log(&log_, "release");
	assert_int_equal(ringo_semaphore_release(sem), 0);
	await_unref(t[0], 0);
	await_unref(t[1], -ECANCELED);
	await_unref(t[2], 0);
	/* one permit given, two returned by w1 and w3 */
	assert_int_equal(ringo_semaphore_value(sem), 1);
	return 0;
}

static void test_cancel_while_queued(void **state)
{
	(void)state;
	reset();
	assert_int_equal(ringo_semaphore_create(&sem, 0), 0);
	assert_int_equal(harness_run(cancel_queued, NULL), 0);
	assert_string_equal(log_.buf, "release w2:-125 w1+ w1- w3+ w3-");
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

static intptr_t handed_then_cancelled(void *arg)
{
	(void)arg;
	int r = ringo_semaphore_acquire(sem);
	int s = ringo_sleep(0);
	harness_log(&log_, "B:acquire:%d next:%d", r, s);
	assert_int_equal(ringo_semaphore_release(sem), 0);
	return s;
}

static intptr_t cancel_after_handoff(void *arg)
{
	(void)arg;
	ringo_task *b, *c;
	assert_int_equal(ringo_task_create(handed_then_cancelled, NULL, NULL, &b), 0);
	spawn(&c, "C");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_semaphore_release(sem), 0); /* B's permit */
	assert_true(ringo_task_cancel(b));
	await_unref(b, -ECANCELED);
	await_unref(c, 0); /* B passed the permit on by releasing it */
	assert_int_equal(ringo_semaphore_value(sem), 1);
	return 0;
}

static void test_cancel_after_handoff_keeps_permit(void **state)
{
	(void)state;
	reset();
	assert_int_equal(ringo_semaphore_create(&sem, 0), 0);
	assert_int_equal(harness_run(cancel_after_handoff, NULL), 0);
	assert_string_equal(log_.buf, "B:acquire:0 next:-125 C+ C-");
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_semaphore_acquire(sem), 0); /* free: no suspension */
	assert_int_equal(ringo_semaphore_acquire(sem), -ECANCELED);
	assert_int_equal(ringo_semaphore_value(sem), 0);
	assert_int_equal(ringo_semaphore_release(sem), 0);
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	assert_int_equal(ringo_semaphore_create(&sem, 1), 0);
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_int_equal(ringo_semaphore_value(sem), 1);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

/* ---- leftovers ---- */

static intptr_t leave_waiters(void *arg)
{
	ringo_task **t = arg;
	spawn(&t[0], "a");
	spawn(&t[1], "b");
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_waiters_left_at_shutdown(void **state)
{
	(void)state;
	reset();
	ringo_task *t[2];
	assert_int_equal(ringo_semaphore_create(&sem, 0), 0);
	assert_int_equal(harness_run(leave_waiters, t), 0);
	assert_string_equal(log_.buf, "a:-125 b:-125");
	for (int i = 0; i < 2; i++) {
		assert_true(ringo_task_cancelled(t[i]));
		ringo_task_unref(t[i]);
	}
	assert_int_equal(ringo_semaphore_value(sem), 0);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counting),
		cmocka_unit_test(test_bounded_over_release),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_fifo_limit),
		cmocka_unit_test(test_no_barging),
		cmocka_unit_test(test_cancel_while_queued),
		cmocka_unit_test(test_cancel_after_handoff_keeps_permit),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_waiters_left_at_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

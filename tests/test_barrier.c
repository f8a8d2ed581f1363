/* SPDX-License-Identifier: MIT */
/* Barrier: arrival indices, cycles, abort and reset, cancellation. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;
static ringo_barrier *bar;

static void reset_log(void)
{
	memset(&log_, 0, sizeof(log_));
}

static void await_unref(ringo_task *t, intptr_t expect)
{
	assert_int_equal(ringo_task_await(t), expect);
	ringo_task_unref(t);
}

static intptr_t waiter(void *arg)
{
	int r = ringo_barrier_wait(bar);
	harness_log(&log_, "%s:%d", (const char *)arg, r);
	return r;
}

static void spawn(ringo_task **t, const char *name)
{
	assert_int_equal(ringo_task_create(waiter, (void *)name, NULL, t), 0);
}

/* ---- indices ---- */

static intptr_t one_cycle(void *arg)
{
	(void)arg;
	ringo_task *a, *b;
	assert_int_equal(ringo_barrier_parties(bar), 3);
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	spawn(&a, "a");
	spawn(&b, "b");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_barrier_n_waiting(bar), 2);
	assert_int_equal(ringo_barrier_destroy(bar), -EBUSY);
	/* the last arrival does not suspend */
	int r = ringo_barrier_wait(bar);
	harness_log(&log_, "main:%d", r);
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	await_unref(a, 0);
	await_unref(b, 1);
	assert_false(ringo_barrier_broken(bar));
	return 0;
}

static void test_arrival_indices(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_barrier_create(&bar, 3), 0);
	assert_int_equal(harness_run(one_cycle, NULL), 0);
	assert_string_equal(log_.buf, "main:2 a:0 b:1");
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

/* Two tasks meet three times; the barrier empties after each cycle. */
static intptr_t cycler(void *arg)
{
	for (int i = 0; i < 3; i++) {
		int r = ringo_barrier_wait(bar);
		harness_log(&log_, "%s%d:%d", (const char *)arg, i, r);
		if (r < 0)
			return r;
	}
	return 0;
}

static intptr_t cycles(void *arg)
{
	(void)arg;
	ringo_task *a, *b;
	assert_int_equal(ringo_task_create(cycler, "a", NULL, &a), 0);
	assert_int_equal(ringo_task_create(cycler, "b", NULL, &b), 0);
	await_unref(a, 0);
	await_unref(b, 0);
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	return 0;
}

static void test_cycles(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_barrier_create(&bar, 2), 0);
	assert_int_equal(harness_run(cycles, NULL), 0);
	/* b completes the first cycle and at once waits first in the second */
	assert_string_equal(log_.buf, "b0:1 a0:0 a1:1 b1:0 b2:1 a2:0");
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

static intptr_t single_party(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_barrier_wait(bar), 0);
	assert_int_equal(ringo_barrier_acquire(bar), 0);
	assert_int_equal(ringo_barrier_release(bar), 0);
	return 0;
}

static void test_single_party(void **state)
{
	(void)state;
	assert_int_equal(ringo_barrier_create(&bar, 1), 0);
	assert_int_equal(harness_run(single_party, NULL), 0);
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

/* ---- abort and reset ---- */

static intptr_t abort_reset(void *arg)
{
	(void)arg;
	ringo_task *a, *b, *c;
	spawn(&a, "a");
	spawn(&b, "b");
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "abort");
	assert_int_equal(ringo_barrier_abort(bar), 0);
	assert_true(ringo_barrier_broken(bar));
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	await_unref(a, -EPIPE);
	await_unref(b, -EPIPE);
	/* broken: later waits fail at once */
	assert_int_equal(ringo_barrier_wait(bar), -EPIPE);
	spawn(&c, "c");
	await_unref(c, -EPIPE);
	harness_log(&log_, "reset");
	assert_int_equal(ringo_barrier_reset(bar), 0);
	assert_false(ringo_barrier_broken(bar));
	/* a full cycle works again */
	spawn(&a, "a");
	spawn(&b, "b");
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "main:%d", ringo_barrier_wait(bar));
	await_unref(a, 0);
	await_unref(b, 1);
	return 0;
}

static void test_abort(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_barrier_create(&bar, 3), 0);
	assert_int_equal(harness_run(abort_reset, NULL), 0);
	assert_string_equal(log_.buf, "abort a:-32 b:-32 c:-32 reset main:2 a:0 b:1");
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

static intptr_t reset_filling(void *arg)
{
	(void)arg;
	ringo_task *a, *b, *c, *d;
	spawn(&a, "a");
	spawn(&b, "b");
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "reset");
	assert_int_equal(ringo_barrier_reset(bar), 0);
	assert_false(ringo_barrier_broken(bar));
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	/* new arrivals start a fresh cycle, even before a and b have run */
	spawn(&c, "c");
	spawn(&d, "d");
	await_unref(a, -EPIPE);
	await_unref(b, -EPIPE);
	assert_int_equal(ringo_barrier_n_waiting(bar), 2);
	harness_log(&log_, "main:%d", ringo_barrier_wait(bar));
	await_unref(c, 0);
	await_unref(d, 1);
	return 0;
}

static void test_reset_breaks_waiters(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_barrier_create(&bar, 3), 0);
	assert_int_equal(harness_run(reset_filling, NULL), 0);
	assert_string_equal(log_.buf, "reset a:-32 b:-32 main:2 c:0 d:1");
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

/* ---- cancellation ---- */

/* A waiter leaving a filling barrier lowers the count; the indices stay
 * unique: those who came after it move up. */
static intptr_t cancel_filling(void *arg)
{
	(void)arg;
	ringo_task *a, *b, *c, *d;
	spawn(&a, "a");
	spawn(&b, "b");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_barrier_n_waiting(bar), 2);
	assert_true(ringo_task_cancel(a));
	assert_int_equal(ringo_barrier_n_waiting(bar), 1);
	await_unref(a, -ECANCELED);
	spawn(&c, "c");
	spawn(&d, "d");
	await_unref(d, 2); /* the third arrival completes the cycle */
	await_unref(b, 0);
	await_unref(c, 1);
	return 0;
}

static void test_cancel_while_filling(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_barrier_create(&bar, 3), 0);
	assert_int_equal(harness_run(cancel_filling, NULL), 0);
	assert_string_equal(log_.buf, "a:-125 d:2 b:0 c:1");
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

static intptr_t released_waiter(void *arg)
{
	(void)arg;
	int r = ringo_barrier_wait(bar);
	int s = ringo_sleep(0);
	harness_log(&log_, "a:%d next:%d", r, s);
	return s;
}

static intptr_t cancel_after_release(void *arg)
{
	(void)arg;
	ringo_task *a;
	assert_int_equal(ringo_task_create(released_waiter, NULL, NULL, &a), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_barrier_wait(bar), 1);
	assert_true(ringo_task_cancel(a)); /* it has its index already */
	await_unref(a, -ECANCELED);
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	return 0;
}

static void test_cancel_after_release_keeps_index(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_barrier_create(&bar, 2), 0);
	assert_int_equal(harness_run(cancel_after_release, NULL), 0);
	assert_string_equal(log_.buf, "a:0 next:-125");
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_barrier_wait(bar), -ECANCELED);
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	assert_int_equal(ringo_barrier_create(&bar, 2), 0);
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

/* ---- bad input, leftovers ---- */

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(ringo_barrier_create(NULL, 2), -EINVAL);
	assert_int_equal(ringo_barrier_create(&bar, 0), -EINVAL);
	assert_int_equal(ringo_barrier_create(&bar, -3), -EINVAL);
	assert_int_equal(ringo_barrier_wait(NULL), -EINVAL);
	assert_int_equal(ringo_barrier_abort(NULL), -EINVAL);
	assert_int_equal(ringo_barrier_reset(NULL), -EINVAL);
	assert_int_equal(ringo_barrier_parties(NULL), -EINVAL);
	assert_int_equal(ringo_barrier_n_waiting(NULL), -EINVAL);
	assert_false(ringo_barrier_broken(NULL));
	assert_int_equal(ringo_barrier_acquire(NULL), -EINVAL);
	assert_int_equal(ringo_barrier_release(NULL), -EINVAL);
	assert_int_equal(ringo_barrier_destroy(NULL), 0);
	assert_int_equal(ringo_barrier_create(&bar, 1), 0);
	assert_int_equal(ringo_barrier_wait(bar), -EPERM); /* not in a task */
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

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
	reset_log();
	ringo_task *t[2];
	assert_int_equal(ringo_barrier_create(&bar, 3), 0);
	assert_int_equal(harness_run(leave_waiters, t), 0);
	assert_string_equal(log_.buf, "a:-125 b:-125");
	for (int i = 0; i < 2; i++) {
		assert_true(ringo_task_cancelled(t[i]));
		ringo_task_unref(t[i]);
	}
	assert_int_equal(ringo_barrier_n_waiting(bar), 0);
	assert_int_equal(ringo_barrier_destroy(bar), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arrival_indices),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_single_party),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_reset_breaks_waiters),
		cmocka_unit_test(test_cancel_while_filling),
		cmocka_unit_test(test_cancel_after_release_keeps_index),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_waiters_left_at_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Event: set wakes every waiter, clear cannot take it back, cancellation. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;
static ringo_event *ev;

static void reset_log(void)
{
	memset(&log_, 0, sizeof(log_));
}

static intptr_t waiter(void *arg)
{
	int r = ringo_event_wait(ev);
	harness_log(&log_, "%s:%d", (const char *)arg, r);
	return r;
}

static void spawn(ringo_task **t, const char *name)
{
	assert_int_equal(ringo_task_create(waiter, (void *)name, NULL, t), 0);
}

static void await_unref(ringo_task *t, intptr_t expect)
{
	assert_int_equal(ringo_task_await(t), expect);
	ringo_task_unref(t);
}

static intptr_t set_wakes_all(void *arg)
{
	(void)arg;
	ringo_task *t[3];
	static const char *names[] = { "w1", "w2", "w3" };
	assert_false(ringo_event_is_set(ev));
	for (int i = 0; i < 3; i++)
		spawn(&t[i], names[i]);
	assert_int_equal(ringo_sleep(RINGO_MSEC(2)), 0);
	assert_int_equal(ringo_event_destroy(ev), -EBUSY);
	harness_log(&log_, "set");
	assert_int_equal(ringo_event_set(ev), 0);
	assert_true(ringo_event_is_set(ev));
	assert_int_equal(ringo_event_set(ev), 0); /* no effect */
	for (int i = 0; i < 3; i++)
		await_unref(t[i], 1);
	/* set: waiting returns at once */
	assert_int_equal(ringo_event_wait(ev), 1);
	harness_log(&log_, "clear");
	assert_int_equal(ringo_event_clear(ev), 0);
	assert_false(ringo_event_is_set(ev));
	return 0;
}

static void test_set_wakes_every_waiter(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(harness_run(set_wakes_all, NULL), 0);
	assert_string_equal(log_.buf, "set w1:1 w2:1 w3:1 clear");
	assert_int_equal(ringo_event_destroy(ev), 0);
}

/* Waiters woken by set return 1 even though the event is clear by the
 * time they run; a wait after the clear suspends until the next set. */
static intptr_t late_waiter(void *arg)
{
	(void)arg;
	harness_log(&log_, "late:waits set:%d", ringo_event_is_set(ev));
	int r = ringo_event_wait(ev);
	harness_log(&log_, "late:%d", r);
	return r;
}

static intptr_t set_then_clear(void *arg)
{
	(void)arg;
	ringo_task *t[2], *late;
	spawn(&t[0], "w1");
	spawn(&t[1], "w2");
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_event_set(ev), 0);
	assert_int_equal(ringo_event_clear(ev), 0);
	assert_int_equal(ringo_task_create(late_waiter, NULL, NULL, &late), 0);
	await_unref(t[0], 1);
	await_unref(t[1], 1);
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	assert_false(ringo_task_done(late));
	harness_log(&log_, "set");
	assert_int_equal(ringo_event_set(ev), 0);
	await_unref(late, 1);
	return 0;
}

static void test_woken_even_if_cleared(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(harness_run(set_then_clear, NULL), 0);
	assert_string_equal(log_.buf, "w1:1 w2:1 late:waits set:0 set late:1");
	assert_int_equal(ringo_event_destroy(ev), 0);
}

/* Cancelled while waiting: -ECANCELED, and the others are still woken.
 * Cancelled after the set: keeps its 1, -ECANCELED at the next await. */
static intptr_t woken_then_cancelled(void *arg)
{
	(void)arg;
	int r = ringo_event_wait(ev);
	int s = ringo_sleep(0);
	harness_log(&log_, "b:%d next:%d", r, s);
	return s;
}

static intptr_t cancellation(void *arg)
{
	(void)arg;
	ringo_task *a, *b, *c;
	spawn(&a, "a");
	assert_int_equal(ringo_task_create(woken_then_cancelled, NULL, NULL, &b), 0);
	spawn(&c, "c");
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(a));
	await_unref(a, -ECANCELED);
	harness_log(&log_, "set");
	assert_int_equal(ringo_event_set(ev), 0);
	assert_true(ringo_task_cancel(b));
	await_unref(b, -ECANCELED);
	await_unref(c, 1);
	return 0;
}

static void test_cancellation(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(harness_run(cancellation, NULL), 0);
	/* b's next await delivers the pending cancellation without suspending,
	 * so b logs before c runs */
	assert_string_equal(log_.buf, "a:-125 set b:1 next:-125 c:1");
	assert_int_equal(ringo_event_destroy(ev), 0);
}

/* A pending cancellation: a set event answers without suspending, a clear
 * one is not waited for. */
static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_event_wait(ev), -ECANCELED);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_event_set(ev), 0);
	assert_int_equal(ringo_event_wait(ev), 1);
	assert_int_equal(ringo_sleep(0), -ECANCELED);
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_int_equal(ringo_event_destroy(ev), 0);
}

/* set from a callback (call_later) wakes the waiter through the ring */
static void set_cb(void *arg)
{
	(void)arg;
	harness_log(&log_, "cb");
	ringo_event_set(ev);
}

static intptr_t timed_set(void *arg)
{
	int64_t *elapsed = arg;
	int64_t t0 = harness_now();
	assert_int_equal(ringo_call_later(RINGO_MSEC(20), set_cb, NULL, NULL), 0);
	assert_int_equal(ringo_event_wait(ev), 1);
	*elapsed = harness_now() - t0;
	harness_log(&log_, "woken");
	return 0;
}

static void test_set_from_callback(void **state)
{
	(void)state;
	reset_log();
	int64_t elapsed = 0;
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(harness_run(timed_set, &elapsed), 0);
	assert_string_equal(log_.buf, "cb woken");
	assert_true(elapsed >= RINGO_MSEC(20));
	assert_true(elapsed < RINGO_SEC(1));
	assert_int_equal(ringo_event_destroy(ev), 0);
}

static intptr_t from_callback_main(void *arg)
{
	int *r = arg;
	assert_int_equal(ringo_sleep(0), 0);
	return *r;
}

static void wait_cb(void *arg)
{
	*(int *)arg = ringo_event_wait(ev);
}

static intptr_t bad_in_loop(void *arg)
{
	int *r = arg;
	assert_int_equal(ringo_call_soon(wait_cb, r, NULL), 0);
	return from_callback_main(arg);
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(ringo_event_create(NULL), -EINVAL);
	assert_int_equal(ringo_event_wait(NULL), -EINVAL);
	assert_int_equal(ringo_event_set(NULL), -EINVAL);
	assert_int_equal(ringo_event_clear(NULL), -EINVAL);
	assert_false(ringo_event_is_set(NULL));
	assert_int_equal(ringo_event_destroy(NULL), 0);
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(ringo_event_wait(ev), -EPERM); /* outside a loop */
	int r = 0;
	assert_int_equal(harness_run(bad_in_loop, &r), -EPERM); /* in a callback */
	/* set and clear work anywhere */
	assert_int_equal(ringo_event_set(ev), 0);
	assert_true(ringo_event_is_set(ev));
	assert_int_equal(ringo_event_wait(ev), -EPERM);
	assert_int_equal(ringo_event_destroy(ev), 0);
}

static intptr_t leave_waiter(void *arg)
{
	ringo_task **t = arg;
	spawn(t, "w");
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_waiter_left_at_shutdown(void **state)
{
	(void)state;
	reset_log();
	ringo_task *t;
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(harness_run(leave_waiter, &t), 0);
	assert_string_equal(log_.buf, "w:-125");
	assert_true(ringo_task_cancelled(t));
	ringo_task_unref(t);
	assert_int_equal(ringo_event_destroy(ev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_wakes_every_waiter),
		cmocka_unit_test(test_woken_even_if_cleared),
		cmocka_unit_test(test_cancellation),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_set_from_callback),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_waiter_left_at_shutdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

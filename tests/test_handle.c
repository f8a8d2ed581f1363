/* SPDX-License-Identifier: MIT */
/* call_soon, call_later, call_at and their handles. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void note(void *arg)
{
	harness_log(&log_, "%s", (const char *)arg);
}

static intptr_t soon_is_fifo(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_call_soon(note, "1", NULL), 0);
	assert_int_equal(ringo_call_soon(note, "2", NULL), 0);
	assert_int_equal(ringo_call_soon(note, "3", NULL), 0);
	harness_log(&log_, "scheduled");
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "resumed");
	return 0;
}

static void test_call_soon_is_fifo_and_not_inline(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(soon_is_fifo, NULL), 0);
	assert_string_equal(log_.buf, "scheduled 1 2 3 resumed");
}

static intptr_t later_in_deadline_order(void *arg)
{
	(void)arg;
	ringo_handle *h;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_call_later(RINGO_MSEC(30), note, "30", NULL), 0);
	assert_int_equal(ringo_call_later(RINGO_MSEC(10), note, "10", &h), 0);
	assert_true(ringo_handle_when(h) >= t0 + RINGO_MSEC(10));
	ringo_handle_unref(h);
	assert_int_equal(ringo_call_at(t0 + RINGO_MSEC(20), note, "20", NULL), 0);
	assert_int_equal(ringo_call_later(RINGO_MSEC(15), note, "15", NULL), 0);
	assert_int_equal(ringo_call_soon(note, "soon", NULL), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(50)), 0);
	assert_true(ringo_time() - t0 >= RINGO_MSEC(50));
	return 0;
}

static void test_timers_fire_in_deadline_order(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(later_in_deadline_order, NULL), 0);
	assert_string_equal(log_.buf, "soon 10 15 20 30");
}

/* Issue 11 item 1: timers already due run in deadline order, not in the
 * order they were scheduled (a negative delay is a deadline in the past). */
static intptr_t past_in_deadline_order(void *arg)
{
	(void)arg;
	ringo_handle *h;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_call_later(RINGO_MSEC(-1), note, "a", &h), 0);
	/* asyncio keeps the past deadline too. */
	assert_true(ringo_handle_when(h) < t0);
	assert_true(ringo_handle_when(h) >= t0 - RINGO_MSEC(1));
	ringo_handle_unref(h);
	/* At t0 - 2 ms, not call_later(-2 ms): a preemption of over 1 ms
	 * between the two calls would put "a" first, rightly */
	assert_int_equal(ringo_call_at(t0 - RINGO_MSEC(2), note, "b", NULL), 0);
	assert_int_equal(ringo_call_at(t0 - RINGO_MSEC(5), note, "c", NULL), 0);
	assert_int_equal(ringo_call_later(0, note, "d", NULL), 0);
	assert_int_equal(ringo_call_at(t0 - RINGO_MSEC(3), note, "e", NULL), 0);
	/* Equal deadlines: in the order they were scheduled. */
	assert_int_equal(ringo_call_at(t0 - RINGO_MSEC(5), note, "c2", NULL), 0);
	assert_int_equal(ringo_call_at(0, note, "zero", NULL), 0);
	assert_int_equal(ringo_call_at(INT64_MIN, note, "min", NULL), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	return 0;
}

static void test_past_timers_fire_in_deadline_order(void **state)
{
	(void)state;
	/* On the default ring and on a plain one (no DEFER_TASKRUN). */
	for (int i = 0; i < 40; i++) {
		ringo_run_opts opts = { .flags = i % 2 ? RINGO_RUN_PLAIN_RING : 0 };
		intptr_t result = -1;
		memset(&log_, 0, sizeof(log_));
		assert_int_equal(ringo_run_with(past_in_deadline_order, NULL, &result, &opts), 0);
		assert_int_equal(result, 0);
		assert_string_equal(log_.buf, "min zero c c2 e b a d");
	}
}

/* Issue 11 item 4: timers with the same deadline fire in one loop step,
 * before anything they schedule: asyncio runs t1 t2 t3, then the marker
 * that t1 scheduled with call_soon. On a DEFER_TASKRUN ring the kernel
 * posts the second and third only at the next io_uring_enter unless the
 * loop flushes its deferred completions first. */
static ringo_event *marked;

static void marker(void *arg)
{
	note(arg);
	ringo_event_set(marked);
}

static void first_then_soon(void *arg)
{
	note(arg);
	assert_int_equal(ringo_call_soon(marker, "marker", NULL), 0);
}

static intptr_t equal_deadlines(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_event_create(&marked), 0);
	int64_t d = ringo_time() + RINGO_MSEC(20);
	assert_int_equal(ringo_call_at(d, first_then_soon, "t1", NULL), 0);
	assert_int_equal(ringo_call_at(d, note, "t2", NULL), 0);
	assert_int_equal(ringo_call_at(d, note, "t3", NULL), 0);
	assert_int_equal(ringo_event_wait(marked), 1);
	ringo_event_destroy(marked);
	return 0;
}

static void test_equal_deadlines_fire_in_one_step(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) {
		ringo_run_opts opts = { .flags = i % 2 ? RINGO_RUN_PLAIN_RING : 0 };
		intptr_t result = -1;
		memset(&log_, 0, sizeof(log_));
		assert_int_equal(ringo_run_with(equal_deadlines, NULL, &result, &opts), 0);
		assert_int_equal(result, 0);
		assert_string_equal(log_.buf, "t1 t2 t3 marker");
	}
}

static void stamp(void *arg)
{
	*(int64_t *)arg = harness_now();
}

static intptr_t later_waits(void *arg)
{
	(void)arg;
	int64_t fired = 0, t0 = harness_now();
	assert_int_equal(ringo_call_later(RINGO_MSEC(40), stamp, &fired, NULL), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(80)), 0);
	assert_true(fired - t0 >= RINGO_MSEC(40));
	return 0;
}

static void test_call_later_never_fires_early(void **state)
{
	(void)state;
	assert_int_equal(harness_run(later_waits, NULL), 0);
}

static intptr_t cancel_handles(void *arg)
{
	(void)arg;
	ringo_handle *soon, *later, *ran;
	assert_int_equal(ringo_call_soon(note, "soon", &soon), 0);
	assert_int_equal(ringo_call_later(RINGO_MSEC(10), note, "later", &later), 0);
	assert_int_equal(ringo_call_soon(note, "ran", &ran), 0);
	assert_true(ringo_handle_cancel(soon));
	assert_false(ringo_handle_cancel(soon));
	assert_true(ringo_handle_cancelled(soon));
	assert_true(ringo_handle_cancel(later));
	assert_int_equal(ringo_sleep(RINGO_MSEC(30)), 0);
	assert_false(ringo_handle_cancel(ran)); /* it has run */
	assert_false(ringo_handle_cancelled(ran));
	ringo_handle_unref(soon);
	ringo_handle_unref(later);
	ringo_handle_unref(ran);
	ringo_handle_unref(NULL);
	assert_false(ringo_handle_cancel(NULL));
	return 0;
}

static void test_cancelled_handles_never_run(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(cancel_handles, NULL), 0);
	assert_string_equal(log_.buf, "ran");
}

static intptr_t leave_pending(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_call_later(RINGO_SEC(10), note, "never", NULL), 0);
	assert_int_equal(ringo_call_soon(NULL, NULL, NULL), -EINVAL);
	return 0;
}

static void test_pending_callbacks_dropped_at_close(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(leave_pending, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(2));
	assert_string_equal(log_.buf, "");
}

/* The child counts its runs and sets the event main waits on. */
struct spawned {
	int runs;
	ringo_event *ran;
};

static intptr_t child(void *arg)
{
	struct spawned *sp = arg;
	harness_log(&log_, "child");
	sp->runs++;
	assert_int_equal(ringo_event_set(sp->ran), 0);
	return 0;
}

static void spawn_from_callback(void *arg)
{
	harness_log(&log_, "callback");
	assert_int_equal(ringo_task_create(child, arg, NULL, NULL), 0);
}

static intptr_t callback_spawns(void *arg)
{
	struct spawned *sp = arg;
	assert_int_equal(ringo_event_create(&sp->ran), 0);
	assert_int_equal(ringo_call_later(RINGO_MSEC(1), spawn_from_callback, sp, NULL), 0);
	/* However late the timer fires, the child runs before main goes on. */
	assert_int_equal(ringo_event_wait(sp->ran), 1);
	ringo_event_destroy(sp->ran);
	return 0;
}

static void test_callbacks_may_spawn_tasks(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	struct spawned sp = { 0 };
	assert_int_equal(harness_run(callback_spawns, &sp), 0);
	assert_int_equal(sp.runs, 1);
	assert_string_equal(log_.buf, "callback child");
}

static intptr_t huge_delay(void *arg)
{
	(void)arg;
	ringo_handle *h;
	assert_int_equal(ringo_call_later(INT64_MAX, note, "overflowed", &h), 0);
	assert_int_equal(ringo_handle_when(h), INT64_MAX);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_true(ringo_handle_cancel(h));
	ringo_handle_unref(h);
	return 0;
}

static void test_huge_delay_does_not_wrap(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(huge_delay, NULL), 0);
	assert_string_equal(log_.buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_soon_is_fifo_and_not_inline),
		cmocka_unit_test(test_timers_fire_in_deadline_order),
		cmocka_unit_test(test_past_timers_fire_in_deadline_order),
		cmocka_unit_test(test_equal_deadlines_fire_in_one_step),
		cmocka_unit_test(test_call_later_never_fires_early),
		cmocka_unit_test(test_cancelled_handles_never_run),
		cmocka_unit_test(test_pending_callbacks_dropped_at_close),
		cmocka_unit_test(test_callbacks_may_spawn_tasks),
		cmocka_unit_test(test_huge_delay_does_not_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

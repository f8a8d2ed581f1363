/* SPDX-License-Identifier: MIT */
/* lib/compose/timer.c: deadlines that move without a new kernel timer. Every case
 * runs with IORING_TIMEOUT_UPDATE and with the remove-and-re-arm path of
 * older kernels (RINGO_TIMER_NO_UPDATE=1). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "compose/timer.h"

static struct harness_log log_;
static int fired;
static int64_t fired_at;

static void on_fire(void *arg)
{
	fired++;
	fired_at = ringo_time();
	harness_log(&log_, "fire:%s", (const char *)arg);
}

static size_t inflight(void)
{
	return ringo__ring_inflight(ringo__loop_get()->ring);
}

static void reset(const char *no_update)
{
	memset(&log_, 0, sizeof(log_));
	fired = 0;
	fired_at = 0;
	setenv("RINGO_TIMER_NO_UPDATE", no_update, 1);
}

/* A thousand moves later cost no SQE; the timer fires once, at the last
 * deadline, not at the first. */
static intptr_t moves_later(void *arg)
{
	(void)arg;
	struct ringo__timer *t;
	assert_int_equal(ringo__timer_create(on_fire, "t", &t), 0);
	int64_t t0 = ringo_time();
	ringo__timer_set(t, t0 + RINGO_MSEC(20));
	size_t armed = inflight();
	int64_t last = 0;
	for (int i = 1; i <= 1000; i++) {
		last = t0 + RINGO_MSEC(20) + i * RINGO_USEC(500);
		ringo__timer_set(t, last);
		assert_int_equal(inflight(), armed);
	}
	assert_int_equal(ringo__timer_when(t), last);
	assert_int_equal(ringo_sleep_until(t0 + RINGO_MSEC(100)), 0);
	assert_int_equal(fired, 0); /* the first kernel expiry re-armed */
	assert_int_equal(ringo_sleep_until(last + RINGO_MSEC(200)), 0);
	assert_int_equal(fired, 1);
	assert_true(fired_at >= last);
	assert_int_equal(ringo__timer_when(t), RINGO_NO_TIMEOUT);
	ringo__timer_destroy(t);
	return 0;
}

static void test_moves_later(void **state)
{
	reset(*state);
	assert_int_equal(harness_run(moves_later, NULL), 0);
	assert_string_equal(log_.buf, "fire:t");
}

/* Moved from 10 s to 20 ms: fires at 20 ms, and the loop does not wait for
 * the old deadline. */
static intptr_t moves_earlier(void *arg)
{
	(void)arg;
	struct ringo__timer *t;
	assert_int_equal(ringo__timer_create(on_fire, "t", &t), 0);
	int64_t t0 = ringo_time();
	ringo__timer_set(t, t0 + RINGO_SEC(10));
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	ringo__timer_set(t, t0 + RINGO_MSEC(30));
	ringo__timer_set(t, t0 + RINGO_MSEC(20));
	while (!fired)
		assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(fired_at >= t0 + RINGO_MSEC(20));
	assert_true(fired_at < t0 + RINGO_SEC(2));
	ringo__timer_destroy(t);
	return 0;
}

static void test_moves_earlier(void **state)
{
	reset(*state);
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(moves_earlier, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(5));
	assert_string_equal(log_.buf, "fire:t");
}

/* A deadline already past fires at the next turn, before a sleep(0) queued
 * after it, as asyncio's call_soon; the armed kernel timer does not fire it
 * a second time. */
static intptr_t past(void *arg)
{
	(void)arg;
	struct ringo__timer *t;
	assert_int_equal(ringo__timer_create(on_fire, "t", &t), 0);
	ringo__timer_set(t, ringo_time() + RINGO_MSEC(20));
	ringo__timer_set(t, ringo_time() - 1);
	assert_int_equal(fired, 0);
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "yielded");
	assert_int_equal(ringo_sleep(RINGO_MSEC(60)), 0);
	ringo__timer_destroy(t);
	return 0;
}

static void test_past_fires_soon(void **state)
{
	reset(*state);
	assert_int_equal(harness_run(past, NULL), 0);
	assert_string_equal(log_.buf, "fire:t yielded");
}

/* Stopped, it never fires and holds nothing up; set again, it fires. */
static intptr_t stop_and_restart(void *arg)
{
	(void)arg;
	struct ringo__timer *a, *b;
	assert_int_equal(ringo__timer_create(on_fire, "a", &a), 0);
	assert_int_equal(ringo__timer_create(on_fire, "b", &b), 0);
	ringo__timer_set(a, ringo_time() + RINGO_SEC(10));
	ringo__timer_set(a, RINGO_NO_TIMEOUT);
	ringo__timer_set(b, ringo_time() + RINGO_MSEC(10));
	ringo__timer_set(b, RINGO_NO_TIMEOUT);
	ringo__timer_set(b, ringo_time() + RINGO_MSEC(20));
	assert_int_equal(ringo_sleep(RINGO_MSEC(60)), 0);
	/* a is destroyed stopped; b destroyed armed, far away. */
	ringo__timer_set(b, ringo_time() + RINGO_SEC(10));
	ringo__timer_destroy(a);
	ringo__timer_destroy(b);
	ringo__timer_destroy(NULL);
	return 0;
}

static void test_stop_and_destroy(void **state)
{
	reset(*state);
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(stop_and_restart, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(5));
	assert_string_equal(log_.buf, "fire:b");
}

/* fn may set the timer again (a periodic tick) or destroy it. */
static struct ringo__timer *tick_timer;

static void tick(void *arg)
{
	(void)arg;
	if (++fired < 3)
		ringo__timer_set(tick_timer, ringo_time() + RINGO_MSEC(5));
	else
		ringo__timer_destroy(tick_timer);
}

static intptr_t periodic(void *arg)
{
	(void)arg;
	assert_int_equal(ringo__timer_create(tick, NULL, &tick_timer), 0);
	ringo__timer_set(tick_timer, ringo_time() + RINGO_MSEC(5));
	while (fired < 3)
		assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	return 0;
}

static void test_periodic(void **state)
{
	reset(*state);
	assert_int_equal(harness_run(periodic, NULL), 0);
	assert_int_equal(fired, 3);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct ringo__timer *t = NULL;
	assert_int_equal(ringo__timer_create(on_fire, NULL, &t), -EPERM);
	assert_null(t);
}

#define BOTH(fn) \
	cmocka_unit_test_prestate(fn, "0"), cmocka_unit_test_prestate(fn, "1")

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_moves_later),
		BOTH(test_moves_earlier),
		BOTH(test_past_fires_soon),
		BOTH(test_stop_and_destroy),
		BOTH(test_periodic),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

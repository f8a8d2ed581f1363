/* SPDX-License-Identifier: MIT */
/* Asynchronous iteration: the protocol, the RINGO_ASYNC_FOR loop and the
 * ringo_async_for function form, break, close, errors, cancellation. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

/* Counts 1..limit; each anext sleeps sleep_ms first; anext number fail_at
 * (1-based) fails with -EIO instead. aclose logs and makes later anexts
 * return 0. */
struct counter {
	ringo_aiter aiter;
	int count, limit, fail_at, sleep_ms;
	bool closed;
};

static int counter_anext(ringo_aiter *it, intptr_t *item)
{
	struct counter *c = (struct counter *)it;
	if (c->closed || c->count == c->limit)
		return 0;
	int r = ringo_sleep(RINGO_MSEC(c->sleep_ms));
	if (r < 0) {
		harness_log(&log_, "anext:%d", r);
		return r;
	}
	if (c->count + 1 == c->fail_at)
		return -EIO;
	*item = ++c->count;
	return 1;
}

static int counter_aclose(ringo_aiter *it)
{
	struct counter *c = (struct counter *)it;
	harness_log(&log_, "aclose");
	/* closing may await */
	int r = ringo_sleep(RINGO_MSEC(1));
	c->closed = true;
	return r;
}

static struct counter counter(int limit, int fail_at, int sleep_ms)
{
	struct counter c = {
		.aiter = { .anext = counter_anext, .aclose = counter_aclose },
		.limit = limit, .fail_at = fail_at, .sleep_ms = sleep_ms,
	};
	return c;
}

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* ---- the loop form ---- */

static intptr_t loop_to_end(void *arg)
{
	(void)arg;
	struct counter c = counter(3, 0, 10);
	intptr_t item = -1;
	int err = 99;
	int64_t t0 = harness_now();
	RINGO_ASYNC_FOR(item, &c.aiter, err) {
		assert_int_equal(err, 0); /* 0 inside the body */
		harness_log(&log_, "%ld", (long)item);
	}
	int64_t took = harness_now() - t0;
	harness_log(&log_, "err:%d", err);
	assert_true(took >= RINGO_MSEC(30));
	assert_true(took < RINGO_SEC(1));
	/* At the end the iterator keeps answering 0. */
	assert_int_equal(ringo_aiter_next(&c.aiter, &item), 0);
	return 0;
}

static void test_async_for_custom_iterator(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(loop_to_end, NULL), 0);
	assert_string_equal(log_.buf, "1 2 3 err:0");
}

/* anext suspends: another task runs while the loop waits. */
static intptr_t ticker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2; i++) {
		harness_log(&log_, "tick");
		if (ringo_sleep(RINGO_MSEC(150)) < 0)
			return -ECANCELED;
	}
	return 0;
}

static intptr_t loop_interleaves(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(ticker, NULL, NULL, &t), 0);
	struct counter c = counter(3, 0, 100);
	intptr_t item;
	int err;
	/* items at 100, 200, 300 ms; ticks at 0 and 150 ms: 50 ms apart, so
	 * that a loaded machine cannot reorder them */
	RINGO_ASYNC_FOR(item, &c.aiter, err)
		harness_log(&log_, "%ld", (long)item);
	assert_int_equal(err, 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	return 0;
}

static void test_async_for_suspends(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(loop_interleaves, NULL), 0);
	assert_string_equal(log_.buf, "tick 1 tick 2 3");
}

static intptr_t loop_error(void *arg)
{
	(void)arg;
	struct counter c = counter(5, 3, 1);
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, &c.aiter, err)
		harness_log(&log_, "%ld", (long)item);
	harness_log(&log_, "err:%d", err);
	assert_false(c.closed); /* an error does not close the iterator */
	return 0;
}

static void test_async_for_error_in_anext(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(loop_error, NULL), 0);
	assert_string_equal(log_.buf, "1 2 err:-5");
}

static intptr_t loop_break_close(void *arg)
{
	(void)arg;
	struct counter c = counter(5, 0, 1);
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, &c.aiter, err) {
		harness_log(&log_, "%ld", (long)item);
		if (item == 2)
			break;
	}
	harness_log(&log_, "err:%d", err);
	/* break leaves the iterator open, where it was */
	assert_false(c.closed);
	assert_int_equal(ringo_aiter_next(&c.aiter, &item), 1);
	harness_log(&log_, "next:%ld", (long)item);
	assert_int_equal(ringo_aiter_close(&c.aiter), 0);
	assert_true(c.closed);
	RINGO_ASYNC_FOR(item, &c.aiter, err)
		harness_log(&log_, "after close:%ld", (long)item);
	harness_log(&log_, "err:%d", err);
	return 0;
}

static void test_async_for_break_then_close(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(loop_break_close, NULL), 0);
	assert_string_equal(log_.buf, "1 2 err:0 next:3 aclose err:0");
}

static intptr_t loop_continue(void *arg)
{
	(void)arg;
	struct counter c = counter(4, 0, 0);
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, &c.aiter, err) {
		if (item % 2)
			continue;
		harness_log(&log_, "%ld", (long)item);
	}
	harness_log(&log_, "err:%d", err);
	return 0;
}

static void test_async_for_continue(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(loop_continue, NULL), 0);
	assert_string_equal(log_.buf, "2 4 err:0");
}

static intptr_t cancelled_consumer(void *arg)
{
	struct counter *c = arg;
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, &c->aiter, err)
		harness_log(&log_, "%ld", (long)item);
	harness_log(&log_, "err:%d", err);
	return err;
}

static intptr_t loop_cancelled(void *arg)
{
	(void)arg;
	struct counter c = counter(100, 0, 50);
	ringo_task *t;
	assert_int_equal(ringo_task_create(cancelled_consumer, &c, NULL, &t), 0);
	/* Cancelled once items 1 and 2 are in (the consumer logs an item
	 * before it next suspends), 50 ms before item 3 is due: a fixed
	 * sleep left 10 ms, which a loaded machine overran. */
	while (c.count < 2)
		assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_task_cancelled(t));
	ringo_task_unref(t);
	return 0;
}

static void test_async_for_cancelled(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(loop_cancelled, NULL), 0);
	assert_string_equal(log_.buf, "1 2 anext:-125 err:-125");
}

/* ---- the function form ---- */

static int body_log(intptr_t item, void *arg)
{
	intptr_t stop_at = (intptr_t)arg;
	harness_log(&log_, "%ld", (long)item);
	if (item == stop_at)
		return stop_at == 2 ? 7 : -EPIPE;
	return 0;
}

static intptr_t function_form(void *arg)
{
	(void)arg;
	struct counter c = counter(3, 0, 1);
	assert_int_equal(ringo_async_for(&c.aiter, body_log, (void *)(intptr_t)0), 0);
	harness_log(&log_, "|");
	c = counter(5, 0, 1);
	/* a positive value stops (break) and is returned; no close */
	assert_int_equal(ringo_async_for(&c.aiter, body_log, (void *)(intptr_t)2), 7);
	assert_false(c.closed);
	harness_log(&log_, "|");
	/* the rest of the same iterator */
	assert_int_equal(ringo_async_for(&c.aiter, body_log, (void *)(intptr_t)4), -EPIPE);
	harness_log(&log_, "|");
	c = counter(5, 2, 1);
	assert_int_equal(ringo_async_for(&c.aiter, body_log, (void *)(intptr_t)0), -EIO);
	assert_int_equal(ringo_async_for(NULL, body_log, NULL), -EINVAL);
	assert_int_equal(ringo_async_for(&c.aiter, NULL, NULL), -EINVAL);
	return 0;
}

static void test_function_form(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(function_form, NULL), 0);
	assert_string_equal(log_.buf, "1 2 3 | 1 2 | 3 4 | 1");
}

/* ---- the protocol's entry points ---- */

static int answers_five(ringo_aiter *it, intptr_t *item)
{
	(void)it;
	*item = 42;
	return 5;
}

static intptr_t protocol_edges(void *arg)
{
	(void)arg;
	ringo_aiter bare = { .anext = answers_five, .aclose = NULL };
	intptr_t item = 0;
	assert_int_equal(ringo_aiter_next(&bare, &item), 1); /* normalised */
	assert_int_equal(item, 42);
	assert_int_equal(ringo_aiter_next(&bare, NULL), 1); /* item dropped */
	assert_int_equal(ringo_aiter_close(&bare), 0);      /* no aclose: 0 */
	ringo_aiter none = { .anext = NULL, .aclose = NULL };
	assert_int_equal(ringo_aiter_next(&none, &item), -EINVAL);
	assert_int_equal(ringo_aiter_next(NULL, &item), -EINVAL);
	assert_int_equal(ringo_aiter_close(NULL), -EINVAL);
	int err = 1;
	RINGO_ASYNC_FOR(item, &none, err)
		fail();
	assert_int_equal(err, -EINVAL);
	return 0;
}

static void test_protocol_edges(void **state)
{
	(void)state;
	assert_int_equal(harness_run(protocol_edges, NULL), 0);
}

/* Outside a task an anext that awaits fails with -EPERM. */
static void test_outside_a_task(void **state)
{
	(void)state;
	reset();
	struct counter c = counter(3, 0, 1);
	intptr_t item;
	assert_int_equal(ringo_aiter_next(&c.aiter, &item), -EPERM);
	assert_string_equal(log_.buf, "anext:-1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async_for_custom_iterator),
		cmocka_unit_test(test_async_for_suspends),
		cmocka_unit_test(test_async_for_error_in_anext),
		cmocka_unit_test(test_async_for_break_then_close),
		cmocka_unit_test(test_async_for_continue),
		cmocka_unit_test(test_async_for_cancelled),
		cmocka_unit_test(test_function_form),
		cmocka_unit_test(test_protocol_edges),
		cmocka_unit_test(test_outside_a_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

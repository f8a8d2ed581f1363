/* SPDX-License-Identifier: MIT */
/* as_completed: completion order, timeout, the async iterator protocol,
 * cancelling the consumer. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* arg: milliseconds; a negative value fails with -EIO after |ms|. */
static intptr_t child(void *arg)
{
	intptr_t ms = (intptr_t)arg;
	int r = ringo_sleep(RINGO_MSEC(ms < 0 ? -ms : ms));
	if (r < 0)
		return r;
	return ms < 0 ? -EIO : ms;
}

static void spawn(ringo_task **t, const intptr_t *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ringo_task_create(child, (void *)ms[i], NULL, &t[i]), 0);
}

static void release(ringo_task **t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ringo_task_cancel(t[i]);
		ringo_task_await(t[i]);
		ringo_task_unref(t[i]);
	}
}

static intptr_t completion_order(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 30, 10, -20, 40 };
	ringo_task *t[4];
	spawn(t, ms, 4);
	ringo_as_completed *ac;
	assert_int_equal(ringo_as_completed_create(&ac, t, 4, RINGO_NO_TIMEOUT), 0);
	/* The caller's references can go: the iterator holds its own. */
	for (int i = 0; i < 4; i++)
		ringo_task_unref(t[i]);
	ringo_task *d;
	int r;
	while ((r = ringo_as_completed_next(ac, &d)) == 1)
		harness_log(&log_, "%ld", (long)ringo_task_result(d));
	harness_log(&log_, "end:%d", r);
	assert_int_equal(ringo_as_completed_next(ac, &d), 0);
	ringo_as_completed_destroy(ac);
	return 0;
}

static void test_completion_order(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(completion_order, NULL), 0);
	/* A failed task is returned like the others; its error is its result. */
	assert_string_equal(log_.buf, "10 -5 30 40 end:0");
}

/* Tasks done already come first, in argument order, without suspending. */
static intptr_t probe(void *arg)
{
	(void)arg;
	harness_log(&log_, "probe");
	return 0;
}

static intptr_t done_first(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 20, 2, 1 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	assert_int_equal(ringo_task_await(t[1]), 2);
	assert_int_equal(ringo_task_await(t[2]), 1);
	ringo_task *p;
	assert_int_equal(ringo_task_create(probe, NULL, NULL, &p), 0);
	ringo_as_completed *ac;
	assert_int_equal(ringo_as_completed_create(&ac, t, 3, RINGO_NO_TIMEOUT), 0);
	ringo_task *d;
	while (ringo_as_completed_next(ac, &d) == 1)
		harness_log(&log_, "%ld", (long)ringo_task_result(d));
	ringo_as_completed_destroy(ac);
	ringo_task_await(p);
	ringo_task_unref(p);
	release(t, 3);
	return 0;
}

static void test_done_tasks_first(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(done_first, NULL), 0);
	assert_string_equal(log_.buf, "2 1 probe 20");
}

static intptr_t times_out(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 200, 10, 300 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	ringo_as_completed *ac;
	int64_t t0 = harness_now();
	assert_int_equal(ringo_as_completed_create(&ac, t, 3, RINGO_MSEC(50)), 0);
	ringo_task *d;
	int r;
	while ((r = ringo_as_completed_next(ac, &d)) != 0) {
		if (r == 1)
			harness_log(&log_, "%ld", (long)ringo_task_result(d));
		else
			harness_log(&log_, "err:%d", r);
	}
	int64_t el = harness_now() - t0;
	assert_true(el >= RINGO_MSEC(50) && el < RINGO_MSEC(150));
	/* Nothing was cancelled. */
	assert_int_equal(ringo_task_cancelling(t[0]), 0);
	assert_int_equal(ringo_task_await(t[0]), 200);
	ringo_as_completed_destroy(ac);
	release(t, 3);
	return 0;
}

static void test_timeout(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(times_out, NULL), 0);
	assert_string_equal(log_.buf, "10 err:-110 err:-110");
}

/* Through the ringo_aiter protocol, closed early. */
static intptr_t as_aiter(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 30, 10, 20 };
	ringo_task *t[3];
	spawn(t, ms, 3);
	ringo_as_completed *ac;
	assert_int_equal(ringo_as_completed_create(&ac, t, 3, RINGO_SEC(10)), 0);
	ringo_aiter *it = ringo_as_completed_aiter(ac);
	intptr_t item;
	int r;
	while ((r = it->anext(it, &item)) == 1) {
		ringo_task *d = (ringo_task *)item;
		harness_log(&log_, "%ld", (long)ringo_task_result(d));
		if (ringo_task_result(d) == 20)
			break;
	}
	assert_int_equal(it->aclose(it), 0);
	assert_int_equal(it->anext(it, &item), 0);
	ringo_as_completed_destroy(ac);
	assert_int_equal(ringo_task_await(t[0]), 30);
	release(t, 3);
	return 0;
}

static void test_aiter_protocol(void **state)
{
	(void)state;
	reset();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(as_aiter, NULL), 0);
	/* The 10 s timer was stopped by aclose. */
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_string_equal(log_.buf, "10 20");
}

/* Cancelling the consumer: -ECANCELED, nothing consumed, no task
 * cancelled. */
static ringo_as_completed *shared;

static intptr_t consumer(void *arg)
{
	(void)arg;
	ringo_task *d;
	int r = ringo_as_completed_next(shared, &d);
	harness_log(&log_, "consumer:%d", r);
	return r;
}

static intptr_t cancel_consumer(void *arg)
{
	(void)arg;
	const intptr_t ms[] = { 20 };
	ringo_task *t[1];
	spawn(t, ms, 1);
	assert_int_equal(ringo_as_completed_create(&shared, t, 1, RINGO_NO_TIMEOUT), 0);
	ringo_task *c;
	assert_int_equal(ringo_task_create(consumer, NULL, NULL, &c), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	ringo_task_cancel(c);
	assert_int_equal(ringo_task_await(c), -ECANCELED);
	assert_int_equal(ringo_task_cancelling(t[0]), 0);
	ringo_task *d = NULL;
	assert_int_equal(ringo_as_completed_next(shared, &d), 1);
	assert_ptr_equal(d, t[0]);
	harness_log(&log_, "main:%ld", (long)ringo_task_result(d));
	assert_int_equal(ringo_as_completed_next(shared, &d), 0);
	ringo_as_completed_destroy(shared);
	ringo_task_unref(c);
	release(t, 1);
	return 0;
}

static void test_cancel_consumer(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_consumer, NULL), 0);
	assert_string_equal(log_.buf, "consumer:-125 main:20");
}

static intptr_t edge_cases(void *arg)
{
	(void)arg;
	ringo_as_completed *ac;
	ringo_task *d;
	/* No tasks: the end at once. */
	assert_int_equal(ringo_as_completed_create(&ac, NULL, 0, RINGO_SEC(1)), 0);
	assert_int_equal(ringo_as_completed_next(ac, &d), 0);
	ringo_as_completed_destroy(ac);
	assert_int_equal(ringo_as_completed_create(NULL, NULL, 0, 0), -EINVAL);
	assert_int_equal(ringo_as_completed_create(&ac, NULL, 1, 0), -EINVAL);
	ringo_task *none = NULL;
	assert_int_equal(ringo_as_completed_create(&ac, &none, 1, 0), -EINVAL);
	assert_int_equal(ringo_as_completed_next(NULL, &d), -EINVAL);
	assert_null(ringo_as_completed_aiter(NULL));
	ringo_as_completed_destroy(NULL);
	/* Destroyed while tasks still run: they go on. */
	ringo_task *t;
	assert_int_equal(ringo_task_create(child, (void *)5, NULL, &t), 0);
	assert_int_equal(ringo_as_completed_create(&ac, &t, 1, RINGO_MSEC(1)), 0);
	ringo_as_completed_destroy(ac);
	assert_int_equal(ringo_task_await(t), 5);
	ringo_task_unref(t);
	return 0;
}

static void test_edge_cases(void **state)
{
	(void)state;
	assert_int_equal(harness_run(edge_cases, NULL), 0);
}

static ringo_as_completed *doomed;

static intptr_t wait_next(void *arg)
{
	(void)arg;
	ringo_task *t = NULL;
	return ringo_as_completed_next(doomed, &t);
}

static intptr_t nap(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(10));
}

static intptr_t destroy_while_waiting(void *arg)
{
	(void)arg;
	ringo_task *sleeper, *consumer;
	assert_int_equal(ringo_task_create(nap, NULL, NULL, &sleeper), 0);
	assert_int_equal(ringo_as_completed_create(&doomed, &sleeper, 1, RINGO_NO_TIMEOUT), 0);
	assert_int_equal(ringo_task_create(wait_next, NULL, NULL, &consumer), 0);
	assert_int_equal(ringo_sleep(0), 0); /* the consumer waits in next() */
	ringo_as_completed_destroy(doomed);
	assert_int_equal(ringo_task_await(consumer), -ESHUTDOWN);
	assert_true(ringo_task_cancel(sleeper));
	assert_int_equal(ringo_task_await(sleeper), -ECANCELED);
	ringo_task_unref(consumer);
	ringo_task_unref(sleeper);
	return 0;
}

static void test_destroy_while_a_consumer_waits(void **state)
{
	(void)state;
	assert_int_equal(harness_run(destroy_while_waiting, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completion_order),
		cmocka_unit_test(test_done_tasks_first),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_aiter_protocol),
		cmocka_unit_test(test_cancel_consumer),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_destroy_while_a_consumer_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

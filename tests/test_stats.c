/* SPDX-License-Identifier: MIT */
/* ringo_loop_stats: the counters move as the loop works. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static intptr_t yield_once(void *arg)
{
	(void)arg;
	return ringo_sleep(0);
}

static intptr_t counting(void *arg)
{
	(void)arg;
	struct ringo_loop_stats a, b;
	assert_int_equal(ringo_loop_stats(NULL), -EINVAL);
	assert_int_equal(ringo_loop_stats(&a), 0);
	assert_int_equal(a.tasks_alive, 1);
	assert_int_equal(a.tasks_created, 1);
	assert_true(a.stacks_live >= 1);
	assert_true(a.stack_size > 0);
	ringo_task *t[10];
	for (int i = 0; i < 10; i++)
		assert_int_equal(ringo_task_create(yield_once, NULL, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, 10, NULL, 0), 0);
	for (int i = 0; i < 10; i++)
		ringo_task_unref(t[i]);
	assert_int_equal(ringo_sleep(RINGO_MSEC(50)), 0);
	assert_int_equal(ringo_loop_stats(&b), 0);
	assert_int_equal(b.tasks_alive, 1);
	assert_int_equal(b.tasks_created, 11);
	/* Each child: a start NOP and a yield NOP; the gather's wake-up, the
	 * sleep's timeout: at least 22 SQEs and as many completions. */
	assert_true(b.sqes_submitted - a.sqes_submitted >= 22);
	assert_true(b.cqes - a.cqes >= 22);
	assert_true(b.enters > a.enters);
	assert_int_equal(b.cq_overflows, 0);
	assert_int_equal(b.ops_in_flight, 0);
	/* The 50 ms sleep was spent waiting. */
	assert_true(b.wait_ns - a.wait_ns >= RINGO_MSEC(40));
	assert_true(b.run_ns >= 0);
	assert_true(b.stacks_cached >= 1);
	assert_int_equal(b.executor_queued, 0);
	return 0;
}

static void test_counters_move(void **state)
{
	(void)state;
	harness_run(counting, NULL);
}

static void test_outside_a_loop(void **state)
{
	(void)state;
	struct ringo_loop_stats s;
	assert_int_equal(ringo_loop_stats(&s), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_move),
		cmocka_unit_test(test_outside_a_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* ringo_run: results, nesting, shutdown of leftover tasks, deadlocks. */
#include "harness.h"

#include <string.h>
#include <unistd.h>

#include <ringo.h>

static intptr_t return_arg(void *arg)
{
	return (intptr_t)arg;
}

static void test_run_returns_main_result(void **state)
{
	(void)state;
	assert_int_equal(harness_run(return_arg, (void *)42), 42);
	assert_int_equal(harness_run(return_arg, (void *)(intptr_t)-EIO), -EIO);
	static int x;
	assert_ptr_equal((void *)harness_run(return_arg, &x), &x);
}

static void test_run_rejects_null(void **state)
{
	(void)state;
	intptr_t result = 7;
	assert_int_equal(ringo_run(NULL, NULL, &result), -EINVAL);
	assert_int_equal(result, 7);
}

static intptr_t nested(void *arg)
{
	(void)arg;
	intptr_t r = 0;
	return ringo_run(return_arg, NULL, &r);
}

static void test_nested_run_is_an_error(void **state)
{
	(void)state;
	assert_int_equal(harness_run(nested, NULL), -EBUSY);
}

static void noop(void *arg)
{
	(void)arg;
}

static void test_outside_loop(void **state)
{
	(void)state;
	assert_int_equal(ringo_sleep(0), -EPERM);
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), -EPERM);
	ringo_task *t = NULL;
	assert_int_equal(ringo_task_create(return_arg, NULL, NULL, &t), -EPERM);
	assert_null(t);
	ringo_future *f = NULL;
	assert_int_equal(ringo_future_create(&f), -EPERM);
	assert_int_equal(ringo_call_soon(noop, NULL, NULL), -EPERM);
	assert_null(ringo_task_current());
	assert_int_equal(ringo_task_all(NULL, 0), 0);
	intptr_t r = 0;
	assert_int_equal(ringo_gather(NULL, 0, &r, 0), 0);
}

static int leftover_results[3];
static int leftover_started;

static intptr_t leftover(void *arg)
{
	leftover_started++;
	int r = ringo_sleep(RINGO_SEC(10));
	leftover_results[(intptr_t)arg] = r;
	return r;
}

static intptr_t spawn_leftovers(void *arg)
{
	(void)arg;
	for (intptr_t i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(leftover, (void *)i, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0); /* let them start */
	return 5;
}

static void test_leftover_tasks_are_cancelled(void **state)
{
	(void)state;
	memset(leftover_results, 0, sizeof(leftover_results));
	leftover_started = 0;
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(spawn_leftovers, NULL), 5);
	assert_true(harness_now() - t0 < RINGO_SEC(2));
	assert_int_equal(leftover_started, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(leftover_results[i], -ECANCELED);
}

static intptr_t spawn_unstarted(void *arg)
{
	(void)arg;
	leftover_started = 0;
	for (intptr_t i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(leftover, (void *)i, NULL, NULL), 0);
	return 1; /* returns before they ever ran */
}

static void test_unstarted_leftovers_never_run(void **state)
{
	(void)state;
	assert_int_equal(harness_run(spawn_unstarted, NULL), 1);
	assert_int_equal(leftover_started, 0);
}

static intptr_t await_forever(void *arg)
{
	(void)arg;
	ringo_future *f;
	assert_int_equal(ringo_future_create(&f), 0);
	intptr_t r = ringo_future_await(f);
	ringo_future_unref(f);
	return r;
}

static void deadlock_child(void *arg)
{
	(void)arg;
	intptr_t result = 0;
	int r = ringo_run(await_forever, NULL, &result);
	printf("run=%d result=%ld\n", r, (long)result);
}

static void test_deadlock_is_reported(void **state)
{
	(void)state;
	char out[1024];
	int status = harness_fork(deadlock_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_non_null(strstr(out, "ringo: deadlock: the main task waits but no operation is in flight"));
	char expect[64];
	snprintf(expect, sizeof(expect), "run=%d result=%d\n", -EDEADLK, -ECANCELED);
	assert_non_null(strstr(out, expect));
}

static ringo_future *never_set;

static intptr_t stubborn(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	/* ignores the shutdown's cancellation and waits for what never comes */
	intptr_t again = ringo_future_await(never_set);
	return r + again;
}

static intptr_t leave_stubborn(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&never_set), 0);
	assert_int_equal(ringo_task_create(stubborn, NULL, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	return 9;
}

static void test_abandoned_tasks_leave_nothing_dangling(void **state)
{
	(void)state;
	intptr_t result = 0;
	assert_int_equal(ringo_run(leave_stubborn, NULL, &result), -EDEADLK);
	assert_int_equal(result, 9);
	/* The future outlives its loop: completing it touches nothing freed. */
	assert_int_equal(ringo_future_set_result(never_set, 1), -EPERM);
	assert_false(ringo_future_cancel(never_set));
	ringo_future_unref(never_set);
	/* and the thread can run a loop again */
	assert_int_equal(harness_run(return_arg, (void *)4), 4);
}

static ringo_task *cycle[2];

static intptr_t await_other(void *arg)
{
	return ringo_task_await(cycle[(intptr_t)arg]);
}

static intptr_t make_cycle(void *arg)
{
	(void)arg;
	for (intptr_t i = 0; i < 2; i++)
		assert_int_equal(ringo_task_create(await_other, (void *)(1 - i), NULL, &cycle[i]), 0);
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_await_cycle_is_reported_not_recursed(void **state)
{
	(void)state;
	intptr_t result = -1;
	/* A awaits B awaits A: cancelling either leads back to itself. */
	assert_int_equal(ringo_run(make_cycle, NULL, &result), -EDEADLK);
	assert_int_equal(result, 0);
	/* abandoned: ended cancelled without being resumed */
	for (int i = 0; i < 2; i++) {
		assert_true(ringo_task_done(cycle[i]));
		assert_true(ringo_task_cancelled(cycle[i]));
		assert_false(ringo_task_cancel(cycle[i]));
		ringo_task_unref(cycle[i]);
	}
}

static void try_suspend_in_callback(void *arg)
{
	*(int *)arg = ringo_sleep(0);
}

static intptr_t callback_cannot_suspend(void *arg)
{
	(void)arg;
	int r = 1;
	assert_int_equal(ringo_call_soon(try_suspend_in_callback, &r, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	return r;
}

static void test_callbacks_cannot_suspend(void **state)
{
	(void)state;
	assert_int_equal(harness_run(callback_cannot_suspend, NULL), -EPERM);
}

static intptr_t time_moves(void *arg)
{
	(void)arg;
	int64_t a = ringo_time();
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	int64_t b = ringo_time();
	return b - a >= RINGO_MSEC(20);
}

static void test_loop_time_is_monotonic(void **state)
{
	(void)state;
	int64_t before = harness_now();
	assert_true(ringo_time() >= before);
	assert_int_equal(harness_run(time_moves, NULL), 1);
}

static void test_plain_ring_runs(void **state)
{
	(void)state;
	ringo_run_opts opts = { .flags = RINGO_RUN_PLAIN_RING, .ring_entries = 64 };
	intptr_t result = 0;
	assert_int_equal(ringo_run_with(time_moves, NULL, &result, &opts), 0);
	assert_int_equal(result, 1);
}

/* ---- issue 11 item 12: fork() in a running loop ---- */

static intptr_t child_main(void *arg)
{
	(void)arg;
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	assert_int_equal(ringo_write(fd[1], "ok", 2, -1, ringo_deadline_in(RINGO_SEC(5))), 2);
	char buf[2];
	assert_int_equal(ringo_read(fd[0], buf, 2, -1, ringo_deadline_in(RINGO_SEC(5))), 2);
	close(fd[0]);
	close(fd[1]);
	return 42;
}

static void forked_child(void *arg)
{
	(void)arg;
	/* Still on the parent's task stack, with the parent's loop gone. */
	int r1 = ringo_sleep(0);
	int r2 = ringo_sleep(0); /* the message comes once */
	printf("sleep:%d,%d current:%d\n", r1, r2, ringo_task_current() != NULL);
	fflush(stdout);
	intptr_t result = 0;
	int r = ringo_run(child_main, NULL, &result);
	printf("run:%d result:%ld\n", r, (long)result);
}

static intptr_t fork_in_loop(void *arg)
{
	(void)arg;
	char out[1024];
	int status = harness_fork(forked_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "ringo: this process was forked inside a running loop; the "
				 "parent's loop cannot be used here (calls fail with -EPERM); "
				 "start a new one with ringo_run\n"
				 "sleep:-1,-1 current:0\n"
				 "run:0 result:42\n");
	/* The parent's loop goes on. */
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	return 0;
}

static void test_fork_in_running_loop(void **state)
{
	(void)state;
	assert_int_equal(harness_run(fork_in_loop, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_returns_main_result),
		cmocka_unit_test(test_run_rejects_null),
		cmocka_unit_test(test_nested_run_is_an_error),
		cmocka_unit_test(test_outside_loop),
		cmocka_unit_test(test_leftover_tasks_are_cancelled),
		cmocka_unit_test(test_unstarted_leftovers_never_run),
		cmocka_unit_test(test_deadlock_is_reported),
		cmocka_unit_test(test_abandoned_tasks_leave_nothing_dangling),
		cmocka_unit_test(test_await_cycle_is_reported_not_recursed),
		cmocka_unit_test(test_callbacks_cannot_suspend),
		cmocka_unit_test(test_loop_time_is_monotonic),
		cmocka_unit_test(test_plain_ring_runs),
		cmocka_unit_test(test_fork_in_running_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

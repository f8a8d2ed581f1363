/* SPDX-License-Identifier: MIT */
/* Task groups: waiting for every child, a failure cancelling siblings and
 * the body, every error readable, outside cancellation, the parent's
 * cancelling() count, spawning into a finished group. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

static int cancelling(void)
{
	return ringo_task_cancelling(ringo_task_current());
}

/* How a child behaves: sleep ms, then return value; if cancelled, sleep
 * cleanup_ms and return on_cancel. */
struct spec {
	const char *name;
	int ms;
	intptr_t value;
	int cleanup_ms;
	intptr_t on_cancel;
};

static intptr_t child(void *arg)
{
	const struct spec *s = arg;
	int r = ringo_sleep(RINGO_MSEC(s->ms));
	if (r == 0) {
		harness_log(&log_, "%s:%ld", s->name, (long)s->value);
		return s->value;
	}
	if (s->cleanup_ms)
		ringo_sleep(RINGO_MSEC(s->cleanup_ms));
	harness_log(&log_, "%s:cancelled->%ld", s->name, (long)s->on_cancel);
	return s->on_cancel;
}

#define CHILD(n, ms_, v) { .name = n, .ms = ms_, .value = v, .on_cancel = -ECANCELED }

/* ---- all children awaited ---- */

static intptr_t waits_for_all(void *arg)
{
	(void)arg;
	static const struct spec s[] = { CHILD("a", 30, 1), CHILD("b", 10, 2), CHILD("c", 20, 3) };
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	ringo_task *b;
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[0], NULL, NULL), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[1], NULL, &b), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[2], NULL, NULL), 0);
	harness_log(&log_, "body");
	intptr_t r = ringo_taskgroup_exit(g, 5);
	harness_log(&log_, "exit:%ld", (long)r);
	size_t n = 99;
	assert_null(ringo_taskgroup_errors(g, &n));
	assert_int_equal(n, 0);
	assert_int_equal(ringo_task_result(b), 2);
	ringo_task_unref(b);
	/* Finished: no more children. */
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[0], NULL, NULL), -ESHUTDOWN);
	assert_int_equal(ringo_taskgroup_exit(g, 0), -EINVAL);
	ringo_taskgroup_destroy(g);
	/* An empty group exits at once with the body's result. */
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	assert_int_equal(ringo_taskgroup_exit(g, 4), 4);
	ringo_taskgroup_destroy(g);
	return 0;
}

static void test_exit_waits_for_all(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(waits_for_all, NULL), 0);
	assert_string_equal(log_.buf, "body b:2 c:3 a:1 exit:5");
}

/* ---- a failing child cancels its siblings and the body ---- */

static intptr_t failing_child(void *arg)
{
	(void)arg;
	static const struct spec s[] = {
		CHILD("slow", 10000, 1),
		{ .name = "fail", .ms = 10, .value = -EIO },
		{ .name = "clean", .ms = 10000, .cleanup_ms = 20, .on_cancel = -ECANCELED },
	};
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	ringo_task *t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[i], NULL, &t[i]), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "body:%d cancelling:%d", r, cancelling());
	intptr_t x = ringo_taskgroup_exit(g, r);
	harness_log(&log_, "exit:%ld cancelling:%d", (long)x, cancelling());
	size_t n;
	const ringo_taskgroup_error *e = ringo_taskgroup_errors(g, &n);
	assert_int_equal(n, 1);
	assert_ptr_equal(e[0].task, t[1]);
	assert_int_equal(e[0].error, -EIO);
	assert_true(ringo_task_cancelled(t[0]));
	assert_true(ringo_task_cancelled(t[2]));
	for (int i = 0; i < 3; i++)
		ringo_task_unref(t[i]);
	ringo_taskgroup_destroy(g);
	/* The group's cancellation was withdrawn: nothing pending. */
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_failure_cancels_siblings_and_body(void **state)
{
	(void)state;
	reset();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(failing_child, NULL), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	/* The siblings are cancelled before the body resumes (their wake-ups
	 * were queued first); exit waits for "clean"'s cleanup. */
	assert_string_equal(log_.buf, "fail:-5 slow:cancelled->-125 body:-125 cancelling:1 "
				      "clean:cancelled->-125 exit:-5 cancelling:0");
}

/* ---- every error is reported ---- */

static intptr_t many_errors(void *arg)
{
	(void)arg;
	static const struct spec s[] = {
		{ .name = "a", .ms = 10, .value = -EIO },
		/* fail while being cancelled */
		{ .name = "b", .ms = 10000, .on_cancel = -EPIPE },
		{ .name = "c", .ms = 10000, .cleanup_ms = 10, .on_cancel = -ENOENT },
		CHILD("d", 10000, 4),
		/* suppress the cancellation: not an error */
		{ .name = "e", .ms = 10000, .on_cancel = 7 },
	};
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	ringo_task *t[5];
	for (int i = 0; i < 5; i++)
		assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[i], NULL, &t[i]), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	/* The body fails in its own way too: reported last, as the parent. */
	assert_int_equal(r, -ECANCELED);
	/* Shutting down: no new children. */
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[3], NULL, NULL), -ESHUTDOWN);
	intptr_t x = ringo_taskgroup_exit(g, -EBADMSG);
	harness_log(&log_, "exit:%ld cancelling:%d", (long)x, cancelling());
	size_t n;
	const ringo_taskgroup_error *e = ringo_taskgroup_errors(g, &n);
	assert_int_equal(n, 4);
	assert_ptr_equal(e[0].task, t[0]);
	assert_int_equal(e[0].error, -EIO);
	assert_ptr_equal(e[1].task, t[1]);
	assert_int_equal(e[1].error, -EPIPE);
	assert_ptr_equal(e[2].task, t[2]);
	assert_int_equal(e[2].error, -ENOENT);
	assert_ptr_equal(e[3].task, ringo_task_current());
	assert_int_equal(e[3].error, -EBADMSG);
	assert_int_equal(ringo_task_result(t[4]), 7);
	for (int i = 0; i < 5; i++)
		ringo_task_unref(t[i]);
	ringo_taskgroup_destroy(g);
	return 0;
}

static void test_every_error_reported(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(many_errors, NULL), 0);
	assert_string_equal(log_.buf, "a:-5 b:cancelled->-32 d:cancelled->-125 e:cancelled->7 "
				      "c:cancelled->-2 exit:-5 cancelling:0");
}

/* A child fails while exit waits: siblings cancelled, the parent not. */
static intptr_t fail_during_exit(void *arg)
{
	(void)arg;
	static const struct spec s[] = {
		{ .name = "fail", .ms = 10, .value = -EIO },
		CHILD("slow", 10000, 1),
	};
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[i], NULL, NULL), 0);
	intptr_t x = ringo_taskgroup_exit(g, 0);
	harness_log(&log_, "exit:%ld cancelling:%d", (long)x, cancelling());
	ringo_taskgroup_destroy(g);
	harness_log(&log_, "next:%d", ringo_sleep(0));
	return 0;
}

static void test_failure_during_exit(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(fail_during_exit, NULL), 0);
	assert_string_equal(log_.buf, "fail:-5 slow:cancelled->-125 exit:-5 cancelling:0 next:0");
}

/* The body fails: the children are cancelled, its error is returned. */
static intptr_t body_fails(void *arg)
{
	(void)arg;
	static const struct spec s = CHILD("kid", 10000, 1);
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	intptr_t x = ringo_taskgroup_exit(g, -EINVAL);
	harness_log(&log_, "exit:%ld", (long)x);
	size_t n;
	const ringo_taskgroup_error *e = ringo_taskgroup_errors(g, &n);
	assert_int_equal(n, 1);
	assert_ptr_equal(e[0].task, ringo_task_current());
	assert_int_equal(e[0].error, -EINVAL);
	ringo_taskgroup_destroy(g);
	return 0;
}

static void test_body_error_cancels_children(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(body_fails, NULL), 0);
	assert_string_equal(log_.buf, "kid:cancelled->-125 exit:-22");
}

/* ---- outside cancellation ---- */

static intptr_t parent(void *arg)
{
	bool body_returns_at_once = arg != NULL;
	static const struct spec s[] = {
		CHILD("x", 10000, 1),
		{ .name = "y", .ms = 10000, .cleanup_ms = 10, .on_cancel = -ECANCELED },
	};
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[i], NULL, NULL), 0);
	int r = body_returns_at_once ? 0 : ringo_sleep(RINGO_SEC(10));
	if (!body_returns_at_once)
		harness_log(&log_, "body:%d", r);
	intptr_t x = ringo_taskgroup_exit(g, r);
	harness_log(&log_, "exit:%ld cancelling:%d", (long)x, cancelling());
	size_t n;
	ringo_taskgroup_errors(g, &n);
	assert_int_equal(n, 0);
	ringo_taskgroup_destroy(g);
	return x;
}

static intptr_t cancel_parent(void *arg)
{
	ringo_task *p;
	assert_int_equal(ringo_task_create(parent, arg, NULL, &p), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	ringo_task_cancel(p);
	harness_log(&log_, "parent:%ld", (long)ringo_task_await(p));
	ringo_task_unref(p);
	return 0;
}

static void test_outside_cancel(void **state)
{
	(void)state;
	/* While the body awaits. */
	reset();
	assert_int_equal(harness_run(cancel_parent, NULL), 0);
	assert_string_equal(log_.buf, "body:-125 x:cancelled->-125 y:cancelled->-125 "
				      "exit:-125 cancelling:1 parent:-125");
	/* While exit waits. */
	reset();
	assert_int_equal(harness_run(cancel_parent, (void *)1), 0);
	assert_string_equal(log_.buf, "x:cancelled->-125 y:cancelled->-125 "
				      "exit:-125 cancelling:1 parent:-125");
}

/* A failure and an outside cancellation: the errors win, and the outside
 * request is still counted (and the group's own withdrawn). */
static intptr_t fail_and_cancel_parent(void *arg)
{
	(void)arg;
	static const struct spec s[] = {
		{ .name = "fail", .ms = 10, .value = -EIO },
		{ .name = "slow", .ms = 10000, .cleanup_ms = 30, .on_cancel = -ECANCELED },
	};
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[i], NULL, NULL), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	intptr_t x = ringo_taskgroup_exit(g, r);
	harness_log(&log_, "exit:%ld cancelling:%d", (long)x, cancelling());
	ringo_taskgroup_destroy(g);
	return x;
}

static intptr_t cancel_failing_parent(void *arg)
{
	(void)arg;
	ringo_task *p;
	assert_int_equal(ringo_task_create(fail_and_cancel_parent, NULL, NULL, &p), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0); /* exit waits for "slow" */
	ringo_task_cancel(p);
	harness_log(&log_, "parent:%ld", (long)ringo_task_await(p));
	ringo_task_unref(p);
	return 0;
}

static void test_errors_beat_outside_cancel(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_failing_parent, NULL), 0);
	assert_string_equal(log_.buf, "fail:-5 slow:cancelled->-125 exit:-5 cancelling:1 "
				      "parent:-5");
}

/* ---- cancelling() restored, nested in a timeout scope ---- */

static intptr_t in_timeout_scope(void *arg)
{
	(void)arg;
	static const struct spec s[] = { CHILD("w", 10000, 1) };
	ringo_timeout *to;
	assert_int_equal(ringo_timeout_enter(&to, RINGO_MSEC(20)), 0);
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[0], NULL, NULL), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	intptr_t x = ringo_taskgroup_exit(g, r);
	harness_log(&log_, "group:%ld", (long)x);
	ringo_taskgroup_destroy(g);
	x = ringo_timeout_exit(to, x);
	harness_log(&log_, "scope:%ld cancelling:%d", (long)x, cancelling());
	ringo_timeout_destroy(to);
	return 0;
}

static void test_group_in_timeout_scope(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(in_timeout_scope, NULL), 0);
	assert_string_equal(log_.buf, "w:cancelled->-125 group:-125 scope:-110 cancelling:0");
}

/* A child failing inside a timeout scope that does not expire: the
 * group's own cancellation is withdrawn before the scope's exit, which
 * passes the error on. */
static intptr_t failure_in_scope(void *arg)
{
	(void)arg;
	static const struct spec s[] = { { .name = "f", .ms = 5, .value = -EIO } };
	ringo_timeout *to;
	assert_int_equal(ringo_timeout_enter(&to, RINGO_SEC(5)), 0);
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s[0], NULL, NULL), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	intptr_t x = ringo_taskgroup_exit(g, r);
	ringo_taskgroup_destroy(g);
	x = ringo_timeout_exit(to, x);
	harness_log(&log_, "scope:%ld cancelling:%d", (long)x, cancelling());
	ringo_timeout_destroy(to);
	return 0;
}

static void test_failure_in_timeout_scope(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(failure_in_scope, NULL), 0);
	assert_string_equal(log_.buf, "f:-5 scope:-5 cancelling:0");
}

/* ---- async with ---- */

static intptr_t async_with(void *arg)
{
	(void)arg;
	static const struct spec s[] = {
		CHILD("ok", 5, 1),
		{ .name = "bad", .ms = 10, .value = -EIO },
		CHILD("slow", 10000, 3),
	};
	ringo_taskgroup_actx tg;
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_taskgroup(&tg), as, err) {
		for (int i = 0; i < 3; i++)
			ringo_taskgroup_spawn((ringo_taskgroup *)as, child, (void *)&s[i], NULL,
					      NULL);
		err = ringo_sleep(RINGO_SEC(10));
		harness_log(&log_, "body:%d", err);
	}
	size_t n;
	const ringo_taskgroup_error *e = ringo_taskgroup_errors(tg.group, &n);
	harness_log(&log_, "with:%d errors:%zu first:%d cancelling:%d", err, n, e[0].error,
		    cancelling());
	ringo_taskgroup_destroy(tg.group);
	/* No failure: the body's outcome. */
	RINGO_ASYNC_WITH(ringo_actx_taskgroup(&tg), as, err) {
		ringo_taskgroup_spawn((ringo_taskgroup *)as, child, (void *)&s[0], NULL, NULL);
	}
	harness_log(&log_, "with:%d", err);
	ringo_taskgroup_destroy(tg.group);
	assert_null(ringo_actx_taskgroup(NULL));
	return 0;
}

static void test_async_with(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(async_with, NULL), 0);
	assert_string_equal(log_.buf, "ok:1 bad:-5 slow:cancelled->-125 body:-125 "
				      "with:-5 errors:1 first:-5 cancelling:0 ok:1 with:0");
}

/* ---- spawning ---- */

static ringo_taskgroup *shared_group;

static intptr_t spawner(void *arg)
{
	(void)arg;
	static const struct spec s = CHILD("late", 10, 2);
	ringo_sleep(RINGO_MSEC(5));
	/* While the parent waits in exit: allowed. */
	int r = ringo_taskgroup_spawn(shared_group, child, (void *)&s, NULL, NULL);
	harness_log(&log_, "spawn:%d", r);
	return 0;
}

static intptr_t spawn_from_child(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_taskgroup_enter(&shared_group), 0);
	assert_int_equal(ringo_taskgroup_spawn(shared_group, spawner, NULL, NULL, NULL), 0);
	harness_log(&log_, "exit:%ld", (long)ringo_taskgroup_exit(shared_group, 0));
	ringo_taskgroup_destroy(shared_group);
	return 0;
}

static void test_child_spawns_sibling(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(spawn_from_child, NULL), 0);
	assert_string_equal(log_.buf, "spawn:0 late:2 exit:0");
}

static int cb_result;

static void enter_from_callback(void *arg)
{
	ringo_taskgroup **g = arg;
	cb_result = ringo_taskgroup_enter(g);
}

static intptr_t bad_args(void *arg)
{
	(void)arg;
	ringo_taskgroup *g = NULL;
	assert_int_equal(ringo_taskgroup_enter(NULL), -EINVAL);
	assert_int_equal(ringo_call_soon(enter_from_callback, &g, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(cb_result, -EPERM);
	assert_null(g);
	assert_int_equal(ringo_taskgroup_spawn(NULL, child, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ringo_taskgroup_exit(NULL, 0), -EINVAL);
	ringo_taskgroup_destroy(NULL);
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, NULL, NULL, NULL, NULL), -EINVAL);
	/* Destroyed without exit: its children are cancelled. */
	static const struct spec s = CHILD("orphan", 10000, 1);
	ringo_task *t;
	assert_int_equal(ringo_taskgroup_spawn(g, child, (void *)&s, NULL, &t), 0);
	assert_int_equal(ringo_sleep(0), 0); /* it starts */
	ringo_taskgroup_destroy(g);
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	return 0;
}

static void test_bad_arguments(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(bad_args, NULL), 0);
	assert_string_equal(log_.buf, "orphan:cancelled->-125");
}

/* The body fails, then the parent is cancelled from outside while exit
 * waits for a child's cleanup: the body's error is still what exit reports
 * (asyncio: ExceptionGroup([OSError])). */
static ringo_task *tg_parent;

static intptr_t slow_cleanup_child(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	if (r == -ECANCELED)
		ringo_sleep(RINGO_MSEC(50));
	return r;
}

static intptr_t cancel_parent_later(void *arg)
{
	(void)arg;
	ringo_sleep(RINGO_MSEC(20));
	ringo_task_cancel(tg_parent);
	return 0;
}

static intptr_t body_error_then_outside_cancel(void *arg)
{
	(void)arg;
	tg_parent = ringo_task_current();
	ringo_taskgroup *g;
	assert_int_equal(ringo_taskgroup_enter(&g), 0);
	assert_int_equal(ringo_taskgroup_spawn(g, slow_cleanup_child, NULL, NULL, NULL), 0);
	ringo_task *c;
	assert_int_equal(ringo_task_create(cancel_parent_later, NULL, NULL, &c), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_taskgroup_exit(g, -EIO), -EIO);
	size_t n = 0;
	const ringo_taskgroup_error *e = ringo_taskgroup_errors(g, &n);
	assert_int_equal(n, 1);
	assert_ptr_equal(e[0].task, tg_parent);
	assert_int_equal(e[0].error, -EIO);
	ringo_taskgroup_destroy(g);
	ringo_task_unref(c);
	return 0;
}

static void test_body_error_survives_outside_cancel_during_exit(void **state)
{
	(void)state;
	assert_int_equal(harness_run(body_error_then_outside_cancel, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_waits_for_all),
		cmocka_unit_test(test_failure_cancels_siblings_and_body),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_failure_during_exit),
		cmocka_unit_test(test_body_error_cancels_children),
		cmocka_unit_test(test_outside_cancel),
		cmocka_unit_test(test_errors_beat_outside_cancel),
		cmocka_unit_test(test_group_in_timeout_scope),
		cmocka_unit_test(test_failure_in_timeout_scope),
		cmocka_unit_test(test_async_with),
		cmocka_unit_test(test_child_spawns_sibling),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_body_error_survives_outside_cancel_during_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

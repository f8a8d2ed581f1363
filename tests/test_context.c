/* SPDX-License-Identifier: MIT */
/* Asynchronous context managers: aenter/aexit on every way out of the
 * RINGO_ASYNC_WITH block and of ringo_async_with, suppression, replacement,
 * cancellation, nesting, and the enter/leave pair adapter. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* A manager that logs; aenter and aexit each await sleep_ms first. */
struct mgr {
	ringo_actx actx;
	const char *name;
	int sleep_ms;
	int enter_error;    /* aenter fails with it */
	int exit_ret;       /* what aexit returns */
	bool uncancel;      /* aexit withdraws a cancellation it suppresses */
};

static int mgr_aenter(ringo_actx *m, intptr_t *as)
{
	struct mgr *g = (struct mgr *)m;
	assert_int_equal(*as, 0);
	int r = ringo_sleep(RINGO_MSEC(g->sleep_ms));
	if (r < 0)
		return r;
	harness_log(&log_, "enter:%s", g->name);
	if (g->enter_error)
		return g->enter_error;
	*as = 100 + g->name[0];
	return 0;
}

static int mgr_aexit(ringo_actx *m, int error)
{
	struct mgr *g = (struct mgr *)m;
	harness_log(&log_, "exit:%s:%d", g->name, error);
	/* aexit may await, also while a cancellation is being handled */
	int r = ringo_sleep(RINGO_MSEC(g->sleep_ms));
	harness_log(&log_, "exited:%s:%d", g->name, r);
	if (r < 0)
		return r;
	if (g->uncancel && error == -ECANCELED && g->exit_ret > 0)
		ringo_task_uncancel(ringo_task_current());
	return g->exit_ret;
}

static struct mgr mgr(const char *name, int sleep_ms, int exit_ret)
{
	struct mgr g = {
		.actx = { .aenter = mgr_aenter, .aexit = mgr_aexit },
		.name = name, .sleep_ms = sleep_ms, .exit_ret = exit_ret,
	};
	return g;
}

/* ---- the block form ---- */

/* body: 0 ends normally, < 0 sets err to it and breaks */
static int with_body(struct mgr *g, int body_error)
{
	intptr_t as = -1;
	int err = 99;
	RINGO_ASYNC_WITH(&g->actx, as, err) {
		assert_int_equal(err, 0);
		harness_log(&log_, "body:%ld", (long)as);
		if (body_error) {
			err = body_error;
			break;
		}
		harness_log(&log_, "body end");
	}
	harness_log(&log_, "after:%d", err);
	return err;
}

static intptr_t normal_exit(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 10, 0);
	int64_t t0 = harness_now();
	assert_int_equal(with_body(&a, 0), 0);
	int64_t took = harness_now() - t0;
	assert_true(took >= RINGO_MSEC(20)); /* aenter and aexit awaited */
	assert_true(took < RINGO_SEC(1)); /* not a 10 s wait */
	return 0;
}

static void test_normal_exit(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(normal_exit, NULL), 0);
	assert_string_equal(log_.buf, "enter:A body:165 body end exit:A:0 exited:A:0 after:0");
}

static intptr_t enter_fails(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 1, 0);
	a.enter_error = -EACCES;
	assert_int_equal(with_body(&a, 0), -EACCES);
	assert_int_equal(ringo_async_with(&a.actx, NULL, NULL), -EINVAL);
	int err = 5;
	intptr_t as;
	RINGO_ASYNC_WITH(NULL, as, err)
		fail();
	assert_int_equal(err, -EINVAL);
	ringo_actx half = { .aenter = mgr_aenter, .aexit = NULL };
	RINGO_ASYNC_WITH(&half, as, err)
		fail();
	assert_int_equal(err, -EINVAL);
	return 0;
}

static void test_enter_fails_body_and_exit_skipped(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(enter_fails, NULL), 0);
	assert_string_equal(log_.buf, "enter:A after:-13");
}

static intptr_t body_error(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 1, 0);
	assert_int_equal(with_body(&a, -EIO), -EIO); /* propagated */
	a.exit_ret = 1;
	assert_int_equal(with_body(&a, -EIO), 0); /* suppressed */
	a.exit_ret = -EPIPE;
	assert_int_equal(with_body(&a, -EIO), -EPIPE); /* replaced */
	assert_int_equal(with_body(&a, 0), -EPIPE); /* an error on a normal exit */
	a.exit_ret = 1;
	assert_int_equal(with_body(&a, 0), 0); /* nothing to suppress */
	return 0;
}

static void test_error_propagate_suppress_replace(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(body_error, NULL), 0);
	assert_string_equal(log_.buf,
			    "enter:A body:165 exit:A:-5 exited:A:0 after:-5 "
			    "enter:A body:165 exit:A:-5 exited:A:0 after:0 "
			    "enter:A body:165 exit:A:-5 exited:A:0 after:-32 "
			    "enter:A body:165 body end exit:A:0 exited:A:0 after:-32 "
			    "enter:A body:165 body end exit:A:0 exited:A:0 after:0");
}

/* Ways out: continue, goto, return; break in an enclosing loop. */
static int leave_by_continue(struct mgr *g)
{
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(&g->actx, as, err) {
		harness_log(&log_, "body");
		err = -EIO;
		continue;
		fail();
	}
	harness_log(&log_, "after:%d", err);
	return err;
}

static int leave_by_goto(struct mgr *g)
{
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(&g->actx, as, err) {
		harness_log(&log_, "body");
		err = -EIO;
		goto out;
	}
	fail();
out:
	harness_log(&log_, "out:%d", err);
	return err;
}

static int return_err;

static int leave_by_return(struct mgr *g)
{
	intptr_t as;
	RINGO_ASYNC_WITH(&g->actx, as, return_err) {
		harness_log(&log_, "body");
		return_err = -EIO;
		return 7; /* computed before aexit runs: it cannot change it */
	}
	fail();
	return 0;
}

static intptr_t ways_out(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 1, -EPIPE);
	assert_int_equal(leave_by_continue(&a), -EPIPE);
	assert_int_equal(leave_by_goto(&a), -EPIPE);
	assert_int_equal(leave_by_return(&a), 7);
	harness_log(&log_, "returned:%d", return_err); /* err was updated */
	/* break and continue leave the with block, not an enclosing loop */
	a.exit_ret = 0;
	for (int i = 0; i < 3; i++) {
		intptr_t as;
		int err;
		RINGO_ASYNC_WITH(&a.actx, as, err) {
			harness_log(&log_, "i%d", i);
			if (i == 1)
				break;
			harness_log(&log_, "rest%d", i);
		}
	}
	return 0;
}

static void test_every_way_out(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(ways_out, NULL), 0);
	assert_string_equal(log_.buf,
			    "enter:A body exit:A:-5 exited:A:0 after:-32 "
			    "enter:A body exit:A:-5 exited:A:0 out:-32 "
			    "enter:A body exit:A:-5 exited:A:0 returned:-32 "
			    "enter:A i0 rest0 exit:A:0 exited:A:0 "
			    "enter:A i1 exit:A:0 exited:A:0 "
			    "enter:A i2 rest2 exit:A:0 exited:A:0");
}

/* Cancellation: the body's await returns -ECANCELED, aexit receives it,
 * may await, and decides. */
static intptr_t cancellable(void *arg)
{
	struct mgr *g = arg;
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(&g->actx, as, err) {
		harness_log(&log_, "body");
		err = ringo_sleep(RINGO_SEC(10));
		if (err < 0)
			break;
		fail();
	}
	harness_log(&log_, "after:%d", err);
	if (err < 0)
		return err;
	/* a suppressed cancellation lets the task go on and finish normally */
	err = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "then:%d", err);
	return err < 0 ? err : 5;
}

static intptr_t cancel_in_body(void *arg)
{
	intptr_t exit_ret = (intptr_t)arg;
	struct mgr a = mgr("A", 10, (int)exit_ret);
	a.uncancel = exit_ret == 2;
	ringo_task *t;
	assert_int_equal(ringo_task_create(cancellable, &a, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(15)), 0);
	int64_t t0 = harness_now();
	assert_true(ringo_task_cancel(t));
	intptr_t r = ringo_task_await(t);
	assert_true(harness_now() - t0 >= RINGO_MSEC(10)); /* aexit's await */
	switch (exit_ret) {
	case 0: /* propagated: the task ends cancelled */
		assert_int_equal(r, -ECANCELED);
		assert_true(ringo_task_cancelled(t));
		break;
	case 1: /* suppressed: finishes normally, the request still counted */
		assert_int_equal(r, 5);
		assert_false(ringo_task_cancelled(t));
		assert_int_equal(ringo_task_cancelling(t), 1);
		break;
	case 2: /* suppressed and withdrawn with uncancel */
		assert_int_equal(r, 5);
		assert_false(ringo_task_cancelled(t));
		assert_int_equal(ringo_task_cancelling(t), 0);
		break;
	default: /* replaced: ends with aexit's error, not cancelled */
		assert_int_equal(r, -EPIPE);
		assert_false(ringo_task_cancelled(t));
		break;
	}
	ringo_task_unref(t);
	return 0;
}

static void test_cancel_propagated(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_in_body, (void *)0), 0);
	assert_string_equal(log_.buf,
			    "enter:A body exit:A:-125 exited:A:0 after:-125");
}

static void test_cancel_suppressed_task_finishes(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_in_body, (void *)1), 0);
	assert_string_equal(log_.buf,
			    "enter:A body exit:A:-125 exited:A:0 after:0 then:0");
}

static void test_cancel_suppressed_and_uncancelled(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_in_body, (void *)2), 0);
	assert_string_equal(log_.buf,
			    "enter:A body exit:A:-125 exited:A:0 after:0 then:0");
}

static void test_cancel_replaced(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_in_body, (void *)-EPIPE), 0);
	assert_string_equal(log_.buf,
			    "enter:A body exit:A:-125 exited:A:0 after:-32");
}

/* A cancellation requested while the body does not await stays pending:
 * aexit's first await delivers it; aexit can let it replace the outcome,
 * or withdraw it with uncancel before awaiting. */
static int withdraw_first;

static int pending_aexit(ringo_actx *m, int error)
{
	(void)m;
	harness_log(&log_, "exit:%d", error);
	if (withdraw_first)
		assert_int_equal(ringo_task_uncancel(ringo_task_current()), 0);
	int r = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "exited:%d", r);
	return r;
}

static int noop_aenter(ringo_actx *m, intptr_t *as)
{
	(void)m;
	(void)as;
	return 0;
}

static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	ringo_actx m = { .aenter = noop_aenter, .aexit = pending_aexit };
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(&m, as, err) {
		assert_true(ringo_task_cancel(ringo_task_current()));
		harness_log(&log_, "body");
	}
	harness_log(&log_, "after:%d", err);
	return err;
}

static void test_pending_cancel_reaches_aexit(void **state)
{
	(void)state;
	reset();
	withdraw_first = 0;
	assert_int_equal(harness_run(pending_cancel, NULL), -ECANCELED);
	assert_string_equal(log_.buf, "body exit:0 exited:-125 after:-125");
	reset();
	withdraw_first = 1;
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
	assert_string_equal(log_.buf, "body exit:0 exited:0 after:0");
}

/* Nesting: exits in reverse order, on every way out. */
static int nested_return(struct mgr *a, struct mgr *b)
{
	intptr_t x, y;
	int ea, eb;
	RINGO_ASYNC_WITH(&a->actx, x, ea) {
		RINGO_ASYNC_WITH(&b->actx, y, eb) {
			harness_log(&log_, "body:%ld,%ld", (long)x, (long)y);
			return 3;
		}
	}
	return 0;
}

static intptr_t nesting(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 1, 0), b = mgr("B", 1, 0);
	intptr_t x, y;
	int ea, eb;
	RINGO_ASYNC_WITH(&a.actx, x, ea) {
		RINGO_ASYNC_WITH(&b.actx, y, eb) {
			harness_log(&log_, "body");
			eb = -EIO;
		}
		harness_log(&log_, "inner:%d", eb);
		ea = eb;
	}
	harness_log(&log_, "outer:%d", ea);
	/* the inner manager suppresses: the outer sees a normal exit */
	b.exit_ret = 1;
	RINGO_ASYNC_WITH(&a.actx, x, ea) {
		RINGO_ASYNC_WITH(&b.actx, y, eb) {
			eb = -EIO;
			break;
		}
		ea = eb;
	}
	harness_log(&log_, "outer:%d", ea);
	assert_int_equal(nested_return(&a, &b), 3);
	return 0;
}

static void test_nesting_exits_in_reverse(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(nesting, NULL), 0);
	assert_string_equal(log_.buf,
			    "enter:A enter:B body exit:B:-5 exited:B:0 inner:-5 "
			    "exit:A:-5 exited:A:0 outer:-5 "
			    "enter:A enter:B exit:B:-5 exited:B:0 exit:A:0 exited:A:0 outer:0 "
			    "enter:A enter:B body:165,166 exit:B:0 exited:B:0 "
			    "exit:A:0 exited:A:0");
}

/* ---- the function form ---- */

static intptr_t fn_body(intptr_t as, void *arg)
{
	intptr_t ret = (intptr_t)arg;
	harness_log(&log_, "body:%ld", (long)as);
	int r = ringo_sleep(RINGO_MSEC(1));
	return r < 0 ? r : ret;
}

static intptr_t nested_fn_body(intptr_t as, void *arg)
{
	(void)as;
	return ringo_async_with(arg, fn_body, (void *)-EIO);
}

static intptr_t function_form(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 1, 0), b = mgr("B", 1, 0);
	/* a value passes through */
	assert_int_equal(ringo_async_with(&a.actx, fn_body, (void *)1234), 1234);
	assert_int_equal(ringo_async_with(&a.actx, fn_body, (void *)-EIO), -EIO);
	a.exit_ret = 1;
	assert_int_equal(ringo_async_with(&a.actx, fn_body, (void *)-EIO), 0);
	a.exit_ret = -EPIPE;
	assert_int_equal(ringo_async_with(&a.actx, fn_body, (void *)-EIO), -EPIPE);
	a.exit_ret = 0;
	a.enter_error = -EACCES;
	assert_int_equal(ringo_async_with(&a.actx, fn_body, (void *)1), -EACCES);
	a.enter_error = 0;
	harness_log(&log_, "|");
	assert_int_equal(ringo_async_with(&a.actx, nested_fn_body, &b.actx), -EIO);
	assert_int_equal(ringo_async_with(NULL, fn_body, NULL), -EINVAL);
	assert_int_equal(ringo_actx_exit(NULL, 0), -EINVAL);
	assert_int_equal(ringo_actx_enter(&a.actx, NULL), -EINVAL);
	return 0;
}

static void test_function_form(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(function_form, NULL), 0);
	assert_string_equal(log_.buf,
			    "enter:A body:165 exit:A:0 exited:A:0 "
			    "enter:A body:165 exit:A:-5 exited:A:0 "
			    "enter:A body:165 exit:A:-5 exited:A:0 "
			    "enter:A body:165 exit:A:-5 exited:A:0 "
			    "enter:A | "
			    "enter:A enter:B body:166 exit:B:-5 exited:B:0 exit:A:-5 exited:A:0");
}

/* The function form awaits aexit on cancellation too. */
static intptr_t long_body(intptr_t as, void *arg)
{
	(void)as;
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "body:%d", r);
	return r;
}

static intptr_t with_task(void *arg)
{
	return ringo_async_with(arg, long_body, NULL);
}

static intptr_t cancel_function_form(void *arg)
{
	(void)arg;
	struct mgr a = mgr("A", 5, 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(with_task, &a.actx, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_task_cancelled(t));
	ringo_task_unref(t);
	return 0;
}

static void test_function_form_cancelled(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_function_form, NULL), 0);
	assert_string_equal(log_.buf, "enter:A body:-125 exit:A:-125 exited:A:0");
}

/* ---- the enter/leave pair adapter ---- */

/* A one-holder gate, like a lock: enter waits (polling by sleeping) while
 * it is held. */
struct gate {
	bool held;
	int leave_error;
};

static int gate_enter(void *obj)
{
	struct gate *g = obj;
	while (g->held) {
		int r = ringo_sleep(RINGO_MSEC(2));
		if (r < 0)
			return r;
	}
	g->held = true;
	return 0;
}

static int gate_leave(void *obj)
{
	struct gate *g = obj;
	g->held = false;
	return g->leave_error;
}

static intptr_t gate_user(void *arg)
{
	struct gate *g = arg;
	ringo_actx_pair p;
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_from(&p, gate_enter, gate_leave, g), as, err) {
		assert_int_equal(as, 0); /* what enter returned */
		harness_log(&log_, "in:%s", ringo_task_name(ringo_task_current()));
		err = ringo_sleep(RINGO_MSEC(10));
		harness_log(&log_, "out:%s", ringo_task_name(ringo_task_current()));
		if (err == 0)
			err = -EIO;
	}
	return err;
}

static intptr_t adapter(void *arg)
{
	(void)arg;
	struct gate g = { 0 };
	ringo_task *t[2];
	ringo_task_opts o1 = { .name = "t1" }, o2 = { .name = "t2" };
	assert_int_equal(ringo_task_create(gate_user, &g, &o1, &t[0]), 0);
	assert_int_equal(ringo_task_create(gate_user, &g, &o2, &t[1]), 0);
	intptr_t results[2];
	assert_int_equal(ringo_gather(t, 2, results, RINGO_RETURN_EXCEPTIONS), 0);
	/* the body's error goes through */
	assert_int_equal(results[0], -EIO);
	assert_int_equal(results[1], -EIO);
	assert_false(g.held);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	/* a failing leave replaces the outcome */
	g.leave_error = -EPIPE;
	assert_int_equal(gate_user(&g), -EPIPE);
	assert_false(g.held);
	/* without a leave function */
	ringo_actx_pair p;
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_from(&p, gate_enter, NULL, &g), as, err)
		harness_log(&log_, "held:%d", g.held);
	assert_int_equal(err, 0);
	assert_true(g.held);
	assert_null(ringo_actx_from(NULL, gate_enter, NULL, &g));
	assert_null(ringo_actx_from(&p, NULL, NULL, &g));
	return 0;
}

/* The sync primitives through their typed adapters. */
static ringo_lock *lock_;

static intptr_t lock_user(void *arg)
{
	(void)arg;
	ringo_actx_pair p;
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_lock(&p, lock_), as, err) {
		harness_log(&log_, "in:%s:%d", ringo_task_name(ringo_task_current()),
			    ringo_lock_locked(lock_));
		err = ringo_sleep(RINGO_SEC(10));
		harness_log(&log_, "out:%s:%d", ringo_task_name(ringo_task_current()), err);
	}
	return err;
}

static intptr_t barrier_user(void *arg)
{
	ringo_actx_pair p;
	intptr_t index = -1;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_barrier(&p, arg), index, err)
		harness_log(&log_, "b:%s:%ld", ringo_task_name(ringo_task_current()), (long)index);
	return err;
}

static intptr_t sync_adapters(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_lock_create(&lock_), 0);
	ringo_task *t[2];
	ringo_task_opts o1 = { .name = "t1" }, o2 = { .name = "t2" };
	assert_int_equal(ringo_task_create(lock_user, NULL, &o1, &t[0]), 0);
	assert_int_equal(ringo_task_create(lock_user, NULL, &o2, &t[1]), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	/* t1 holds the lock, t2 waits for it: cancelling t1 runs its exit,
	 * which releases the lock to t2 */
	assert_true(ringo_task_cancel(t[0]));
	assert_int_equal(ringo_task_await(t[0]), -ECANCELED);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(ringo_task_cancel(t[1]));
	assert_int_equal(ringo_task_await(t[1]), -ECANCELED);
	assert_false(ringo_lock_locked(lock_));
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	assert_int_equal(ringo_lock_destroy(lock_), 0);
	ringo_actx_pair p;
	assert_null(ringo_actx_lock(&p, NULL));

	ringo_semaphore *sem;
	assert_int_equal(ringo_semaphore_create_bounded(&sem, 1), 0);
	intptr_t as;
	int err;
	RINGO_ASYNC_WITH(ringo_actx_semaphore(&p, sem), as, err) {
		assert_int_equal(ringo_semaphore_try_acquire(sem), -EBUSY);
		/* an over-release on leaving replaces the outcome */
		assert_int_equal(ringo_semaphore_release(sem), 0);
	}
	assert_int_equal(err, -EOVERFLOW);
	assert_int_equal(ringo_semaphore_value(sem), 1);
	assert_int_equal(ringo_semaphore_destroy(sem), 0);

	ringo_barrier *b;
	assert_int_equal(ringo_barrier_create(&b, 2), 0);
	assert_int_equal(ringo_task_create(barrier_user, b, &o1, &t[0]), 0);
	assert_int_equal(ringo_task_create(barrier_user, b, &o2, &t[1]), 0);
	assert_int_equal(ringo_gather(t, 2, NULL, 0), 0);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	assert_int_equal(ringo_barrier_destroy(b), 0);
	return 0;
}

static void test_sync_adapters(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(sync_adapters, NULL), 0);
	assert_string_equal(log_.buf, "in:t1:1 out:t1:-125 in:t2:1 out:t2:-125 b:t2:1 b:t1:0");
}

static void test_pair_adapter(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(adapter, NULL), 0);
	assert_string_equal(log_.buf, "in:t1 out:t1 in:t2 out:t2 in:main out:main held:1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_exit),
		cmocka_unit_test(test_enter_fails_body_and_exit_skipped),
		cmocka_unit_test(test_error_propagate_suppress_replace),
		cmocka_unit_test(test_every_way_out),
		cmocka_unit_test(test_cancel_propagated),
		cmocka_unit_test(test_cancel_suppressed_task_finishes),
		cmocka_unit_test(test_cancel_suppressed_and_uncancelled),
		cmocka_unit_test(test_cancel_replaced),
		cmocka_unit_test(test_pending_cancel_reaches_aexit),
		cmocka_unit_test(test_nesting_exits_in_reverse),
		cmocka_unit_test(test_function_form),
		cmocka_unit_test(test_function_form_cancelled),
		cmocka_unit_test(test_pair_adapter),
		cmocka_unit_test(test_sync_adapters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* ringo_run_coroutine_threadsafe and xfutures: results and errors awaited
 * from another loop's task, many round trips in order; the remote task
 * cancelled by its awaiter; the awaiter's loop and the remote loop ending
 * with an await in progress; a plain thread waiting with a deadline and
 * cancelling; -EPIPE from a loop that has ended. */
#include "harness.h"

#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringo.h>

/* Loop 1 serves until loop 0 says stop. */
static ringo_event *stop_ev;

static void stop_cb(void *arg)
{
	(void)arg;
	ringo_event_set(stop_ev);
}

static intptr_t serve_until_stopped(void)
{
	ringo_event_create(&stop_ev);
	ringo_event_wait(stop_ev);
	ringo_event_destroy(stop_ev);
	return 0;
}

static void stop_peer(void)
{
	assert_int_equal(ringo_call_soon_threadsafe(ringo_loop_at(1), stop_cb, NULL), 0);
}

/* ---- results across loops ---- */

static intptr_t add_one(void *arg)
{
	if (ringo_loop_index() != 1)
		return -EXDEV;
	return (intptr_t)arg + 1;
}

static intptr_t fail_io(void *arg)
{
	(void)arg;
	ringo_sleep(RINGO_MSEC(1));
	return -EIO;
}

static intptr_t round_trips(void *arg)
{
	(void)arg;
	if (ringo_loop_index() != 0)
		return serve_until_stopped();
	ringo_loop *peer = ringo_loop_at(1);
	for (intptr_t i = 0; i < 2000; i++) {
		ringo_xfuture *xf;
		assert_int_equal(ringo_run_coroutine_threadsafe(peer, add_one, (void *)i, &xf), 0);
		intptr_t r = ringo_xfuture_await(xf);
		assert_true(ringo_xfuture_done(xf));
		assert_int_equal(ringo_xfuture_result(xf), r);
		ringo_xfuture_unref(xf);
		if (r != i + 1)
			return -1000 - i;
	}
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(peer, fail_io, NULL, &xf), 0);
	assert_int_equal(ringo_xfuture_result(xf), -EAGAIN);
	intptr_t r = ringo_xfuture_await(xf);
	/* A second await of a done xfuture returns at once. */
	assert_int_equal(ringo_xfuture_await(xf), -EIO);
	ringo_xfuture_unref(xf);
	stop_peer();
	return r;
}

static void test_round_trips(void **state)
{
	(void)state;
	intptr_t results[2];
	assert_int_equal(ringo_run_threads(2, round_trips, NULL, NULL, results), 0);
	assert_int_equal(results[0], -EIO);
	assert_int_equal(results[1], 0);
}

/* ---- another loop's objects: -EXDEV ---- */

static intptr_t set_foreign(void *arg)
{
	return ringo_future_set_result(arg, 1);
}

static intptr_t exdev_main(void *arg)
{
	(void)arg;
	if (ringo_loop_index() != 0)
		return serve_until_stopped();
	ringo_future *f;
	ringo_future_create(&f);
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(ringo_loop_at(1), set_foreign, f, &xf), 0);
	intptr_t r = ringo_xfuture_await(xf);
	ringo_xfuture_unref(xf);
	assert_false(ringo_future_done(f));
	ringo_future_unref(f);
	stop_peer();
	return r;
}

static void test_other_loops_objects(void **state)
{
	(void)state;
	intptr_t results[2];
	assert_int_equal(ringo_run_threads(2, exdev_main, NULL, NULL, results), 0);
	assert_int_equal(results[0], -EXDEV);
}

/* Loop 0's event, lock, queue, stream, semaphore, condition and barrier,
 * used by a task on loop 1: each call is -EXDEV and changes nothing. */
struct mine {
	ringo_event *ev;
	ringo_lock *lock;
	ringo_queue *q;
	ringo_stream *s;
	ringo_semaphore *sem;
	ringo_condition *cond;
	ringo_barrier *bar;
};

static bool never(void *arg)
{
	(void)arg;
	return false;
}

static intptr_t use_foreign(void *arg)
{
	struct mine *m = arg;
	intptr_t v;
	char c;
	int bad = 0;
	bad += ringo_event_set(m->ev) != -EXDEV;
	bad += ringo_event_clear(m->ev) != -EXDEV;
	bad += ringo_event_wait(m->ev) != -EXDEV;
	bad += ringo_lock_acquire(m->lock) != -EXDEV;
	bad += ringo_lock_try_acquire(m->lock) != -EXDEV;
	bad += ringo_lock_release(m->lock) != -EXDEV;
	bad += ringo_queue_put(m->q, 1) != -EXDEV;
	bad += ringo_queue_put_nowait(m->q, 1) != -EXDEV;
	bad += ringo_queue_get(m->q, &v) != -EXDEV;
	bad += ringo_queue_get_nowait(m->q, &v) != -EXDEV;
	bad += ringo_queue_task_done(m->q) != -EXDEV;
	bad += ringo_queue_join(m->q) != -EXDEV;
	bad += ringo_queue_shutdown(m->q, false) != -EXDEV;
	bad += ringo_stream_write(m->s, "x", 1) != -EXDEV;
	bad += ringo_stream_read(m->s, &c, 1) != -EXDEV;
	bad += ringo_stream_drain(m->s) != -EXDEV;
	bad += ringo_semaphore_acquire(m->sem) != -EXDEV;
	bad += ringo_semaphore_try_acquire(m->sem) != -EXDEV;
	bad += ringo_semaphore_release(m->sem) != -EXDEV;
	bad += ringo_condition_wait(m->cond) != -EXDEV;
	bad += ringo_condition_wait_for(m->cond, never, NULL) != -EXDEV;
	bad += ringo_condition_notify(m->cond, 1) != -EXDEV;
	bad += ringo_condition_notify_all(m->cond) != -EXDEV;
	bad += ringo_condition_acquire(m->cond) != -EXDEV;
	bad += ringo_condition_release(m->cond) != -EXDEV;
	bad += ringo_barrier_wait(m->bar) != -EXDEV;
	bad += ringo_barrier_abort(m->bar) != -EXDEV;
	bad += ringo_barrier_reset(m->bar) != -EXDEV;
	return bad;
}

static intptr_t barrier_waiter(void *arg)
{
	return ringo_barrier_wait(arg);
}

static intptr_t exdev_objects_main(void *arg)
{
	(void)arg;
	if (ringo_loop_index() != 0)
		return serve_until_stopped();
	struct mine m;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(ringo_event_create(&m.ev), 0);
	assert_int_equal(ringo_lock_create(&m.lock), 0);
	assert_int_equal(ringo_queue_create(RINGO_QUEUE_FIFO, 0, &m.q), 0);
	assert_int_equal(ringo_stream_open(sv[0], NULL, &m.s), 0);
	assert_int_equal(ringo_semaphore_create(&m.sem, 1), 0);
	assert_int_equal(ringo_condition_create(&m.cond, NULL), 0);
	assert_int_equal(ringo_barrier_create(&m.bar, 2), 0);
	/* A task of this loop waits in the barrier: a foreign abort or reset
	 * would wake it with -EPIPE. */
	ringo_task *waiter;
	assert_int_equal(ringo_task_create(barrier_waiter, m.bar, NULL, &waiter), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_barrier_n_waiting(m.bar), 1);
	/* Held here: a foreign wait or notify would find it locked. */
	assert_int_equal(ringo_condition_acquire(m.cond), 0);
	/* Used here first: this loop's thread owns them. */
	assert_int_equal(ringo_lock_acquire(m.lock), 0);
	assert_int_equal(ringo_queue_put(m.q, 7), 0);
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(ringo_loop_at(1), use_foreign, &m, &xf), 0);
	intptr_t bad = ringo_xfuture_await(xf);
	ringo_xfuture_unref(xf);
	/* Nothing changed. */
	intptr_t v;
	assert_false(ringo_event_is_set(m.ev));
	assert_int_equal(ringo_lock_try_acquire(m.lock), -EBUSY);
	assert_int_equal(ringo_lock_release(m.lock), 0);
	assert_int_equal(ringo_queue_get_nowait(m.q, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ringo_queue_get_nowait(m.q, &v), -EAGAIN);
	assert_int_equal(ringo_semaphore_value(m.sem), 1);
	assert_true(ringo_condition_locked(m.cond));
	assert_int_equal(ringo_condition_release(m.cond), 0);
	assert_int_equal(ringo_condition_destroy(m.cond), 0);
	assert_false(ringo_barrier_broken(m.bar));
	assert_int_equal(ringo_barrier_n_waiting(m.bar), 1);
	assert_int_equal(ringo_barrier_wait(m.bar), 1);  /* the last to arrive */
	assert_int_equal(ringo_task_await(waiter), 0);    /* the first's index */
	ringo_task_unref(waiter);
	assert_int_equal(ringo_barrier_destroy(m.bar), 0);
	ringo_semaphore_destroy(m.sem);
	ringo_stream_destroy(m.s);
	close(sv[1]);
	ringo_queue_destroy(m.q);
	ringo_lock_destroy(m.lock);
	ringo_event_destroy(m.ev);
	stop_peer();
	return bad;
}

static void test_other_loops_sync_objects(void **state)
{
	(void)state;
	intptr_t results[2];
	assert_int_equal(ringo_run_threads(2, exdev_objects_main, NULL, NULL, results), 0);
	assert_int_equal(results[0], 0);
}

/* ---- cancellation by the awaiter ---- */

static _Atomic int remote_saw;

static intptr_t sleep_30s(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(30));
	atomic_store(&remote_saw, r);
	return r == 0 ? 7 : r;
}

static intptr_t awaiter(void *arg)
{
	ringo_xfuture *xf = arg;
	return ringo_xfuture_await(xf);
}

static intptr_t cancel_awaiter(void *arg)
{
	(void)arg;
	if (ringo_loop_index() != 0)
		return serve_until_stopped();
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(ringo_loop_at(1), sleep_30s, NULL, &xf), 0);
	ringo_task *t;
	ringo_task_create(awaiter, xf, NULL, &t);
	ringo_sleep(RINGO_MSEC(20));
	assert_true(ringo_task_cancel(t));
	intptr_t r = ringo_task_await(t);
	/* The awaiter resumed only once the remote task was done. */
	assert_true(ringo_xfuture_done(xf));
	assert_int_equal(ringo_xfuture_result(xf), -ECANCELED);
	ringo_task_unref(t);
	ringo_xfuture_unref(xf);
	stop_peer();
	return r;
}

static void test_awaiter_cancels_remote(void **state)
{
	(void)state;
	atomic_store(&remote_saw, 1);
	intptr_t results[2];
	int64_t t0 = harness_now();
	assert_int_equal(ringo_run_threads(2, cancel_awaiter, NULL, NULL, results), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(10));
	assert_int_equal(results[0], -ECANCELED);
	assert_int_equal(atomic_load(&remote_saw), -ECANCELED);
}

/* ---- loops ending with an await in progress ---- */

static intptr_t awaiter_loop_ends(void *arg)
{
	(void)arg;
	if (ringo_loop_index() != 0) {
		/* Until the remote task has been cancelled from loop 0. */
		while (atomic_load(&remote_saw) == 1)
			ringo_sleep(RINGO_MSEC(1));
		return 0;
	}
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(ringo_loop_at(1), sleep_30s, NULL, &xf), 0);
	ringo_task *t;
	ringo_task_create(awaiter, xf, NULL, &t);
	ringo_task_unref(t);
	ringo_sleep(RINGO_MSEC(10));
	/* main returns: the loop cancels the awaiter, which cancels the
	 * remote task and waits for it. */
	ringo_xfuture_unref(xf);
	return 1;
}

static intptr_t remote_loop_ends(void *arg)
{
	(void)arg;
	if (ringo_loop_index() == 1) {
		ringo_sleep(RINGO_MSEC(10));
		return 2;  /* ends: its shutdown cancels the remote task */
	}
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(ringo_loop_at(1), sleep_30s, NULL, &xf), 0);
	intptr_t r = ringo_xfuture_await(xf);
	ringo_xfuture_unref(xf);
	/* Loop 1 has ended by now. */
	assert_int_equal(ringo_run_coroutine_threadsafe(ringo_loop_at(1), sleep_30s, NULL, &xf),
			 -EPIPE);
	return r;
}

static void test_loops_end_during_await(void **state)
{
	(void)state;
	intptr_t results[2];
	atomic_store(&remote_saw, 1);
	int64_t t0 = harness_now();
	assert_int_equal(ringo_run_threads(2, awaiter_loop_ends, NULL, NULL, results), 0);
	assert_int_equal(results[0], 1);
	assert_int_equal(atomic_load(&remote_saw), -ECANCELED);
	assert_int_equal(ringo_run_threads(2, remote_loop_ends, NULL, NULL, results), 0);
	assert_int_equal(results[0], -ECANCELED);
	assert_int_equal(results[1], 2);
	assert_true(harness_now() - t0 < RINGO_SEC(10));
}

/* ---- a plain thread ---- */

struct plain {
	ringo_loop *loop;
	ringo_event *done;
	intptr_t got, timed_out, after_cancel, early;
};

static intptr_t forty_two(void *arg)
{
	(void)arg;
	ringo_sleep(RINGO_MSEC(1));
	return 42;
}

static void finished(void *arg)
{
	ringo_event_set(arg);
}

static void *plain_thread(void *arg)
{
	struct plain *p = arg;
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(p->loop, forty_two, NULL, &xf), 0);
	p->got = ringo_xfuture_wait(xf, ringo_deadline_in(RINGO_SEC(10)));
	ringo_xfuture_unref(xf);

	assert_int_equal(ringo_run_coroutine_threadsafe(p->loop, sleep_30s, NULL, &xf), 0);
	p->timed_out = ringo_xfuture_wait(xf, ringo_deadline_in(RINGO_MSEC(20)));
	assert_true(ringo_xfuture_cancel(xf));
	p->after_cancel = ringo_xfuture_wait(xf, RINGO_NO_DEADLINE);
	assert_false(ringo_xfuture_cancel(xf));
	ringo_xfuture_unref(xf);

	/* Cancelled at once, maybe before it started. */
	assert_int_equal(ringo_run_coroutine_threadsafe(p->loop, sleep_30s, NULL, &xf), 0);
	ringo_xfuture_cancel(xf);
	p->early = ringo_xfuture_wait(xf, RINGO_NO_DEADLINE);
	ringo_xfuture_unref(xf);

	ringo_call_soon_threadsafe(p->loop, finished, p->done);
	return NULL;
}

static intptr_t plain_main(void *arg)
{
	struct plain *p = arg;
	ringo_event_create(&p->done);
	p->loop = ringo_loop_ref(ringo_loop_current());
	pthread_t th;
	pthread_create(&th, NULL, plain_thread, p);
	ringo_event_wait(p->done);
	ringo_event_destroy(p->done);
	pthread_join(th, NULL);
	/* Waiting on a loop's thread for something not done would block it. */
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(p->loop, forty_two, NULL, &xf), 0);
	intptr_t r = ringo_xfuture_wait(xf, RINGO_NO_DEADLINE);
	assert_int_equal(ringo_xfuture_await(xf), 42);
	ringo_xfuture_unref(xf);
	return r;
}

static void test_plain_thread_waits(void **state)
{
	(void)state;
	struct plain p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(harness_run(plain_main, &p), -EPERM);
	assert_int_equal(p.got, 42);
	assert_int_equal(p.timed_out, -ETIMEDOUT);
	assert_int_equal(p.after_cancel, -ECANCELED);
	assert_int_equal(p.early, -ECANCELED);
	ringo_xfuture *xf;
	assert_int_equal(ringo_run_coroutine_threadsafe(p.loop, forty_two, NULL, &xf), -EPIPE);
	assert_int_equal(ringo_run_coroutine_threadsafe(p.loop, NULL, NULL, &xf), -EINVAL);
	assert_int_equal(ringo_xfuture_await(NULL), -EINVAL);
	assert_int_equal(ringo_xfuture_wait(NULL, RINGO_NO_DEADLINE), -EINVAL);
	ringo_loop_unref(p.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_other_loops_objects),
		cmocka_unit_test(test_other_loops_sync_objects),
		cmocka_unit_test(test_awaiter_cancels_remote),
		cmocka_unit_test(test_loops_end_during_await),
		cmocka_unit_test(test_plain_thread_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

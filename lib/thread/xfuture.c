/* SPDX-License-Identifier: MIT */
/* xfutures: a task run on another loop (asyncio.run_coroutine_threadsafe),
 * and its result awaited from a task of any loop or waited for from a
 * plain thread.
 *
 * The xfuture is a heap record shared by three parties, each holding a
 * reference: the caller, the remote loop (from the start message until the
 * task is done) and, while a task awaits, the reply. Its outcome, its
 * awaiter and the reference count are under its lock. Everything travels as
 * mailbox messages embedded in it (start, cancel, reply), each posted at
 * most once and holding a reference until it has run:
 *  - start runs on the remote loop: it creates the task and registers a
 *    waiter on its completion; cancel runs there too (ringo_task_cancel,
 *    or, before start has run, a note that makes start cancel the task
 *    before its body runs).
 *  - When the task is done its waiter records the outcome, wakes plain
 *    waiters (a condition variable) and, if a task awaits, posts the reply
 *    to the awaiter's loop, whose wake CQE resumes the task directly.
 * The awaiting loop counts the reply in flight (ringo__ring_expect) while
 * it waits, so its deadlock detection stays exact and it cannot end before
 * the reply has come; the reply goes through ringo__mailbox_reply, which
 * accepts it while that loop ends. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "debug/log.h"
#include "core/ring.h"

struct ringo_xfuture {
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* plain threads' ringo_xfuture_wait */
	/* Under lock. */
	unsigned refs;
	bool done;
	bool cancel_posted;
	intptr_t result;
	struct ringo__wait *waiter;     /* the awaiting task's wait, or NULL */
	struct ringo_mailbox *waiter_mb;   /* its loop (a memory reference) */
	/* Set at creation. */
	struct ringo_mailbox *target;      /* a memory reference */
	ringo_task_fn fn;
	void *arg;
	struct ringo__msg start_msg, cancel_msg, reply_msg;
	/* The remote loop's thread only. */
	ringo_task *task;
	struct ringo__waiter task_done;
	bool cancel_early;              /* cancel ran before start */
};

static void xf_unref(struct ringo_xfuture *xf)
{
	pthread_mutex_lock(&xf->lock);
	unsigned refs = --xf->refs;
	pthread_mutex_unlock(&xf->lock);
	if (refs)
		return;
	ringo__mailbox_release(xf->target);
	pthread_cond_destroy(&xf->cond);
	pthread_mutex_destroy(&xf->lock);
	free(xf);
}

void ringo_xfuture_unref(ringo_xfuture *xf)
{
	if (xf)
		xf_unref(xf);
}

/* ---- the remote loop ---- */

static void reply_run(struct ringo__msg *m);

/* Records the outcome; wakes plain waiters and sends the awaiting task its
 * reply. Drops the remote reference. */
static void complete(struct ringo_xfuture *xf, intptr_t result)
{
	pthread_mutex_lock(&xf->lock);
	xf->done = true;
	xf->result = result;
	bool reply = xf->waiter != NULL;
	pthread_cond_broadcast(&xf->cond);
	pthread_mutex_unlock(&xf->lock);
	/* The awaiter cannot leave before its reply, so waiter_mb stays. */
	if (reply && ringo__mailbox_reply(xf->waiter_mb, &xf->reply_msg) < 0)
		ringo__log_str(RINGO_LOG_ERROR, "an xfuture's reply found its loop gone");
	xf_unref(xf);
}

static void task_done(struct ringo__waiter *w, intptr_t result)
{
	struct ringo_xfuture *xf = ringo__container_of(w, struct ringo_xfuture, task_done);
	ringo__task_mark_taken(xf->task);
	ringo_task_unref(xf->task);  /* the loop keeps its own until retired */
	xf->task = NULL;
	complete(xf, result);
}

static void start_run(struct ringo__msg *m)
{
	struct ringo_xfuture *xf = ringo__container_of(m, struct ringo_xfuture, start_msg);
	ringo_task *t;
	int ret = ringo_task_create(xf->fn, xf->arg, NULL, &t);
	if (ret < 0) {
		complete(xf, ret);
		return;
	}
	xf->task = t;
	xf->task_done.notify = task_done;
	ringo__completion_add(ringo__task_completion(t), &xf->task_done);
	if (xf->cancel_early)
		ringo_task_cancel(t);
}

static void cancel_run(struct ringo__msg *m)
{
	struct ringo_xfuture *xf = ringo__container_of(m, struct ringo_xfuture, cancel_msg);
	if (xf->task)
		ringo_task_cancel(xf->task);
	else
		xf->cancel_early = true;  /* start has not run (or it is over) */
	xf_unref(xf);
}

int ringo_run_coroutine_threadsafe(ringo_loop *loop, ringo_task_fn fn, void *arg,
				   ringo_xfuture **out)
{
	if (!loop || !fn || !out)
		return -EINVAL;
	struct ringo_xfuture *xf = calloc(1, sizeof(*xf));
	if (!xf)
		return -ENOMEM;
	pthread_mutex_init(&xf->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&xf->cond, &ca);
	pthread_condattr_destroy(&ca);
	xf->refs = 2;  /* the caller's, the remote loop's */
	xf->fn = fn;
	xf->arg = arg;
	xf->target = loop;
	ringo__mailbox_hold(loop);
	xf->start_msg.run = start_run;
	xf->cancel_msg.run = cancel_run;
	xf->reply_msg.run = reply_run;
	int ret = ringo__mailbox_post(loop, &xf->start_msg);
	if (ret < 0) {
		xf->refs = 1;
		xf_unref(xf);
		return ret;
	}
	*out = xf;
	return 0;
}

bool ringo_xfuture_cancel(ringo_xfuture *xf)
{
	if (!xf)
		return false;
	pthread_mutex_lock(&xf->lock);
	bool done = xf->done, post = !done && !xf->cancel_posted;
	if (post) {
		xf->cancel_posted = true;
		xf->refs++;
	}
	pthread_mutex_unlock(&xf->lock);
	/* A remote loop whose ring is closed has finished the task: its
	 * outcome is on its way. */
	if (post && ringo__mailbox_reply(xf->target, &xf->cancel_msg) < 0)
		xf_unref(xf);
	return !done;
}

/* ---- the awaiting side ---- */

static void reply_run(struct ringo__msg *m)
{
	struct ringo_xfuture *xf = ringo__container_of(m, struct ringo_xfuture, reply_msg);
	pthread_mutex_lock(&xf->lock);
	struct ringo__wait *w = xf->waiter;
	struct ringo_mailbox *mb = xf->waiter_mb;
	xf->waiter = NULL;
	xf->waiter_mb = NULL;
	intptr_t result = xf->result;
	pthread_mutex_unlock(&xf->lock);
	ringo__ring_expect(ringo__loop_get()->ring, -1);  /* it has come */
	ringo__mailbox_release(mb);
	xf_unref(xf);  /* the reply's; the awaiting caller holds its own */
	/* The wake CQE is the resumption. */
	ringo__wait_resume(w, result);
}

/* Cancelling the awaiting task cancels the remote one; the task resumes
 * with its outcome, as ringo_task_await does. */
static bool await_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	ringo_xfuture_cancel(w->target);
	return true;
}

intptr_t ringo_xfuture_await(ringo_xfuture *xf)
{
	if (!xf)
		return -EINVAL;
	pthread_mutex_lock(&xf->lock);
	bool done = xf->done;
	intptr_t result = xf->result;
	pthread_mutex_unlock(&xf->lock);
	if (done)
		return result;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo_loop *loop = ringo__loop_get();
	struct ringo__wait w;
	ringo__wait_init_notify(&w, t, await_cancel, xf);
	pthread_mutex_lock(&xf->lock);
	if (xf->done || xf->waiter) {
		int r = xf->done ? (int)xf->result : -EBUSY;
		pthread_mutex_unlock(&xf->lock);
		return r;
	}
	xf->waiter = &w;
	xf->waiter_mb = loop->mailbox;
	ringo__mailbox_hold(loop->mailbox);
	xf->refs++;  /* the reply's */
	pthread_mutex_unlock(&xf->lock);
	ringo__ring_expect(loop->ring, 1);  /* the reply */
	return ringo__wait_suspend(&w);
}

intptr_t ringo_xfuture_wait(ringo_xfuture *xf, ringo_deadline deadline)
{
	if (!xf)
		return -EINVAL;
	struct timespec ts = { deadline.ns / 1000000000LL, deadline.ns % 1000000000LL };
	intptr_t r = 0;
	pthread_mutex_lock(&xf->lock);
	while (!xf->done) {
		if (ringo__loop_get()) {
			r = -EPERM;  /* it would block the loop: await instead */
			break;
		}
		if (ringo_deadline_none(deadline)) {
			pthread_cond_wait(&xf->cond, &xf->lock);
		} else if (pthread_cond_timedwait(&xf->cond, &xf->lock, &ts) == ETIMEDOUT) {
			if (!xf->done)
				r = -ETIMEDOUT;
			break;
		}
	}
	if (xf->done)
		r = xf->result;
	pthread_mutex_unlock(&xf->lock);
	return r;
}

bool ringo_xfuture_done(const ringo_xfuture *xf)
{
	if (!xf)
		return false;
	struct ringo_xfuture *x = (struct ringo_xfuture *)xf;
	pthread_mutex_lock(&x->lock);
	bool done = x->done;
	pthread_mutex_unlock(&x->lock);
	return done;
}

intptr_t ringo_xfuture_result(const ringo_xfuture *xf)
{
	if (!xf)
		return -EINVAL;
	struct ringo_xfuture *x = (struct ringo_xfuture *)xf;
	pthread_mutex_lock(&x->lock);
	intptr_t r = x->done ? x->result : -EAGAIN;
	pthread_mutex_unlock(&x->lock);
	return r;
}

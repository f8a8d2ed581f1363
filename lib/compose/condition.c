/* SPDX-License-Identifier: MIT */
/* Condition: asyncio.Condition on a ringo_lock. wait() releases the lock,
 * waits for a notification, and re-acquires the lock before returning in
 * every case; the re-acquisition cannot be cancelled, so a cancelled
 * waiter still returns holding the lock. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

/* lock.c */

struct ringo_condition {
	struct ringo__list waiters; /* struct ringo__wait, FIFO */
	ringo_lock *lock;
	int inside;                 /* tasks in wait(), queued or woken */
	bool own_lock;
	uintptr_t owner;            /* ringo__thread_check */
};

int ringo_condition_create(ringo_condition **out, ringo_lock *lock)
{
	if (!out)
		return -EINVAL;
	ringo_condition *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->own_lock = lock == NULL;
	if (c->own_lock) {
		int ret = ringo_lock_create(&lock);
		if (ret < 0) {
			free(c);
			return ret;
		}
	}
	ringo__list_init(&c->waiters);
	c->lock = lock;
	c->inside = 0;
	c->owner = 0;
	(void)ringo__thread_check(&c->owner);  /* this loop's thread, if any */
	*out = c;
	return 0;
}

int ringo_condition_destroy(ringo_condition *c)
{
	if (!c)
		return 0;
	/* A notified task still has to re-acquire c->lock: it counts too. */
	if (c->inside > 0)
		return -EBUSY;
	if (c->own_lock && ringo_lock_destroy(c->lock) < 0)
		return -EBUSY;
	free(c);
	return 0;
}

ringo_lock *ringo_condition_lock(const ringo_condition *c)
{
	return c ? c->lock : NULL;
}

int ringo_condition_acquire(ringo_condition *c)
{
	return c ? ringo_lock_acquire(c->lock) : -EINVAL;
}

int ringo_condition_release(ringo_condition *c)
{
	return c ? ringo_lock_release(c->lock) : -EINVAL;
}

bool ringo_condition_locked(const ringo_condition *c)
{
	return c && ringo_lock_locked(c->lock);
}

static ringo_task *describe_wait(const struct ringo__wait *w, char *buf, size_t cap,
				 int64_t now)
{
	(void)now;
	snprintf(buf, cap, "condition %p (not notified)", w->target);
	return NULL;
}

int ringo_condition_wait(ringo_condition *c)
{
	if (!c)
		return -EINVAL;
	int own = ringo__thread_check(&c->owner);
	if (own < 0)
		return own;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current || !ringo_lock_locked(c->lock))
		return -EPERM;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err; /* -ECANCELED, the lock still held */
	ringo_lock_release(c->lock);
	c->inside++;

	struct ringo__wait w;
	/* 1: notified (kept even if a cancel came after it); -ECANCELED:
	 * cancelled while queued, and already out of the queue. */
	int r = (int)ringo__wait_queued_as(&w, t, &c->waiters, NULL, c, describe_wait);

	ringo__lock_acquire_uncancellable(c->lock, t);
	c->inside--;
	/* One cancellation is delivered once: a request made while we were
	 * re-acquiring merges into the -ECANCELED being returned. */
	if (r == -ECANCELED)
		ringo__task_take_cancel(t);
	return r;
}

int ringo_condition_wait_for(ringo_condition *c, bool (*pred)(void *arg), void *arg)
{
	if (!c || !pred)
		return -EINVAL;
	int own = ringo__thread_check(&c->owner);
	if (own < 0)
		return own;
	if (!ringo_lock_locked(c->lock))
		return -EPERM;
	while (!pred(arg)) {
		int r = ringo_condition_wait(c);
		if (r < 0)
			return r;
	}
	return 1;
}

int ringo_condition_notify(ringo_condition *c, int n)
{
	if (!c || n < 0)
		return -EINVAL;
	int own = ringo__thread_check(&c->owner);
	if (own < 0)
		return own;
	if (!ringo_lock_locked(c->lock))
		return -EPERM;
	int woken = 0;
	while (woken < n && !ringo__list_empty(&c->waiters)) {
		struct ringo__list *node = c->waiters.next;
		ringo__list_remove(node);
		ringo__wait_wake(ringo__container_of(node, struct ringo__wait, waiter.node), 1);
		woken++;
	}
	return woken;
}

int ringo_condition_notify_all(ringo_condition *c)
{
	return ringo_condition_notify(c, INT_MAX);
}

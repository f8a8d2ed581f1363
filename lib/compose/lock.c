/* SPDX-License-Identifier: MIT */
/* Lock: asyncio.Lock with direct hand-off. release() never frees a lock
 * that has waiters: it hands it to the first one, so a task that calls
 * acquire() before that waiter runs finds it held and queues behind.
 * Invariant: the waiter list is empty whenever the lock is free. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct ringo_lock {
	struct ringo__list waiters; /* struct ringo__wait, FIFO */
	unsigned handoffs;          /* waiters handed the lock, not resumed yet */
	bool locked;
	ringo_task *owner;          /* who took it (for the task dump), or NULL */
	uintptr_t thread;           /* ringo__thread_check */
};

int ringo_lock_create(ringo_lock **out)
{
	if (!out)
		return -EINVAL;
	ringo_lock *lock = malloc(sizeof(*lock));
	if (!lock)
		return -ENOMEM;
	ringo__list_init(&lock->waiters);
	lock->handoffs = 0;
	lock->locked = false;
	lock->owner = NULL;
	lock->thread = 0;
	(void)ringo__thread_check(&lock->thread);  /* this loop's thread, if any */
	*out = lock;
	return 0;
}

int ringo_lock_destroy(ringo_lock *lock)
{
	if (!lock)
		return 0;
	/* A waiter handed the lock is still to resume and touch it. */
	if (!ringo__list_empty(&lock->waiters) || lock->handoffs)
		return -EBUSY;
	free(lock);
	return 0;
}

static ringo_task *describe_acquire(const struct ringo__wait *w, char *buf, size_t cap,
				    int64_t now)
{
	(void)now;
	const ringo_lock *lock = w->target;
	const char *owner = ringo__dump_task_name(lock->owner);
	if (owner)
		snprintf(buf, cap, "lock %p held by %s", (void *)lock, owner);
	else
		snprintf(buf, cap, "lock %p held by %s", (void *)lock,
			 lock->owner ? "a task that has ended" : "code outside any task");
	return NULL;
}

static intptr_t enqueue(ringo_lock *lock, ringo_task *t,
			bool (*cancel)(struct ringo__wait *w))
{
	struct ringo__wait w;
	intptr_t r = ringo__wait_queued_as(&w, t, &lock->waiters, cancel, lock,
					   describe_acquire);
	if (r == 0)
		lock->handoffs--; /* resumed holding it */
	return r;
}

int ringo_lock_acquire(ringo_lock *lock)
{
	if (!lock)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	int own = ringo__thread_check(&lock->thread);
	if (own < 0)
		return own;
	if (!lock->locked) {
		lock->locked = true;
		lock->owner = loop->current;
		return 0;
	}
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	/* Woken with 0: release() handed us the lock. Detached by a cancel:
	 * -ECANCELED, and we never held it. */
	return (int)enqueue(lock, t, ringo__wait_cancel_detach);
}

static bool keep_waiting(struct ringo__wait *w)
{
	(void)w;
	return false;
}

/* Shared with condition.c: an acquire that a cancellation cannot
 * interrupt (the cancellation stays pending for the next await). */
int ringo__lock_acquire_uncancellable(ringo_lock *lock, ringo_task *t)
{
	if (!lock->locked) {
		lock->locked = true;
		lock->owner = t;
		return 0;
	}
	return (int)enqueue(lock, t, keep_waiting);
}

int ringo_lock_try_acquire(ringo_lock *lock)
{
	if (!lock)
		return -EINVAL;
	int own = ringo__thread_check(&lock->thread);
	if (own < 0)
		return own;
	if (lock->locked)
		return -EBUSY;
	lock->locked = true;
	lock->owner = ringo_task_current();
	return 0;
}

int ringo_lock_release(ringo_lock *lock)
{
	if (!lock)
		return -EINVAL;
	int own = ringo__thread_check(&lock->thread);
	if (own < 0)
		return own;
	if (!lock->locked)
		return -EPERM;
	if (ringo__list_empty(&lock->waiters)) {
		lock->locked = false;
		lock->owner = NULL;
		return 0;
	}
	struct ringo__list *n = lock->waiters.next;
	ringo__list_remove(n);
	struct ringo__wait *w =
		ringo__container_of(n, struct ringo__wait, waiter.node);
	lock->handoffs++;
	lock->owner = w->task;
	ringo__wait_wake(w, 0); /* it holds the lock from now on */
	return 0;
}

bool ringo_lock_locked(const ringo_lock *lock)
{
	return lock && lock->locked;
}

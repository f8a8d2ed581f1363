/* SPDX-License-Identifier: MIT */
/* Semaphore and BoundedSemaphore: asyncio's, with direct hand-off. A
 * release with tasks queued gives the permit to the first of them instead
 * of to the count, so no later arrival can take it first.
 * Invariant: the waiter list is empty whenever value > 0. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct ringo_semaphore {
	struct ringo__list waiters; /* struct ringo__wait, FIFO */
	unsigned handoffs;          /* waiters handed a permit, not resumed yet */
	int value;
	int bound;                  /* initial value if bounded, else -1 */
	uintptr_t owner;            /* ringo__thread_check */
};

static int create(ringo_semaphore **out, int value, bool bounded)
{
	if (!out || value < 0)
		return -EINVAL;
	ringo_semaphore *sem = malloc(sizeof(*sem));
	if (!sem)
		return -ENOMEM;
	ringo__list_init(&sem->waiters);
	sem->handoffs = 0;
	sem->value = value;
	sem->bound = bounded ? value : -1;
	sem->owner = 0;
	(void)ringo__thread_check(&sem->owner);  /* this loop's thread, if any */
	*out = sem;
	return 0;
}

int ringo_semaphore_create(ringo_semaphore **out, int value)
{
	return create(out, value, false);
}

int ringo_semaphore_create_bounded(ringo_semaphore **out, int value)
{
	return create(out, value, true);
}

int ringo_semaphore_destroy(ringo_semaphore *sem)
{
	if (!sem)
		return 0;
	/* A waiter handed a permit is still to resume and touch it. */
	if (!ringo__list_empty(&sem->waiters) || sem->handoffs)
		return -EBUSY;
	free(sem);
	return 0;
}

static ringo_task *describe_acquire(const struct ringo__wait *w, char *buf, size_t cap,
				    int64_t now)
{
	(void)now;
	const ringo_semaphore *sem = w->target;
	snprintf(buf, cap, "semaphore %p (value %d)", (void *)sem, sem->value);
	return NULL;
}

int ringo_semaphore_acquire(ringo_semaphore *sem)
{
	if (!sem)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	int own = ringo__thread_check(&sem->owner);
	if (own < 0)
		return own;
	if (sem->value > 0) {
		sem->value--;
		return 0;
	}
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__wait w;
	/* 0: a release handed us its permit; -ECANCELED: we left the queue. */
	int r = (int)ringo__wait_queued_as(&w, t, &sem->waiters, NULL, sem, describe_acquire);
	if (r == 0)
		sem->handoffs--;
	return r;
}

int ringo_semaphore_try_acquire(ringo_semaphore *sem)
{
	if (!sem)
		return -EINVAL;
	int own = ringo__thread_check(&sem->owner);
	if (own < 0)
		return own;
	if (sem->value == 0)
		return -EBUSY;
	sem->value--;
	return 0;
}

int ringo_semaphore_release(ringo_semaphore *sem)
{
	if (!sem)
		return -EINVAL;
	int own = ringo__thread_check(&sem->owner);
	if (own < 0)
		return own;
	if (sem->bound >= 0 && sem->value >= sem->bound)
		return -EOVERFLOW;
	if (!ringo__list_empty(&sem->waiters)) {
		struct ringo__list *n = sem->waiters.next;
		ringo__list_remove(n);
		sem->handoffs++;
		ringo__wait_wake(ringo__container_of(n, struct ringo__wait, waiter.node), 0);
		return 0;
	}
	if (sem->value == INT_MAX)
		return -EOVERFLOW;
	sem->value++;
	return 0;
}

bool ringo_semaphore_locked(const ringo_semaphore *sem)
{
	return sem && sem->value == 0;
}

int ringo_semaphore_value(const ringo_semaphore *sem)
{
	return sem ? sem->value : -EINVAL;
}

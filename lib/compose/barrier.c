/* SPDX-License-Identifier: MIT */
/* Barrier: asyncio.Barrier without its draining phase. The arrival that
 * completes a cycle wakes every waiter with its index at once, so the
 * barrier is empty again before any of them runs and a new arrival simply
 * starts the next cycle. Waiters are kept in arrival order and a waiter's
 * index is its place in that order when the cycle completes, so indices
 * stay 0..parties-1 and unique even after a waiter has left. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct ringo_barrier {
	struct ringo__list waiters; /* struct ringo__wait, arrival order */
	int parties;
	int count;                  /* tasks in waiters */
	bool broken;
	uintptr_t owner;            /* ringo__thread_check */
};

int ringo_barrier_create(ringo_barrier **out, int parties)
{
	if (!out || parties < 1)
		return -EINVAL;
	ringo_barrier *b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	ringo__list_init(&b->waiters);
	b->parties = parties;
	b->count = 0;
	b->broken = false;
	b->owner = 0;
	(void)ringo__thread_check(&b->owner);  /* this loop's thread, if any */
	*out = b;
	return 0;
}

int ringo_barrier_destroy(ringo_barrier *b)
{
	if (!b)
		return 0;
	if (b->count > 0)
		return -EBUSY;
	free(b);
	return 0;
}

/* Wakes every waiter: with its index (value < 0: with that error). */
static void wake_all(ringo_barrier *b, int error)
{
	int index = 0;
	while (!ringo__list_empty(&b->waiters)) {
		struct ringo__list *n = b->waiters.next;
		ringo__list_remove(n);
		ringo__wait_wake(ringo__container_of(n, struct ringo__wait, waiter.node),
				 error < 0 ? error : index++);
	}
	b->count = 0;
}

/* A cancelled waiter leaves the barrier: the count drops by one. */
static bool leave(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	ringo_barrier *b = w->target;
	b->count--;
	return ringo__wait_cancel_detach(w);
}

static ringo_task *describe_wait(const struct ringo__wait *w, char *buf, size_t cap,
				 int64_t now)
{
	(void)now;
	const ringo_barrier *b = w->target;
	snprintf(buf, cap, "barrier %p (%d of %d arrived)", (void *)b, b->count, b->parties);
	return NULL;
}

int ringo_barrier_wait(ringo_barrier *b)
{
	if (!b)
		return -EINVAL;
	int own = ringo__thread_check(&b->owner);
	if (own < 0)
		return own;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	if (b->broken)
		return -EPIPE;
	if (b->count + 1 == b->parties) {
		wake_all(b, 0);
		return b->parties - 1;
	}
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__wait w;
	b->count++;
	return (int)ringo__wait_queued_as(&w, t, &b->waiters, leave, b, describe_wait);
}

int ringo_barrier_abort(ringo_barrier *b)
{
	if (!b)
		return -EINVAL;
	int own = ringo__thread_check(&b->owner);
	if (own < 0)
		return own;
	b->broken = true;
	wake_all(b, -EPIPE);
	return 0;
}

int ringo_barrier_reset(ringo_barrier *b)
{
	if (!b)
		return -EINVAL;
	int own = ringo__thread_check(&b->owner);
	if (own < 0)
		return own;
	wake_all(b, -EPIPE);
	b->broken = false;
	return 0;
}

int ringo_barrier_parties(const ringo_barrier *b)
{
	return b ? b->parties : -EINVAL;
}

int ringo_barrier_n_waiting(const ringo_barrier *b)
{
	return b ? b->count : -EINVAL;
}

bool ringo_barrier_broken(const ringo_barrier *b)
{
	return b && b->broken;
}

int ringo_barrier_acquire(ringo_barrier *b)
{
	return ringo_barrier_wait(b);
}

int ringo_barrier_release(ringo_barrier *b)
{
	return b ? 0 : -EINVAL;
}

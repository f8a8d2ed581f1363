/* SPDX-License-Identifier: MIT */
/* Event: asyncio.Event. set() wakes every waiter with 1 at once; clearing
 * the event afterwards cannot take that back, since each woken waiter's
 * answer travels with its wake-up. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct ringo_event {
	struct ringo__list waiters; /* struct ringo__wait, FIFO */
	bool set;
	uintptr_t owner;            /* ringo__thread_check */
};

int ringo_event_create(ringo_event **out)
{
	if (!out)
		return -EINVAL;
	ringo_event *ev = malloc(sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ringo__list_init(&ev->waiters);
	ev->set = false;
	ev->owner = 0;
	(void)ringo__thread_check(&ev->owner);  /* this loop's thread, if any */
	*out = ev;
	return 0;
}

int ringo_event_destroy(ringo_event *ev)
{
	if (!ev)
		return 0;
	if (!ringo__list_empty(&ev->waiters))
		return -EBUSY;
	free(ev);
	return 0;
}

static ringo_task *describe_wait(const struct ringo__wait *w, char *buf, size_t cap,
				 int64_t now)
{
	(void)now;
	snprintf(buf, cap, "event %p (not set)", w->target);
	return NULL;
}

int ringo_event_wait(ringo_event *ev)
{
	if (!ev)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	int own = ringo__thread_check(&ev->owner);
	if (own < 0)
		return own;
	if (ev->set)
		return 1;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__wait w;
	return (int)ringo__wait_queued_as(&w, t, &ev->waiters, NULL, ev, describe_wait);
}

int ringo_event_set(ringo_event *ev)
{
	if (!ev)
		return -EINVAL;
	int own = ringo__thread_check(&ev->owner);
	if (own < 0)
		return own;
	if (ev->set)
		return 0;
	ev->set = true;
	while (!ringo__list_empty(&ev->waiters)) {
		struct ringo__list *n = ev->waiters.next;
		ringo__list_remove(n);
		ringo__wait_wake(ringo__container_of(n, struct ringo__wait, waiter.node), 1);
	}
	return 0;
}

int ringo_event_clear(ringo_event *ev)
{
	if (!ev)
		return -EINVAL;
	int own = ringo__thread_check(&ev->owner);
	if (own < 0)
		return own;
	ev->set = false;
	return 0;
}

bool ringo_event_is_set(const ringo_event *ev)
{
	return ev && ev->set;
}

/* SPDX-License-Identifier: MIT */
/* gather: one wait for many tasks. Each child gets a waiter that records its
 * result; the gathering task is woken by one NOP, when the last child is
 * done (or the first fails). */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct gather;

struct slot {
	struct ringo__waiter waiter;
	struct gather *g;
	size_t index;
	bool linked;
};

struct gather {
	struct ringo__wait w;
	ringo_task *const *tasks;
	intptr_t *results;
	struct slot *slots;
	size_t n;
	size_t pending;
	unsigned flags;
	bool cancel_requested;
};

static void child_done(struct ringo__waiter *waiter, intptr_t result)
{
	struct slot *s = ringo__container_of(waiter, struct slot, waiter);
	struct gather *g = s->g;
	ringo__task_mark_taken(g->tasks[s->index]);
	s->linked = false;
	g->pending--;
	if (g->w.state != RINGO__WAIT_NOTIFY)
		return; /* gather has already returned its answer */
	if (g->results)
		g->results[s->index] = result;
	if (result < 0 && !(g->flags & RINGO_RETURN_EXCEPTIONS) && !g->cancel_requested)
		ringo__wait_wake(&g->w, result);
	else if (g->pending == 0)
		ringo__wait_wake(&g->w, g->cancel_requested ? -ECANCELED : 0);
}

/* Cancelling the gathering task cancels every unfinished child; gather
 * answers -ECANCELED once they have all finished. */
static bool gather_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	struct gather *g = ringo__container_of(w, struct gather, w);
	g->cancel_requested = true;
	size_t n = g->pending;
	for (size_t i = 0; n > 0; i++) {
		if (g->slots[i].linked) {
			ringo_task_cancel(g->tasks[i]);
			n--;
		}
	}
	return true;
}

/* Shows the first unfinished child as the one awaited. */
static ringo_task *describe_gather(const struct ringo__wait *w, char *buf, size_t cap,
				   int64_t now)
{
	(void)now;
	const struct gather *g = ringo__container_of(w, const struct gather, w);
	snprintf(buf, cap, "gather of %zu (%zu done)", g->n, g->n - g->pending);
	for (size_t i = 0; i < g->n; i++)
		if (g->slots[i].linked)
			return g->tasks[i];
	return NULL;
}

int ringo_gather(ringo_task *const *tasks, size_t n, intptr_t *results, unsigned flags)
{
	if (n == 0)
		return 0;
	if (!tasks)
		return -EINVAL;
	ringo_task *self = ringo_task_current();
	for (size_t i = 0; i < n; i++) {
		if (!tasks[i])
			return -EINVAL;
		if (tasks[i] == self)
			return -EDEADLK; /* gathering yourself would wait forever */
	}

	/* Children already done need no waiting, and a failed one answers at
	 * once, without suspending. */
	size_t pending = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ringo_task_done(tasks[i])) {
			pending++;
			continue;
		}
		intptr_t r = ringo_task_result(tasks[i]);
		if (results)
			results[i] = r;
		if (r < 0 && !(flags & RINGO_RETURN_EXCEPTIONS))
			return (int)r;
	}
	if (pending == 0)
		return 0;
	if (!self)
		return -EPERM;

	/* A cancellation already pending cancels the children (below, in
	 * the wait's cancel hook), as one arriving later would. */
	ringo_task *t = self;
	struct gather g = {
		.tasks = tasks,
		.results = results,
		.n = n,
		.pending = pending,
		.flags = flags,
	};
	g.slots = malloc(n * sizeof(*g.slots));
	if (!g.slots)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &g.slots[i];
		s->g = &g;
		s->index = i;
		s->linked = !ringo_task_done(tasks[i]);
		if (s->linked) {
			s->waiter.notify = child_done;
			ringo__completion_add(ringo__task_completion(tasks[i]), &s->waiter);
		}
	}
	ringo__wait_init_notify(&g.w, t, gather_cancel, NULL);
	g.w.describe = describe_gather;
	intptr_t r = ringo__wait_suspend(&g.w);
	/* Returning early on an error: the other children keep running, without
	 * us listening. */
	for (size_t i = 0; i < n; i++)
		if (g.slots[i].linked)
			ringo__list_remove(&g.slots[i].waiter.node);
	free(g.slots);
	return (int)r;
}

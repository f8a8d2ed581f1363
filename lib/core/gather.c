/* SPDX-License-Identifier: MIT */
/* gather: one wait for many tasks. Each child gets a waiter that records its
 * result; the gathering task is woken by one NOP, when the last child is
 * done (or the first fails). */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

struct gather;

enum { GATHER_PREFETCH = 8 };

/* One per child; waiting while its node is in the child's waiter list
 * (ringo__list_remove leaves a removed node linked to itself). 32 bytes:
 * 100,000 children are 3.2 MB of slots, each read once more when its child
 * finishes. */
struct slot {
	struct ringo__waiter waiter;
	struct gather *g;
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

static bool slot_linked(const struct slot *s)
{
	return s->waiter.node.next != &s->waiter.node;
}

static void child_done(struct ringo__waiter *waiter, intptr_t result)
{
	struct slot *s = ringo__container_of(waiter, struct slot, waiter);
	struct gather *g = s->g;
	size_t i = (size_t)(s - g->slots);
	ringo__task_mark_taken(g->tasks[i]);
	g->pending--;
	if (g->w.state != RINGO__WAIT_NOTIFY)
		return; /* gather has already returned its answer */
	if (g->results)
		g->results[i] = result;
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
		if (slot_linked(&g->slots[i])) {
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
		if (slot_linked(&g->slots[i]))
			return g->tasks[i];
	return NULL;
}

/* Whether t has finished: its completion's state, in the first line of
 * its record, which registering a waiter writes anyway (ringo_task_done
 * reads another). */
static bool child_finished(ringo_task *t)
{
	return ringo__task_completion(t)->state != RINGO__PENDING;
}

/* The result of a child that had finished before gather looked; NULL
 * results: read anyway, to mark it taken. */
static intptr_t take_done(ringo_task *const *tasks, intptr_t *results, size_t i)
{
	intptr_t r = ringo_task_result(tasks[i]);
	if (results)
		results[i] = r;
	return r;
}

/* Outside a task gather cannot wait: it answers only from children done
 * already (a failed one's error first, as inside a task), else -EPERM. */
static int gather_done_only(ringo_task *const *tasks, size_t n, intptr_t *results,
			    unsigned flags)
{
	bool pending = false;
	for (size_t i = 0; i < n; i++) {
		if (!child_finished(tasks[i])) {
			pending = true;
			continue;
		}
		intptr_t r = take_done(tasks, results, i);
		if (r < 0 && !(flags & RINGO_RETURN_EXCEPTIONS))
			return (int)r;
	}
	return pending ? -EPERM : 0;
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
	if (!self)
		return gather_done_only(tasks, n, results, flags);

	/* One pass over the children: those done already answer now (a failed
	 * one at once, without suspending), the others get a slot that
	 * listens. */
	struct gather g = {
		.tasks = tasks,
		.results = results,
		.n = n,
		.flags = flags,
	};
	g.slots = malloc(n * sizeof(*g.slots));
	if (!g.slots)
		return -ENOMEM;
	ringo__hugepage_hint(g.slots, n * sizeof(*g.slots));
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &g.slots[i];
		ringo_task *t = tasks[i];
		/* Records further on, cold with many children: start loading
		 * them while this one is registered. */
		if (i + GATHER_PREFETCH < n)
			__builtin_prefetch(ringo__task_completion(tasks[i + GATHER_PREFETCH]), 1);
		if (!child_finished(t)) {
			s->g = &g;
			s->waiter.notify = child_done;
			ringo__completion_add(ringo__task_completion(t), &s->waiter);
			g.pending++;
			continue;
		}
		ringo__list_init(&s->waiter.node);
		intptr_t r = take_done(tasks, results, i);
		if (r < 0 && !(flags & RINGO_RETURN_EXCEPTIONS)) {
			for (size_t j = 0; j < i; j++)
				if (slot_linked(&g.slots[j]))
					ringo__list_remove(&g.slots[j].waiter.node);
			free(g.slots);
			return (int)r;
		}
	}
	intptr_t r = 0;
	if (g.pending) {
		/* A cancellation already pending cancels the children (in the
		 * wait's cancel hook), as one arriving later would. */
		ringo__wait_init_notify(&g.w, self, gather_cancel, NULL);
		g.w.describe = describe_gather;
		r = ringo__wait_suspend(&g.w);
	}
	/* Returning early on an error: the other children keep running,
	 * without us listening. */
	for (size_t i = 0, left = g.pending; left > 0; i++) {
		if (slot_linked(&g.slots[i])) {
			ringo__list_remove(&g.slots[i].waiter.node);
			left--;
		}
	}
	free(g.slots);
	return (int)r;
}

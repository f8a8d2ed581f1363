/* SPDX-License-Identifier: MIT */
/* Task groups: asyncio's TaskGroup. Each child has a waiter on its
 * completion; the group records failures, cancels the rest when one fails,
 * and exit waits, on one NOTIFY wait, until the last child is done.
 *
 * asyncio's own cancellation of the parent is one request, withdrawn at
 * exit after the children have finished (the order of Python 3.13, which
 * fixed 3.11/3.12 leaving the count raised when a child failed during
 * exit). While exit waits, the group does not cancel the parent at all:
 * there is no body left to interrupt. */
#include <stdlib.h>

#include "core/internal.h"

struct member {
	struct ringo__waiter waiter;   /* on the child's completion */
	struct ringo__list node;       /* in g->members while it runs */
	struct ringo_taskgroup *g;
	ringo_task *task;              /* the group's reference */
};

struct ringo_taskgroup {
	ringo_task *parent;
	struct ringo__list members;
	size_t running;
	struct ringo__wait *exit_wait;  /* exit suspended, waiting for children */
	ringo_taskgroup_error *errors;
	size_t nerrors, cap;
	int first_error;                /* kept even if recording failed (ENOMEM) */
	bool exiting;
	bool exited;
	bool aborting;
	bool parent_cancel_requested;
	bool propagate_cancel;
};

static void abort_children(struct ringo_taskgroup *g)
{
	g->aborting = true;
	/* Cancelling only queues wake-ups and cancels: no child finishes
	 * inside this loop, so the list does not change under it. */
	for (struct ringo__list *n = g->members.next; n != &g->members; n = n->next)
		ringo_task_cancel(ringo__container_of(n, struct member, node)->task);
}

/* Takes over the reference to task. */
static void record_error(struct ringo_taskgroup *g, ringo_task *task, int error)
{
	if (!g->first_error)
		g->first_error = error;
	if (g->nerrors == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4;
		ringo_taskgroup_error *e = realloc(g->errors, cap * sizeof(*e));
		if (!e) {
			ringo_task_unref(task);
			return;
		}
		g->errors = e;
		g->cap = cap;
	}
	g->errors[g->nerrors].task = task;
	g->errors[g->nerrors].error = error;
	g->nerrors++;
}

/* Runs synchronously as the child finishes: it only records and requests. */
static void child_done(struct ringo__waiter *waiter, intptr_t result)
{
	struct member *m = ringo__container_of(waiter, struct member, waiter);
	struct ringo_taskgroup *g = m->g;
	ringo_task *task = m->task;
	ringo__task_mark_taken(task); /* its error is the group's */
	ringo__list_remove(&m->node);
	free(m);
	g->running--;
	if (g->running == 0 && g->exit_wait)
		ringo__wait_wake(g->exit_wait, 0);
	if (result >= 0 || result == -ECANCELED) {
		ringo_task_unref(task);
		return;
	}
	record_error(g, task, (int)result);
	if (g->aborting)
		return;
	abort_children(g);
	/* Interrupt the body; exit withdraws this request. */
	if (!g->exiting && !ringo_task_done(g->parent)) {
		g->parent_cancel_requested = true;
		ringo_task_cancel(g->parent);
	}
}

int ringo_taskgroup_enter(ringo_taskgroup **out)
{
	if (!out)
		return -EINVAL;
	ringo_task *parent = ringo_task_current();
	if (!parent)
		return -EPERM;
	struct ringo_taskgroup *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->parent = ringo_task_ref(parent);
	ringo__list_init(&g->members);
	*out = g;
	return 0;
}

int ringo_taskgroup_spawn(ringo_taskgroup *g, ringo_task_fn fn, void *arg,
			  const ringo_task_opts *opts, ringo_task **out)
{
	if (!g || !fn)
		return -EINVAL;
	if (g->exited || g->aborting)
		return -ESHUTDOWN;
	struct member *m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	int ret = ringo_task_create(fn, arg, opts, &m->task);
	if (ret < 0) {
		free(m);
		return ret;
	}
	m->g = g;
	m->waiter.notify = child_done;
	ringo__completion_add(ringo__task_completion(m->task), &m->waiter);
	ringo__list_push_back(&g->members, &m->node);
	g->running++;
	if (out)
		*out = ringo_task_ref(m->task);
	return 0;
}

/* The parent cancelled while exit waits: cancel the children (once) and
 * keep waiting; exit answers -ECANCELED unless errors take priority. */
static bool exit_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	struct ringo_taskgroup *g = w->target;
	/* Once aborting for an error, errors take priority (as asyncio). */
	if (!g->aborting) {
		g->propagate_cancel = true;
		abort_children(g);
	}
	return true;
}

intptr_t ringo_taskgroup_exit(ringo_taskgroup *g, intptr_t body_result)
{
	if (!g || g->exiting || g->exited || ringo_task_current() != g->parent)
		return -EINVAL;
	g->exiting = true;
	if (body_result == -ECANCELED)
		g->propagate_cancel = true;
	if (body_result < 0 && !g->aborting)
		abort_children(g);
	while (g->running > 0) {
		int err;
		ringo_task *t = ringo__await_begin(&err);
		if (!t) {
			/* A cancellation pending since the body: the group's
			 * own (undone below) or a foreign one. */
			if (!g->aborting) {
				g->propagate_cancel = true;
				abort_children(g);
			}
			continue;
		}
		struct ringo__wait w;
		ringo__wait_init_notify(&w, t, exit_cancel, g);
		g->exit_wait = &w;
		ringo__wait_suspend(&w);
		g->exit_wait = NULL;
	}
	if (g->parent_cancel_requested && ringo_task_uncancel(g->parent) == 0)
		g->propagate_cancel = false;
	g->exiting = false;
	g->exited = true;
	if (body_result < 0 && body_result != -ECANCELED)
		record_error(g, ringo_task_ref(g->parent), (int)body_result);
	if (g->first_error)
		return g->first_error;
	if (g->propagate_cancel)
		return -ECANCELED;
	return body_result;
}

const ringo_taskgroup_error *ringo_taskgroup_errors(const ringo_taskgroup *g, size_t *count)
{
	if (count)
		*count = g ? g->nerrors : 0;
	return g && g->nerrors ? g->errors : NULL;
}

void ringo_taskgroup_destroy(ringo_taskgroup *g)
{
	if (!g)
		return;
	if (!g->exited) {
		abort_children(g);
		while (!ringo__list_empty(&g->members)) {
			struct member *m = ringo__container_of(g->members.next, struct member, node);
			ringo__list_remove(&m->waiter.node);
			ringo__list_remove(&m->node);
			ringo_task_unref(m->task);
			free(m);
		}
	}
	for (size_t i = 0; i < g->nerrors; i++)
		ringo_task_unref(g->errors[i].task);
	free(g->errors);
	ringo_task_unref(g->parent);
	free(g);
}

/* ---- as an asynchronous context manager ---- */

static int actx_enter(ringo_actx *m, intptr_t *as)
{
	ringo_taskgroup_actx *p = ringo__container_of(m, ringo_taskgroup_actx, actx);
	int r = ringo_taskgroup_enter(&p->group);
	if (r < 0)
		return r;
	*as = (intptr_t)p->group;
	return 0;
}

static int actx_exit(ringo_actx *m, int error)
{
	ringo_taskgroup_actx *p = ringo__container_of(m, ringo_taskgroup_actx, actx);
	intptr_t r = ringo_taskgroup_exit(p->group, error);
	return r >= 0 || r == error ? 0 : (int)r;
}

ringo_actx *ringo_actx_taskgroup(ringo_taskgroup_actx *p)
{
	if (!p)
		return NULL;
	p->actx.aenter = actx_enter;
	p->actx.aexit = actx_exit;
	p->group = NULL;
	return &p->actx;
}

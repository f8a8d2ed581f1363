/* SPDX-License-Identifier: MIT */
/* Asynchronous generators: a body on its own task that hands items to one
 * consumer at a time.
 *
 * The consumer (asend/anext/aclose) and the generator's task never switch to
 * each other: each side parks on a NOTIFY wait and the other wakes it with
 * ringo__wait_wake, whose NOP's CQE resumes it. The generator's end reaches
 * the consumer through a waiter on its task's completion, so a body that
 * never ran (its task cancelled before it started) ends the iteration too. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

enum {
	G_INIT,      /* not started: no task yet */
	G_RUNNING,   /* its task runs; a consumer (or closer) waits, if any */
	G_SUSPENDED, /* parked at a yield, no consumer */
	G_FINISHED,
};

struct ringo_agen {
	ringo_aiter aiter;
	ringo_agen_fn fn;
	void *arg;
	ringo_task *task;                /* our reference, from the first anext */
	struct ringo__waiter done;       /* on the task's completion */
	struct ringo__wait *consumer;    /* the consumer's wait while it waits */
	struct ringo__wait yield_wait;   /* the generator's wait at a yield */
	ringo_agen *live_prev, *live_next; /* in `live` while the body runs */
	intptr_t item;                   /* handed to the consumer */
	intptr_t sent;                   /* handed to the generator */
	char *name;
	size_t stack_size;
	int refs;                        /* the owner, the task, a consumer */
	uint8_t state;
	bool closing;                    /* aclose (or a cancel at a yield) began */
	bool yielded_in_close;           /* the body yielded while closing */
};

/* Generators whose body is running on this thread, most recently looked up
 * first: ringo_agen_yield finds its generator by the current task. */
static __thread ringo_agen *live __attribute__((tls_model("initial-exec")));

static void live_add(ringo_agen *gen)
{
	gen->live_prev = NULL;
	gen->live_next = live;
	if (live)
		live->live_prev = gen;
	live = gen;
}

static void live_remove(ringo_agen *gen)
{
	if (gen->live_prev)
		gen->live_prev->live_next = gen->live_next;
	else
		live = gen->live_next;
	if (gen->live_next)
		gen->live_next->live_prev = gen->live_prev;
	gen->live_prev = gen->live_next = NULL;
}

static ringo_agen *live_find(ringo_task *t)
{
	for (ringo_agen *g = live; g; g = g->live_next) {
		if (g->task != t)
			continue;
		if (g != live) {
			live_remove(g);
			live_add(g);
		}
		return g;
	}
	return NULL;
}

static void gen_unref(ringo_agen *gen)
{
	if (--gen->refs > 0)
		return;
	ringo_task_unref(gen->task);
	free(gen->name);
	free(gen);
}

static int aiter_anext(ringo_aiter *it, intptr_t *item)
{
	return ringo_agen_asend(ringo__container_of(it, ringo_agen, aiter), 0, item);
}

static int aiter_aclose(ringo_aiter *it)
{
	return ringo_agen_aclose(ringo__container_of(it, ringo_agen, aiter));
}

int ringo_agen_create(ringo_agen_fn fn, void *arg, const ringo_task_opts *opts,
		      ringo_agen **out)
{
	if (!fn || !out)
		return -EINVAL;
	ringo_agen *gen = calloc(1, sizeof(*gen));
	if (!gen)
		return -ENOMEM;
	if (opts && opts->name) {
		gen->name = strdup(opts->name);
		if (!gen->name) {
			free(gen);
			return -ENOMEM;
		}
	}
	gen->stack_size = opts ? opts->stack_size : 0;
	gen->aiter.anext = aiter_anext;
	gen->aiter.aclose = aiter_aclose;
	gen->fn = fn;
	gen->arg = arg;
	gen->refs = 1;
	gen->state = G_INIT;
	*out = gen;
	return 0;
}

ringo_aiter *ringo_agen_aiter(ringo_agen *gen)
{
	return gen ? &gen->aiter : NULL;
}

bool ringo_agen_finished(const ringo_agen *gen)
{
	return gen && gen->state == G_FINISHED;
}

/* ---- the generator's side ---- */

static intptr_t body(void *arg)
{
	ringo_agen *gen = arg;
	live_add(gen);
	int r = gen->fn(gen->arg);
	live_remove(gen);
	return r;
}

/* The task is done (its body returned, or it was cancelled before it
 * started): answer whoever waits. Runs inside the task's completion. */
static void body_done(struct ringo__waiter *w, intptr_t result)
{
	ringo_agen *gen = ringo__container_of(w, ringo_agen, done);
	ringo__task_mark_taken(gen->task);
	gen->state = G_FINISHED;
	struct ringo__wait *c = gen->consumer;
	gen->consumer = NULL;
	if (c) {
		intptr_t v;
		if (!gen->closing)
			v = result < 0 ? result : 0;
		else if (gen->yielded_in_close)
			v = -EPROTO;
		else
			v = result < 0 && result != -RINGO_EGENEXIT ? result : 0;
		ringo__wait_wake(c, v);
	}
	gen_unref(gen); /* the task's reference */
}

/* The generator's own task is cancelled while parked at a yield: the
 * generator is finishing, as if closed. At loop shutdown the yield returns
 * -RINGO_EGENEXIT, as asyncio.run closes open generators with aclose()
 * (shutdown_asyncgens); otherwise (anyone holding its task) -ECANCELED. */
static bool yield_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	ringo_agen *gen = w->target;
	struct ringo_loop *loop = ringo__loop_get();
	gen->state = G_RUNNING;
	gen->closing = true;
	ringo__wait_wake(w, loop && loop->closing ? -RINGO_EGENEXIT : -ECANCELED);
	return true;
}

int ringo_agen_yield(intptr_t value, intptr_t *sent)
{
	ringo_task *self = ringo_task_current();
	ringo_agen *gen = self ? live_find(self) : NULL;
	if (!gen)
		return -EPERM;
	if (gen->closing || !gen->consumer) {
		gen->yielded_in_close = true;
		return -EPROTO;
	}
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	gen->item = value;
	gen->state = G_SUSPENDED;
	struct ringo__wait *c = gen->consumer;
	gen->consumer = NULL;
	ringo__wait_wake(c, 1);

	struct ringo__wait *w = &gen->yield_wait;
	ringo__wait_init_notify(w, t, yield_cancel, gen);
	intptr_t r = ringo__wait_suspend(w);
	if (r < 0)
		return (int)r;
	if (sent)
		*sent = gen->sent;
	return 0;
}

/* ---- the consumer's side ---- */

/* Cancelling a task that waits for the generator cancels the generator's
 * task, as awaiting a task does; the waiter still gets its next hand-off. */
static bool consumer_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	ringo_agen *gen = w->target;
	return ringo_task_cancel(gen->task);
}

static int start(ringo_agen *gen)
{
	ringo_task_opts opts = { .name = gen->name, .stack_size = gen->stack_size };
	int r = ringo_task_create(body, gen, &opts, &gen->task);
	if (r < 0)
		return r;
	gen->refs++; /* the task's, dropped by body_done */
	gen->done.notify = body_done;
	ringo__completion_add(ringo__task_completion(gen->task), &gen->done);
	return 0;
}

/* Hands the generator over (already woken or started) and waits for its
 * answer: 1 with gen->item, 0 at the end, or an error. */
static int wait_answer(ringo_agen *gen, ringo_task *t)
{
	struct ringo__wait w;
	ringo__wait_init_notify(&w, t, consumer_cancel, gen);
	gen->consumer = &w;
	gen->state = G_RUNNING;
	gen->refs++;
	int r = (int)ringo__wait_suspend(&w);
	gen_unref(gen);
	return r;
}

int ringo_agen_asend(ringo_agen *gen, intptr_t value, intptr_t *item)
{
	if (!gen)
		return -EINVAL;
	if (gen->state == G_FINISHED)
		return 0;
	if (gen->state == G_RUNNING)
		return -EBUSY;
	if (gen->state == G_INIT && value != 0)
		return -EINVAL;
	/* A cancellation already pending goes to the generator's task when
	 * the wait begins (consumer_cancel), as one arriving later would. */
	ringo_task *t = ringo_task_current();
	if (!t)
		return -EPERM;
	if (gen->state == G_INIT) {
		int r = start(gen);
		if (r < 0)
			return r;
	} else {
		gen->sent = value;
		ringo__wait_wake(&gen->yield_wait, 0);
	}
	int r = wait_answer(gen, t);
	if (r > 0 && item)
		*item = gen->item;
	return r;
}

int ringo_agen_anext(ringo_agen *gen, intptr_t *item)
{
	return ringo_agen_asend(gen, 0, item);
}

int ringo_agen_aclose(ringo_agen *gen)
{
	if (!gen)
		return -EINVAL;
	switch (gen->state) {
	case G_INIT:
		gen->state = G_FINISHED;
		return 0;
	case G_FINISHED:
		return 0;
	case G_RUNNING:
		return -EBUSY;
	default:
		break;
	}
	ringo_task *t = ringo_task_current();
	if (!t)
		return -EPERM;
	gen->closing = true;
	ringo__wait_wake(&gen->yield_wait, -RINGO_EGENEXIT);
	return wait_answer(gen, t);
}

int ringo_agen_destroy(ringo_agen *gen)
{
	if (!gen)
		return 0;
	int r = 0;
	if (gen->state == G_SUSPENDED) {
		if (ringo_task_current())
			r = ringo_agen_aclose(gen);
		/* Outside a task: the generator's task cleans up on its own,
		 * cancelled. */
		if (gen->state == G_SUSPENDED)
			ringo_task_cancel(gen->task);
	}
	gen_unref(gen);
	return r;
}

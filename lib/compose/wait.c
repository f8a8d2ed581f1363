/* SPDX-License-Identifier: MIT */
/* wait, wait_for and as_completed: waiting on tasks without owning them.
 *
 * Each watched task gets a waiter on its completion; the waiting task is
 * suspended on one NOTIFY wait, woken through a NOP when the condition
 * holds, or by a timer (a call_at handle, an IORING_OP_TIMEOUT). */
#include <stdlib.h>

#include "core/internal.h"

/* ---- wait ---- */

struct waitset;

struct wslot {
	struct ringo__waiter waiter;
	struct waitset *ws;
	bool linked;
};

struct waitset {
	struct ringo__wait w;
	ringo_wait_mode mode;
	size_t pending;
};

enum { WAIT_INLINE = 8 };

static bool is_failure(intptr_t r)
{
	return r < 0 && r != -ECANCELED;
}

static void wslot_done(struct ringo__waiter *waiter, intptr_t result)
{
	struct wslot *s = ringo__container_of(waiter, struct wslot, waiter);
	struct waitset *ws = s->ws;
	s->linked = false;
	ws->pending--;
	if (ws->mode == RINGO_FIRST_COMPLETED || ws->pending == 0 ||
	    (ws->mode == RINGO_FIRST_EXCEPTION && is_failure(result)))
		ringo__wait_wake(&ws->w, 0);
}

static void wait_timer(void *arg)
{
	struct waitset *ws = arg;
	ringo__wait_wake(&ws->w, 0);
}

static int count_done(ringo_task *const *tasks, size_t n, bool *done)
{
	int ndone = 0;
	for (size_t i = 0; i < n; i++) {
		bool d = ringo_task_done(tasks[i]);
		if (done)
			done[i] = d;
		ndone += d;
	}
	return ndone;
}

int ringo_wait(ringo_task *const *tasks, size_t n, ringo_wait_mode mode,
	       int64_t timeout_ns, bool *done)
{
	if (n == 0 || !tasks || n > INT32_MAX)
		return -EINVAL;
	if (mode != RINGO_ALL_COMPLETED && mode != RINGO_FIRST_COMPLETED &&
	    mode != RINGO_FIRST_EXCEPTION)
		return -EINVAL;
	size_t ndone = 0;
	bool failed = false;
	for (size_t i = 0; i < n; i++) {
		if (!tasks[i])
			return -EINVAL;
		if (ringo_task_done(tasks[i])) {
			ndone++;
			failed |= is_failure(ringo_task_result(tasks[i]));
		}
	}
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	/* The condition already holds: answer without suspending. */
	if (ndone == n || (mode == RINGO_FIRST_COMPLETED && ndone > 0) ||
	    (mode == RINGO_FIRST_EXCEPTION && failed))
		return count_done(tasks, n, done);

	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t) {
		count_done(tasks, n, done);
		return err;
	}
	struct wslot inline_slots[WAIT_INLINE];
	struct wslot *slots = inline_slots;
	if (n > WAIT_INLINE) {
		slots = malloc(n * sizeof(*slots));
		if (!slots)
			return -ENOMEM;
	}
	ringo_handle *timer = NULL;
	struct waitset ws = { .mode = mode, .pending = n - ndone };
	ringo__wait_init_notify(&ws.w, t, NULL, NULL);
	if (timeout_ns != RINGO_NO_TIMEOUT) {
		int ret = ringo_call_later(timeout_ns, wait_timer, &ws, &timer);
		if (ret < 0) {
			if (slots != inline_slots)
				free(slots);
			return ret;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct wslot *s = &slots[i];
		s->ws = &ws;
		s->linked = !ringo_task_done(tasks[i]);
		if (s->linked) {
			s->waiter.notify = wslot_done;
			ringo__completion_add(ringo__task_completion(tasks[i]), &s->waiter);
		}
	}
	/* Not linked in any list: the detach hook only needs it to be
	 * removable. */
	ringo__list_init(&ws.w.waiter.node);
	intptr_t r = ringo__wait_suspend(&ws.w);
	for (size_t i = 0; i < n; i++)
		if (slots[i].linked)
			ringo__list_remove(&slots[i].waiter.node);
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	if (slots != inline_slots)
		free(slots);
	int nd = count_done(tasks, n, done);
	return r == -ECANCELED ? -ECANCELED : nd;
}

/* ---- wait_for ---- */

struct wait_for {
	ringo_task *inner;
	bool timed_out;         /* the timeout cancelled the inner task */
	bool caller_cancelled;  /* the caller was cancelled meanwhile */
};

/* Cancelling the caller cancels the inner task; the caller keeps waiting
 * until it has finished, and then gets its result. */
static bool wait_for_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	struct wait_for *wf = w->target;
	wf->caller_cancelled = true;
	ringo_task_cancel(wf->inner);
	return true;
}

static void wait_for_timer(void *arg)
{
	struct wait_for *wf = arg;
	if (ringo_task_done(wf->inner))
		return;
	wf->timed_out = true;
	ringo_task_cancel(wf->inner);
}

intptr_t ringo_wait_for(ringo_task *t, int64_t timeout_ns)
{
	if (!t)
		return -EINVAL;
	/* Done already: the result, at once. */
	if (ringo_task_done(t))
		return ringo_task_result(t);
	ringo_task *self = ringo_task_current();
	if (!self)
		return -EPERM;
	if (t == self)
		return -EDEADLK;
	struct wait_for wf = { .inner = t };
	ringo_task_ref(t);
	/* A cancellation pending now is one that arrived before we waited:
	 * it cancels the inner task like one arriving later would. */
	if (ringo__task_take_cancel(self)) {
		wf.caller_cancelled = true;
		ringo_task_cancel(t);
	}
	ringo_handle *timer = NULL;
	if (timeout_ns <= 0) {
		if (!wf.caller_cancelled) {
			wf.timed_out = true;
			ringo_task_cancel(t);
		}
	} else if (timeout_ns != RINGO_NO_TIMEOUT) {
		int ret = ringo_call_later(timeout_ns, wait_for_timer, &wf, &timer);
		if (ret < 0) {
			ringo_task_unref(t);
			return ret;
		}
	}
	intptr_t r = ringo__completion_await(ringo__task_completion(t), wait_for_cancel, &wf);
	if (ringo_task_done(t))
		ringo__task_mark_taken(t);
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	ringo_task_unref(t);
	if (r == -ECANCELED && wf.timed_out && !wf.caller_cancelled)
		return -ETIMEDOUT;
	return r;
}

/* ---- as_completed ---- */

struct acslot {
	struct ringo__waiter waiter;
	struct ringo_as_completed *ac;
	ringo_task *task;
	struct ringo__list ready;    /* in ac->ready once done */
	bool linked;                 /* waiter in the task's completion */
};

struct ringo_as_completed {
	ringo_aiter it;
	struct ringo__list ready;    /* completed, not yet returned, FIFO */
	struct ringo__wait *waiting; /* the consumer suspended in next() */
	ringo_handle *timer;
	struct acslot *slots;
	size_t n;
	size_t left;                 /* not yet returned (or timed out) */
	bool timed_out;
	bool closed;
	bool orphaned;               /* destroyed while a consumer waited */
};

static void unlink_all(struct ringo_as_completed *ac)
{
	for (size_t i = 0; i < ac->n; i++) {
		if (ac->slots[i].linked) {
			ringo__list_remove(&ac->slots[i].waiter.node);
			ac->slots[i].linked = false;
		}
	}
}

static void stop_timer(struct ringo_as_completed *ac)
{
	if (ac->timer) {
		ringo_handle_cancel(ac->timer);
		ringo_handle_unref(ac->timer);
		ac->timer = NULL;
	}
}

static void acslot_done(struct ringo__waiter *waiter, intptr_t result)
{
	(void)result;
	struct acslot *s = ringo__container_of(waiter, struct acslot, waiter);
	struct ringo_as_completed *ac = s->ac;
	s->linked = false;
	ringo__list_push_back(&ac->ready, &s->ready);
	if (ac->waiting)
		ringo__wait_wake(ac->waiting, 1);
}

/* Like asyncio's: the tasks not done by the deadline are no longer
 * watched; each is answered with -ETIMEDOUT. */
static void as_completed_timer(void *arg)
{
	struct ringo_as_completed *ac = arg;
	ac->timed_out = true;
	unlink_all(ac);
	if (ac->waiting)
		ringo__wait_wake(ac->waiting, -ETIMEDOUT);
}

static int ac_anext(ringo_aiter *it, intptr_t *item)
{
	ringo_task *t = NULL;
	int r = ringo_as_completed_next((ringo_as_completed *)(void *)it, &t);
	if (r == 1 && item)
		*item = (intptr_t)t;
	return r;
}

static int ac_aclose(ringo_aiter *it)
{
	struct ringo_as_completed *ac = (ringo_as_completed *)(void *)it;
	ac->closed = true;
	unlink_all(ac);
	stop_timer(ac);
	return 0;
}

int ringo_as_completed_create(ringo_as_completed **out, ringo_task *const *tasks,
			      size_t n, int64_t timeout_ns)
{
	if (!out || (n > 0 && !tasks))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!tasks[i])
			return -EINVAL;
	if (!ringo__loop_get())
		return -EPERM;
	struct ringo_as_completed *ac = calloc(1, sizeof(*ac));
	if (!ac)
		return -ENOMEM;
	ac->slots = calloc(n ? n : 1, sizeof(*ac->slots));
	if (!ac->slots)
		goto err_ac;
	ac->it.anext = ac_anext;
	ac->it.aclose = ac_aclose;
	ringo__list_init(&ac->ready);
	ac->n = n;
	ac->left = n;
	if (timeout_ns != RINGO_NO_TIMEOUT && n > 0) {
		if (ringo_call_later(timeout_ns, as_completed_timer, ac, &ac->timer) < 0)
			goto err_slots;
	}
	/* Tasks done already are returned first, in argument order. */
	for (size_t i = 0; i < n; i++) {
		struct acslot *s = &ac->slots[i];
		s->ac = ac;
		s->task = ringo_task_ref(tasks[i]);
		if (ringo_task_done(s->task)) {
			ringo__list_push_back(&ac->ready, &s->ready);
		} else {
			s->linked = true;
			s->waiter.notify = acslot_done;
			ringo__completion_add(ringo__task_completion(s->task), &s->waiter);
		}
	}
	*out = ac;
	return 0;

err_slots:
	free(ac->slots);
err_ac:
	free(ac);
	return -ENOMEM;
}

static struct acslot *pop_ready(struct ringo_as_completed *ac)
{
	struct ringo__list *node = ac->ready.next;
	ringo__list_remove(node);
	ac->left--;
	return ringo__container_of(node, struct acslot, ready);
}

int ringo_as_completed_next(ringo_as_completed *ac, ringo_task **task)
{
	if (!ac || !task)
		return -EINVAL;
	if (ac->closed || ac->left == 0)
		return 0;
	if (!ringo__list_empty(&ac->ready)) {
		*task = pop_ready(ac)->task;
		return 1;
	}
	if (ac->timed_out) {
		ac->left--;
		return -ETIMEDOUT;
	}
	if (ac->waiting)
		return -EBUSY; /* another task is already waiting on it */
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__wait w;
	ringo__wait_init_notify(&w, t, NULL, NULL);
	ac->waiting = &w;
	intptr_t r = ringo__wait_suspend(&w);
	ac->waiting = NULL;
	if (ac->orphaned) {
		/* destroyed meanwhile: the last one out frees it */
		free(ac);
		return -ESHUTDOWN;
	}
	if (r == -ECANCELED)
		return -ECANCELED;
	/* Woken by a completion or by the timer: completions that came first
	 * are returned first. */
	if (!ringo__list_empty(&ac->ready)) {
		*task = pop_ready(ac)->task;
		return 1;
	}
	ac->left--;
	return -ETIMEDOUT;
}

ringo_aiter *ringo_as_completed_aiter(ringo_as_completed *ac)
{
	return ac ? &ac->it : NULL;
}

void ringo_as_completed_destroy(ringo_as_completed *ac)
{
	if (!ac)
		return;
	unlink_all(ac);
	stop_timer(ac);
	for (size_t i = 0; i < ac->n; i++)
		ringo_task_unref(ac->slots[i].task);
	free(ac->slots);
	if (ac->waiting) {
		/* A consumer still waits in next(): it leaves with -ESHUTDOWN
		 * and frees what is left. */
		ac->orphaned = true;
		ringo__wait_wake(ac->waiting, -ESHUTDOWN);
		return;
	}
	free(ac);
}

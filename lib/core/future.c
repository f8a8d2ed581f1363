/* SPDX-License-Identifier: MIT */
/* Futures: a result that some code sets and tasks await. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"
#include "debug/log.h"

struct ringo_future {
	struct ringo__completion c;
	uint64_t loop_id;
	const void *created_at;      /* the return address of its create call */
	int refs;
};

int ringo_future_create(ringo_future **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!out)
		return -EINVAL;
	if (!loop)
		return -EPERM;
	ringo_future *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	ringo__completion_init(&f->c);
	f->loop_id = loop->id;
	f->created_at = __builtin_return_address(0);
	f->refs = 1;
	*out = f;
	return 0;
}

ringo_future *ringo_future_ref(ringo_future *f)
{
	if (f)
		f->refs++;
	return f;
}

/* Debug mode: a future released while pending was never set, and anyone
 * who would have awaited it waits no more. */
static void report_pending(const ringo_future *f)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || loop->id != f->loop_id || !loop->debug || loop->closing)
		return;
	char where[600];
	ringo__debug_where(f->created_at, where, sizeof(where));
	ringo__log(RINGO_LOG_WARNING,
		   "debug: future %p (created at %s) was released while pending: nobody set "
		   "it",
		   (const void *)f, where);
}

void ringo_future_unref(ringo_future *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->c.state == RINGO__PENDING)
		report_pending(f);
	/* Callbacks of a future that can no longer complete go with it. */
	ringo__callback_drop_all(&f->c);
	free(f);
}

static int complete(ringo_future *f, intptr_t result)
{
	if (f->c.state != RINGO__PENDING)
		return -EALREADY;
	int own = ringo__loop_check(f->loop_id);
	if (own < 0)
		return own; /* another loop's, or its loop has ended: nobody to wake */
	ringo__completion_finish(&f->c, result == -ECANCELED ? RINGO__CANCELLED : RINGO__DONE,
				 result);
	return 0;
}

int ringo_future_set_result(ringo_future *f, intptr_t value)
{
	if (!f || value < 0)
		return -EINVAL;
	return complete(f, value);
}

int ringo_future_set_error(ringo_future *f, int error)
{
	if (!f || error >= 0)
		return -EINVAL;
	return complete(f, error);
}

bool ringo_future_cancel(ringo_future *f)
{
	return f && complete(f, -ECANCELED) == 0;
}

/* Cancelling a task that awaits f cancels f, as asyncio does. */
static bool await_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	return ringo_future_cancel(w->target);
}

static ringo_task *describe_await(const struct ringo__wait *w, char *buf, size_t cap,
				  int64_t now)
{
	(void)now;
	snprintf(buf, cap, "future %p (set by nobody yet)", w->target);
	return NULL;
}

intptr_t ringo_future_await(ringo_future *f)
{
	if (!f)
		return -EINVAL;
	ringo_future_ref(f);
	intptr_t r = ringo__completion_await_as(&f->c, await_cancel, f, describe_await);
	ringo_future_unref(f);
	return r;
}

bool ringo_future_done(const ringo_future *f)
{
	return f && f->c.state != RINGO__PENDING;
}

bool ringo_future_cancelled(const ringo_future *f)
{
	return f && f->c.state == RINGO__CANCELLED;
}

intptr_t ringo_future_result(const ringo_future *f)
{
	if (!f)
		return -EINVAL;
	if (f->c.state == RINGO__PENDING)
		return -EAGAIN;
	return f->c.result;
}

static void future_callback(void *obj, union ringo__cb_fn fn, void *arg)
{
	fn.future(obj, arg);
}

static void future_hold(void *obj)
{
	ringo_future_ref(obj);
}

static void future_release(void *obj)
{
	ringo_future_unref(obj);
}

int ringo_future_add_done_callback(ringo_future *f, void (*fn)(ringo_future *f, void *arg),
				   void *arg)
{
	if (!f || !fn)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_owning(f->loop_id);
	if (!loop)
		return -EPERM; /* its loop has ended, or runs on another thread */
	union ringo__cb_fn cb = { .future = fn };
	return ringo__callback_add(loop, &f->c, future_callback, cb, f, arg, future_hold,
				   future_release);
}

size_t ringo_future_remove_done_callback(ringo_future *f,
					 void (*fn)(ringo_future *f, void *arg), void *arg)
{
	if (!f || !fn)
		return 0;
	union ringo__cb_fn cb = { .future = fn };
	return ringo__callback_remove(&f->c, cb, arg);
}

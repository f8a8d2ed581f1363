/* SPDX-License-Identifier: MIT */
/* Timeout scopes: asyncio 3.12's Timeout. The deadline is a ringo__timer
 * (an IORING_OP_TIMEOUT, moved by reschedule without a new timer: see
 * lib/compose/timer.h); when it fires the scope cancels its task, and at exit it
 * turns its own cancellation, and only that, into -ETIMEDOUT. */
#include <stdlib.h>

#include "core/internal.h"
#include "compose/timer.h"

enum { TO_ENTERED, TO_EXPIRING, TO_EXPIRED, TO_EXITED };

struct ringo_timeout {
	ringo_task *task;
	struct ringo__timer *timer;
	int64_t when;
	int cancelling;  /* the task's cancelling() at enter */
	uint8_t state;
};

static void stop_timer(ringo_timeout *to)
{
	ringo__timer_set(to->timer, RINGO_NO_TIMEOUT);
}

static void on_timeout(void *arg)
{
	ringo_timeout *to = arg;
	if (to->state != TO_ENTERED)
		return;
	ringo_task_cancel(to->task);
	to->state = TO_EXPIRING;
}

int ringo_timeout_reschedule(ringo_timeout *to, int64_t deadline_ns)
{
	if (!to || to->state != TO_ENTERED)
		return -EINVAL;
	to->when = deadline_ns;
	/* A deadline already past fires at the loop's next turn, like
	 * asyncio's call_soon; a later one moves the armed kernel timer. */
	ringo__timer_set(to->timer, deadline_ns);
	return 0;
}

int ringo_timeout_enter_at(ringo_timeout **out, int64_t deadline_ns)
{
	if (!out)
		return -EINVAL;
	ringo_task *t = ringo_task_current();
	if (!t)
		return -EPERM;
	ringo_timeout *to = malloc(sizeof(*to));
	if (!to)
		return -ENOMEM;
	int ret = ringo__timer_create(on_timeout, to, &to->timer);
	if (ret < 0) {
		free(to);
		return ret;
	}
	to->task = ringo_task_ref(t);
	to->cancelling = ringo_task_cancelling(t);
	to->state = TO_ENTERED;
	ringo_timeout_reschedule(to, deadline_ns);
	*out = to;
	return 0;
}

/* The deadline delay_ns from now; saturates rather than wrapping into the
 * past. A negative delay is a deadline that far in the past (asyncio's
 * timeout(-1).when() is loop.time() - 1). */
static int64_t deadline_after(int64_t delay_ns)
{
	if (delay_ns == RINGO_NO_TIMEOUT)
		return RINGO_NO_TIMEOUT;
	int64_t now = ringo_time();
	return delay_ns > RINGO_NO_TIMEOUT - 1 - now ? RINGO_NO_TIMEOUT : now + delay_ns;
}

int ringo_timeout_enter(ringo_timeout **out, int64_t delay_ns)
{
	return ringo_timeout_enter_at(out, deadline_after(delay_ns));
}

intptr_t ringo_timeout_exit(ringo_timeout *to, intptr_t result)
{
	if (!to || to->state == TO_EXITED || to->state == TO_EXPIRED)
		return -EINVAL;
	stop_timer(to);
	if (to->state == TO_ENTERED) {
		to->state = TO_EXITED;
		return result;
	}
	to->state = TO_EXPIRED;
	/* No cancellation requested since enter but ours: the -ECANCELED is
	 * ours to turn into a timeout. */
	if (ringo_task_uncancel(to->task) <= to->cancelling && result == -ECANCELED)
		return -ETIMEDOUT;
	return result;
}

int64_t ringo_timeout_when(const ringo_timeout *to)
{
	return to ? to->when : RINGO_NO_TIMEOUT;
}

bool ringo_timeout_expired(const ringo_timeout *to)
{
	return to && (to->state == TO_EXPIRING || to->state == TO_EXPIRED);
}

void ringo_timeout_destroy(ringo_timeout *to)
{
	if (!to)
		return;
	ringo__timer_destroy(to->timer);
	ringo_task_unref(to->task);
	free(to);
}

/* ---- as an asynchronous context manager ---- */

static int actx_enter(ringo_actx *m, intptr_t *as)
{
	ringo_timeout_actx *p = ringo__container_of(m, ringo_timeout_actx, actx);
	int r = ringo_timeout_enter_at(&p->scope, p->when);
	if (r < 0)
		return r;
	*as = (intptr_t)p->scope;
	return 0;
}

static int actx_exit(ringo_actx *m, int error)
{
	ringo_timeout_actx *p = ringo__container_of(m, ringo_timeout_actx, actx);
	intptr_t r = ringo_timeout_exit(p->scope, error);
	p->expired = ringo_timeout_expired(p->scope);
	ringo_timeout_destroy(p->scope);
	p->scope = NULL;
	return r == error ? 0 : (int)r;
}

ringo_actx *ringo_actx_timeout_at(ringo_timeout_actx *p, int64_t deadline_ns)
{
	if (!p)
		return NULL;
	p->actx.aenter = actx_enter;
	p->actx.aexit = actx_exit;
	p->when = deadline_ns;
	p->scope = NULL;
	p->expired = false;
	return &p->actx;
}

ringo_actx *ringo_actx_timeout(ringo_timeout_actx *p, int64_t delay_ns)
{
	return ringo_actx_timeout_at(p, deadline_after(delay_ns));
}

/* SPDX-License-Identifier: MIT */
/* Timers whose deadline moves cheaply: see lib/compose/timer.h.
 *
 * Two ops, each with at most one SQE in flight: the kernel timer (an
 * absolute IORING_OP_TIMEOUT expiring at armed_at) and the NOP that fires a
 * deadline already past. `when` is the deadline wanted; the kernel timer
 * may expire before it (the deadline moved later since): its CQE then
 * re-arms it for the remainder. A TIMEOUT_UPDATE pulls it earlier; the
 * update's own CQE is the ring's (user_data 0): -ENOENT there means the
 * timer had expired already, and its CQE decides. The memory lives until
 * the last CQE of both ops. */
#include <stdlib.h>

#include "core/internal.h"
#include "core/ring.h"
#include "compose/timer.h"

struct ringo__timer {
	struct ringo__op kernel;   /* IORING_OP_TIMEOUT at armed_at */
	struct ringo__op soon;     /* NOP for a deadline already past */
	struct ringo__resource res; /* registered while kernel is armed */
	struct ringo_loop *loop;
	void (*fn)(void *arg);
	void *arg;
	int64_t when;              /* the deadline, RINGO_NO_TIMEOUT: stopped */
	int64_t armed_at;          /* kernel's expiry while armed */
	bool removing;             /* a TIMEOUT_REMOVE aimed at kernel is in flight */
	bool destroyed;
};

static void release_if_idle(struct ringo__timer *t)
{
	if (t->destroyed && !t->kernel.armed && !t->soon.armed)
		free(t);
}

/* Runs fn if the deadline has passed; the timer is then stopped. */
static bool fire_if_due(struct ringo__timer *t)
{
	if (t->when == RINGO_NO_TIMEOUT || t->when > ringo_time())
		return false;
	t->when = RINGO_NO_TIMEOUT;
	t->fn(t->arg);
	return true;
}

static void on_kernel(struct ringo__op *op, int res, uint32_t flags);

static void arm(struct ringo__timer *t, int64_t when)
{
	ringo__op_arm(t->loop, &t->kernel, on_kernel);
	ringo__ring_timeout(t->loop->ring, &t->kernel, when, true);
	t->armed_at = when;
	ringo__list_remove(&t->res.node);
	ringo__resource_add(t->loop, &t->res);
}

static void remove_kernel(struct ringo__timer *t)
{
	if (t->kernel.armed && !t->removing) {
		ringo__ring_timeout_remove(t->loop->ring, &t->kernel);
		t->removing = true;
	}
}

/* The kernel timer's CQE: expired (-ETIME), removed (-ECANCELED) or, on
 * very old kernels, 0. Whatever the cause, the deadline decides. */
static void on_kernel(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	struct ringo__timer *t = ringo__container_of(op, struct ringo__timer, kernel);
	t->removing = false;
	ringo__resource_remove(&t->res);
	if (t->destroyed) {
		release_if_idle(t);
		return;
	}
	if (t->when == RINGO_NO_TIMEOUT || fire_if_due(t))
		return;
	/* Early: the deadline moved later since, or the timer was removed
	 * to be set earlier on a kernel without TIMEOUT_UPDATE. */
	if (!t->kernel.armed)
		arm(t, t->when);
}

static void on_soon(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	struct ringo__timer *t = ringo__container_of(op, struct ringo__timer, soon);
	if (t->destroyed) {
		release_if_idle(t);
		return;
	}
	fire_if_due(t);
}

static void on_shutdown(struct ringo__resource *res)
{
	struct ringo__timer *t = ringo__container_of(res, struct ringo__timer, res);
	t->when = RINGO_NO_TIMEOUT;
	remove_kernel(t);
}

int ringo__timer_create(void (*fn)(void *arg), void *arg, struct ringo__timer **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	if (!fn)
		return -EINVAL;
	struct ringo__timer *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->fn = fn;
	t->arg = arg;
	t->when = RINGO_NO_TIMEOUT;
	ringo__list_init(&t->res.node);
	t->res.shutdown = on_shutdown;
	*out = t;
	return 0;
}

void ringo__timer_set(struct ringo__timer *t, int64_t when)
{
	t->when = when;
	/* The common move, a deadline pushed back: a store. Even if armed_at
	 * has passed, the kernel timer's CQE is on its way and decides. */
	if (t->kernel.armed && !t->removing && when >= t->armed_at && when != RINGO_NO_TIMEOUT)
		return;
	if (when == RINGO_NO_TIMEOUT) {
		remove_kernel(t);
		return;
	}
	if (when <= ringo_time()) {
		if (!t->soon.armed) {
			ringo__op_arm(t->loop, &t->soon, on_soon);
			ringo__ring_nop(t->loop->ring, &t->soon);
		}
		return;
	}
	if (!t->kernel.armed) {
		arm(t, when);
	} else if (when < t->armed_at && !t->removing) {
		/* One SQE, no new timer, no memory. Without TIMEOUT_UPDATE:
		 * remove, and the removed timer's CQE re-arms at `when`. */
		if (ringo__ring_has_timeout_update(t->loop->ring)) {
			ringo__ring_timeout_update(t->loop->ring, &t->kernel, when);
			t->armed_at = when;
		} else {
			remove_kernel(t);
		}
	}
	/* Later than armed_at, or a remove in flight: the kernel timer's CQE
	 * re-arms for the remainder. */
}

int64_t ringo__timer_when(const struct ringo__timer *t)
{
	return t->when;
}

void ringo__timer_destroy(struct ringo__timer *t)
{
	if (!t)
		return;
	t->destroyed = true;
	t->when = RINGO_NO_TIMEOUT;
	remove_kernel(t);
	if (!t->kernel.armed)
		ringo__resource_remove(&t->res);
	release_if_idle(t);
}

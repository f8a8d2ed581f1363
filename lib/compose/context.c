/* SPDX-License-Identifier: MIT */
/* Asynchronous context managers: entering, leaving with the body's outcome,
 * and the enter/leave pair adapters (also for the primitives of sync.h,
 * through their public functions only). */
#include "core/internal.h"

int ringo_actx_enter(ringo_actx *m, intptr_t *as)
{
	if (!m || !m->aenter || !m->aexit || !as)
		return -EINVAL;
	*as = 0;
	int r = m->aenter(m, as);
	return r < 0 ? r : 0;
}

intptr_t ringo_actx_exit(ringo_actx *m, intptr_t result)
{
	if (!m || !m->aexit)
		return -EINVAL;
	int r = m->aexit(m, result < 0 ? (int)result : 0);
	if (r < 0)
		return r;
	if (r > 0 && result < 0)
		return 0;
	return result;
}

intptr_t ringo_async_with(ringo_actx *m, intptr_t (*body)(intptr_t as, void *arg), void *arg)
{
	if (!body)
		return -EINVAL;
	intptr_t as;
	int r = ringo_actx_enter(m, &as);
	if (r < 0)
		return r;
	return ringo_actx_exit(m, body(as, arg));
}

static int pair_enter(ringo_actx *m, intptr_t *as)
{
	ringo_actx_pair *p = ringo__container_of(m, ringo_actx_pair, actx);
	int r = p->enter(p->obj);
	if (r < 0)
		return r;
	*as = r;
	return 0;
}

static int pair_exit(ringo_actx *m, int error)
{
	(void)error;
	ringo_actx_pair *p = ringo__container_of(m, ringo_actx_pair, actx);
	int r = p->leave ? p->leave(p->obj) : 0;
	return r < 0 ? r : 0;
}

ringo_actx *ringo_actx_from(ringo_actx_pair *p, int (*enter)(void *obj),
			    int (*leave)(void *obj), void *obj)
{
	if (!p || !enter)
		return NULL;
	p->actx.aenter = pair_enter;
	p->actx.aexit = pair_exit;
	p->enter = enter;
	p->leave = leave;
	p->obj = obj;
	return &p->actx;
}

/* Typed wrappers: calling ringo_lock_acquire through an int (*)(void *)
 * would be undefined behaviour. */
static int lock_enter(void *o) { return ringo_lock_acquire(o); }
static int lock_leave(void *o) { return ringo_lock_release(o); }
static int semaphore_enter(void *o) { return ringo_semaphore_acquire(o); }
static int semaphore_leave(void *o) { return ringo_semaphore_release(o); }
static int condition_enter(void *o) { return ringo_condition_acquire(o); }
static int condition_leave(void *o) { return ringo_condition_release(o); }
static int barrier_enter(void *o) { return ringo_barrier_wait(o); }
static int barrier_leave(void *o) { return ringo_barrier_release(o); }

ringo_actx *ringo_actx_lock(ringo_actx_pair *p, ringo_lock *lock)
{
	return lock ? ringo_actx_from(p, lock_enter, lock_leave, lock) : NULL;
}

ringo_actx *ringo_actx_semaphore(ringo_actx_pair *p, ringo_semaphore *sem)
{
	return sem ? ringo_actx_from(p, semaphore_enter, semaphore_leave, sem) : NULL;
}

ringo_actx *ringo_actx_condition(ringo_actx_pair *p, ringo_condition *cond)
{
	return cond ? ringo_actx_from(p, condition_enter, condition_leave, cond) : NULL;
}

ringo_actx *ringo_actx_barrier(ringo_actx_pair *p, ringo_barrier *barrier)
{
	return barrier ? ringo_actx_from(p, barrier_enter, barrier_leave, barrier) : NULL;
}

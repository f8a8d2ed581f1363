/* SPDX-License-Identifier: MIT */
/* ringo — asynchronous context managers (asyncio's async with,
 * __aenter__/__aexit__).
 * Included by <ringo.h>; do not include directly. */
#ifndef RINGO_CONTEXT_H
#define RINGO_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The asynchronous context manager protocol. A manager embeds (usually as
 * its first member) a ringo_actx:
 *   aenter enters the context; it may suspend. It returns 0, after storing
 *   the value of `as` in *as (never NULL; it holds 0 on entry), or a
 *   negative errno: then the body does not run and aexit is not called.
 *   aexit leaves it; it may suspend (also while a cancellation is being
 *   handled: the -ECANCELED was delivered, so its awaits work unless the
 *   task is cancelled again). error is 0 when the body succeeded, else its
 *   negative errno (-ECANCELED for a cancellation). aexit returns
 *     0:   let the body's outcome through unchanged;
 *     > 0: suppress the body's error (the outcome becomes 0; a suppressed
 *          -ECANCELED lets the task go on and finish normally);
 *     < 0: that error replaces the body's outcome (asyncio: an exception
 *          raised in __aexit__ replaces the body's).
 *   Neither function touches the task's cancelling() count: a manager that
 *   suppresses a cancellation it requested itself (a timeout) withdraws it
 *   with ringo_task_uncancel(), as asyncio.timeout does; one that suppresses
 *   a foreign cancellation leaves the count up, as asyncio does. */
typedef struct ringo_actx ringo_actx;
struct ringo_actx {
	int (*aenter)(ringo_actx *m, intptr_t *as);
	int (*aexit)(ringo_actx *m, int error);
};

/* Enters m: calls m->aenter with *as set to 0 first. Returns 0 or aenter's
 * error (the context is then not entered). May suspend. -EINVAL if m, its
 * functions or as is NULL. */
int ringo_actx_enter(ringo_actx *m, intptr_t *as);

/* Leaves m, entered by ringo_actx_enter, with the body's outcome result (a
 * value >= 0, or a negative errno): calls m->aexit(m, result < 0 ? result :
 * 0) and returns the outcome it decides: its error if it returns one, 0 if
 * it suppresses an error, otherwise result unchanged (values pass through).
 * May suspend. -EINVAL for NULL. */
intptr_t ringo_actx_exit(ringo_actx *m, intptr_t result);

/* async with, the function form: enters m, runs body(as, arg), leaves m with
 * its result, and returns the outcome (see ringo_actx_exit), or aenter's
 * error if entering failed (body did not run). May suspend. -EINVAL for
 * NULL m or body. */
intptr_t ringo_async_with(ringo_actx *m, intptr_t (*body)(intptr_t as, void *arg), void *arg);

/* async with, the block form (GNU C: the cleanup attribute):
 *
 *	intptr_t as;
 *	int err;
 *	RINGO_ASYNC_WITH(m, as, err) {
 *		... the body: as holds what aenter gave; err is 0 ...
 *		if (ringo_sleep(RINGO_SEC(1)) < 0) { err = -ECANCELED; break; }
 *	}
 *	... err: aenter's error, or the outcome after aexit ...
 *
 * m is a ringo_actx * (evaluated once), as an intptr_t lvalue, err an int
 * lvalue. The body reports an error by setting err to a negative errno
 * before leaving; aexit receives err's value at the moment the block is
 * left, and err then holds the outcome aexit decided. aexit runs (and may
 * suspend) on every way out of the block: the end of the body, break or
 * continue (both leave the block itself, which is a one-pass loop: to leave
 * an enclosing loop use goto), goto out of the block, and return. Limits:
 *  - return: aexit runs and err is updated, but the value being returned
 *    was computed before, so aexit's replacement or suppression cannot
 *    change it; set err and break instead when the outcome matters;
 *  - longjmp out of the block, exit(), or a task abandoned at a deadlock
 *    run no aexit at all (C runs no cleanup for them).
 * Nested blocks leave their managers in reverse order, also on return or
 * goto through both. */
#define RINGO_ASYNC_WITH(m, as, err) RINGO__ASYNC_WITH((m), (as), (err), RINGO__WITH_NAME(__COUNTER__))

/* ---- implementation of RINGO_ASYNC_WITH; not API ---- */
struct ringo__with {
	ringo_actx *m;  /* entered: leave on the way out */
	int *err;
	bool run;       /* the body is still to run */
};

static inline void ringo__with_leave(struct ringo__with *w)
{
	if (w->m) {
		ringo_actx *m = w->m;
		w->m = NULL;
		*w->err = (int)ringo_actx_exit(m, *w->err);
	}
}

static inline struct ringo__with ringo__with_enter(ringo_actx *m, intptr_t *as, int *err)
{
	struct ringo__with w = { NULL, err, false };
	*err = ringo_actx_enter(m, as);
	if (*err == 0) {
		w.m = m;
		w.run = true;
	}
	return w;
}

#define RINGO__WITH_CAT(a, b) a##b
#define RINGO__WITH_NAME(n) RINGO__WITH_CAT(ringo__with_, n)
#define RINGO__ASYNC_WITH(m, as, err, w)                                              \
	for (struct ringo__with w __attribute__((cleanup(ringo__with_leave))) =        \
		     ringo__with_enter(m, &as, &err);                                  \
	     w.run; w.run = false)

/* ---- an adapter for plain enter/leave pairs (locks, semaphores) ---- */

/* A manager made of two plain functions on one object: aenter calls
 * enter(obj), which returns a value >= 0 that becomes `as` (0 for a lock,
 * asyncio's None; the arrival index for a barrier) or a negative errno;
 * aexit calls leave(obj) and lets the body's outcome through, unless leave
 * fails, whose error then replaces it. enter may suspend. Do not cast
 * functions with other signatures to these types: wrap them, or use the
 * typed adapters below. Declare one where the block is; it holds no
 * resources and needs no release. */
typedef struct ringo_actx_pair {
	ringo_actx actx;
	int (*enter)(void *obj);
	int (*leave)(void *obj);
	void *obj;
} ringo_actx_pair;

/* Fills p and returns &p->actx, for RINGO_ASYNC_WITH or ringo_async_with.
 * leave may be NULL (nothing to undo). Returns NULL if p or enter is NULL.
 * Does not suspend. */
ringo_actx *ringo_actx_from(ringo_actx_pair *p, int (*enter)(void *obj),
			    int (*leave)(void *obj), void *obj);

/* The synchronization primitives of <ringo/sync.h> as managers (asyncio's
 * `async with lock:` etc.): ringo_actx_from(p, acquire, release, obj) with
 * their own acquire/release pair (a barrier: wait, giving the arrival index
 * as `as`, and nothing on leaving). Return &p->actx, or NULL if p or the
 * object is NULL. Do not suspend. */
ringo_actx *ringo_actx_lock(ringo_actx_pair *p, ringo_lock *lock);
ringo_actx *ringo_actx_semaphore(ringo_actx_pair *p, ringo_semaphore *sem);
ringo_actx *ringo_actx_condition(ringo_actx_pair *p, ringo_condition *cond);
ringo_actx *ringo_actx_barrier(ringo_actx_pair *p, ringo_barrier *barrier);

#ifdef __cplusplus
}
#endif

#endif

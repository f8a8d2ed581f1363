/* SPDX-License-Identifier: MIT */
/* ringo — composing tasks: wait, wait_for, timeout scopes, shield,
 * as_completed and task groups (asyncio.wait, wait_for, timeout, shield,
 * as_completed, TaskGroup).
 * Included by <ringo.h>; do not include directly. */
#ifndef RINGO_COMPOSE_H
#define RINGO_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * wait (asyncio.wait)
 * ------------------------------------------------------------------------ */

typedef enum ringo_wait_mode {
	RINGO_ALL_COMPLETED = 0,  /* every task is done */
	RINGO_FIRST_COMPLETED,    /* at least one task is done */
	RINGO_FIRST_EXCEPTION,    /* one task failed (an error other than
				     -ECANCELED), or every task is done */
} ringo_wait_mode;

/* Waits until the condition mode names holds for tasks[0..n), or until
 * timeout_ns nanoseconds have passed (RINGO_NO_TIMEOUT: no timeout; a value
 * <= 0 lets the loop run once, as asyncio's timeout=0 does). The timer is an
 * IORING_OP_TIMEOUT. If done is not NULL, done[i] is set to whether tasks[i]
 * is done. Returns the number of done tasks (0 only on a timeout); read
 * each result with ringo_task_result(). It never returns a child's error and
 * never cancels a child, also not on a timeout or when the waiting task is
 * cancelled: then it returns -ECANCELED at once (done is still filled).
 * Returns without suspending if the condition already holds. The caller
 * keeps ownership of the tasks. May suspend. Errors: -EINVAL (n == 0, NULL
 * tasks or child, bad mode), -EPERM (not in a task), -ECANCELED, -ENOMEM. */
int ringo_wait(ringo_task *const *tasks, size_t n, ringo_wait_mode mode,
	       int64_t timeout_ns, bool *done);

/* ------------------------------------------------------------------------
 * wait_for (asyncio.wait_for)
 * ------------------------------------------------------------------------ */

/* Waits for t at most timeout_ns nanoseconds (RINGO_NO_TIMEOUT: no limit)
 * and returns its result (value or error). If t is already done, returns
 * its result at once, without suspending. On a timeout it cancels t, waits
 * until t has finished (its cleanup may await), and returns -ETIMEDOUT if t
 * ended cancelled, or t's result if t suppressed the cancellation. A
 * timeout_ns <= 0 cancels t at once (a task that has not started never runs
 * its body). Cancelling the calling task (also a cancellation pending when
 * wait_for is called) cancels t; wait_for then returns once t has finished,
 * with -ECANCELED if t ended cancelled (t's value if it suppressed it).
 * Except for the argument errors, t is done when wait_for returns.
 * May suspend. Errors: -EINVAL (NULL), -EDEADLK (t is the calling task),
 * -EPERM (not in a task), -ENOMEM. */
intptr_t ringo_wait_for(ringo_task *t, int64_t timeout_ns);

/* ------------------------------------------------------------------------
 * Timeout scopes (asyncio.timeout, asyncio.timeout_at)
 * ------------------------------------------------------------------------
 *
 *	ringo_timeout *to;
 *	int r = ringo_timeout_enter(&to, RINGO_SEC(1));
 *	if (r < 0) return r;
 *	r = body();                       // its awaits return -ECANCELED
 *	r = ringo_timeout_exit(to, r);    // ... turned into -ETIMEDOUT here
 *	bool late = ringo_timeout_expired(to);
 *	ringo_timeout_destroy(to);
 *
 * When the deadline passes, the scope cancels its task (ringo_task_cancel,
 * from the timer's CQE). At exit it turns only its own cancellation into
 * -ETIMEDOUT, as asyncio 3.12's Timeout does: if it expired, it withdraws
 * its request (ringo_task_uncancel), and if that brings the task's
 * cancelling() count back to the value it had at enter and the body's
 * result is -ECANCELED, exit returns -ETIMEDOUT. Otherwise the result
 * passes through unchanged: a foreign cancellation stays -ECANCELED, and in
 * nested scopes with the same deadline the inner one passes -ECANCELED on
 * and only the outer one reports -ETIMEDOUT. */
typedef struct ringo_timeout ringo_timeout;

/* Creates a scope for the calling task that expires delay_ns from now
 * (RINGO_NO_TIMEOUT: never; <= 0: at the loop's next turn) and enters it.
 * *out receives it; release it with ringo_timeout_destroy() after
 * ringo_timeout_exit(). Does not suspend. Returns 0, -EINVAL (NULL out),
 * -EPERM (not in a task), -ENOMEM. */
int ringo_timeout_enter(ringo_timeout **out, int64_t delay_ns);

/* As ringo_timeout_enter, with an absolute deadline on ringo_time()'s clock
 * (RINGO_NO_TIMEOUT: never). */
int ringo_timeout_enter_at(ringo_timeout **out, int64_t deadline_ns);

/* Leaves the scope: stops its timer and returns result, or -ETIMEDOUT if
 * result is -ECANCELED and the cancellation was the scope's own (see
 * above). Call it once, from the task that entered, with the body's result
 * (a value >= 0 or a negative errno). Does not suspend. -EINVAL for NULL or
 * a scope already exited. */
intptr_t ringo_timeout_exit(ringo_timeout *to, intptr_t result);

/* Moves the deadline to deadline_ns (absolute; RINGO_NO_TIMEOUT: never; a
 * time already past expires the scope at the loop's next turn). Cheap: no
 * allocation and no new kernel timer; a later deadline is a store (the
 * armed IORING_OP_TIMEOUT re-arms for the remainder when it expires), an
 * earlier one a single IORING_TIMEOUT_UPDATE SQE. Returns 0,
 * or -EINVAL for NULL or a scope that is no longer running (it expired or
 * was exited), as asyncio raises RuntimeError. Does not suspend. */
int ringo_timeout_reschedule(ringo_timeout *to, int64_t deadline_ns);

/* The deadline (RINGO_NO_TIMEOUT: none). */
int64_t ringo_timeout_when(const ringo_timeout *to);

/* True once the deadline has passed and the scope cancelled its task (also
 * after exit). */
bool ringo_timeout_expired(const ringo_timeout *to);

/* Frees the scope. A scope not exited yet has its timer stopped (a
 * cancellation it already requested stays). Accepts NULL. */
void ringo_timeout_destroy(ringo_timeout *to);

/* A timeout scope as an asynchronous context manager (<ringo/context.h>),
 * for RINGO_ASYNC_WITH or ringo_async_with: `async with timeout(delay)`.
 *
 *	ringo_timeout_actx tm;
 *	intptr_t as;
 *	int err;
 *	RINGO_ASYNC_WITH(ringo_actx_timeout(&tm, RINGO_SEC(1)), as, err) {
 *		... (ringo_timeout *)as is the running scope ...
 *	}
 *	... err is -ETIMEDOUT if the scope's own cancellation ended the body;
 *	    tm.expired tells whether it expired ...
 *
 * aenter enters a scope (as holds it, for reschedule); aexit exits and
 * destroys it, replacing the body's -ECANCELED with -ETIMEDOUT as
 * ringo_timeout_exit decides. Fields: when is the deadline, fixed when the
 * manager is made (as asyncio.timeout computes it); expired is set by
 * aexit; scope is the running scope inside the block, NULL outside. Holds
 * no resources outside the block and needs no release. */
typedef struct ringo_timeout_actx {
	ringo_actx actx;
	int64_t when;
	ringo_timeout *scope;
	bool expired;
} ringo_timeout_actx;

/* Fill p for a deadline delay_ns from now (RINGO_NO_TIMEOUT: none) or at
 * deadline_ns, and return &p->actx; NULL if p is NULL. Do not suspend. */
ringo_actx *ringo_actx_timeout(ringo_timeout_actx *p, int64_t delay_ns);
ringo_actx *ringo_actx_timeout_at(ringo_timeout_actx *p, int64_t deadline_ns);

/* ------------------------------------------------------------------------
 * shield (asyncio.shield)
 * ------------------------------------------------------------------------ */

/* Waits for t and returns its result, like ringo_task_await, except that
 * cancelling the calling task does not cancel t: shield returns -ECANCELED
 * at once and t keeps running. If t itself is cancelled, returns
 * -ECANCELED. Returns at once if t is done. The caller keeps its reference
 * to t. May suspend. Errors: -EINVAL, -EDEADLK, -EPERM, -ECANCELED. */
intptr_t ringo_shield(ringo_task *t);

/* ------------------------------------------------------------------------
 * as_completed (asyncio.as_completed)
 * ------------------------------------------------------------------------ */

typedef struct ringo_as_completed ringo_as_completed;

/* Starts watching tasks[0..n) (it takes its own references; n may be 0)
 * with an overall timeout of timeout_ns from now (RINGO_NO_TIMEOUT: none),
 * measured by an IORING_OP_TIMEOUT. *out receives the iterator; release it
 * with ringo_as_completed_destroy(). Does not suspend. Returns 0, -EINVAL,
 * -EPERM (no running loop), -ENOMEM. */
int ringo_as_completed_create(ringo_as_completed **out, ringo_task *const *tasks,
			      size_t n, int64_t timeout_ns);

/* Waits for the next task to complete, in completion order, and stores it
 * in *task (borrowed: valid while the iterator lives). Returns 1 with a
 * task, 0 once every task has been returned, or -ETIMEDOUT once the
 * timeout has passed: one -ETIMEDOUT for each task not yet returned (tasks
 * that completed before the timeout are returned first), then 0. Never
 * returns or raises a task's own error: read it with ringo_task_result().
 * Cancelling the caller returns -ECANCELED, consumes nothing and cancels no
 * task. Does not suspend when a completed task is ready. May suspend.
 * Errors also: -EINVAL, -EPERM, -EBUSY (another task already waits in
 * next), -ESHUTDOWN (ac was destroyed while this call waited). */
int ringo_as_completed_next(ringo_as_completed *ac, ringo_task **task);

/* The same iterator as a ringo_aiter (see <ringo/iter.h>): anext is
 * ringo_as_completed_next with the task as the item ((intptr_t)task);
 * aclose stops watching and makes later anext calls return 0. The pointer
 * is valid while ac lives; it does not own ac. */
ringo_aiter *ringo_as_completed_aiter(ringo_as_completed *ac);

/* Releases the iterator and its task references (tasks keep running). A
 * task waiting in ringo_as_completed_next leaves it with -ESHUTDOWN (the
 * memory goes once it has). Accepts NULL. Does not suspend. */
void ringo_as_completed_destroy(ringo_as_completed *ac);

/* ------------------------------------------------------------------------
 * Task groups (asyncio.TaskGroup)
 * ------------------------------------------------------------------------
 *
 *	ringo_taskgroup *g;
 *	int r = ringo_taskgroup_enter(&g);
 *	if (r < 0) return r;
 *	r = ringo_taskgroup_spawn(g, child, arg, NULL, NULL);
 *	...                                   // the body; it may await
 *	r = ringo_taskgroup_exit(g, r);       // waits for every child
 *	if (r < 0 && r != -ECANCELED) read ringo_taskgroup_errors(g, &n);
 *	ringo_taskgroup_destroy(g);
 *
 * When a child fails (ends with an error other than -ECANCELED), the group
 * cancels its other children and, while the body runs, the task that
 * entered it (the parent); exit then withdraws that request with
 * ringo_task_uncancel, so the parent's cancelling() count is as before.
 * An outside cancellation of the parent (the body gets -ECANCELED and
 * passes it to exit, or it arrives while exit waits) cancels the children,
 * and exit returns -ECANCELED once they have finished — unless some child
 * failed, whose errors take priority, as in asyncio. */
typedef struct ringo_taskgroup ringo_taskgroup;

/* One failure: the task and its error (asyncio's ExceptionGroup member).
 * The body's own error, when it is not -ECANCELED, is reported last with
 * task set to the parent. task is borrowed from the group. */
typedef struct ringo_taskgroup_error {
	ringo_task *task;
	int error;
} ringo_taskgroup_error;

/* Creates a group owned by the calling task and enters it. *out receives
 * it; release it with ringo_taskgroup_destroy() after ringo_taskgroup_exit().
 * Does not suspend. Returns 0, -EINVAL, -EPERM (not in a task), -ENOMEM. */
int ringo_taskgroup_enter(ringo_taskgroup **out);

/* Creates a child task fn(arg) in the group (as ringo_task_create; opts
 * may be NULL; out, if not NULL, receives a reference for the caller). May
 * be called from any task of the loop, also while exit waits. Does not
 * suspend. Returns 0, -EINVAL, -ENOMEM, or -ESHUTDOWN if the group is
 * finished (exited) or shutting down (a child failed or the parent was
 * cancelled), as asyncio raises RuntimeError. */
int ringo_taskgroup_spawn(ringo_taskgroup *g, ringo_task_fn fn, void *arg,
			  const ringo_task_opts *opts, ringo_task **out);

/* Leaves the group: body_result is the body's result (a value >= 0 or a
 * negative errno). A body error cancels the children. Waits until every
 * child is done, then returns: the first error of ringo_taskgroup_errors()
 * if any child failed (or the body failed with an error other than
 * -ECANCELED); else -ECANCELED if the parent was cancelled from outside;
 * else body_result. Call it once, from the parent. May suspend; it is not
 * interrupted by a cancellation (it cancels the children and keeps
 * waiting). -EINVAL for NULL, a group already exited, or another caller
 * than the parent. */
intptr_t ringo_taskgroup_exit(ringo_taskgroup *g, intptr_t body_result);

/* Every failure so far, in the order the children finished (the body's
 * last); *count receives how many. The array belongs to the group and is
 * valid until the next spawn, exit or destroy. count may be NULL. */
const ringo_taskgroup_error *ringo_taskgroup_errors(const ringo_taskgroup *g,
						   size_t *count);

/* Frees the group and its references. Destroying a group that was not
 * exited cancels its children and stops watching them. Accepts NULL. */
void ringo_taskgroup_destroy(ringo_taskgroup *g);

/* A task group as an asynchronous context manager (<ringo/context.h>):
 * `async with TaskGroup() as g`.
 *
 *	ringo_taskgroup_actx tg;
 *	intptr_t as;
 *	int err;
 *	RINGO_ASYNC_WITH(ringo_actx_taskgroup(&tg), as, err) {
 *		ringo_taskgroup_spawn((ringo_taskgroup *)as, child, NULL, NULL, NULL);
 *	}
 *	... err is what ringo_taskgroup_exit returned (0 for a value) ...
 *	ringo_taskgroup_destroy(tg.group);  // after reading its errors
 *
 * aenter enters a new group (as holds it, and so does p->group); aexit
 * exits it with the body's error and returns exit's error when it differs
 * from the body's. The group outlives the block so that its errors can be
 * read: release p->group with ringo_taskgroup_destroy() (if aenter failed
 * it is NULL). */
typedef struct ringo_taskgroup_actx {
	ringo_actx actx;
	ringo_taskgroup *group;
} ringo_taskgroup_actx;

/* Fills p and returns &p->actx; NULL if p is NULL. Does not suspend. */
ringo_actx *ringo_actx_taskgroup(ringo_taskgroup_actx *p);

#ifdef __cplusplus
}
#endif

#endif

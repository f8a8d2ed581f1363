/* SPDX-License-Identifier: MIT */
/* ringo — synchronization primitives (asyncio's Lock, Event, Condition,
 * Semaphore, BoundedSemaphore and Barrier).
 * Included by <ringo.h>; do not include directly.
 *
 * Common rules
 *  - Handles are opaque and heap-allocated. ringo_X_create() stores a new
 *    object in *out (caller-owned) and returns 0, -EINVAL or -ENOMEM; it
 *    needs no running loop. ringo_X_destroy() frees it and returns 0, or
 *    -EBUSY (and frees nothing) while a task is queued on it, or has been
 *    handed the lock or a permit and not resumed yet; NULL is a no-op
 *    returning 0. An object must only be used by one loop at a time.
 *  - Not thread-safe. A lock, an event or a semaphore belongs to the thread
 *    of the loop that created it (made outside any loop: of the first loop
 *    that uses it); its calls on another loop's thread return -EXDEV and
 *    change nothing (ringo_lock_acquire/_try_acquire/_release,
 *    ringo_event_wait/_set/_clear, ringo_semaphore_acquire/_try_acquire/
 *    _release, ringo_condition_wait/_wait_for/_notify/_notify_all,
 *    ringo_barrier_wait/_abort/_reset). Between loops use a ringo_channel, or
 *    ringo_call_soon_threadsafe to run the call on the owner's loop.
 *  - Waiters are served in FIFO order, and without barging: a release hands
 *    the lock (or permit) directly to the first queued task, which owns it
 *    from that moment even though it only runs once its wake-up NOP
 *    completes; a task that arrives in between queues behind.
 *  - An await that can be satisfied at once (a free lock, a set event, a
 *    permit available) returns without suspending, and so, like asyncio,
 *    does not deliver a pending cancellation. Otherwise a pending
 *    cancellation is delivered (-ECANCELED) instead of waiting.
 *  - Cancelling a queued task removes it from the queue and its call
 *    returns -ECANCELED. Cancelling a task that has already been woken (it
 *    was handed the lock, a permit, the event, its barrier index) does not
 *    take that away: the call returns its real result and -ECANCELED comes
 *    at the task's next await. So a cancelled waiter never strands a lock
 *    or a permit: either it never got it, or it got it and must release it.
 *  - Calls that may suspend must be made from a task: -EPERM elsewhere.
 *    Calls that do not suspend (release, set, notify, ...) may also be made
 *    from callbacks; they only queue wake-ups, never run another task.
 *  - Lock, Condition and Semaphore have an acquire/release pair with the
 *    signatures int ringo_X_acquire(ringo_X *) and int ringo_X_release(
 *    ringo_X *), for the `async with` form of <ringo/context.h>. Barrier's
 *    pair is wait (returning the arrival index) and a no-op, as asyncio's
 *    `async with barrier as index`.
 */
#ifndef RINGO_SYNC_H
#define RINGO_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Lock (asyncio.Lock): a mutual exclusion lock, not owned by a task (any
 * task or callback may release it, as in asyncio).
 * ------------------------------------------------------------------------ */

typedef struct ringo_lock ringo_lock;

/* Creates an unlocked lock; release it with ringo_lock_destroy(). */
int ringo_lock_create(ringo_lock **out);
/* Frees the lock: 0, or -EBUSY while tasks are queued on it or one handed
 * the lock has not resumed yet. Destroying a
 * lock that is held (with nobody queued) is allowed: the holder must not
 * touch it afterwards. */
int ringo_lock_destroy(ringo_lock *lock);

/* Acquires the lock, waiting in FIFO order behind earlier waiters if it is
 * held. Returns 0 once the caller holds it, -ECANCELED if the task was
 * cancelled while queued (it does not hold the lock), -EPERM outside a
 * task, -EINVAL for NULL. May suspend. */
int ringo_lock_acquire(ringo_lock *lock);
/* Takes the lock if it is free: 0, or -EBUSY if it is held (or handed to a
 * woken waiter), -EINVAL. Never suspends; usable anywhere. */
int ringo_lock_try_acquire(ringo_lock *lock);
/* Releases the lock: if tasks are queued, the first one now holds it and
 * is woken through the ring; otherwise the lock becomes free. Returns 0,
 * -EPERM if the lock is not held (asyncio's RuntimeError), -EINVAL. Does
 * not suspend. */
int ringo_lock_release(ringo_lock *lock);
/* True while the lock is held (including handed to a woken waiter). */
bool ringo_lock_locked(const ringo_lock *lock);

/* ------------------------------------------------------------------------
 * Event (asyncio.Event)
 * ------------------------------------------------------------------------ */

typedef struct ringo_event ringo_event;

/* Creates a clear event; release it with ringo_event_destroy(). */
int ringo_event_create(ringo_event **out);
/* Frees the event: 0, or -EBUSY while tasks wait on it. */
int ringo_event_destroy(ringo_event *ev);

/* Waits until the event is set. Returns 1 (asyncio's True) at once if it
 * is set; otherwise suspends and returns 1 once set() wakes it, even if
 * the event was cleared again before the task ran. -ECANCELED if cancelled
 * while waiting, -EPERM outside a task, -EINVAL. May suspend. */
int ringo_event_wait(ringo_event *ev);
/* Sets the event and wakes every waiter (in the order they started
 * waiting). Setting a set event does nothing. Returns 0 or -EINVAL. Does
 * not suspend. */
int ringo_event_set(ringo_event *ev);
/* Clears the event: later waits suspend until the next set(). Returns 0 or
 * -EINVAL. */
int ringo_event_clear(ringo_event *ev);
/* True if the event is set (false for NULL). */
bool ringo_event_is_set(const ringo_event *ev);

/* ------------------------------------------------------------------------
 * Condition (asyncio.Condition): waiting for a notification while holding
 * a lock.
 * ------------------------------------------------------------------------ */

typedef struct ringo_condition ringo_condition;

/* Creates a condition on lock, which the caller keeps alive longer than
 * the condition (several conditions may share one lock), or, if lock is
 * NULL, on a lock of its own. Release it with ringo_condition_destroy(). */
int ringo_condition_create(ringo_condition **out, ringo_lock *lock);
/* Frees the condition (and its own lock, not a borrowed one): 0, or -EBUSY
 * while a task is inside ringo_condition_wait() (waiting, or notified and
 * not yet back with the lock) or queued on its own lock. */
int ringo_condition_destroy(ringo_condition *cond);
/* The condition's lock (borrowed; NULL for NULL). */
ringo_lock *ringo_condition_lock(const ringo_condition *cond);

/* ringo_lock_acquire/release/locked on the condition's lock. */
int ringo_condition_acquire(ringo_condition *cond);
int ringo_condition_release(ringo_condition *cond);
bool ringo_condition_locked(const ringo_condition *cond);

/* Releases the lock, waits to be notified, then re-acquires the lock
 * (queueing FIFO behind its other waiters) before returning: the caller
 * holds the lock again on every return except -EPERM/-EINVAL.
 * Returns 1 when notified (asyncio's True); -ECANCELED if cancelled while
 * waiting for the notification, the lock re-acquired all the same (the
 * re-acquisition itself cannot be cancelled: a cancel that arrives during
 * it is delivered by this call if it was already returning -ECANCELED,
 * otherwise at the next await). A task notified and then cancelled before
 * it ran keeps its notification (returns 1) and gets -ECANCELED at its
 * next await. A cancellation pending on entry is delivered at once
 * (-ECANCELED), without releasing the lock. -EPERM if the lock is not held
 * or outside a task; -EINVAL. May suspend. */
int ringo_condition_wait(ringo_condition *cond);
/* Waits until pred(arg) is true: evaluates it first and after every
 * notification, always with the lock held. Returns 1 once it is true, or
 * the error of ringo_condition_wait (the lock held again, as there).
 * -EPERM if the lock is not held; -EINVAL for NULL cond or pred. May
 * suspend. */
int ringo_condition_wait_for(ringo_condition *cond, bool (*pred)(void *arg), void *arg);
/* Wakes up to n waiters, the longest-waiting first. The caller must hold
 * the lock (asyncio's rule); the woken tasks re-acquire it after the
 * caller releases it. Returns how many were woken, -EPERM if the lock is
 * not held, -EINVAL (NULL, n < 0). Does not suspend. */
int ringo_condition_notify(ringo_condition *cond, int n);
/* Wakes every waiter; as ringo_condition_notify otherwise. */
int ringo_condition_notify_all(ringo_condition *cond);

/* ------------------------------------------------------------------------
 * Semaphore and BoundedSemaphore (asyncio.Semaphore, BoundedSemaphore)
 * ------------------------------------------------------------------------ */

typedef struct ringo_semaphore ringo_semaphore;

/* Creates a semaphore holding value permits (0 <= value; -EINVAL
 * otherwise). A bounded semaphore refuses a release that would take it
 * above its initial value. Release either with ringo_semaphore_destroy(). */
int ringo_semaphore_create(ringo_semaphore **out, int value);
int ringo_semaphore_create_bounded(ringo_semaphore **out, int value);
/* Frees the semaphore: 0, or -EBUSY while tasks are queued on it or one
 * handed a permit has not resumed yet. */
int ringo_semaphore_destroy(ringo_semaphore *sem);

/* Takes a permit, waiting FIFO if there is none. Returns 0, -ECANCELED if
 * cancelled while queued (no permit taken), -EPERM outside a task,
 * -EINVAL. May suspend. */
int ringo_semaphore_acquire(ringo_semaphore *sem);
/* Takes a permit if one is free: 0, or -EBUSY, -EINVAL. Never suspends. */
int ringo_semaphore_try_acquire(ringo_semaphore *sem);
/* Gives a permit back: to the first queued task if any (woken through the
 * ring), otherwise to the count. Returns 0; -EOVERFLOW for a bounded
 * semaphore already at its initial value (asyncio's ValueError "released
 * too many times"), or for a count at INT_MAX; -EINVAL. Does not suspend. */
int ringo_semaphore_release(ringo_semaphore *sem);
/* True if no permit is free (acquire would suspend). */
bool ringo_semaphore_locked(const ringo_semaphore *sem);
/* The number of free permits (-EINVAL for NULL). */
int ringo_semaphore_value(const ringo_semaphore *sem);

/* ------------------------------------------------------------------------
 * Barrier (asyncio.Barrier)
 * ------------------------------------------------------------------------ */

typedef struct ringo_barrier ringo_barrier;

/* Creates a barrier for parties tasks (parties >= 1; -EINVAL otherwise).
 * Release it with ringo_barrier_destroy(). */
int ringo_barrier_create(ringo_barrier **out, int parties);
/* Frees the barrier: 0, or -EBUSY while tasks wait in it. */
int ringo_barrier_destroy(ringo_barrier *b);

/* Waits until parties tasks are waiting, then returns this task's arrival
 * index, 0 for the first to arrive and parties - 1 for the last (which
 * does not suspend); the barrier is then empty again for the next cycle.
 * Indices are unique in a cycle: if a waiter leaves (cancelled), those
 * that arrived after it move up one place. Returns -EPIPE (asyncio's
 * BrokenBarrierError) if the barrier is broken, or becomes broken or is
 * reset while the task waits; -ECANCELED if cancelled while waiting (it
 * leaves the barrier: the count drops by one); -EPERM outside a task;
 * -EINVAL. May suspend. */
int ringo_barrier_wait(ringo_barrier *b);
/* Breaks the barrier: every waiter returns -EPIPE, and so does every later
 * wait until ringo_barrier_reset(). Returns 0 or -EINVAL. Does not
 * suspend. */
int ringo_barrier_abort(ringo_barrier *b);
/* Returns the barrier to its empty, unbroken state; the tasks waiting in
 * it return -EPIPE. Returns 0 or -EINVAL. Does not suspend. */
int ringo_barrier_reset(ringo_barrier *b);
/* The number of parties (-EINVAL for NULL). */
int ringo_barrier_parties(const ringo_barrier *b);
/* The number of tasks waiting in the current cycle (-EINVAL for NULL). */
int ringo_barrier_n_waiting(const ringo_barrier *b);
/* True if the barrier is broken (aborted and not reset). */
bool ringo_barrier_broken(const ringo_barrier *b);

/* The `async with` pair: acquire is ringo_barrier_wait (its result is the
 * index, >= 0), release does nothing and returns 0 (-EINVAL for NULL). */
int ringo_barrier_acquire(ringo_barrier *b);
int ringo_barrier_release(ringo_barrier *b);

#ifdef __cplusplus
}
#endif

#endif

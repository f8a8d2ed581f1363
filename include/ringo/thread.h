/* SPDX-License-Identifier: MIT */
/* ringo — one loop per thread, and what crosses between them: thread-safe
 * calls, loops run together on several threads (ringo_run_threads), results
 * awaited across loops (ringo_xfuture) and channels between loops
 * (ringo_channel). Included by <ringo.h>.
 *
 * A loop still belongs to its thread: no ringo object becomes thread-safe.
 * What crosses threads is a message: it goes into the target loop's
 * mailbox, and the loop is woken by a CQE that another ring posts into its
 * ring with IORING_OP_MSG_RING (from the sender loop's own ring, or, on a
 * plain thread, from a small ring of that thread's), so that in the target,
 * too, every wake-up is a CQE. Messages from one sender arrive in the order
 * they were sent.
 *
 * Thread-safe (callable from any thread, a loop's or a plain one): the
 * functions marked "Thread-safe" below. Everything else follows the rule of
 * <ringo.h>: only from the loop's own thread; where checking is cheap, a
 * ringo object used from another loop's thread answers -EXDEV.
 */
#ifndef RINGO_THREAD_H
#define RINGO_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A loop as other threads see it: its mailbox. The handle stays valid while
 * a reference is held, also after the loop has ended (calls then return
 * -EPIPE). */
typedef struct ringo_mailbox ringo_loop;

/* The running loop on this thread, borrowed: valid until that loop ends
 * (take a reference to keep it longer, or to hand it to another thread).
 * NULL outside a loop. */
ringo_loop *ringo_loop_current(void);

/* Takes a reference on loop and returns it. While anything but the loop
 * itself holds a reference, the loop waits for messages instead of
 * reporting a deadlock when no operation is in flight (asyncio's loop waits
 * for call_soon_threadsafe the same way). Thread-safe, given a handle that
 * is valid (held, or the loop's own). */
ringo_loop *ringo_loop_ref(ringo_loop *loop);
/* Drops a reference; accepts NULL. Thread-safe. */
void ringo_loop_unref(ringo_loop *loop);

/* Schedules fn(arg) to run on loop's thread, from the loop (on its stack,
 * as ringo_call_soon's callbacks: it must not suspend). Callbacks from one
 * sender thread run in the order they were sent. Thread-safe: from the
 * loop's own thread, another loop's, or a plain thread. Does not suspend.
 * Returns 0; -EPIPE if the loop has ended or is ending (its main task has
 * finished: fn will never run); -EINVAL (NULL loop or fn); -ENOMEM. A
 * callback accepted before the loop began to end still runs. */
int ringo_call_soon_threadsafe(ringo_loop *loop, ringo_callback_fn fn, void *arg);

/* ------------------------------------------------------------------------
 * A task on another loop (asyncio.run_coroutine_threadsafe)
 * ------------------------------------------------------------------------ */

typedef struct ringo_xfuture ringo_xfuture;

/* Runs fn(arg) as a new task of loop (fn runs on loop's thread; arg crosses
 * threads as it is). *out receives a reference to the task's xfuture,
 * released with ringo_xfuture_unref (the task runs on regardless).
 * Thread-safe; does not suspend. Returns 0, -EPIPE if the loop has ended or
 * is ending, -EINVAL (NULL loop, fn or out), -ENOMEM. */
int ringo_run_coroutine_threadsafe(ringo_loop *loop, ringo_task_fn fn, void *arg,
				   ringo_xfuture **out);

/* From a task of any loop: waits until the remote task is done and returns
 * its result (value, error, -ECANCELED). The task is resumed by a CQE in its
 * own loop's ring (the remote loop's MSG_RING). Cancelling the awaiting
 * task cancels the remote task; the awaiter then resumes once that is done,
 * with its result, as ringo_task_await does. Returns at once if done. One
 * task at a time may await an xfuture. May suspend. Errors: -EINVAL,
 * -EPERM (not done and not in a task), -EBUSY (another task awaits it). */
intptr_t ringo_xfuture_await(ringo_xfuture *xf);

/* From a plain thread: blocks until the remote task is done or deadline
 * passes. Returns its result, or -ETIMEDOUT (the task runs on), -EPERM if
 * called on a loop's thread before it is done (that would block the loop:
 * await instead), -EINVAL. Thread-safe. */
intptr_t ringo_xfuture_wait(ringo_xfuture *xf, ringo_deadline deadline);

/* Asks the remote loop to cancel the task (its ringo_task_cancel; a task
 * not started yet never runs its body). Returns true if the request was
 * sent, false if the task is done. Thread-safe; does not suspend. */
bool ringo_xfuture_cancel(ringo_xfuture *xf);

/* Whether the task is done, and its result (-EAGAIN while it is not).
 * Thread-safe. */
bool ringo_xfuture_done(const ringo_xfuture *xf);
intptr_t ringo_xfuture_result(const ringo_xfuture *xf);
/* Drops a reference; accepts NULL. Thread-safe. */
void ringo_xfuture_unref(ringo_xfuture *xf);

/* ------------------------------------------------------------------------
 * Channels between loops (a thread-safe ringo_queue)
 * ------------------------------------------------------------------------ */

typedef struct ringo_channel ringo_channel;

/* Creates an open channel holding up to capacity (>= 1) items, FIFO, for
 * any number of senders and receivers on any loops; *out receives the
 * caller's reference. Thread-safe, does not suspend. Returns 0, -EINVAL
 * (capacity 0, NULL out), -ENOMEM. */
int ringo_channel_create(size_t capacity, ringo_channel **out);
/* References; the channel is freed with the last one (a blocked task's
 * caller must hold one while it waits). Thread-safe; unref accepts NULL. */
ringo_channel *ringo_channel_ref(ringo_channel *ch);
void ringo_channel_unref(ringo_channel *ch);

/* From a task of any loop (or a plain thread: then as
 * ringo_channel_send_wait without a deadline): sends item, waiting while
 * the channel is full.
 * The item goes straight to the first waiting receiver, else into the
 * buffer; a blocked sender's item goes in as soon as a slot frees, before
 * later senders'. A blocked task is woken by a CQE in its own ring (the
 * MSG_RING of whoever unblocked it). Returns 0; -EPIPE if the channel is
 * or gets closed (the item is not sent); -ECANCELED if the task was
 * cancelled while blocked (not sent; a cancellation that comes after the
 * item was taken is delivered at the next await instead); -EPERM on a
 * loop's thread outside a task; -EINVAL. May suspend. */
int ringo_channel_send(ringo_channel *ch, intptr_t item);
/* From a task of any loop (or a plain thread, as ringo_channel_recv_wait
 * without a deadline): receives the oldest item into *item, waiting while
 * the channel is empty. Items sent before close are still received; then
 * -EPIPE. -ECANCELED, -EPERM, -EINVAL as send. May suspend. */
int ringo_channel_recv(ringo_channel *ch, intptr_t *item);
/* From a plain thread (not a loop's): send and receive that block the
 * thread (on a condition variable) until they can go on or until deadline
 * (RINGO_NO_DEADLINE: none). They queue with the tasks of every loop, in
 * the same order, and are woken by whoever unblocks them. Return as
 * ringo_channel_send/_recv, or -ETIMEDOUT (nothing sent or received);
 * -EPERM on a loop's thread (it would block the loop: use the task calls
 * there). Thread-safe; block. */
int ringo_channel_send_wait(ringo_channel *ch, intptr_t item, ringo_deadline deadline);
int ringo_channel_recv_wait(ringo_channel *ch, intptr_t *item, ringo_deadline deadline);
/* Without waiting, from any thread (a plain one too): 0, -EAGAIN (full /
 * empty), -EPIPE (closed; closed and empty), -EINVAL. Thread-safe. */
int ringo_channel_try_send(ringo_channel *ch, intptr_t item);
int ringo_channel_try_recv(ringo_channel *ch, intptr_t *item);
/* Closes the channel: later sends return -EPIPE, receives drain what is
 * buffered then return -EPIPE, and every blocked sender and receiver, on
 * every loop, is woken with -EPIPE. Closing twice is fine. Returns 0 or
 * -EINVAL. Thread-safe, does not suspend. */
int ringo_channel_close(ringo_channel *ch);
bool ringo_channel_closed(const ringo_channel *ch);
/* Items buffered now. Thread-safe. */
size_t ringo_channel_len(const ringo_channel *ch);

/* ------------------------------------------------------------------------
 * Several loops, one per thread (thread-per-core)
 * ------------------------------------------------------------------------ */

/* ringo_run_opts.flags for ringo_run_threads: pin loop i's thread to the
 * i-th CPU this process may run on (modulo their number). */
#define RINGO_RUN_PIN_CPUS 0x100u

/* Runs n loops, each on a thread of its own, each running main(arg) as its
 * main task (as ringo_run does), and returns when every one has ended.
 * n == 0: one loop per CPU this process may run on. Loop i stores main's
 * result in results[i] (results may be NULL; otherwise it has n entries,
 * or one per CPU for n == 0). Every main starts once all n loops are up,
 * so ringo_loop_at() answers for each from the start. The rings share one
 * kernel worker pool (IORING_SETUP_ATTACH_WQ) where the kernel allows it.
 * SIGINT, as for ringo_run (the caller must be the process's main thread,
 * with SIGINT at its default disposition and not blocked;
 * RINGO_RUN_NO_SIGINT opts out): the first one cancels every main, a
 * second ends the process. Blocks the calling thread; the loops' threads
 * start with the caller's signal mask with SIGINT blocked. opts may be NULL.
 * Returns 0 when every main ran; -EINVAL (NULL main, n > 1024), -EBUSY (a
 * loop runs on the calling thread), or the first error of a loop that
 * could not start (then no main runs), or -EDEADLK if a loop ended so. */
int ringo_run_threads(unsigned n, ringo_task_fn main, void *arg,
		      const ringo_run_opts *opts, intptr_t *results);

/* In a loop of ringo_run_threads: its index (0 .. count-1), the number of
 * loops, and loop i (borrowed: valid until ringo_run_threads returns; NULL
 * if i >= count). In a loop of ringo_run: 0, 1, and that loop for i == 0.
 * Outside a loop: 0, 0 and NULL. */
unsigned ringo_loop_index(void);
unsigned ringo_loop_count(void);
ringo_loop *ringo_loop_at(unsigned i);

#ifdef __cplusplus
}
#endif

#endif /* RINGO_THREAD_H */

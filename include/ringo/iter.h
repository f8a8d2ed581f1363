/* SPDX-License-Identifier: MIT */
/* ringo — asynchronous iteration (asyncio's async for, __aiter__/__anext__)
 * and asynchronous generators.
 * Included by <ringo.h>; do not include directly. */
#ifndef RINGO_ITER_H
#define RINGO_ITER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The asynchronous iterator protocol. An object is asynchronously iterable
 * when it embeds (usually as its first member) a ringo_aiter whose anext
 * fetches the next item:
 *   anext returns 1 and stores the item in *item, 0 at the end (asyncio's
 *   StopAsyncIteration), or a negative errno; it may suspend.
 *   aclose, if not NULL, ends the iteration early and releases what the
 *   iterator holds; it may suspend; it returns 0 or a negative errno.
 * Items are intptr_t, like task results (pointers fit). */
typedef struct ringo_aiter ringo_aiter;
struct ringo_aiter {
	int (*anext)(ringo_aiter *it, intptr_t *item);
	int (*aclose)(ringo_aiter *it);
};

/* ------------------------------------------------------------------------
 * Iterating
 * ------------------------------------------------------------------------ */

/* Fetches the next item of it (asyncio's anext()): returns 1 with the item
 * in *item (item may be NULL to drop it), 0 at the end, or a negative errno
 * (-ECANCELED if the calling task was cancelled meanwhile). May suspend.
 * Errors: -EINVAL if it or its anext is NULL, and whatever anext returns. */
int ringo_aiter_next(ringo_aiter *it, intptr_t *item);

/* Ends the iteration early: calls it->aclose (asyncio's aclose()); returns 0
 * at once if the iterator has none. May suspend. Returns 0 or a negative
 * errno; -EINVAL for NULL. */
int ringo_aiter_close(ringo_aiter *it);

/* async for, the function form: calls body(item, arg) for each item of it,
 * in order. body returns 0 to go on, a positive value to stop (break) or a
 * negative errno to stop with that error; the iterator is NOT closed when
 * body stops it (as asyncio's async for does not close on break or on an
 * exception): call ringo_aiter_close() if it should be. Returns 0 at the
 * end of the iteration, the value that stopped body, or the error anext
 * returned (-ECANCELED for a cancellation). May suspend. -EINVAL for NULL. */
int ringo_async_for(ringo_aiter *it, int (*body)(intptr_t item, void *arg), void *arg);

/* async for, the loop form:
 *
 *	intptr_t item;
 *	int err;
 *	RINGO_ASYNC_FOR(item, it, err) {
 *		... item is the current item; err is 0 here ...
 *	}
 *	if (err < 0) ... the error (or -ECANCELED) that stopped the loop ...
 *
 * item is an intptr_t lvalue, it a ringo_aiter * (evaluated before every
 * item: keep it a plain expression without side effects), err an int lvalue.
 * After the loop err is 0 at the end of the iteration (and after break) or
 * the negative errno returned by anext. break and continue work as in any
 * for loop; break does not close the iterator (asyncio does not close on
 * break either): call ringo_aiter_close() after it if the rest should be
 * released. Each step may suspend. */
#define RINGO_ASYNC_FOR(item, it, err)                                         \
	for ((err) = 0; ((err) = ringo_aiter_next((it), &(item))) > 0 ? ((err) = 0, 1) : 0;)

/* ------------------------------------------------------------------------
 * Asynchronous generators
 * ------------------------------------------------------------------------ */

/* An asynchronous generator: fn(arg) runs on its own task, created at the
 * first ringo_agen_asend()/anext (as Python starts a generator at its first
 * __anext__), and hands items to its consumer with ringo_agen_yield().
 * Every hand-off between consumer and generator is a wake-up through the
 * ring, never a direct switch. */
typedef struct ringo_agen ringo_agen;

/* The body of a generator. Returns 0 to end the iteration (the consumer's
 * anext returns 0) or a negative errno, which the consumer's anext returns
 * (once; after that anext returns 0). Positive values count as 0. */
typedef int (*ringo_agen_fn)(void *arg);

/* The error ringo_agen_yield() returns when the generator is being closed
 * (asyncio's GeneratorExit): -RINGO_EGENEXIT. The body should clean up (it
 * may await) and return; returning -RINGO_EGENEXIT or 0 makes aclose
 * return 0. */
#define RINGO_EGENEXIT ESHUTDOWN

/* Creates a generator that will run fn(arg) (asyncio: calling an async def
 * that yields). opts (may be NULL) names the generator's task and sets its
 * stack; the name is copied. Does not start it and does not suspend; may be
 * called outside a loop, but the generator runs on the loop of its first
 * anext. *out receives the generator, released with ringo_agen_destroy().
 * Returns 0, -EINVAL (NULL fn or out), -ENOMEM. */
int ringo_agen_create(ringo_agen_fn fn, void *arg, const ringo_task_opts *opts,
		      ringo_agen **out);

/* Closes the generator if it is suspended at a yield (ringo_agen_aclose,
 * which may suspend; outside a task its task is cancelled instead and cleans
 * up on its own), then releases the caller's reference: the generator is
 * the owner's, and an owner that ends destroys it, closing it. Returns 0 or
 * the error of that close (-ECANCELED if the caller had a cancellation
 * pending: it is delivered here, and the generator's task is cancelled to
 * clean up on its own). A generator still running (another task awaits
 * its anext) is not waited for: it is freed once that finishes. A generator
 * still open at a yield when ringo_run shuts down is closed, as asyncio.run
 * does: its pending yield returns -RINGO_EGENEXIT and its cleanup may await.
 * Accepts NULL (returns 0). */
int ringo_agen_destroy(ringo_agen *gen);

/* Resumes the generator and waits for its next item (asyncio's asend):
 * value becomes the *sent of the yield where it is suspended. Returns 1 with
 * the item in *item (item may be NULL), 0 at the end (the body returned 0,
 * or the generator is finished or closed), or a negative errno: the body's
 * error, -EBUSY (it is already running for another anext or aclose),
 * -EINVAL (NULL gen, or a value other than 0 sent to a generator that has
 * not started, as Python refuses a non-None value), -EPERM (not in a task),
 * -ENOMEM (starting its task). May suspend.
 * Cancelling the waiting task (or a cancellation already pending when
 * asend starts) cancels the generator's task, as awaiting a task does (a
 * generator not started yet then never runs): the -ECANCELED lands in the
 * generator's current await, and the consumer waits for its next
 * hand-off: if the generator lets it through,
 * asend returns -ECANCELED and the generator is finished; if it handles it
 * and yields, asend returns 1 with that item. */
int ringo_agen_asend(ringo_agen *gen, intptr_t value, intptr_t *item);

/* asend(gen, 0, item): asyncio's __anext__. May suspend. */
int ringo_agen_anext(ringo_agen *gen, intptr_t *item);

/* Closes the generator (asyncio's aclose()). Never started: it is marked
 * finished without running (returns 0). Finished: returns 0. Suspended at a
 * yield: that yield returns -RINGO_EGENEXIT, and aclose waits until the
 * body returns; it returns 0 if the body returned 0 or -RINGO_EGENEXIT, the
 * body's error otherwise, and -EPROTO if the body yielded during the close
 * (that yield returns -EPROTO at once, as asyncio raises RuntimeError). The
 * generator is finished whenever aclose returns 0, -EPROTO or the body's
 * error. Cancelling the closing task (also a cancellation already pending
 * when aclose starts) cancels the generator's task, which aclose still
 * waits for. Errors: -EBUSY (running for another anext or aclose),
 * -EINVAL, -EPERM. May suspend. */
int ringo_agen_aclose(ringo_agen *gen);

/* Called from a generator's body: hands value to the consumer waiting in
 * anext/asend and suspends until the next asend, whose value it stores in
 * *sent (sent may be NULL; anext sends 0). Returns 0, -RINGO_EGENEXIT when
 * the generator is being closed, -EPROTO if it yields again during a close
 * (without suspending; also after a close at loop shutdown), -ECANCELED if
 * its task was cancelled (by its consumer's cancellation; a generator
 * cancelled while suspended here is finishing: a later yield returns
 * -EPROTO), -EPERM if
 * the calling task is not a generator's. May suspend. */
int ringo_agen_yield(intptr_t value, intptr_t *sent);

/* The generator as an asynchronous iterator (anext = ringo_agen_anext,
 * aclose = ringo_agen_aclose), for ringo_aiter_next and RINGO_ASYNC_FOR.
 * Borrowed: valid while gen is. NULL for NULL. */
ringo_aiter *ringo_agen_aiter(ringo_agen *gen);

/* True once the generator has finished (returned, failed or was closed). */
bool ringo_agen_finished(const ringo_agen *gen);

#ifdef __cplusplus
}
#endif

#endif

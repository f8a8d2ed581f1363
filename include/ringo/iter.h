/* ringo — asynchronous iteration (asyncio's async for, __aiter__/__anext__).
 * Included by <ringo.h>; do not include directly. */
#ifndef RINGO_ITER_H
#define RINGO_ITER_H

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

#ifdef __cplusplus
}
#endif

#endif

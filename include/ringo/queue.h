/* SPDX-License-Identifier: MIT */
/* ringo — queues (asyncio.Queue, LifoQueue, PriorityQueue).
 * Included by <ringo.h>; do not include directly. */
#ifndef RINGO_QUEUE_H
#define RINGO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ringo/iter.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A queue of intptr_t items (pointers fit; the queue never frees what they
 * point to) for the tasks of one loop.
 *
 * Order of service. Tasks blocked in get are served in the order they
 * blocked, and so are tasks blocked in put. There is no barging: an item put
 * while a getter waits is handed to the first getter at once (it never sits
 * in the queue, so a later get_nowait cannot take it), and when a get frees
 * a slot of a full queue the first blocked putter's item enters the queue at
 * once (so a later put_nowait still finds the queue full).
 *
 * Cancellation. A get or put cancelled while it waits consumes or enqueues
 * nothing. If its item or slot was handed over before the cancellation
 * arrived, the call keeps that result (get returns 0 with the item, put
 * returns 0 and the item is in the queue) and -ECANCELED comes at the task's
 * next await: no item is ever lost or duplicated.
 *
 * get and put return at once, without suspending, when they need not wait;
 * like asyncio's, they then do not deliver a pending cancellation.
 *
 * Not thread-safe: a queue belongs to the thread of the loop that created it
 * (made outside any loop: of the first loop that uses it); put, get (and
 * their _nowait forms), task_done, join and shutdown on another loop's
 * thread return -EXDEV and change nothing. Between loops: ringo_channel
 * (<ringo/thread.h>). */
typedef struct ringo_queue ringo_queue;

typedef enum ringo_queue_kind {
	RINGO_QUEUE_FIFO,     /* first in, first out (asyncio.Queue) */
	RINGO_QUEUE_LIFO,     /* last in, first out (asyncio.LifoQueue) */
	RINGO_QUEUE_PRIORITY, /* smallest priority first (asyncio.PriorityQueue);
				 equal priorities come out in the order put */
} ringo_queue_kind;

/* Creates an empty queue of the given kind holding at most maxsize items
 * (0: unbounded) and stores it in *out; release it with
 * ringo_queue_destroy(). Needs no running loop. Does not suspend.
 * Returns 0, -EINVAL (NULL out, unknown kind), -ENOMEM. */
int ringo_queue_create(ringo_queue_kind kind, size_t maxsize, ringo_queue **out);

/* Frees q and the items still in it. q should have no blocked task; any
 * still blocked in get, put or join is woken with -ESHUTDOWN (and must not
 * touch q again). Accepts NULL. Does not suspend. */
void ringo_queue_destroy(ringo_queue *q);

/* Puts item at the back of q (asyncio's put), waiting while q is full.
 * In a priority queue the item is its own priority (compared as a signed
 * integer, as asyncio compares items); see ringo_queue_put_prio.
 * May suspend. Returns 0 once the item is in q (or handed to a getter),
 * -ESHUTDOWN if q is shut down (also when that happens while waiting; the
 * item is then not enqueued), -ECANCELED (nothing enqueued), -EPERM (must
 * wait but not in a task), -EINVAL (NULL q), -ENOMEM. */
int ringo_queue_put(ringo_queue *q, intptr_t item);

/* Puts item without waiting (asyncio's put_nowait). Does not suspend.
 * Returns 0, -EAGAIN if q is full (asyncio's QueueFull), -ESHUTDOWN,
 * -EINVAL, -ENOMEM. */
int ringo_queue_put_nowait(ringo_queue *q, intptr_t item);

/* put / put_nowait with an explicit priority: in a priority queue the item
 * with the smallest priority comes out first and equal priorities come out
 * in the order they were put (stable, unlike a bare heap). FIFO and LIFO
 * queues ignore priority. Same returns as put / put_nowait. */
int ringo_queue_put_prio(ringo_queue *q, int64_t priority, intptr_t item);
int ringo_queue_put_prio_nowait(ringo_queue *q, int64_t priority, intptr_t item);

/* Takes the next item of q (asyncio's get) into *item, waiting while q is
 * empty. May suspend. Returns 0 with *item set, -ESHUTDOWN once q is shut
 * down and empty (a graceful shutdown lets get drain the items left; an
 * immediate one drops them), -ECANCELED (no item consumed), -EPERM (must
 * wait but not in a task), -EINVAL (NULL q or item). *item is only written
 * on success. */
int ringo_queue_get(ringo_queue *q, intptr_t *item);

/* Takes the next item without waiting (asyncio's get_nowait). Does not
 * suspend. Returns 0 with *item set, -EAGAIN if q is empty (asyncio's
 * QueueEmpty), -ESHUTDOWN if q is empty and shut down, -EINVAL. */
int ringo_queue_get_nowait(ringo_queue *q, intptr_t *item);

/* Items in q (handed-over items are no longer in it); 0 for NULL. */
size_t ringo_queue_qsize(const ringo_queue *q);
/* True if q holds no item (true for NULL). */
bool ringo_queue_empty(const ringo_queue *q);
/* True if q is bounded and holds maxsize items (false for NULL). */
bool ringo_queue_full(const ringo_queue *q);
/* The bound given at creation, 0 for unbounded (and for NULL). */
size_t ringo_queue_maxsize(const ringo_queue *q);

/* Marks one item as processed (asyncio's task_done). Every successful put
 * adds one unfinished item; when task_done brings the count to zero every
 * task blocked in join is woken. Does not suspend. Returns 0, -EOVERFLOW if
 * called more times than items were put (asyncio's ValueError), -EINVAL
 * (NULL). */
int ringo_queue_task_done(ringo_queue *q);

/* Waits until every item put in q has been marked done (asyncio's join);
 * returns at once, without suspending, if none is unfinished. May suspend.
 * Returns 0, -ECANCELED, -EPERM (must wait but not in a task), -EINVAL. */
int ringo_queue_join(ringo_queue *q);

/* Shuts q down (asyncio 3.13's shutdown): from now on put and put_nowait
 * return -ESHUTDOWN, and every task blocked in put is woken with
 * -ESHUTDOWN (its item is not enqueued). Graceful (immediate false): get
 * and get_nowait keep returning the items left and -ESHUTDOWN once q is
 * empty; tasks blocked in get (q is empty then) are woken with -ESHUTDOWN.
 * Immediate: the items left are dropped and count as done (which may
 * release join), and every task blocked in get is woken with -ESHUTDOWN.
 * Calling it again is allowed (an immediate call after a graceful one drops
 * what is left). Wake-ups go through the ring; does not suspend.
 * Returns 0 or -EINVAL (NULL). */
int ringo_queue_shutdown(ringo_queue *q, bool immediate);

/* True once ringo_queue_shutdown has been called on q. */
bool ringo_queue_is_shutdown(const ringo_queue *q);

/* q as an asynchronous iterator (include/ringo/iter.h): anext is
 * ringo_queue_get, returning 1 with the item, 0 (the end) once q is shut down
 * and drained, or get's other errors (-ECANCELED...). Iteration only gets:
 * it does not call task_done. The iterator is part of q (no allocation, no
 * aclose needed: aclose is NULL); several tasks may iterate q at once, each
 * getting different items. Valid until q is destroyed; NULL for NULL. */
ringo_aiter *ringo_queue_aiter(ringo_queue *q);

#ifdef __cplusplus
}
#endif

#endif

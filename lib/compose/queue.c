/* SPDX-License-Identifier: MIT */
/* Queues: FIFO, LIFO and priority, bounded or not, with task_done/join,
 * shutdown and asynchronous iteration.
 *
 * Invariants: tasks wait in get only while the queue is empty, and in put
 * only while it is full. Hand-offs happen in the call that makes them
 * possible (no barging): put gives its item straight to the first waiting
 * getter, and a get that frees a slot moves the first waiting putter's item
 * into the queue. A woken task therefore finds its work done and never
 * touches the queue again, so a cancellation that arrives after the wake-up
 * cannot undo it (the task keeps the result, -ECANCELED comes next), and one
 * that arrives before it just unlinks the waiter. */
#include <stdio.h>
#include <stdlib.h>

#include "core/internal.h"

/* A priority queue entry: ordered by (prio, seq), seq being put order. */
struct entry {
	int64_t prio;
	uint64_t seq;
	intptr_t item;
};

struct ringo_queue {
	ringo_aiter aiter;
	struct ringo__list getters;  /* struct qwait, FIFO */
	struct ringo__list putters;  /* struct qwait, FIFO */
	struct ringo__list joiners;  /* struct ringo__wait */
	union {
		intptr_t *items;     /* FIFO/LIFO: a ring, capacity a power of two */
		struct entry *heap;  /* PRIORITY: a binary min-heap */
		void *mem;
	} buf;
	size_t head, count, cap;
	size_t maxsize;
	size_t unfinished;           /* puts not yet matched by task_done */
	uintptr_t owner;             /* ringo__thread_check */
	uint64_t seq;
	ringo_queue_kind kind;
	bool shutdown;
};

/* A task blocked in get (item filled in by the waker) or put (item and prio
 * to enqueue). */
struct qwait {
	struct ringo__wait w;
	intptr_t item;
	int64_t prio;
};

static struct qwait *qwait_of(struct ringo__list *node)
{
	struct ringo__wait *w = ringo__container_of(node, struct ringo__wait, waiter.node);
	return ringo__container_of(w, struct qwait, w);
}

/* ---- storage ---- */

static size_t entry_size(const ringo_queue *q)
{
	return q->kind == RINGO_QUEUE_PRIORITY ? sizeof(struct entry) : sizeof(intptr_t);
}

static bool heap_less(const struct entry *a, const struct entry *b)
{
	return a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq);
}

static int grow(ringo_queue *q)
{
	size_t ncap = q->cap ? q->cap * 2 : 8;
	void *mem = malloc(ncap * entry_size(q));
	if (!mem)
		return -ENOMEM;
	if (q->kind == RINGO_QUEUE_PRIORITY) {
		for (size_t i = 0; i < q->count; i++)
			((struct entry *)mem)[i] = q->buf.heap[i];
	} else {
		for (size_t i = 0; i < q->count; i++)
			((intptr_t *)mem)[i] = q->buf.items[(q->head + i) & (q->cap - 1)];
	}
	free(q->buf.mem);
	q->buf.mem = mem;
	q->cap = ncap;
	q->head = 0;
	return 0;
}

/* Adds an item; fails only when the storage must grow and cannot. */
static int push(ringo_queue *q, int64_t prio, intptr_t item)
{
	if (ringo__unlikely(q->count == q->cap)) {
		int ret = grow(q);
		if (ret < 0)
			return ret;
	}
	if (q->kind != RINGO_QUEUE_PRIORITY) {
		q->buf.items[(q->head + q->count) & (q->cap - 1)] = item;
		q->count++;
		return 0;
	}
	struct entry e = { .prio = prio, .seq = q->seq++, .item = item };
	struct entry *h = q->buf.heap;
	size_t i = q->count++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!heap_less(&e, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = e;
	return 0;
}

/* Removes and returns the next item; q is not empty. */
static intptr_t pop(ringo_queue *q)
{
	intptr_t item;
	switch (q->kind) {
	case RINGO_QUEUE_FIFO:
		item = q->buf.items[q->head];
		q->head = (q->head + 1) & (q->cap - 1);
		q->count--;
		return item;
	case RINGO_QUEUE_LIFO:
		q->count--;
		return q->buf.items[(q->head + q->count) & (q->cap - 1)];
	default:
		break;
	}
	struct entry *h = q->buf.heap;
	item = h[0].item;
	struct entry last = h[--q->count];
	size_t n = q->count, i = 0;
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= n)
			break;
		if (child + 1 < n && heap_less(&h[child + 1], &h[child]))
			child++;
		if (!heap_less(&h[child], &last))
			break;
		h[i] = h[child];
		i = child;
	}
	h[i] = last;
	return item;
}

/* ---- waking ---- */

static void wake_all(struct ringo__list *list, intptr_t value)
{
	while (!ringo__list_empty(list)) {
		struct ringo__list *node = list->next;
		ringo__list_remove(node);
		ringo__wait_wake(ringo__container_of(node, struct ringo__wait, waiter.node),
				 value);
	}
}

/* After an item left q: the first blocked putter's item takes the free
 * slot. The slot is there (count < maxsize <= cap), so push cannot fail. */
static void admit_putter(ringo_queue *q)
{
	if (ringo__list_empty(&q->putters))
		return;
	struct ringo__list *node = q->putters.next;
	struct qwait *p = qwait_of(node);
	ringo__list_remove(node);
	(void)push(q, p->prio, p->item);
	q->unfinished++;
	ringo__wait_wake(&p->w, 0);
}

/* Suspends the current task t in list until a waker (or a cancellation)
 * resumes it. */
static ringo_task *describe_get(const struct ringo__wait *w, char *buf, size_t cap,
				int64_t now)
{
	(void)now;
	snprintf(buf, cap, "queue %p get (empty)", w->target);
	return NULL;
}

static ringo_task *describe_put(const struct ringo__wait *w, char *buf, size_t cap,
				int64_t now)
{
	(void)now;
	const ringo_queue *q = w->target;
	snprintf(buf, cap, "queue %p put (full, %zu items)", (void *)q, q->count);
	return NULL;
}

static ringo_task *describe_join(const struct ringo__wait *w, char *buf, size_t cap,
				 int64_t now)
{
	(void)now;
	const ringo_queue *q = w->target;
	snprintf(buf, cap, "queue %p join (%zu unfinished)", (void *)q, q->unfinished);
	return NULL;
}

static int block(ringo_task *t, struct ringo__list *list, struct qwait *qw, ringo_queue *q)
{
	return (int)ringo__wait_queued_as(&qw->w, t, list, NULL, q,
					  list == &q->getters ? describe_get : describe_put);
}

/* ---- creating ---- */

static int queue_anext(ringo_aiter *it, intptr_t *item);

int ringo_queue_create(ringo_queue_kind kind, size_t maxsize, ringo_queue **out)
{
	if (!out)
		return -EINVAL;
	if (kind != RINGO_QUEUE_FIFO && kind != RINGO_QUEUE_LIFO &&
	    kind != RINGO_QUEUE_PRIORITY)
		return -EINVAL;
	ringo_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->aiter.anext = queue_anext;
	q->aiter.aclose = NULL;
	ringo__list_init(&q->getters);
	ringo__list_init(&q->putters);
	ringo__list_init(&q->joiners);
	q->kind = kind;
	q->maxsize = maxsize;
	(void)ringo__thread_check(&q->owner);  /* this loop's thread, if any */
	*out = q;
	return 0;
}

void ringo_queue_destroy(ringo_queue *q)
{
	if (!q)
		return;
	/* Woken tasks do not come back to q (see the top of this file). */
	wake_all(&q->getters, -ESHUTDOWN);
	wake_all(&q->putters, -ESHUTDOWN);
	wake_all(&q->joiners, -ESHUTDOWN);
	free(q->buf.mem);
	free(q);
}

/* ---- put ---- */

/* The non-blocking part of put: 0 (done), -EAGAIN (full), or an error. */
static int try_put(ringo_queue *q, int64_t prio, intptr_t item)
{
	if (ringo__unlikely(q->shutdown))
		return -ESHUTDOWN;
	if (!ringo__list_empty(&q->getters)) {
		/* q is empty: the first getter takes the item directly. */
		struct ringo__list *node = q->getters.next;
		struct qwait *g = qwait_of(node);
		ringo__list_remove(node);
		g->item = item;
		q->unfinished++;
		ringo__wait_wake(&g->w, 0);
		return 0;
	}
	if (q->maxsize && q->count >= q->maxsize)
		return -EAGAIN;
	int ret = push(q, prio, item);
	if (ret < 0)
		return ret;
	q->unfinished++;
	return 0;
}

int ringo_queue_put_prio(ringo_queue *q, int64_t priority, intptr_t item)
{
	if (!q)
		return -EINVAL;
	int ret = ringo__thread_check(&q->owner);
	if (ret < 0)
		return ret;
	ret = try_put(q, priority, item);
	if (ret != -EAGAIN)
		return ret;
	ringo_task *t = ringo__await_begin(&ret);
	if (!t)
		return ret;
	struct qwait p = { .item = item, .prio = priority };
	return block(t, &q->putters, &p, q);
}

int ringo_queue_put_prio_nowait(ringo_queue *q, int64_t priority, intptr_t item)
{
	if (!q)
		return -EINVAL;
	int own = ringo__thread_check(&q->owner);
	if (own < 0)
		return own;
	return try_put(q, priority, item);
}

int ringo_queue_put(ringo_queue *q, intptr_t item)
{
	return ringo_queue_put_prio(q, (int64_t)item, item);
}

int ringo_queue_put_nowait(ringo_queue *q, intptr_t item)
{
	return ringo_queue_put_prio_nowait(q, (int64_t)item, item);
}

/* ---- get ---- */

/* The non-blocking part of get: 0 with *item, -EAGAIN (empty), -ESHUTDOWN. */
static int try_get(ringo_queue *q, intptr_t *item)
{
	if (q->count > 0) {
		*item = pop(q);
		admit_putter(q);
		return 0;
	}
	return q->shutdown ? -ESHUTDOWN : -EAGAIN;
}

int ringo_queue_get(ringo_queue *q, intptr_t *item)
{
	if (!q || !item)
		return -EINVAL;
	int ret = ringo__thread_check(&q->owner);
	if (ret < 0)
		return ret;
	ret = try_get(q, item);
	if (ret != -EAGAIN)
		return ret;
	ringo_task *t = ringo__await_begin(&ret);
	if (!t)
		return ret;
	struct qwait g = { .item = 0 };
	ret = block(t, &q->getters, &g, q);
	if (ret == 0)
		*item = g.item;
	return ret;
}

int ringo_queue_get_nowait(ringo_queue *q, intptr_t *item)
{
	if (!q || !item)
		return -EINVAL;
	int own = ringo__thread_check(&q->owner);
	if (own < 0)
		return own;
	return try_get(q, item);
}

/* ---- state ---- */

size_t ringo_queue_qsize(const ringo_queue *q)
{
	return q ? q->count : 0;
}

bool ringo_queue_empty(const ringo_queue *q)
{
	return !q || q->count == 0;
}

bool ringo_queue_full(const ringo_queue *q)
{
	return q && q->maxsize && q->count >= q->maxsize;
}

size_t ringo_queue_maxsize(const ringo_queue *q)
{
	return q ? q->maxsize : 0;
}

bool ringo_queue_is_shutdown(const ringo_queue *q)
{
	return q && q->shutdown;
}

/* ---- task_done / join ---- */

int ringo_queue_task_done(ringo_queue *q)
{
	if (!q)
		return -EINVAL;
	int own = ringo__thread_check(&q->owner);
	if (own < 0)
		return own;
	if (q->unfinished == 0)
		return -EOVERFLOW;
	if (--q->unfinished == 0)
		wake_all(&q->joiners, 0);
	return 0;
}

int ringo_queue_join(ringo_queue *q)
{
	if (!q)
		return -EINVAL;
	int own = ringo__thread_check(&q->owner);
	if (own < 0)
		return own;
	if (q->unfinished == 0)
		return 0;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__wait w;
	return (int)ringo__wait_queued_as(&w, t, &q->joiners, NULL, q, describe_join);
}

/* ---- shutdown ---- */

int ringo_queue_shutdown(ringo_queue *q, bool immediate)
{
	if (!q)
		return -EINVAL;
	int own = ringo__thread_check(&q->owner);
	if (own < 0)
		return own;
	q->shutdown = true;
	if (immediate && q->count > 0) {
		size_t dropped = q->count;
		q->count = 0;
		q->head = 0;
		q->unfinished -= dropped < q->unfinished ? dropped : q->unfinished;
		if (q->unfinished == 0)
			wake_all(&q->joiners, 0);
	}
	/* Getters wait only on an empty queue, so a graceful shutdown ends
	 * their wait too. */
	wake_all(&q->getters, -ESHUTDOWN);
	wake_all(&q->putters, -ESHUTDOWN);
	return 0;
}

/* ---- iteration ---- */

static int queue_anext(ringo_aiter *it, intptr_t *item)
{
	ringo_queue *q = ringo__container_of(it, ringo_queue, aiter);
	int ret = ringo_queue_get(q, item);
	if (ret == 0)
		return 1;
	return ret == -ESHUTDOWN ? 0 : ret;
}

ringo_aiter *ringo_queue_aiter(ringo_queue *q)
{
	return q ? &q->aiter : NULL;
}

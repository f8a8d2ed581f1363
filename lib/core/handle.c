/* SPDX-License-Identifier: MIT */
/* call_soon, call_later, call_at: a callback run from the CQE of a NOP (soon)
 * or of an absolute IORING_OP_TIMEOUT (later, at). The loop holds a
 * reference on each handle until that CQE has arrived, so a cancelled
 * handle's memory outlives the kernel's use of it.
 *
 * Timer CQEs that come one after the other in a loop step run together in
 * deadline order (ties: the order they were scheduled), as asyncio's loop
 * takes every due timer from its heap: the kernel posts timeouts already
 * expired when submitted in submission order, so call_later(-1ms, a);
 * call_later(-2ms, b) would otherwise run a first. */
#include <stdlib.h>

#include "core/internal.h"
#include "core/ring.h"

enum { H_SCHEDULED, H_RUNNING, H_DONE, H_CANCELLED };

struct ringo_handle {
	struct ringo__op op;
	struct ringo__list node;     /* in loop->handles until cancelled or run */
	struct ringo_loop *loop;
	ringo_callback_fn fn;
	void *arg;
	int64_t when;
	uint64_t seq;                /* scheduling order, for equal deadlines */
	int refs;
	uint8_t state;
	bool timer;
};

void ringo_handle_unref(ringo_handle *h)
{
	if (h && --h->refs == 0)
		free(h);
}

static void run(ringo_handle *h)
{
	if (h->state == H_SCHEDULED) {
		h->state = H_RUNNING;
		h->fn(h->arg);
		h->state = H_DONE;
	}
	ringo_handle_unref(h);
}

static bool before(const ringo_handle *a, const ringo_handle *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void fire_soon(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	ringo_handle *h = ringo__container_of(op, ringo_handle, op);
	ringo__list_remove(&h->node);
	run(h);
}

/* Inserts h into the sorted list l; timers mostly come in order, so the
 * search starts at the back. */
static void insert_sorted(struct ringo__list *l, ringo_handle *h)
{
	struct ringo__list *at = l->prev;
	while (at != l && before(h, ringo__container_of(at, ringo_handle, node)))
		at = at->prev;
	ringo__list_push_back(at->next, &h->node);
}

static void fire_timer(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	ringo_handle *h = ringo__container_of(op, ringo_handle, op);
	struct ringo__ring *ring = h->loop->ring;
	/* Take the timer CQEs that follow this one in the loop step too and
	 * run them all in deadline order. */
	struct ringo__list due;
	ringo__list_init(&due);
	do {
		h = ringo__container_of(op, ringo_handle, op);
		ringo__list_remove(&h->node);
		insert_sorted(&due, h);
	} while ((op = ringo__ring_take(ring, fire_timer, &res)));
	while (!ringo__list_empty(&due)) {
		h = ringo__container_of(due.next, ringo_handle, node);
		ringo__list_remove(&h->node);
		run(h);
	}
}

static int schedule(bool timer, int64_t when, ringo_callback_fn fn, void *arg,
		    ringo_handle **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	if (!fn)
		return -EINVAL;
	ringo_handle *h = malloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->fn = fn;
	h->arg = arg;
	static __thread uint64_t seq;
	h->when = when;
	h->seq = ++seq;
	h->refs = out ? 2 : 1;
	h->state = H_SCHEDULED;
	h->timer = timer;
	h->op.armed = false;
	ringo__list_push_back(&loop->handles, &h->node);
	ringo__op_arm(loop, &h->op, timer ? fire_timer : fire_soon);
	if (timer)
		ringo__ring_timeout(loop->ring, &h->op, when, true);
	else
		ringo__ring_nop(loop->ring, &h->op);
	if (out)
		*out = h;
	return 0;
}

int ringo_call_soon(ringo_callback_fn fn, void *arg, ringo_handle **out)
{
	return schedule(false, 0, fn, arg, out);
}

int ringo_call_at(int64_t deadline_ns, ringo_callback_fn fn, void *arg, ringo_handle **out)
{
	return schedule(true, deadline_ns, fn, arg, out);
}

int ringo_call_later(int64_t delay_ns, ringo_callback_fn fn, void *arg, ringo_handle **out)
{
	/* A negative delay is a deadline in the past, and earlier deadlines
	 * run first (asyncio keeps it too). */
	int64_t now = ringo_time();
	int64_t when = delay_ns > INT64_MAX - now ? INT64_MAX : now + delay_ns;
	return schedule(true, when, fn, arg, out);
}

bool ringo_handle_cancel(ringo_handle *h)
{
	if (!h || h->state != H_SCHEDULED)
		return false;
	h->state = H_CANCELLED;
	/* Out of the list of handles to cancel at shutdown, which would
	 * otherwise walk every cancelled handle at each turn until its CQE
	 * (quadratic with thousands); the loop's reference stays. */
	ringo__list_remove(&h->node);
	/* Free the kernel's timer now rather than at its deadline. */
	if (h->timer && h->op.armed)
		ringo__ring_timeout_remove(h->loop->ring, &h->op);
	return true;
}

bool ringo_handle_cancelled(const ringo_handle *h)
{
	return h && h->state == H_CANCELLED;
}

int64_t ringo_handle_when(const ringo_handle *h)
{
	return h && h->timer ? h->when : 0;
}

void ringo__handle_cancel_all(struct ringo_loop *loop)
{
	/* Cancelling takes a handle out of the list. */
	struct ringo__list *n = loop->handles.next;
	while (n != &loop->handles) {
		struct ringo__list *next = n->next;
		ringo_handle_cancel(ringo__container_of(n, ringo_handle, node));
		n = next;
	}
}

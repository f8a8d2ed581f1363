/* SPDX-License-Identifier: MIT */
/* Completions: the state and waiter list that futures and tasks share, and
 * done callbacks, which run from a NOP's CQE, never inside the call that
 * completes. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/ring.h"

void ringo__completion_init(struct ringo__completion *c)
{
	c->state = RINGO__PENDING;
	c->result = 0;
	ringo__list_init(&c->waiters);
}

void ringo__completion_finish(struct ringo__completion *c, uint8_t state, intptr_t result)
{
	c->state = state;
	c->result = result;
	while (!ringo__list_empty(&c->waiters)) {
		struct ringo__list *n = c->waiters.next;
		ringo__list_remove(n);
		struct ringo__waiter *w = ringo__container_of(n, struct ringo__waiter, node);
		w->notify(w, result);
	}
}

struct callback {
	struct ringo__waiter waiter;
	struct ringo__op op;
	struct ringo_loop *loop;
	void (*invoke)(void *obj, union ringo__cb_fn fn, void *arg);
	void (*hold)(void *obj);
	void (*release)(void *obj);
	union ringo__cb_fn fn;
	void *obj;
	void *arg;
};

static void callback_run(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	struct callback *cb = ringo__container_of(op, struct callback, op);
	cb->invoke(cb->obj, cb->fn, cb->arg);
	cb->release(cb->obj);
	free(cb);
}

/* A registration holds no reference: an object nobody references and that
 * will never complete is freed with its callbacks. A scheduled callback
 * holds one until it has run. */
static void callback_schedule(struct callback *cb)
{
	cb->hold(cb->obj);
	ringo__op_arm(cb->loop, &cb->op, callback_run);
	ringo__ring_nop(cb->loop->ring, &cb->op);
}

static void callback_notify(struct ringo__waiter *w, intptr_t result)
{
	(void)result;
	callback_schedule(ringo__container_of(w, struct callback, waiter));
}

int ringo__callback_add(struct ringo_loop *loop, struct ringo__completion *c,
			void (*invoke)(void *obj, union ringo__cb_fn fn, void *arg),
			union ringo__cb_fn fn, void *obj, void *arg, void (*hold)(void *obj),
			void (*release)(void *obj))
{
	struct callback *cb = malloc(sizeof(*cb));
	if (!cb)
		return -ENOMEM;
	cb->waiter.notify = callback_notify;
	cb->loop = loop;
	cb->invoke = invoke;
	cb->hold = hold;
	cb->release = release;
	cb->fn = fn;
	cb->obj = obj;
	cb->arg = arg;
	if (c->state != RINGO__PENDING)
		callback_schedule(cb);
	else
		ringo__completion_add(c, &cb->waiter);
	return 0;
}

size_t ringo__callback_remove(struct ringo__completion *c, union ringo__cb_fn fn, void *arg)
{
	size_t removed = 0;
	struct ringo__list *n = c->waiters.next;
	while (n != &c->waiters) {
		struct ringo__list *next = n->next;
		struct ringo__waiter *w = ringo__container_of(n, struct ringo__waiter, node);
		if (w->notify == callback_notify) {
			struct callback *cb = ringo__container_of(w, struct callback, waiter);
			if (memcmp(&cb->fn, &fn, sizeof(fn)) == 0 && cb->arg == arg) {
				ringo__list_remove(n);
				free(cb);
				removed++;
			}
		}
		n = next;
	}
	return removed;
}

void ringo__callback_drop_all(struct ringo__completion *c)
{
	struct ringo__list *n = c->waiters.next;
	while (n != &c->waiters) {
		struct ringo__list *next = n->next;
		struct ringo__waiter *w = ringo__container_of(n, struct ringo__waiter, node);
		if (w->notify == callback_notify) {
			ringo__list_remove(n);
			free(ringo__container_of(w, struct callback, waiter));
		}
		n = next;
	}
}

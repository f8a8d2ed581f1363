/* SPDX-License-Identifier: MIT */
/* Channels: a bounded FIFO of intptr_t items between loops, the
 * cross-thread counterpart of ringo_queue.
 *
 * Everything is under the channel's lock. Items hand over directly, as in
 * ringo_queue: a send that finds a receiver waiting gives it the item, a
 * receive that frees a slot takes the first blocked sender's item into the
 * buffer, so a later arrival never barges in. A blocked task is a waiter
 * record on its own stack, linked in the channel's senders or receivers;
 * whoever completes it (a peer on any loop, or close) unlinks it under the
 * lock, fills in its outcome, and after unlocking posts the message
 * embedded in the record to the waiter's loop, whose wake CQE resumes the
 * task directly. The waiter's loop counts that message in flight while the
 * task is blocked, so the loop can neither end nor report a deadlock
 * before it comes, and the record on the stack outlives every access.
 * Cancelling a blocked task takes it out of the list if it is still
 * there; if it has been completed already, it keeps what it got and the
 * cancellation is delivered at its next await.
 *
 * A plain thread blocks the same way, in the same lists, but on a condition
 * variable of its own stack record (cond): whoever completes it signals it
 * under the channel's lock, so the record is still there when signalled. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "debug/log.h"
#include "core/ring.h"

struct chan_wait {
	struct ringo__wait w;
	struct ringo__list node;     /* in senders or receivers (lock) */
	struct ringo__msg msg;       /* the wake-up, posted to loop */
	struct ringo_mailbox *loop;  /* the waiter's */
	struct ringo_channel *ch;
	intptr_t item;               /* sent, or received */
	int result;                  /* 0 or -EPIPE (lock) */
	bool queued;                 /* in a list (lock) */
	pthread_cond_t *cond;        /* a plain thread's, or NULL for a task */
};

struct ringo_channel {
	pthread_mutex_t lock;
	unsigned refs;
	bool closed;
	size_t cap, head, len;
	intptr_t *items;
	struct ringo__list senders, receivers;   /* struct chan_wait, FIFO */
};

int ringo_channel_create(size_t capacity, ringo_channel **out)
{
	if (!out || capacity == 0 || capacity > SIZE_MAX / sizeof(intptr_t))
		return -EINVAL;
	struct ringo_channel *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->items = malloc(capacity * sizeof(*ch->items));
	if (!ch->items) {
		free(ch);
		return -ENOMEM;
	}
	pthread_mutex_init(&ch->lock, NULL);
	ch->refs = 1;
	ch->cap = capacity;
	ringo__list_init(&ch->senders);
	ringo__list_init(&ch->receivers);
	*out = ch;
	return 0;
}

ringo_channel *ringo_channel_ref(ringo_channel *ch)
{
	if (ch) {
		pthread_mutex_lock(&ch->lock);
		ch->refs++;
		pthread_mutex_unlock(&ch->lock);
	}
	return ch;
}

void ringo_channel_unref(ringo_channel *ch)
{
	if (!ch)
		return;
	pthread_mutex_lock(&ch->lock);
	unsigned refs = --ch->refs;
	pthread_mutex_unlock(&ch->lock);
	if (refs)
		return;
	/* Blocked tasks hold references through their callers: none left. */
	pthread_mutex_destroy(&ch->lock);
	free(ch->items);
	free(ch);
}

/* ---- waking ---- */

/* On the waiter's loop, from the wake CQE: resumes the task. */
static void wake_run(struct ringo__msg *m)
{
	struct chan_wait *cw = ringo__container_of(m, struct chan_wait, msg);
	ringo__ring_expect(ringo__loop_get()->ring, -1);  /* it has come */
	ringo__wait_resume(&cw->w, cw->result);
}

/* Under the lock: takes the first waiter of list out, with result. */
static struct chan_wait *take_first(struct ringo__list *list, int result)
{
	struct chan_wait *cw = ringo__container_of(list->next, struct chan_wait, node);
	ringo__list_remove(&cw->node);
	cw->queued = false;
	cw->result = result;
	return cw;
}

/* Under the lock, for a waiter just taken (and given its item): signals a
 * plain thread at once and returns NULL; returns a task's record, to wake
 * after unlocking. */
static struct chan_wait *wake_plain(struct chan_wait *cw)
{
	if (!cw->cond)
		return cw;
	pthread_cond_signal(cw->cond);
	return NULL;
}

/* After the lock: sends the wake. The record must not be touched after. */
static void wake(struct chan_wait *cw)
{
	if (ringo__mailbox_reply(cw->loop, &cw->msg) < 0)
		ringo__log_str(RINGO_LOG_ERROR, "a channel waiter's loop is gone");
}

static bool wait_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	struct chan_wait *cw = ringo__container_of(w, struct chan_wait, w);
	pthread_mutex_lock(&cw->ch->lock);
	bool queued = cw->queued;
	if (queued) {
		ringo__list_remove(&cw->node);
		cw->queued = false;
	}
	pthread_mutex_unlock(&cw->ch->lock);
	if (!queued)
		return false;  /* completed: its wake is on its way */
	ringo__ring_expect(ringo__loop_get()->ring, -1);  /* no wake will come */
	ringo__wait_wake(w, -ECANCELED);
	return true;
}

/* For the task dump; reads the channel without its lock (a dump is a
 * snapshot, the numbers may be a moment old). */
static ringo_task *describe_send(const struct ringo__wait *w, char *buf, size_t cap,
				 int64_t now)
{
	(void)now;
	snprintf(buf, cap, "channel %p send (full)", w->target);
	return NULL;
}

static ringo_task *describe_recv(const struct ringo__wait *w, char *buf, size_t cap,
				 int64_t now)
{
	(void)now;
	snprintf(buf, cap, "channel %p recv (empty)", w->target);
	return NULL;
}

/* With the lock held: links cw in list, releases the lock and suspends. */
static int block(struct ringo_channel *ch, struct chan_wait *cw, ringo_task *t,
		 struct ringo__list *list)
{
	struct ringo_loop *loop = ringo__loop_get();
	ringo__wait_init_notify(&cw->w, t, wait_cancel, ch);
	cw->w.describe = list == &ch->senders ? describe_send : describe_recv;
	cw->msg.run = wake_run;
	cw->loop = loop->mailbox;
	cw->ch = ch;
	cw->result = 0;
	cw->queued = true;
	cw->cond = NULL;
	ringo__list_push_back(list, &cw->node);
	pthread_mutex_unlock(&ch->lock);
	ringo__ring_expect(loop->ring, 1);  /* the wake */
	return (int)ringo__wait_suspend(&cw->w);
}

/* The same for a plain thread, until deadline: links cw in list, waits on
 * a condition variable of its own, and releases the lock. */
static int block_plain(struct ringo_channel *ch, struct chan_wait *cw, struct ringo__list *list,
		       ringo_deadline deadline)
{
	pthread_cond_t cond;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);
	cw->cond = &cond;
	cw->ch = ch;
	cw->result = 0;
	cw->queued = true;
	ringo__list_push_back(list, &cw->node);
	struct timespec ts = { deadline.ns / 1000000000LL, deadline.ns % 1000000000LL };
	int ret = 0;
	while (cw->queued) {
		if (ringo_deadline_none(deadline)) {
			pthread_cond_wait(&cond, &ch->lock);
		} else if (pthread_cond_timedwait(&cond, &ch->lock, &ts) == ETIMEDOUT &&
			   cw->queued) {
			ringo__list_remove(&cw->node);
			cw->queued = false;
			ret = -ETIMEDOUT;
		}
	}
	if (ret == 0)
		ret = cw->result;
	pthread_mutex_unlock(&ch->lock);
	pthread_cond_destroy(&cond);
	return ret;
}

/* ---- sending and receiving ---- */

/* Under the lock: the send's outcome without blocking, or -EAGAIN (full).
 * *woken is a receiver to wake after unlocking. */
static int send_locked(struct ringo_channel *ch, intptr_t item, struct chan_wait **woken)
{
	*woken = NULL;
	if (ch->closed)
		return -EPIPE;
	if (!ringo__list_empty(&ch->receivers)) {
		struct chan_wait *cw = take_first(&ch->receivers, 0);
		cw->item = item;
		*woken = wake_plain(cw);
		return 0;
	}
	if (ch->len == ch->cap)
		return -EAGAIN;
	ch->items[(ch->head + ch->len++) % ch->cap] = item;
	return 0;
}

/* Under the lock: the receive's outcome without blocking, or -EAGAIN
 * (empty). *woken is a sender to wake after unlocking. */
static int recv_locked(struct ringo_channel *ch, intptr_t *item, struct chan_wait **woken)
{
	*woken = NULL;
	if (ch->len > 0) {
		*item = ch->items[ch->head];
		ch->head = (ch->head + 1) % ch->cap;
		ch->len--;
		if (!ringo__list_empty(&ch->senders)) {
			/* The first blocked sender's item takes the free slot. */
			struct chan_wait *cw = take_first(&ch->senders, 0);
			ch->items[(ch->head + ch->len++) % ch->cap] = cw->item;
			*woken = wake_plain(cw);
		}
		return 0;
	}
	return ch->closed ? -EPIPE : -EAGAIN;
}

int ringo_channel_try_send(ringo_channel *ch, intptr_t item)
{
	if (!ch)
		return -EINVAL;
	struct chan_wait *woken;
	pthread_mutex_lock(&ch->lock);
	int ret = send_locked(ch, item, &woken);
	pthread_mutex_unlock(&ch->lock);
	if (woken)
		wake(woken);
	return ret;
}

int ringo_channel_try_recv(ringo_channel *ch, intptr_t *item)
{
	if (!ch || !item)
		return -EINVAL;
	struct chan_wait *woken;
	pthread_mutex_lock(&ch->lock);
	int ret = recv_locked(ch, item, &woken);
	pthread_mutex_unlock(&ch->lock);
	if (woken)
		wake(woken);
	return ret;
}

/* A send (sending) or receive of *item: at once if it can go, otherwise
 * queued and waited for, by task t (suspending) or, with t NULL, by the
 * calling plain thread (blocking until deadline). */
static int transfer(ringo_channel *ch, bool sending, intptr_t *item, ringo_task *t,
		    ringo_deadline deadline)
{
	struct chan_wait *woken;
	pthread_mutex_lock(&ch->lock);
	int ret = sending ? send_locked(ch, *item, &woken) : recv_locked(ch, item, &woken);
	if (ret != -EAGAIN) {
		pthread_mutex_unlock(&ch->lock);
		if (woken)
			wake(woken);
		return ret;
	}
	struct chan_wait cw;
	cw.item = sending ? *item : 0;
	struct ringo__list *queue = sending ? &ch->senders : &ch->receivers;
	ret = t ? block(ch, &cw, t, queue) : block_plain(ch, &cw, queue, deadline);
	if (ret == 0 && !sending)
		*item = cw.item;
	return ret;
}

int ringo_channel_send(ringo_channel *ch, intptr_t item)
{
	if (!ch)
		return -EINVAL;
	if (!ringo__loop_get() && !ringo__loop_forked())
		return ringo_channel_send_wait(ch, item, RINGO_NO_DEADLINE);
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	return transfer(ch, true, &item, t, RINGO_NO_DEADLINE);
}

int ringo_channel_recv(ringo_channel *ch, intptr_t *item)
{
	if (!ch || !item)
		return -EINVAL;
	if (!ringo__loop_get() && !ringo__loop_forked())
		return ringo_channel_recv_wait(ch, item, RINGO_NO_DEADLINE);
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	return transfer(ch, false, item, t, RINGO_NO_DEADLINE);
}

int ringo_channel_send_wait(ringo_channel *ch, intptr_t item, ringo_deadline deadline)
{
	if (!ch)
		return -EINVAL;
	if (ringo__loop_get())
		return -EPERM;  /* it would block the loop: ringo_channel_send */
	return transfer(ch, true, &item, NULL, deadline);
}

int ringo_channel_recv_wait(ringo_channel *ch, intptr_t *item, ringo_deadline deadline)
{
	if (!ch || !item)
		return -EINVAL;
	if (ringo__loop_get())
		return -EPERM;  /* it would block the loop: ringo_channel_recv */
	return transfer(ch, false, item, NULL, deadline);
}

int ringo_channel_close(ringo_channel *ch)
{
	if (!ch)
		return -EINVAL;
	struct ringo__list all;
	ringo__list_init(&all);
	pthread_mutex_lock(&ch->lock);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->lock);
		return 0;
	}
	ch->closed = true;
	/* Receivers wait only on an empty channel: they all get -EPIPE, as
	 * every blocked sender does (its item is not sent). */
	struct ringo__list *lists[2] = { &ch->receivers, &ch->senders };
	for (int i = 0; i < 2; i++) {
		while (!ringo__list_empty(lists[i])) {
			struct chan_wait *cw = wake_plain(take_first(lists[i], -EPIPE));
			if (cw)
				ringo__list_push_back(&all, &cw->node);
		}
	}
	pthread_mutex_unlock(&ch->lock);
	while (!ringo__list_empty(&all)) {
		struct chan_wait *cw = ringo__container_of(all.next, struct chan_wait, node);
		ringo__list_remove(&cw->node);
		wake(cw);
	}
	return 0;
}

bool ringo_channel_closed(const ringo_channel *ch)
{
	if (!ch)
		return false;
	struct ringo_channel *c = (struct ringo_channel *)ch;
	pthread_mutex_lock(&c->lock);
	bool closed = c->closed;
	pthread_mutex_unlock(&c->lock);
	return closed;
}

size_t ringo_channel_len(const ringo_channel *ch)
{
	if (!ch)
		return 0;
	struct ringo_channel *c = (struct ringo_channel *)ch;
	pthread_mutex_lock(&c->lock);
	size_t len = c->len;
	pthread_mutex_unlock(&c->lock);
	return len;
}

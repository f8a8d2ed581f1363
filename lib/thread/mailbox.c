/* SPDX-License-Identifier: MIT */
/* The mailbox: how other threads reach a loop (ringo_loop handles,
 * ringo_call_soon_threadsafe, and the messages of xfutures and channels).
 *
 * A mailbox is a heap object with a lock, a FIFO of messages and a
 * reference count; it is the public ringo_loop handle and outlives the loop
 * while anyone holds a reference. A sender appends its message under the
 * lock (so one sender's messages stay in order) and, if no wake is on its
 * way already, sends one: a CQE posted into the loop's ring with
 * IORING_OP_MSG_RING, whose user_data names the mailbox's wake op. From a
 * loop's thread the MSG_RING is an SQE of that loop's own ring (it goes
 * out with the loop's next submission, batched with everything else); from
 * a plain thread it is submitted at once from a two-entry ring of that
 * thread's. The loop, dispatching the wake, takes the whole FIFO under the
 * lock and runs it.
 *
 * A kernel without IORING_OP_MSG_RING (before 5.18), or RINGO_MAILBOX=eventfd
 * (for tests), gets the eventfd way: the loop keeps a read of an eventfd of
 * the mailbox's in flight, a sender of any thread writes the eventfd, and
 * the read's CQE is the wake. The wake is still a CQE; what it costs more is
 * the target's poll wake-up and a re-armed read per wake.
 *
 * Lifetimes, and why no sender writes into freed memory:
 *  - Everything shared is under the lock; open says whether the loop still
 *    accepts messages. The loop clears it when its main task is done
 *    (close), under the lock, then runs what was queued before: a message
 *    accepted is run exactly once, a message refused returns -EPIPE.
 *  - MSG_RING names its target by fd. The mailbox keeps its own dup of the
 *    loop's ring fd, closed only when the mailbox is freed, so the fd can
 *    never be reused for another file while a sender may still use it,
 *    even after the loop has closed its ring (a late CQE then lands in a
 *    ring nobody reads, which the dup frees at the end).
 *  - A wake on its way holds a reference on the mailbox until it has been
 *    submitted (plain thread) or its own CQE has come back to the sending
 *    loop (loop thread), so the dup is still open when the kernel reads it.
 *  - At most one wake is undelivered at a time (wake_pending), so a loop
 *    that has ended receives at most one stray CQE.
 *
 * Deadlock detection stays exact: a wake CQE comes from no SQE of the
 * loop's, so its dispatch gives back the 1 it takes from the in-flight
 * count; and the loop counts one operation in flight ("listening") only
 * while someone other than the loop holds a reference on its handle, since
 * only then can a message still come. The last ringo_loop_unref sends a
 * wake so that a loop blocked on that count looks again. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "debug/log.h"
#include "core/ring.h"

struct ringo_mailbox {
	pthread_mutex_t lock;
	/* Under lock. */
	unsigned refs;              /* the loop's own while it runs, each
				       ringo_loop_ref, each wake on its way */
	bool open;                  /* accepting messages */
	bool alive;                 /* the loop still dispatches: replies are
				       accepted until its ring is closed */
	bool wake_pending;          /* a wake is on its way, not yet dispatched */
	struct ringo__msg *head, **tail;
	unsigned queued;            /* head != NULL, also read without the
				       lock by a busy-polling loop (atomics) */
	/* Written under lock, read by the loop without it. */
	_Atomic unsigned holders;   /* ringo_loop_ref's references */
	/* Set by open, then read-only. */
	int ring_fd;                /* a dup of the loop's ring: MSG_RING's target */
	uint64_t wake_tag;          /* the user_data of a wake CQE */
	bool msg_ring;              /* wakes are MSG_RINGs, else eventfd writes */
	int efd;                    /* the eventfd way's, or -1 */
	/* The loop's thread only. */
	struct ringo_loop *loop;
	struct ringo__op wake_op;
	struct ringo__op self_op;   /* the wake of a post from the loop itself */
	uint64_t efd_count;         /* the eventfd read's buffer */
	bool listening;             /* counted in flight, so the loop waits */
	bool closed;
};

/* ---- references ---- */

static void mailbox_release(struct ringo_mailbox *mb);

static void mailbox_free(struct ringo_mailbox *mb)
{
	if (mb->ring_fd >= 0)
		close(mb->ring_fd);
	if (mb->efd >= 0)
		close(mb->efd);
	pthread_mutex_destroy(&mb->lock);
	free(mb);
}

void ringo__mailbox_hold(struct ringo_mailbox *mb)
{
	pthread_mutex_lock(&mb->lock);
	mb->refs++;
	pthread_mutex_unlock(&mb->lock);
}

void ringo__mailbox_release(struct ringo_mailbox *mb)
{
	mailbox_release(mb);
}

static void mailbox_release(struct ringo_mailbox *mb)
{
	pthread_mutex_lock(&mb->lock);
	unsigned refs = --mb->refs;
	pthread_mutex_unlock(&mb->lock);
	if (refs == 0)
		mailbox_free(mb);
}

/* ---- sending a wake ---- */

/* A plain thread's ring for MSG_RING, made on first use and closed when the
 * thread exits. */
struct sender {
	struct io_uring ring;
	bool ready;
};
static __thread struct sender tls_sender;
static pthread_key_t sender_key;
static pthread_once_t sender_once = PTHREAD_ONCE_INIT;

static void sender_exit(void *p)
{
	struct sender *s = p;
	if (s->ready) {
		io_uring_queue_exit(&s->ring);
		s->ready = false;
	}
}

static void sender_key_make(void)
{
	(void)pthread_key_create(&sender_key, sender_exit);
}

static int sender_get(struct sender **out)
{
	struct sender *s = &tls_sender;
	if (!s->ready) {
		pthread_once(&sender_once, sender_key_make);
		int ret = io_uring_queue_init(2, &s->ring, 0);
		if (ret < 0)
			return ret;
		s->ready = true;
		pthread_setspecific(sender_key, s);
	}
	*out = s;
	return 0;
}

/* The target's CQ full or memory short pass; anything else is a bug. */
static void check_posted(int res)
{
	if (res >= 0 || res == -EAGAIN || res == -ENOMEM || res == -EOVERFLOW || res == -EBUSY ||
	    res == -EINTR)
		return;
	ringo__log(RINGO_LOG_ERROR, "cannot post to another loop's ring: %s", strerror(-res));
	abort();
}

/* From a plain thread: submits the MSG_RING and waits for its own CQE, which
 * MSG_RING posts inline. Retries until it is delivered: the target counts on
 * it. */
static void wake_send_sync(struct sender *s, struct ringo_mailbox *to)
{
	for (unsigned tries = 0;; tries++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
		io_uring_prep_msg_ring(sqe, to->ring_fd, 0, to->wake_tag, 0);
		io_uring_sqe_set_data64(sqe, 1);
		int ret;
		do
			ret = io_uring_submit_and_wait(&s->ring, 1);
		while (ret == -EINTR);
		struct io_uring_cqe *cqe;
		if (ret >= 0) {
			do
				ret = io_uring_wait_cqe(&s->ring, &cqe);
			while (ret == -EINTR);
		}
		if (ret >= 0) {
			ret = cqe->res;
			io_uring_cqe_seen(&s->ring, cqe);
		}
		check_posted(ret);
		if (ret >= 0)
			return;
		struct timespec ts = { 0, tries < 10 ? 100000L : 10000000L };
		nanosleep(&ts, NULL);
	}
}

/* From a loop's thread: an SQE of its own ring, whose own CQE comes back
 * to wake_sent; it holds the target's reference until then. */
struct wake_sqe {
	struct ringo__op op;
	struct ringo_mailbox *to;
};
/* One spare record per loop thread, so a post needs no malloc. */
static __thread struct wake_sqe *tls_spare;

static void wake_sent(struct ringo__op *op, int res, uint32_t flags);

static void self_wake_complete(struct ringo__op *op, int res, uint32_t flags);

static void wake_queue(struct ringo_loop *loop, struct wake_sqe *ws)
{
	if (ws->to == loop->mailbox) {
		/* To itself: a NOP. (A MSG_RING to a DEFER_TASKRUN ring posts
		 * its CQE only once the ring waits, which a loop with nothing
		 * else in flight never does.) */
		ringo__op_arm(loop, &ws->to->self_op, self_wake_complete);
		ringo__ring_nop(loop->ring, &ws->to->self_op);
		mailbox_release(ws->to);  /* the loop holds its own */
		if (!tls_spare)
			tls_spare = ws;
		else
			free(ws);
		return;
	}
	struct io_uring_sqe *sqe = ringo__ring_sqe(loop->ring);
	io_uring_prep_msg_ring(sqe, ws->to->ring_fd, 0, ws->to->wake_tag, 0);
	ringo__op_arm(loop, &ws->op, wake_sent);
	ringo__ring_arm(sqe, &ws->op);
}

static void wake_sent(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	struct wake_sqe *ws = ringo__container_of(op, struct wake_sqe, op);
	check_posted(res);
	if (res < 0) {
		wake_queue(ringo__loop_get(), ws);
		return;
	}
	mailbox_release(ws->to);
	if (!tls_spare)
		tls_spare = ws;
	else
		free(ws);
}

/* What a sender needs before it takes the lock, so that sending the wake
 * cannot fail after the message is queued: the loop thread's record, or
 * the plain thread's ring. */
struct wake_kit {
	struct ringo_loop *here;
	struct wake_sqe *ws;
	struct sender *s;
};

static int kit_get(struct wake_kit *k, struct ringo_mailbox *to)
{
	k->here = ringo__loop_get();
	k->ws = NULL;
	k->s = NULL;
	if (k->here && k->here->mailbox == to) {
		/* To itself: a NOP, whatever the way. */
	} else if (!to->msg_ring) {
		k->here = NULL;  /* an eventfd write, from any thread */
		return 0;
	}
	if (k->here && (k->here->mailbox == to ||
			ringo__ring_supports(k->here->ring, IORING_OP_MSG_RING))) {
		k->ws = tls_spare;
		tls_spare = NULL;
		if (!k->ws)
			k->ws = malloc(sizeof(*k->ws));
		return k->ws ? 0 : -ENOMEM;
	}
	k->here = NULL;
	return sender_get(&k->s);
}

static void kit_put(struct wake_kit *k)
{
	if (k->ws && !tls_spare)
		tls_spare = k->ws;
	else
		free(k->ws);
}

/* Sends the wake for which the caller took a reference on to. */
static void wake_send(struct wake_kit *k, struct ringo_mailbox *to)
{
	if (k->here) {
		k->ws->to = to;
		wake_queue(k->here, k->ws);
		k->ws = NULL;
		return;
	}
	if (to->msg_ring) {
		wake_send_sync(k->s, to);
	} else {
		uint64_t one = 1;
		/* Cannot fail but by overflowing the counter (2^64 - 2), which
		 * the loop's reads keep from happening. */
		ssize_t n;
		do
			n = write(to->efd, &one, sizeof(one));
		while (n < 0 && errno == EINTR);
	}
	mailbox_release(to);
}

/* Under to's lock: whether the caller must send a wake (it then holds a
 * reference for it). */
static bool wake_needed(struct ringo_mailbox *to)
{
	if (to->wake_pending)
		return false;
	to->wake_pending = true;
	to->refs++;
	return true;
}

static int post(struct ringo_mailbox *to, struct ringo__msg *m, bool reply)
{
	struct wake_kit k;
	int ret = kit_get(&k, to);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&to->lock);
	if (!(reply ? to->alive : to->open)) {
		pthread_mutex_unlock(&to->lock);
		kit_put(&k);
		return -EPIPE;
	}
	m->next = NULL;
	*to->tail = m;
	to->tail = &m->next;
	__atomic_store_n(&to->queued, 1, __ATOMIC_RELEASE);
	bool wake = wake_needed(to);
	pthread_mutex_unlock(&to->lock);
	if (wake)
		wake_send(&k, to);
	kit_put(&k);
	return 0;
}

int ringo__mailbox_post(struct ringo_mailbox *to, struct ringo__msg *m)
{
	return post(to, m, false);
}

int ringo__mailbox_reply(struct ringo_mailbox *to, struct ringo__msg *m)
{
	return post(to, m, true);
}

/* ---- the loop's side ---- */

/* Runs every queued message, oldest first. */
static void drain(struct ringo_mailbox *mb, bool closing)
{
	pthread_mutex_lock(&mb->lock);
	struct ringo__msg *m = mb->head;
	mb->head = NULL;
	mb->tail = &mb->head;
	mb->wake_pending = false;
	__atomic_store_n(&mb->queued, 0, __ATOMIC_RELAXED);
	if (closing)
		mb->open = false;
	pthread_mutex_unlock(&mb->lock);
	while (m) {
		struct ringo__msg *next = m->next;
		m->run(m);
		m = next;
	}
}

static void efd_arm(struct ringo_mailbox *mb);

static void wake_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	struct ringo_mailbox *mb = ringo__container_of(op, struct ringo_mailbox, wake_op);
	/* A MSG_RING's CQE came from another ring, the eventfd read is weak:
	 * either way no count of ours is due. */
	ringo__ring_expect(mb->loop->ring, 1);
	if (mb->msg_ring)
		op->armed = true;  /* the same tag serves every wake */
	else
		efd_arm(mb);       /* before the drain: a write from now on is seen */
	drain(mb, false);
}

static void self_wake_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	drain(ringo__container_of(op, struct ringo_mailbox, self_op), false);
}

/* The eventfd way: a weak read (it alone never keeps the loop waiting),
 * re-armed by each of its CQEs until the ring closes; wake_complete is its
 * completion too. */
static void efd_arm(struct ringo_mailbox *mb)
{
	struct ringo__ring *r = mb->loop->ring;
	struct io_uring_sqe *sqe = ringo__ring_sqe(r);
	io_uring_prep_read(sqe, mb->efd, &mb->efd_count, sizeof(mb->efd_count), 0);
	ringo__op_arm(mb->loop, &mb->wake_op, wake_complete);
	ringo__ring_arm(sqe, &mb->wake_op);
	ringo__ring_expect(r, -1);
}

int ringo__mailbox_open(struct ringo_loop *loop)
{
	struct ringo_mailbox *mb = calloc(1, sizeof(*mb));
	if (!mb)
		return -ENOMEM;
	mb->ring_fd = fcntl(loop->ring->uring.ring_fd, F_DUPFD_CLOEXEC, 0);
	if (mb->ring_fd < 0) {
		int err = -errno;
		free(mb);
		return err;
	}
	pthread_mutex_init(&mb->lock, NULL);
	mb->refs = 1;
	mb->open = true;
	mb->alive = true;
	mb->tail = &mb->head;
	mb->loop = loop;
	mb->efd = -1;
	const char *mode = getenv("RINGO_MAILBOX");
	mb->msg_ring = ringo__ring_supports(loop->ring, IORING_OP_MSG_RING) &&
		       !(mode && strcmp(mode, "eventfd") == 0);
	loop->mailbox = mb;
	if (!mb->msg_ring) {
		/* Non-blocking, so that the ring polls it rather than
		 * blocking a worker thread on it. */
		mb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (mb->efd < 0) {
			int err = -errno;
			loop->mailbox = NULL;
			mailbox_free(mb);
			return err;
		}
		efd_arm(mb);
		/* A busy-polling loop stops spinning when a message is
		 * queued: the eventfd read's CQE may need an enter to be
		 * posted. (A MSG_RING shows in the ring itself.) */
		loop->ring->poll_mail = &mb->queued;
		return 0;
	}
	ringo__op_arm(loop, &mb->wake_op, wake_complete);
	mb->wake_op.armed = true;
	mb->wake_tag = ringo__ring_tag(&mb->wake_op);
	return 0;
}

void ringo__mailbox_listen(struct ringo_loop *loop)
{
	struct ringo_mailbox *mb = loop->mailbox;
	bool want = !mb->closed && atomic_load_explicit(&mb->holders, memory_order_acquire) > 0;
	if (want != mb->listening) {
		mb->listening = want;
		ringo__ring_expect(loop->ring, want ? 1 : -1);
	}
}

void ringo__mailbox_close(struct ringo_loop *loop)
{
	struct ringo_mailbox *mb = loop->mailbox;
	if (!mb || mb->closed)
		return;
	mb->closed = true;
	if (mb->listening) {
		mb->listening = false;
		ringo__ring_expect(loop->ring, -1);
	}
	drain(mb, true);
}

void ringo__mailbox_end(struct ringo_loop *loop)
{
	struct ringo_mailbox *mb = loop->mailbox;
	if (!mb)
		return;
	loop->mailbox = NULL;
	free(tls_spare);  /* nothing of the loop's is in flight any more */
	tls_spare = NULL;
	pthread_mutex_lock(&mb->lock);
	mb->open = false;   /* a loop that never ran its main */
	mb->alive = false;
	struct ringo__msg *left = mb->head;
	mb->head = NULL;
	mb->tail = &mb->head;
	pthread_mutex_unlock(&mb->lock);
	/* Replies come only while something of the loop waits for them, and
	 * the loop waited for that: nothing can be left. */
	if (left)
		ringo__log_str(RINGO_LOG_ERROR, "a loop ended with messages for it still queued");
	mb->loop = NULL;
	mailbox_release(mb);
}

/* ---- the public handle ---- */

ringo_loop *ringo_loop_current(void)
{
	struct ringo_loop *loop = ringo__loop_get();
	return loop ? loop->mailbox : NULL;
}

ringo_loop *ringo_loop_ref(ringo_loop *mb)
{
	if (!mb)
		return NULL;
	pthread_mutex_lock(&mb->lock);
	mb->refs++;
	atomic_fetch_add_explicit(&mb->holders, 1, memory_order_release);
	pthread_mutex_unlock(&mb->lock);
	return mb;
}

void ringo_loop_unref(ringo_loop *mb)
{
	if (!mb)
		return;
	struct wake_kit k;
	bool have_kit = kit_get(&k, mb) == 0;
	pthread_mutex_lock(&mb->lock);
	unsigned holders = atomic_fetch_sub_explicit(&mb->holders, 1, memory_order_release) - 1;
	/* The last holder lets a loop waiting only for messages look again;
	 * without the means to send (no memory), it waits for the next one. */
	bool wake = holders == 0 && mb->open && have_kit && wake_needed(mb);
	unsigned refs = --mb->refs;
	pthread_mutex_unlock(&mb->lock);
	if (wake)
		wake_send(&k, mb);
	if (have_kit)
		kit_put(&k);
	if (refs == 0)
		mailbox_free(mb);
}

struct call_msg {
	struct ringo__msg m;
	ringo_callback_fn fn;
	void *arg;
};

static void call_run(struct ringo__msg *m)
{
	struct call_msg *c = ringo__container_of(m, struct call_msg, m);
	c->fn(c->arg);
	free(c);
}

int ringo_call_soon_threadsafe(ringo_loop *loop, ringo_callback_fn fn, void *arg)
{
	if (!loop || !fn)
		return -EINVAL;
	struct call_msg *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m.run = call_run;
	c->fn = fn;
	c->arg = arg;
	int ret = ringo__mailbox_post(loop, &c->m);
	if (ret < 0)
		free(c);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/* Acceptor: a listening socket served by one multishot accept, re-armed
 * whenever its CQE ends without IORING_CQE_F_MORE (single-shot accepts,
 * re-armed after each connection, where the kernel lacks multishot).
 *
 * A connection is handed to the first waiting task from the accept's CQE
 * handler, which resumes that task at once (the CQE is its resumption), or
 * else queued. A hand-off therefore never waits for a later CQE: a task is
 * either still in the waiter list (a cancellation or its deadline takes it
 * out, and it gets nothing) or already running with its fd, so no fd is
 * lost to a cancellation. Should a cancellation land after a hand-off
 * anyway, the core's rule holds: the fd is returned and -ECANCELED comes at
 * the next await.
 *
 * Running out of descriptors (EMFILE...) stops the accept; a timer of the
 * acceptor's own (an IORING_OP_TIMEOUT) re-arms it later, so the pending
 * connections wait in the kernel's backlog instead of the loop spinning. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/ring.h"

#define BACKOFF_MIN RINGO_MSEC(10)
#define BACKOFF_MAX RINGO_SEC(1)

struct ringo_acceptor {
	struct ringo__op accept;     /* the accept in flight, if armed */
	struct ringo__op backoff;    /* the back-off timer in flight, if armed */
	struct ringo__resource res;  /* the loop's shutdown stops the accept */
	struct ringo__list waiters;  /* struct ringo__wait, FIFO */
	struct ringo__wait *closer;  /* a task in close, waiting for the last CQE */
	struct ringo_loop *loop;
	uint64_t loop_id;
	int *fds;                    /* accepted, not taken: a ring, capacity a power of two */
	size_t head, count, cap;
	int64_t delay;               /* the last back-off; 0 after a success */
	int fd;
	int error;                   /* the error that stopped accepting, or 0 */
	bool multishot;
	bool accepted;               /* a connection has come: the accept works */
	bool stopping;               /* closing, or the loop is ending: no re-arm */
	bool closing;
	bool free_when_idle;         /* closed outside a task: freed by the last CQE */
};

/* ---- accepted connections not taken yet ---- */

static int push(ringo_acceptor *a, int fd)
{
	if (a->count == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		int *nfds = malloc(ncap * sizeof(*nfds));
		if (!nfds)
			return -ENOMEM;
		for (size_t i = 0; i < a->count; i++)
			nfds[i] = a->fds[(a->head + i) & (a->cap - 1)];
		free(a->fds);
		a->fds = nfds;
		a->cap = ncap;
		a->head = 0;
	}
	a->fds[(a->head + a->count) & (a->cap - 1)] = fd;
	a->count++;
	return 0;
}

static int pop(ringo_acceptor *a)
{
	int fd = a->fds[a->head];
	a->head = (a->head + 1) & (a->cap - 1);
	a->count--;
	return fd;
}

static void destroy(ringo_acceptor *a)
{
	while (a->count)
		close(pop(a));
	ringo__resource_remove(&a->res);
	free(a->fds);
	free(a);
}

static bool idle(const ringo_acceptor *a)
{
	return !a->accept.armed && !a->backoff.armed;
}

static void wake_all(ringo_acceptor *a, int value)
{
	while (!ringo__list_empty(&a->waiters)) {
		struct ringo__list *n = a->waiters.next;
		ringo__list_remove(n);
		ringo__wait_wake(ringo__container_of(n, struct ringo__wait, waiter.node), value);
	}
}

/* ---- the accept and its back-off ---- */

static void accept_complete(struct ringo__op *op, int res, uint32_t flags);
static void backoff_complete(struct ringo__op *op, int res, uint32_t flags);

static void arm_accept(ringo_acceptor *a)
{
	struct ringo__ring *r = a->loop->ring;
	ringo__op_arm(a->loop, &a->accept, accept_complete);
	struct io_uring_sqe *sqe = ringo__ring_sqe(r);
	io_uring_prep_accept(sqe, a->fd, NULL, NULL, SOCK_CLOEXEC);
	if (a->multishot)
		sqe->ioprio |= IORING_ACCEPT_MULTISHOT;
	ringo__ring_arm(sqe, &a->accept);
}

static void arm_backoff(ringo_acceptor *a)
{
	a->delay = a->delay ? a->delay * 2 : BACKOFF_MIN;
	if (a->delay > BACKOFF_MAX)
		a->delay = BACKOFF_MAX;
	ringo__op_arm(a->loop, &a->backoff, backoff_complete);
	ringo__ring_timeout(a->loop->ring, &a->backoff, a->delay, false);
}

/* Aims cancels at whatever is in flight; its last CQE still comes. */
static void stop(ringo_acceptor *a)
{
	a->stopping = true;
	if (a->accept.armed)
		ringo__ring_cancel(a->loop->ring, &a->accept);
	if (a->backoff.armed)
		ringo__ring_timeout_remove(a->loop->ring, &a->backoff);
}

/* After the accept's last CQE (res): accept again, now or after a pause,
 * or give up for good. */
static void after_final(ringo_acceptor *a, int res)
{
	switch (res) {
	case -EMFILE:
	case -ENFILE:
	case -ENOBUFS:
	case -ENOMEM:
		/* Retrying at once would fail at once: a busy loop. */
		arm_backoff(a);
		return;
	case -EINVAL:
		/* A kernel that refuses multishot: single-shot from now. */
		if (a->multishot && !a->accepted) {
			a->multishot = false;
			arm_accept(a);
			return;
		}
		/* fallthrough */
	case -EBADF:
	case -ENOTSOCK:
	case -EFAULT:
		/* The socket itself is unusable (closed, no longer listening):
		 * retrying would spin. Every waiter, and every later accept,
		 * gets the error. */
		a->error = res;
		wake_all(a, res);
		return;
	default:
		/* A connection, or an error of one connection (ECONNABORTED,
		 * EPROTO, the network errors accept passes on): go on. */
		arm_accept(a);
		return;
	}
}

/* Once nothing is in flight any more after stop(): lets close finish. */
static void settle(ringo_acceptor *a)
{
	if (!a->stopping || !idle(a))
		return;
	if (a->closer) {
		struct ringo__wait *w = a->closer;
		a->closer = NULL;
		ringo__wait_resume(w, 0); /* the closing task frees a */
	} else if (a->free_when_idle) {
		destroy(a);
	}
}

static void accept_complete(struct ringo__op *op, int res, uint32_t flags)
{
	ringo_acceptor *a = ringo__container_of(op, ringo_acceptor, accept);
	struct ringo__wait *taker = NULL;
	if (res >= 0) {
		a->accepted = true;
		a->delay = 0;
		if (a->stopping) {
			close(res);
		} else if (!ringo__list_empty(&a->waiters)) {
			struct ringo__list *n = a->waiters.next;
			ringo__list_remove(n);
			taker = ringo__container_of(n, struct ringo__wait, waiter.node);
		} else if (push(a, res) < 0) {
			close(res); /* out of memory: the connection is dropped */
		}
	}
	if (!(flags & IORING_CQE_F_MORE) && !a->stopping)
		after_final(a, res);
	if (taker)
		ringo__wait_resume(taker, res); /* last: the task may free a */
	else
		settle(a);
}

static void backoff_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	ringo_acceptor *a = ringo__container_of(op, ringo_acceptor, backoff);
	if (!a->stopping)
		arm_accept(a);
	settle(a);
}

static void acceptor_shutdown(struct ringo__resource *res)
{
	stop(ringo__container_of(res, ringo_acceptor, res));
}

/* ---- the API ---- */

int ringo_acceptor_open(int listen_fd, ringo_acceptor **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	if (!out || listen_fd < 0)
		return -EINVAL;
	if (!ringo__ring_supports(loop->ring, IORING_OP_ACCEPT))
		return -EOPNOTSUPP;
	int listening = 0;
	socklen_t len = sizeof(listening);
	if (getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
		return errno == ENOTSOCK ? -EINVAL : -errno;
	if (!listening)
		return -EINVAL;
	ringo_acceptor *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	ringo__list_init(&a->waiters);
	a->loop = loop;
	a->loop_id = loop->id;
	a->fd = listen_fd;
	/* Multishot accept came with 5.19, as did IORING_OP_SOCKET, which
	 * the probe can see; a refusal is still handled (EINVAL). */
	a->multishot = ringo__ring_supports(loop->ring, IORING_OP_SOCKET);
	a->res.shutdown = acceptor_shutdown;
	ringo__resource_add(loop, &a->res);
	arm_accept(a);
	*out = a;
	return 0;
}

/* The waiter's deadline: take it out of the queue, so no fd goes to it. */
static void accept_timeout(void *arg)
{
	struct ringo__wait *w = arg;
	if (w->state != RINGO__WAIT_NOTIFY)
		return;
	ringo__list_remove(&w->waiter.node);
	ringo__wait_wake(w, -ETIMEDOUT);
}

/* "accept fd 5 (0.0.0.0:8080)" */
static ringo_task *describe_accept(const struct ringo__wait *w, char *buf, size_t cap,
				   int64_t now)
{
	(void)now;
	const ringo_acceptor *a = w->target;
	char local[256];
	ringo__dump_fd(a->fd, local, sizeof(local));
	snprintf(buf, cap, local[0] ? "accept fd %d (%s)" : "accept fd %d", a->fd, local);
	return NULL;
}

int ringo_acceptor_accept(ringo_acceptor *a, ringo_deadline deadline)
{
	if (!a)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_owning(a->loop_id);
	if (!loop || !loop->current)
		return -EPERM;
	if (a->stopping)
		return -ESHUTDOWN;
	/* A connection is there: taken without suspending (as a queue's
	 * get), so a pending cancellation waits for the next await. */
	if (a->count)
		return pop(a);
	if (a->error)
		return a->error;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	if (!ringo_deadline_none(deadline) && deadline.ns <= ringo_time())
		return -ETIMEDOUT;
	struct ringo__wait w;
	ringo_handle *timer = NULL;
	if (!ringo_deadline_none(deadline)) {
		int ret = ringo_call_at(deadline.ns, accept_timeout, &w, &timer);
		if (ret < 0)
			return ret;
	}
	/* Woken with an fd by the accept's CQE, -ESHUTDOWN by close, the
	 * accept's fatal error, -ETIMEDOUT by the timer, or -ECANCELED (left
	 * the queue with nothing). a may be gone by now. */
	intptr_t r = ringo__wait_queued_as(&w, t, &a->waiters, NULL, a, describe_accept);
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	return (int)r;
}

/* A task closing the acceptor waits for the last CQE whatever happens; a
 * cancellation meanwhile is delivered at its next await. */
static bool keep_waiting(struct ringo__wait *w)
{
	(void)w;
	return false;
}

int ringo_acceptor_close(ringo_acceptor *a)
{
	if (!a)
		return 0;
	struct ringo_loop *loop = ringo__loop_owning(a->loop_id);
	if (!loop) {
		/* Its loop has ended: the shutdown stopped the accept and
		 * drained the ring, so nothing is in flight any more. */
		if (a->stopping && !a->closing && idle(a))
			destroy(a);
		return -EPERM;
	}
	if (a->closing)
		return -EBUSY;
	a->closing = true;
	ringo__resource_remove(&a->res);
	wake_all(a, -ESHUTDOWN);
	stop(a);
	if (idle(a)) {
		destroy(a);
		return 0;
	}
	if (!loop->current) {
		/* In a callback: nothing can wait here; the last CQE frees a. */
		a->free_when_idle = true;
		return 0;
	}
	struct ringo__wait w;
	ringo__wait_init_notify(&w, loop->current, keep_waiting, a);
	a->closer = &w;
	ringo__wait_suspend(&w);
	destroy(a);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Signals: read from signalfds by SQEs.
 *
 * Each loop has a hub: one signalfd whose mask holds the signals with a
 * handler (and SIGINT for ringo_run's default), and one read of it kept in
 * flight, re-armed after each CQE. A task in ringo_signal_wait reads a
 * signalfd of its own, and while it waits its signals leave the hub's
 * mask, so that it gets them first. A signal is blocked on the loop's
 * thread while anything wants it, and unblocked when nothing does.
 *
 * The hub's read counts as in flight only while a user handler exists:
 * the SIGINT default alone must not hide a deadlock (every task waiting for
 * nothing), so its read is made weak (ringo__ring_expect). */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "io/io.h"
#include "debug/log.h"

struct handler {
	intptr_t (*fn)(void *arg);
	void *arg;
};

struct hub {
	struct ringo__resource res;
	struct ringo__op op;
	struct ringo_loop *loop;
	uint64_t loop_id;
	int fd;                      /* the hub's signalfd, or -1 */
	sigset_t hubmask;            /* its mask */
	sigset_t mine;               /* signals this loop blocked */
	unsigned waiters[NSIG];      /* tasks in ringo_signal_wait, per signal */
	struct handler handlers[NSIG];
	unsigned nhandlers;
	ringo_task *main;            /* SIGINT cancels it; NULL: no default */
	int dump_signo;              /* makes dump_fn write the task dump */
	void (*dump_fn)(struct ringo_loop *loop);
	unsigned sigints;
	bool armed;                  /* the read (or poll) is in flight */
	bool counted;                /* and counts as in flight */
	bool poll;                   /* this kernel cannot read a signalfd from
					the ring: poll it, then read(2) */
	bool failed;                 /* reading failed: stop */
	bool closing;
};

static __thread struct hub *tls_hub;
/* The hub's read buffer: per thread rather than in the hub, because when
 * tasks were abandoned the read may still be in flight as the ring closes,
 * and the hub is freed after that. One loop runs on a thread at a time. */
static __thread struct signalfd_siginfo hub_buf[8];

static bool accepted(int signo)
{
	sigset_t s;
	sigemptyset(&s);
	/* sigaddset refuses what the C library keeps for itself. */
	if (signo <= 0 || signo >= NSIG || sigaddset(&s, signo) < 0)
		return false;
	switch (signo) {
	case SIGKILL:
	case SIGSTOP:
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
	case SIGSYS:
		return false;
	default:
		return true;
	}
}

static void hub_shutdown(struct ringo__resource *res);

static struct hub *hub_find(struct ringo_loop *loop)
{
	struct hub *h = tls_hub;
	return h && h->loop_id == loop->id ? h : NULL;
}

static struct hub *hub_get(struct ringo_loop *loop)
{
	struct hub *h = hub_find(loop);
	if (h)
		return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->loop = loop;
	h->loop_id = loop->id;
	h->fd = -1;
	sigemptyset(&h->hubmask);
	sigemptyset(&h->mine);
	/* RINGO_SIGNALFD=poll forces the older kernels' way (for tests). */
	const char *mode = getenv("RINGO_SIGNALFD");
	h->poll = mode && strcmp(mode, "poll") == 0;
	h->res.shutdown = hub_shutdown;
	ringo__resource_add(loop, &h->res);
	tls_hub = h;
	return h;
}

/* ---- the hub's read ---- */

static void hub_complete(struct ringo__op *op, int res, uint32_t flags);

static void hub_arm(struct hub *h)
{
	if (h->armed || h->closing || h->failed || h->fd < 0 || sigisemptyset(&h->hubmask))
		return;
	struct io_uring_sqe *sqe = ringo__ring_sqe(h->loop->ring);
	if (h->poll)
		io_uring_prep_poll_add(sqe, h->fd, POLLIN);
	else
		io_uring_prep_read(sqe, h->fd, hub_buf, sizeof(hub_buf), 0);
	ringo__op_arm(h->loop, &h->op, hub_complete);
	ringo__ring_arm(sqe, &h->op);
	h->armed = true;
	h->counted = true;
}

/* The read keeps the loop alive only for user handlers, and while the
 * loop drains it at shutdown. */
static void hub_weigh(struct hub *h)
{
	if (!h->armed)
		return;
	bool want = h->nhandlers > 0 || h->closing;
	if (want != h->counted) {
		ringo__ring_expect(h->loop->ring, want ? 1 : -1);
		h->counted = want;
	}
}

static void sigint_default(struct hub *h)
{
	if (h->sigints++ == 0) {
		ringo_task_cancel(h->main);
		return;
	}
	/* The second one ends the process, as SIGINT does by default. */
	signal(SIGINT, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	raise(SIGINT);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	_exit(128 + SIGINT);  /* not reached: the signal kills us first */
}

static void dispatch(struct hub *h, int signo)
{
	if (signo <= 0 || signo >= NSIG)
		return;
	struct handler *hd = &h->handlers[signo];
	if (hd->fn) {
		char name[16];
		snprintf(name, sizeof(name), "signal %d", signo);
		ringo_task_opts opts = { .name = name };
		if (ringo_task_create(hd->fn, hd->arg, &opts, NULL) < 0)
			ringo__log(RINGO_LOG_ERROR, "no memory to run the handler of signal %d", signo);
	} else if (signo == SIGINT && h->main) {
		sigint_default(h);
	} else if (signo == h->dump_signo && h->dump_fn) {
		h->dump_fn(h->loop);
	}
	/* Otherwise its handler went between the read and now: dropped. */
}

static void hub_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	struct hub *h = ringo__container_of(op, struct hub, op);
	if (!h->counted)
		ringo__ring_expect(h->loop->ring, 1);  /* see ringo__ring_expect */
	h->armed = false;
	h->counted = false;
	if (h->closing)
		return;
	if (h->poll && res >= 0) {
		ssize_t n = read(h->fd, hub_buf, sizeof(hub_buf));
		res = n < 0 ? -errno : (int)n;
	} else if (res == -EAGAIN && !h->poll) {
		h->poll = true;  /* a kernel without non-blocking signalfd reads */
	}
	if (res > 0) {
		for (size_t i = 0; i < (size_t)res / sizeof(hub_buf[0]); i++)
			dispatch(h, (int)hub_buf[i].ssi_signo);
	} else if (res < 0 && res != -EAGAIN && res != -EINTR && res != -ECANCELED) {
		ringo__log(RINGO_LOG_ERROR, "reading signals failed: %s", strerror(-res));
		h->failed = true;
	}
	hub_arm(h);
	hub_weigh(h);
}

static void hub_shutdown(struct ringo__resource *res)
{
	struct hub *h = ringo__container_of(res, struct hub, res);
	h->closing = true;
	if (h->armed) {
		ringo__ring_cancel(h->loop->ring, &h->op);
		hub_weigh(h);  /* the loop waits for its last CQE */
	}
}

/* ---- what wants which signal ---- */

/* SIGINT's default and the dump signal: read by the hub, without keeping
 * the loop alive. */
static bool loop_own(const struct hub *h, int sig)
{
	return (sig == SIGINT && h->main) || (sig == h->dump_signo && h->dump_fn);
}

static bool wants_block(const struct hub *h, int sig)
{
	return h->waiters[sig] > 0 || h->handlers[sig].fn || loop_own(h, sig);
}

static bool wants_hub(const struct hub *h, int sig)
{
	return h->waiters[sig] == 0 && (h->handlers[sig].fn || loop_own(h, sig));
}

/* Brings the thread's mask, the hub's mask and its read in line with what
 * wants sig. Returns 0, or the errno of signalfd(2) with the hub's mask
 * unchanged. */
static int hub_sync(struct hub *h, int sig)
{
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	if (wants_block(h, sig) && !sigismember(&h->mine, sig)) {
		sigset_t old;
		pthread_sigmask(SIG_BLOCK, &one, &old);
		if (!sigismember(&old, sig))
			sigaddset(&h->mine, sig);  /* blocked before us: stays so */
	}
	int ret = 0;
	bool in = wants_hub(h, sig);
	if (in != (sigismember(&h->hubmask, sig) == 1)) {
		sigset_t mask = h->hubmask;
		if (in)
			sigaddset(&mask, sig);
		else
			sigdelset(&mask, sig);
		int fd = signalfd(h->fd, &mask, h->fd < 0 ? SFD_NONBLOCK | SFD_CLOEXEC : 0);
		if (fd < 0) {
			ret = -errno;
		} else {
			h->fd = fd;
			h->hubmask = mask;
		}
	}
	if (!wants_block(h, sig) && sigismember(&h->mine, sig)) {
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);
		sigdelset(&h->mine, sig);
	}
	hub_arm(h);
	hub_weigh(h);
	return ret;
}

/* ---- the loop's start and end ---- */

void ringo__signal_loop_begin(struct ringo_loop *loop, ringo_task *main, unsigned run_flags)
{
	if (run_flags & RINGO_RUN_NO_SIGINT)
		return;
	/* As asyncio.run: only on the main thread, and only if nobody else
	 * has claimed SIGINT. */
	if (gettid() != getpid())
		return;
	struct sigaction sa;
	sigset_t cur;
	if (sigaction(SIGINT, NULL, &sa) < 0 || (sa.sa_flags & SA_SIGINFO) ||
	    sa.sa_handler != SIG_DFL)
		return;
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 || sigismember(&cur, SIGINT))
		return;
	struct hub *h = hub_get(loop);
	if (!h)
		return;
	h->main = ringo_task_ref(main);
	if (hub_sync(h, SIGINT) < 0) {
		/* No signalfd: SIGINT keeps its default. */
		h->main = NULL;
		ringo_task_unref(main);
		hub_sync(h, SIGINT);
	}
}

int ringo__signal_dump(struct ringo_loop *loop, int signo, void (*fn)(struct ringo_loop *loop))
{
	if (signo && !accepted(signo))
		return -EINVAL;
	struct hub *h = signo ? hub_get(loop) : hub_find(loop);
	if (!h)
		return signo ? -ENOMEM : 0;
	int old = h->dump_signo;
	h->dump_signo = signo;
	h->dump_fn = fn;
	int ret = 0;
	if (old && old != signo)
		(void)hub_sync(h, old);
	if (signo) {
		ret = hub_sync(h, signo);
		if (ret < 0) {
			h->dump_signo = 0;
			h->dump_fn = NULL;
			(void)hub_sync(h, signo);
		}
	}
	return ret;
}

void ringo__signal_loop_end(uint64_t loop_id)
{
	struct hub *h = tls_hub;
	if (!h || h->loop_id != loop_id)
		return;
	tls_hub = NULL;
	if (h->fd >= 0)
		close(h->fd);
	/* A signal pending now gets its ordinary disposition. */
	pthread_sigmask(SIG_UNBLOCK, &h->mine, NULL);
	ringo_task_unref(h->main);
	free(h);
}

/* ---- the API ---- */

/* One signal from fd into *si: a read SQE, or a poll SQE and read(2). */
static int read_signal(struct hub *h, int fd, struct signalfd_siginfo *si, ringo_deadline deadline)
{
	for (;;) {
		struct ringo__io io;
		int ret;
		if (!h->poll) {
			ret = ringo__io_begin(&io, IORING_OP_READ, deadline);
			if (ret < 0)
				return ret;
			io_uring_prep_read(io.sqe, fd, si, sizeof(*si), 0);
			ret = (int)ringo__io_await(&io);
			if (ret != -EAGAIN)
				return ret;
			h->poll = true;
		}
		ret = ringo__io_begin(&io, IORING_OP_POLL_ADD, deadline);
		if (ret < 0)
			return ret;
		io_uring_prep_poll_add(io.sqe, fd, POLLIN);
		ret = (int)ringo__io_await(&io);
		if (ret < 0)
			return ret;
		ssize_t n = read(fd, si, sizeof(*si));
		if (n >= 0)
			return (int)n;
		if (errno != EAGAIN)
			return -errno;
	}
}

int ringo_signal_wait(const sigset_t *set, ringo_deadline deadline)
{
	if (!set)
		return -EINVAL;
	bool any = false;
	for (int s = 1; s < NSIG; s++) {
		if (sigismember(set, s) == 1) {
			if (!accepted(s))
				return -EINVAL;
			any = true;
		}
	}
	if (!any)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	struct hub *h = hub_get(loop);
	if (!h)
		return -ENOMEM;
	for (int s = 1; s < NSIG; s++) {
		if (sigismember(set, s) == 1) {
			h->waiters[s]++;
			(void)hub_sync(h, s);  /* leaving the hub's mask cannot fail */
		}
	}
	int ret;
	int fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
	} else {
		struct signalfd_siginfo si;
		ret = read_signal(h, fd, &si, deadline);
		if (ret == (int)sizeof(si))
			ret = (int)si.ssi_signo;
		else if (ret >= 0)
			ret = -EIO;
		close(fd);
	}
	for (int s = 1; s < NSIG; s++) {
		if (sigismember(set, s) == 1) {
			h->waiters[s]--;
			(void)hub_sync(h, s);
		}
	}
	return ret;
}

int ringo_signal_add_handler(int signo, intptr_t (*fn)(void *arg), void *arg)
{
	if (!fn || !accepted(signo))
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	struct hub *h = hub_get(loop);
	if (!h)
		return -ENOMEM;
	struct handler old = h->handlers[signo];
	h->handlers[signo] = (struct handler){ fn, arg };
	if (!old.fn)
		h->nhandlers++;
	int ret = hub_sync(h, signo);
	if (ret < 0) {
		h->handlers[signo] = old;
		if (!old.fn)
			h->nhandlers--;
		hub_sync(h, signo);
	}
	return ret;
}

bool ringo_signal_remove_handler(int signo)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || signo <= 0 || signo >= NSIG)
		return false;
	struct hub *h = hub_find(loop);
	if (!h || !h->handlers[signo].fn)
		return false;
	h->handlers[signo].fn = NULL;
	h->handlers[signo].arg = NULL;
	h->nhandlers--;
	hub_sync(h, signo);
	return true;
}

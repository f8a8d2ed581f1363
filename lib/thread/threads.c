/* SPDX-License-Identifier: MIT */
/* ringo_run_threads: n loops, one per thread, that know each other.
 *
 * The calling thread coordinates: it starts loop 0 first (the others' rings
 * attach to its kernel worker pool), then the rest; each loop's main task
 * registers its handle and waits until every loop has, so ringo_loop_at()
 * answers from the start of every main. The caller then waits (poll) for
 * the threads to end and for SIGINT, which it reads from a signalfd and
 * turns into a cancellation of every main, sent with
 * ringo_call_soon_threadsafe. */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/ring.h"

#define MAX_LOOPS 1024u

__thread int ringo__ring_attach_wq = -1;

struct group;

struct slot {
	struct group *g;
	unsigned index;
	int cpu;                    /* to pin to, or -1 */
	pthread_t thread;
	bool started;               /* the thread runs */
	/* Set by the loop's thread before it counts itself ready. */
	ringo_loop *loop;           /* referenced until the group ends */
	ringo_task *main;           /* the loop's main task */
	bool ran;                   /* main ran (the loop started) */
	int ret;                    /* ringo_run_with's */
	intptr_t result;
};

struct group {
	unsigned n;
	ringo_task_fn main;
	void *arg;
	ringo_run_opts opts;
	struct slot *slots;
	int done_fd;                /* eventfd: a loop's thread has ended */
	int wq_fd;                  /* loop 0's ring, for IORING_SETUP_ATTACH_WQ */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready;             /* loops registered, or failed to start */
	int error;                  /* the first start failure */
	bool interrupted;           /* SIGINT before the mains started */
};

static __thread struct slot *tls_slot;

static intptr_t shard_main(void *arg)
{
	struct slot *s = arg;
	struct group *g = s->g;
	struct ringo_loop *loop = ringo__loop_get();
	pthread_mutex_lock(&g->lock);
	s->loop = ringo_loop_ref(ringo_loop_current());
	s->main = ringo_task_current();
	s->ran = true;
	if (s->index == 0)
		g->wq_fd = loop->ring->uring.ring_fd;
	g->ready++;
	pthread_cond_broadcast(&g->cond);
	/* Every main starts once every loop is up (blocking the thread is
	 * fine: nothing else runs on this loop yet). */
	while (g->ready < g->n)
		pthread_cond_wait(&g->cond, &g->lock);
	int err = g->error ? g->error : g->interrupted ? -ECANCELED : 0;
	pthread_mutex_unlock(&g->lock);
	if (err)
		return err;
	return g->main(g->arg);
}

static void *loop_thread(void *arg)
{
	struct slot *s = arg;
	struct group *g = s->g;
	if (s->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	ringo__ring_attach_wq = s->index > 0 ? g->wq_fd : -1;
	tls_slot = s;
	s->ret = ringo_run_with(shard_main, s, &s->result, &g->opts);
	tls_slot = NULL;
	if (!s->ran) {
		/* The loop could not start: no main may run. */
		pthread_mutex_lock(&g->lock);
		if (!g->error)
			g->error = s->ret;
		g->ready++;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
	uint64_t one = 1;
	while (write(g->done_fd, &one, sizeof(one)) < 0)
		;  /* EINTR only */
	return NULL;
}

static int start(struct group *g, unsigned i, const sigset_t *mask)
{
	struct slot *s = &g->slots[i];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, mask);
	int ret = pthread_create(&s->thread, &attr, loop_thread, s);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		pthread_mutex_lock(&g->lock);
		if (!g->error)
			g->error = -ret;
		g->ready++;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
		return -ret;
	}
	s->started = true;
	return 0;
}

static void cancel_main(void *arg)
{
	ringo_task_cancel(((struct slot *)arg)->main);
}

/* The first SIGINT: cancel every main (or, before they started, tell them
 * not to start). */
static void interrupt(struct group *g)
{
	pthread_mutex_lock(&g->lock);
	g->interrupted = true;
	for (unsigned i = 0; i < g->n; i++)
		if (g->slots[i].loop)
			(void)ringo_call_soon_threadsafe(g->slots[i].loop, cancel_main, &g->slots[i]);
	pthread_mutex_unlock(&g->lock);
}

/* Whether the caller takes SIGINT, as ringo_run does: the process's main
 * thread, SIGINT at its default disposition and not blocked. */
static bool take_sigint(unsigned flags)
{
	if ((flags & RINGO_RUN_NO_SIGINT) || gettid() != getpid())
		return false;
	struct sigaction sa;
	sigset_t cur;
	if (sigaction(SIGINT, NULL, &sa) < 0 || (sa.sa_flags & SA_SIGINFO) ||
	    sa.sa_handler != SIG_DFL)
		return false;
	if (pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 || sigismember(&cur, SIGINT))
		return false;
	return true;
}

/* Waits for every started thread to end, cancelling the mains on SIGINT
 * (sfd, or -1). */
static void wait_all(struct group *g, unsigned started, int sfd)
{
	unsigned ended = 0, sigints = 0;
	while (ended < started) {
		struct pollfd p[2] = { { g->done_fd, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0)
			continue;  /* EINTR */
		if (p[0].revents & POLLIN) {
			uint64_t count;
			if (read(g->done_fd, &count, sizeof(count)) == sizeof(count))
				ended += (unsigned)count;
		}
		if (sfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (++sigints == 1) {
				interrupt(g);
			} else {
				/* The second ends the process, as SIGINT does. */
				signal(SIGINT, SIG_DFL);
				sigset_t s;
				sigemptyset(&s);
				sigaddset(&s, SIGINT);
				pthread_sigmask(SIG_UNBLOCK, &s, NULL);
				raise(SIGINT);
				_exit(128 + SIGINT);
			}
		}
	}
}

/* The CPUs this process may run on, in order; returns how many. */
static unsigned cpus_allowed(int *cpus, unsigned cap)
{
	cpu_set_t set;
	unsigned n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	}
	if (n == 0) {
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		for (long c = 0; c < (online > 0 ? online : 1) && n < cap; c++)
			cpus[n++] = (int)c;
	}
	return n;
}

int ringo_run_threads(unsigned n, ringo_task_fn main, void *arg, const ringo_run_opts *opts,
		      intptr_t *results)
{
	if (!main || n > MAX_LOOPS)
		return -EINVAL;
	if (ringo__loop_get())
		return -EBUSY;
	int cpus[MAX_LOOPS];
	unsigned ncpus = cpus_allowed(cpus, MAX_LOOPS);
	if (n == 0)
		n = ncpus;
	struct group g;
	memset(&g, 0, sizeof(g));
	g.n = n;
	g.main = main;
	g.arg = arg;
	if (opts)
		g.opts = *opts;
	unsigned flags = g.opts.flags;
	g.opts.flags |= RINGO_RUN_NO_SIGINT;
	g.wq_fd = -1;
	g.slots = calloc(n, sizeof(*g.slots));
	if (!g.slots)
		return -ENOMEM;
	g.done_fd = eventfd(0, EFD_CLOEXEC);
	if (g.done_fd < 0) {
		free(g.slots);
		return -errno;
	}
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.cond, NULL);
	for (unsigned i = 0; i < n; i++) {
		g.slots[i].g = &g;
		g.slots[i].index = i;
		g.slots[i].cpu = (flags & RINGO_RUN_PIN_CPUS) ? cpus[i % ncpus] : -1;
	}

	/* The loops' threads never take SIGINT: the caller reads it (when it
	 * is its to take) from a signalfd. */
	bool sigint = take_sigint(flags);
	sigset_t old, block, mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, NULL, &old);
	mask = old;
	sigaddset(&mask, SIGINT);
	int sfd = -1;
	if (sigint) {
		pthread_sigmask(SIG_BLOCK, &block, NULL);
		sfd = signalfd(-1, &block, SFD_CLOEXEC);
		if (sfd < 0)
			pthread_sigmask(SIG_SETMASK, &old, NULL);
	}

	unsigned started = 0;
	if (start(&g, 0, &mask) == 0) {
		started = 1;
		/* The others attach to loop 0's worker pool once it has a ring. */
		pthread_mutex_lock(&g.lock);
		while (g.ready < 1)
			pthread_cond_wait(&g.cond, &g.lock);
		pthread_mutex_unlock(&g.lock);
		for (unsigned i = 1; i < n; i++) {
			if (g.error) {
				/* Nothing more may start; count the rest as failed. */
				pthread_mutex_lock(&g.lock);
				g.ready += n - i;
				pthread_cond_broadcast(&g.cond);
				pthread_mutex_unlock(&g.lock);
				break;
			}
			if (start(&g, i, &mask) == 0)
				started++;
		}
	}
	wait_all(&g, started, sfd);

	int ret = g.error;
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &g.slots[i];
		if (s->started)
			pthread_join(s->thread, NULL);
		if (results)
			results[i] = s->ran ? s->result : (ret ? ret : -ECANCELED);
		if (!ret && s->ret == -EDEADLK)
			ret = -EDEADLK;
		ringo_loop_unref(s->loop);
	}
	if (sfd >= 0) {
		/* A SIGINT that came after the last loop ended is consumed
		 * here, as ringo_run's is, rather than killing the process
		 * when it is unblocked. */
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&block, NULL, &zero) > 0)
			;
		close(sfd);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	close(g.done_fd);
	pthread_cond_destroy(&g.cond);
	pthread_mutex_destroy(&g.lock);
	free(g.slots);
	return ret;
}

unsigned ringo_loop_index(void)
{
	return tls_slot && ringo__loop_get() ? tls_slot->index : 0;
}

unsigned ringo_loop_count(void)
{
	if (!ringo__loop_get())
		return 0;
	return tls_slot ? tls_slot->g->n : 1;
}

ringo_loop *ringo_loop_at(unsigned i)
{
	if (!ringo__loop_get())
		return NULL;
	if (!tls_slot)
		return i == 0 ? ringo_loop_current() : NULL;
	return i < tls_slot->g->n ? tls_slot->g->slots[i].loop : NULL;
}

/* SPDX-License-Identifier: MIT */
/* The executor: a loop's pool of threads for blocking calls.
 *
 * A job is a heap record; the task that runs it suspends in a NOTIFY wait
 * that the job's completion resumes. The completion is a message the
 * worker posts to the loop's mailbox (lib/thread/mailbox.c: it wakes the loop
 * with an IORING_OP_MSG_RING CQE, as every cross-thread message does; the
 * loop counts the reply in flight with ringo__ring_expect, since no SQE of
 * its own will produce it), or, where the kernel lacks MSG_RING, the CQE of
 * the loop's read of an eventfd that workers write after putting finished
 * jobs on a locked list. Either way the message is the heap record, never
 * the task's stack, so a task that was cancelled and has moved on is never
 * touched; a job whose task has gone is freed when its completion comes.
 * Workers never touch the loop's ring. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "debug/log.h"
#include "core/ring.h"

#define DEFAULT_WORKERS 4u
#define MAX_WORKERS 1024u

struct executor;

struct job {
	struct ringo__msg msg;      /* the completion, in MSG_RING mode */
	struct ringo__list node;    /* in the queue, or the done list (lock) */
	struct executor *ex;
	ringo_blocking_fn fn;
	void *arg;
	ringo_cleanup_fn cleanup;
	intptr_t result;            /* written by the worker before it posts */
	struct ringo__wait *wait;   /* the waiting task's; NULL once it left */
	bool queued;                /* in the queue, not started (lock) */
};

/* A task's wait for a job: dropped tells it that a cancellation took the
 * job out of the queue before it started, so the job is still its own. */
struct job_wait {
	struct ringo__wait w;
	bool dropped;
};

struct worker {
	struct executor *ex;
	pthread_t thread;
};

struct executor {
	struct ringo__resource res;
	struct ringo_loop *loop;
	uint64_t loop_id;
	struct ringo_mailbox *mailbox;  /* the loop's */
	bool msg_ring;              /* else the eventfd mode */

	/* The loop's thread only. */
	struct worker **workers;
	unsigned nworkers, max;
	size_t outstanding;         /* jobs queued or running, completion not
				       dispatched yet */
	int efd;                    /* eventfd mode */
	struct ringo__op read_op;
	uint64_t efd_count;
	bool reading;               /* read_op in flight */
	bool read_cancelled;        /* and a cancel aimed at it */

	/* Shared with the workers, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ringo__list queue;   /* jobs not started, FIFO */
	size_t nqueued;
	unsigned idle;              /* workers waiting for a job */
	bool stopping;
	struct ringo__list done;    /* eventfd mode: finished jobs */
};

static _Atomic unsigned default_workers = DEFAULT_WORKERS;
static __thread struct executor *tls_ex;

/* ---- workers ---- */

/* Posts a finished job's completion to the loop, which waits for it: it
 * must arrive, so a shortage (the worker's first post makes its sending
 * ring) is waited out. */
static void post_done(struct executor *ex, struct job *job)
{
	for (unsigned tries = 0;; tries++) {
		int ret = ringo__mailbox_reply(ex->mailbox, &job->msg);
		if (ret == 0)
			return;
		if (ret == -EPIPE) {
			ringo__log(RINGO_LOG_ERROR, "an executor thread found its loop gone");
			abort();
		}
		struct timespec ts = { 0, tries < 10 ? 100000L : 10000000L };
		nanosleep(&ts, NULL);
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct executor *ex = wk->ex;
	pthread_mutex_lock(&ex->lock);
	for (;;) {
		if (ex->stopping)
			break;
		if (ringo__list_empty(&ex->queue)) {
			ex->idle++;
			pthread_cond_wait(&ex->cond, &ex->lock);
			ex->idle--;
			continue;
		}
		struct job *job = ringo__container_of(ex->queue.next, struct job, node);
		ringo__list_remove(&job->node);
		job->queued = false;
		ex->nqueued--;
		pthread_mutex_unlock(&ex->lock);

		intptr_t r = job->fn(job->arg);
		if (ex->msg_ring) {
			/* Once posted, the loop may free the job. */
			job->result = r;
			post_done(ex, job);
			pthread_mutex_lock(&ex->lock);
		} else {
			pthread_mutex_lock(&ex->lock);
			job->result = r;
			ringo__list_push_back(&ex->done, &job->node);
			pthread_mutex_unlock(&ex->lock);
			uint64_t one = 1;
			while (write(ex->efd, &one, sizeof(one)) < 0)
				;  /* EINTR only: an eventfd write of 1 cannot block */
			pthread_mutex_lock(&ex->lock);
		}
	}
	pthread_mutex_unlock(&ex->lock);
	return NULL;
}

/* Starts one more worker. Loop thread. */
static int start_worker(struct executor *ex)
{
	struct worker **ws = realloc(ex->workers, (ex->nworkers + 1) * sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ex->workers = ws;
	struct worker *wk = calloc(1, sizeof(*wk));
	if (!wk)
		return -ENOMEM;
	wk->ex = ex;
	/* The thread starts with every signal blocked, so that a signal sent
	 * to the process is never delivered to it (the loop's thread reads the
	 * ones it wants from a signalfd). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int ret = pthread_create(&wk->thread, NULL, worker_main, wk);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		free(wk);
		return -ret;
	}
	ex->workers[ex->nworkers++] = wk;
	return 0;
}

/* ---- the loop's side ---- */

static void read_complete(struct ringo__op *op, int res, uint32_t flags);

/* Eventfd mode: keeps a read of the eventfd in flight while jobs are
 * outstanding, and only then, so that the loop neither misses a completion
 * nor waits for one that will never come. */
static void read_arm(struct executor *ex)
{
	if (ex->msg_ring || ex->reading || ex->outstanding == 0)
		return;
	struct ringo__ring *r = ex->loop->ring;
	struct io_uring_sqe *sqe = ringo__ring_sqe(r);
	io_uring_prep_read(sqe, ex->efd, &ex->efd_count, sizeof(ex->efd_count), 0);
	ringo__op_arm(ex->loop, &ex->read_op, read_complete);
	ringo__ring_arm(sqe, &ex->read_op);
	ex->reading = true;
	ex->read_cancelled = false;
}

static void read_stop(struct executor *ex)
{
	if (ex->reading && ex->outstanding == 0 && !ex->read_cancelled) {
		ringo__ring_cancel(ex->loop->ring, &ex->read_op);
		ex->read_cancelled = true;
	}
}

/* The job's completion has been dispatched: hand the result to its task
 * (direct: resume it now, which must be the caller's last act; else by a
 * NOP), or dispose of it if the task has left. */
static void job_done(struct job *job, bool direct)
{
	job->ex->outstanding--;
	struct ringo__wait *w = job->wait;
	if (!w) {
		if (job->cleanup)
			job->cleanup(job->arg, job->result);
		free(job);
		return;
	}
	if (direct)
		ringo__wait_resume(w, 0);  /* the task frees the job */
	else
		ringo__wait_wake(w, 0);
}

/* MSG_RING mode: the completion's message, from the mailbox's wake CQE. */
static void job_complete(struct ringo__msg *m)
{
	struct job *job = ringo__container_of(m, struct job, msg);
	ringo__ring_expect(job->ex->loop->ring, -1);  /* it has come */
	job_done(job, true);
}

static void read_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	struct executor *ex = ringo__container_of(op, struct executor, read_op);
	ex->reading = false;
	struct ringo__list done;
	ringo__list_init(&done);
	pthread_mutex_lock(&ex->lock);
	if (!ringo__list_empty(&ex->done)) {
		done = ex->done;
		done.next->prev = &done;
		done.prev->next = &done;
		ringo__list_init(&ex->done);
	}
	pthread_mutex_unlock(&ex->lock);
	while (!ringo__list_empty(&done)) {
		struct job *job = ringo__container_of(done.next, struct job, node);
		ringo__list_remove(&job->node);
		job_done(job, false);
	}
	read_arm(ex);
}

/* A job dropped before it ran: no completion will come for it. */
static void job_unexpect(struct executor *ex)
{
	ex->outstanding--;
	if (ex->msg_ring)
		ringo__ring_expect(ex->loop->ring, -1);
	else
		read_stop(ex);
}

/* Cancelling the waiting task: it resumes at once with -ECANCELED. A job
 * still queued is taken out and stays the task's; a running one is left to
 * finish and be freed by its completion. */
static bool job_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	struct job *job = w->target;
	struct executor *ex = job->ex;
	pthread_mutex_lock(&ex->lock);
	bool queued = job->queued;
	if (queued) {
		ringo__list_remove(&job->node);
		job->queued = false;
		ex->nqueued--;
	}
	pthread_mutex_unlock(&ex->lock);
	job->wait = NULL;
	ringo__container_of(w, struct job_wait, w)->dropped = queued;
	if (queued)
		job_unexpect(ex);
	ringo__wait_wake(w, -ECANCELED);
	return true;
}

/* Every task has finished: drop the jobs nobody waits for, and let the
 * workers end once their running job is done. Their completions still
 * come; the loop drains them before ringo__executor_loop_end joins. */
static void executor_shutdown(struct ringo__resource *res)
{
	struct executor *ex = ringo__container_of(res, struct executor, res);
	struct ringo__list dropped;
	ringo__list_init(&dropped);
	pthread_mutex_lock(&ex->lock);
	ex->stopping = true;
	while (!ringo__list_empty(&ex->queue)) {
		struct ringo__list *n = ex->queue.next;
		ringo__list_remove(n);
		ringo__list_push_back(&dropped, n);
	}
	ex->nqueued = 0;
	pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	while (!ringo__list_empty(&dropped)) {
		struct job *job = ringo__container_of(dropped.next, struct job, node);
		ringo__list_remove(&job->node);
		job_unexpect(ex);
		if (job->cleanup)
			job->cleanup(job->arg, -ECANCELED);
		free(job);
	}
	read_stop(ex);
}

static bool use_msg_ring(struct ringo_loop *loop)
{
	/* RINGO_EXECUTOR=eventfd forces the older kernels' way (for tests). */
	const char *mode = getenv("RINGO_EXECUTOR");
	if (mode && strcmp(mode, "eventfd") == 0)
		return false;
	return ringo__ring_supports(loop->ring, IORING_OP_MSG_RING);
}

size_t ringo__executor_queued(uint64_t loop_id)
{
	struct executor *ex = tls_ex;
	if (!ex || ex->loop_id != loop_id)
		return 0;
	pthread_mutex_lock(&ex->lock);
	size_t n = ex->nqueued;
	pthread_mutex_unlock(&ex->lock);
	return n;
}

static struct executor *executor_get(struct ringo_loop *loop)
{
	if (tls_ex && tls_ex->loop_id == loop->id)
		return tls_ex;
	struct executor *ex = calloc(1, sizeof(*ex));
	if (!ex)
		return NULL;
	ex->loop = loop;
	ex->loop_id = loop->id;
	ex->mailbox = loop->mailbox;
	ex->msg_ring = use_msg_ring(loop);
	ex->max = atomic_load(&default_workers);
	ex->efd = -1;
	if (!ex->msg_ring) {
		/* Blocking: kernels that cannot read an eventfd without
		 * blocking punt the read to a kernel thread. */
		ex->efd = eventfd(0, EFD_CLOEXEC);
		if (ex->efd < 0) {
			free(ex);
			return NULL;
		}
	}
	pthread_mutex_init(&ex->lock, NULL);
	pthread_cond_init(&ex->cond, NULL);
	ringo__list_init(&ex->queue);
	ringo__list_init(&ex->done);
	ex->res.shutdown = executor_shutdown;
	ringo__resource_add(loop, &ex->res);
	tls_ex = ex;
	return ex;
}

void ringo__executor_loop_end(uint64_t loop_id)
{
	struct executor *ex = tls_ex;
	if (!ex || ex->loop_id != loop_id)
		return;
	tls_ex = NULL;
	pthread_mutex_lock(&ex->lock);
	ex->stopping = true;
	pthread_cond_broadcast(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	/* Every job's completion has been dispatched (the ring drained), so
	 * the workers are idle or about to notice stopping. */
	for (unsigned i = 0; i < ex->nworkers; i++) {
		struct worker *wk = ex->workers[i];
		pthread_join(wk->thread, NULL);
		free(wk);
	}
	free(ex->workers);
	if (ex->efd >= 0)
		close(ex->efd);
	pthread_cond_destroy(&ex->cond);
	pthread_mutex_destroy(&ex->lock);
	free(ex);
}

/* Queues job, starting a worker if every one is busy and the limit allows.
 * Fails only when no worker exists and none could be started. */
static int enqueue(struct executor *ex, struct job *job)
{
	pthread_mutex_lock(&ex->lock);
	ringo__list_push_back(&ex->queue, &job->node);
	job->queued = true;
	ex->nqueued++;
	bool more = ex->nqueued > ex->idle && ex->nworkers < ex->max;
	pthread_cond_signal(&ex->cond);
	pthread_mutex_unlock(&ex->lock);
	if (!more)
		return 0;
	int ret = start_worker(ex);
	if (ret == 0 || ex->nworkers > 0)
		return 0;
	/* No thread exists to take it: nobody can have. */
	pthread_mutex_lock(&ex->lock);
	ringo__list_remove(&job->node);
	job->queued = false;
	ex->nqueued--;
	pthread_mutex_unlock(&ex->lock);
	return ret;
}

int ringo_run_in_executor_cleanup(ringo_blocking_fn fn, void *arg, ringo_cleanup_fn cleanup,
				  intptr_t *result)
{
	if (!fn)
		return -EINVAL;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t) {
		if (err == -ECANCELED && cleanup)
			cleanup(arg, -ECANCELED);
		return err;
	}
	struct ringo_loop *loop = ringo__loop_get();
	struct executor *ex = executor_get(loop);
	if (!ex)
		return -ENOMEM;
	if (ex->stopping)
		return -ESHUTDOWN;
	struct job *job = malloc(sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->ex = ex;
	job->fn = fn;
	job->arg = arg;
	job->cleanup = cleanup;
	job->result = 0;
	job->msg.run = job_complete;
	int ret = enqueue(ex, job);
	if (ret < 0) {
		free(job);
		return ret;
	}
	ex->outstanding++;
	if (ex->msg_ring)
		ringo__ring_expect(loop->ring, 1);
	else
		read_arm(ex);

	struct job_wait jw = { .dropped = false };
	ringo__wait_init_notify(&jw.w, t, job_cancel, job);
	job->wait = &jw.w;
	intptr_t v = ringo__wait_suspend(&jw.w);
	if (v == 0) {
		if (result)
			*result = job->result;
		free(job);
		return 0;
	}
	/* Cancelled: a job that never started is still ours; a running one
	 * belongs to its completion now. */
	if (jw.dropped) {
		if (cleanup)
			cleanup(arg, -ECANCELED);
		free(job);
	}
	return (int)v;
}

int ringo_run_in_executor(ringo_blocking_fn fn, void *arg, intptr_t *result)
{
	return ringo_run_in_executor_cleanup(fn, arg, NULL, result);
}

int ringo_executor_set_workers(unsigned n)
{
	if (n == 0 || n > MAX_WORKERS)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop) {
		atomic_store(&default_workers, n);
		return 0;
	}
	struct executor *ex = executor_get(loop);
	if (!ex)
		return -ENOMEM;
	if (n < ex->nworkers)
		return -EBUSY;
	ex->max = n;
	/* Jobs already waiting for a thread get the new ones at once. */
	pthread_mutex_lock(&ex->lock);
	size_t want = ex->nqueued > ex->idle ? ex->nqueued - ex->idle : 0;
	pthread_mutex_unlock(&ex->lock);
	while (want-- > 0 && ex->nworkers < ex->max && start_worker(ex) == 0)
		;
	return 0;
}

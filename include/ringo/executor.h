/* SPDX-License-Identifier: MIT */
/* ringo — blocking calls on a thread pool, and name resolution through it
 * (asyncio's run_in_executor with the default executor, and getaddrinfo).
 * Included by <ringo.h>.
 *
 * Each loop has one executor: a fixed-size pool of threads (4 unless
 * ringo_executor_set_workers says otherwise), started lazily, one when a
 * job finds no idle thread, up to the limit. Jobs wait in a FIFO queue for
 * a free thread.
 *
 * The calling task suspends until a worker has run the job; the worker
 * never touches the loop's ring: it completes the wait by posting a CQE to
 * it with IORING_OP_MSG_RING from a small ring of its own (Linux 5.18+), or
 * on older kernels through an eventfd the loop reads with an SQE.
 *
 * Cancelling the waiting task returns -ECANCELED at once: a job not yet
 * started is dropped and never runs; a running one cannot be stopped, so
 * it runs to its end and its result is discarded (the optional cleanup
 * function gets it). When the loop ends (ringo_run, once every task has
 * finished), jobs not started are dropped, and ringo_run waits for the
 * running ones to return — threads cannot be killed — then joins the
 * threads.
 *
 * The job function runs on another thread: it must not call ringo or touch
 * the loop's objects, and whatever it shares with tasks needs its own
 * synchronization (the job's start and its completion are ordered with
 * the task's calls). Worker threads block every signal, so that signals the
 * loop reads from a signalfd are never delivered to them; a child process
 * inherits that mask, so a job that starts one should set the child's
 * (posix_spawnattr_setsigmask) — system(3) and popen(3) would start it
 * with every signal blocked — or leave it to ringo_process_spawn in a task.
 */
#ifndef RINGO_EXECUTOR_H
#define RINGO_EXECUTOR_H

#include <netdb.h>
#include <stdint.h>
#include <sys/socket.h>

/* netdb.h declares it only in POSIX modes; a strict -std=c11 user sees it here. */
struct addrinfo;

#ifdef __cplusplus
extern "C" {
#endif

/* A blocking function, run on a worker thread; its result is handed back
 * as it is (any intptr_t: a value, a pointer, an error). */
typedef intptr_t (*ringo_blocking_fn)(void *arg);

/* Disposes of what a job abandoned by its caller leaves behind; see
 * ringo_run_in_executor_cleanup. Runs on the loop's thread; must not
 * suspend. */
typedef void (*ringo_cleanup_fn)(void *arg, intptr_t result);

/* Runs fn(arg) on the running loop's executor and waits for it (await
 * loop.run_in_executor(None, fn, arg)). Returns 0 with fn's return value in
 * *result (result may be NULL); -ECANCELED if the task was cancelled
 * (fn may still be running, and arg must stay valid until it returns: use
 * ringo_run_in_executor_cleanup to hand its ownership over); -EINVAL (NULL
 * fn); -EPERM (not in a task); -ENOMEM; -EAGAIN or -EMFILE when no worker
 * thread exists and none could be started; -ESHUTDOWN once the loop's
 * executor has been shut down (ringo_run is ending). May suspend. */
int ringo_run_in_executor(ringo_blocking_fn fn, void *arg, intptr_t *result);

/* As ringo_run_in_executor, for an arg the job owns once its caller gives
 * up: when this returns -ECANCELED, and only then, cleanup(arg, r) is
 * called exactly once (if cleanup is not NULL), on the loop's thread:
 * after fn has returned, with r its result; or, if fn never ran, with
 * r = -ECANCELED before this returns. May suspend. */
int ringo_run_in_executor_cleanup(ringo_blocking_fn fn, void *arg, ringo_cleanup_fn cleanup,
				  intptr_t *result);

/* Sets the number of worker threads (1..1024). In a loop (from a task or a
 * callback): that loop's executor; the limit can be raised at any time, but
 * not lowered below the number of threads already started (-EBUSY).
 * Outside a loop: the size of executors that loops started afterwards
 * create (on any thread). Returns 0, -EINVAL, -EBUSY, -ENOMEM. Does not
 * suspend. */
int ringo_executor_set_workers(unsigned n);

/* ------------------------------------------------------------------------
 * Name resolution: getaddrinfo(3) on the executor
 * ------------------------------------------------------------------------ */

/* getaddrinfo(host, service, hints, res) run on the executor. Returns 0 and
 * *res (the caller's, released with freeaddrinfo()), or a negative errno:
 *   EAI_NONAME, EAI_NODATA, EAI_ADDRFAMILY, EAI_SERVICE -> -ENOENT
 *     (no such name or service, or it has no address of the kind asked)
 *   EAI_AGAIN -> -EAGAIN (temporary failure: no answer from a name server)
 *   EAI_FAIL -> -EIO, EAI_MEMORY -> -ENOMEM, EAI_FAMILY -> -EAFNOSUPPORT,
 *   EAI_SOCKTYPE -> -ESOCKTNOSUPPORT, EAI_BADFLAGS -> -EINVAL,
 *   EAI_OVERFLOW -> -EOVERFLOW, EAI_SYSTEM -> the worker's -errno,
 *   anything else -> -EIO;
 * and -ECANCELED, -EPERM, -EINVAL (NULL res), -ENOMEM as
 * ringo_run_in_executor. The strings are copied: a cancelled lookup can
 * run on without them. May suspend. */
int ringo_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
		      struct addrinfo **res);

/* Fills addr and len for host and port: what ringo_addr_parse accepts
 * (numeric addresses, "localhost", Unix paths) without suspending, and any
 * other host through ringo_getaddrinfo (TCP, IPv4 or IPv6: the first
 * address the resolver returns), giving up with -ETIMEDOUT at deadline
 * (a ringo_deadline; RINGO_NO_DEADLINE: none; the lookup runs on and is
 * discarded). Returns 0 or a negative errno as ringo_getaddrinfo. May
 * suspend. */
int ringo_resolve(const char *host, uint16_t port, struct sockaddr_storage *addr,
		  socklen_t *len, ringo_deadline deadline);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: MIT */
/* ringo — asyncio's programming model in C, on io_uring.
 *
 * Every await is an io_uring SQE and every resumption is its CQE: a task that
 * suspends has exactly one operation in flight (a kernel operation, or a NOP
 * submitted for it when a future, task or gather it waits on completes), and
 * it is resumed only by that operation's completion.
 *
 * Conventions
 *  - Functions return >= 0 on success and a negative errno on failure, as
 *    liburing does. -ECANCELED is asyncio's CancelledError, -ETIMEDOUT its
 *    TimeoutError. Predicates return bool.
 *  - "May suspend" means the call can switch away from the calling task; such
 *    calls must be made from inside a task and return -EPERM elsewhere (in a
 *    callback, or outside ringo_run).
 *  - Handles are opaque. Every constructor names the function that releases
 *    what it returns; release functions accept NULL.
 *  - Times and durations are int64_t nanoseconds on CLOCK_MONOTONIC, with
 *    one exception that the compiler enforces: I/O deadlines (every call in
 *    io.h, stream.h, process.h, signal.h, executor.h that takes a
 *    `deadline`) are a ringo_deadline, a one-member struct made with
 *    ringo_deadline_in(delay) or ringo_deadline_at(when), or
 *    RINGO_NO_DEADLINE. Passing a bare number (RINGO_SEC(2), 0) where a
 *    deadline is expected does not compile. Relative timeouts (wait_for,
 *    timeout scopes, as_completed: RINGO_NO_TIMEOUT for none) and asyncio's
 *    absolute `when` times (sleep_until, call_at, timeout_enter_at) stay
 *    int64_t, as in asyncio.
 *  - A loop belongs to the thread that runs it; ringo objects must not be
 *    touched from other threads. <ringo/thread.h> says what may cross
 *    threads (ringo_call_soon_threadsafe, xfutures, channels).
 */
#ifndef RINGO_H
#define RINGO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Time, durations and deadlines
 * ------------------------------------------------------------------------ */

#define RINGO_VERSION_MAJOR 0
#define RINGO_VERSION_MINOR 1
#define RINGO_VERSION_PATCH 0

/* Durations in nanoseconds. */
#define RINGO_USEC(us) ((int64_t)(us) * 1000LL)
#define RINGO_MSEC(ms) ((int64_t)(ms) * 1000000LL)
#define RINGO_SEC(s) ((int64_t)(s) * 1000000000LL)

/* A relative timeout meaning "no timeout" (asyncio's timeout=None), and an
 * absolute `when` meaning "never". */
#define RINGO_NO_TIMEOUT INT64_MAX

/* Loop time: CLOCK_MONOTONIC in nanoseconds. Usable anywhere. */
int64_t ringo_time(void);

/* An I/O deadline: the absolute CLOCK_MONOTONIC time (as ringo_time()) at
 * which an operation still pending is cancelled and returns -ETIMEDOUT; ns
 * 0 means none. A distinct type so that a relative duration cannot be
 * passed where a deadline is expected (it would be long past). Build one
 * with the functions below; reading .ns is fine. */
typedef struct ringo_deadline {
	int64_t ns;
} ringo_deadline;

#ifdef __cplusplus
#define RINGO_NO_DEADLINE (ringo_deadline{ 0 })
#else
#define RINGO_NO_DEADLINE ((ringo_deadline){ 0 })
#endif

/* The deadline at monotonic time when_ns. A time <= 0 is already past (it
 * does not mean "none"); RINGO_NO_TIMEOUT (INT64_MAX) means none. */
static inline ringo_deadline ringo_deadline_at(int64_t when_ns)
{
	ringo_deadline d;
	d.ns = when_ns == RINGO_NO_TIMEOUT ? 0 : when_ns > 0 ? when_ns : 1;
	return d;
}

/* The deadline delay_ns from now (a delay <= 0: already past);
 * RINGO_NO_TIMEOUT, or a delay beyond the clock's range, means none. */
static inline ringo_deadline ringo_deadline_in(int64_t delay_ns)
{
	int64_t now = ringo_time();
	if (delay_ns > RINGO_NO_TIMEOUT - now)
		delay_ns = RINGO_NO_TIMEOUT - now;
	return ringo_deadline_at(now + delay_ns);
}

/* True if d is RINGO_NO_DEADLINE. */
static inline bool ringo_deadline_none(ringo_deadline d)
{
	return d.ns == 0;
}

typedef struct ringo_task ringo_task;
typedef struct ringo_future ringo_future;
typedef struct ringo_handle ringo_handle;

/* The body of a task: a result >= 0 is its value (a pointer fits), a
 * negative errno its error; returning -ECANCELED ends it cancelled. */
typedef intptr_t (*ringo_task_fn)(void *arg);

/* A plain callback, run on the loop's own stack: it must not suspend. */
typedef void (*ringo_callback_fn)(void *arg);

/* ------------------------------------------------------------------------
 * Running a loop (asyncio.run)
 * ------------------------------------------------------------------------ */

typedef struct ringo_run_opts {
	unsigned ring_entries;  /* submission queue size; 0: the default (1024) */
	size_t stack_size;      /* default task stack; 0: build default */
	size_t stack_cache;     /* finished tasks' stacks kept committed for
				   reuse; 0: 131072. Beyond it their memory
				   goes back to the kernel (MADV_DONTNEED). */
	unsigned flags;         /* RINGO_RUN_* */
	int dump_signal;        /* the signal that makes the loop write its
				   task dump (<ringo/debug.h>); 0: SIGUSR1 in
				   debug mode or with RINGO_DUMP set, else
				   none; -1: none */
	int64_t slow_task_ns;   /* debug mode: report a task that runs longer
				   than this between two awaits; 0: 100 ms */
	unsigned poll_us;       /* busy-poll: before blocking for completions,
				   spin up to this many microseconds watching
				   the ring (no system call), backing off
				   while spins find nothing; 0: the
				   RINGO_POLL_US environment variable, else
				   off. It cuts the wake-up of a sleeping
				   thread out of a cross-loop round trip, but
				   burns the CPU while it spins: for loops
				   that each own a CPU (docs/threads.md).
				   At most RINGO_POLL_US_MAX. */
} ringo_run_opts;

/* The largest ringo_run_opts.poll_us (larger values are lowered to it). */
#define RINGO_POLL_US_MAX 10000u

/* Do not use IORING_SETUP_SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN even
 * where the kernel has them (the portable ring setup). */
#define RINGO_RUN_PLAIN_RING 0x1u
/* Leave SIGINT alone (see ringo_run). */
#define RINGO_RUN_NO_SIGINT 0x2u
/* Debug mode, as RINGO_DEBUG=1 in the environment (<ringo/debug.h>). */
#define RINGO_RUN_DEBUG 0x4u

/* Creates a loop on this thread, runs main(arg) as its first task until it
 * finishes, then cancels every task still running and waits for them, and
 * closes the loop. Stores main's result (value or negative errno) in *result
 * when result is not NULL. Returns 0 when main ran, or a negative errno when
 * it could not: -EINVAL if main is NULL, -EBUSY if a loop is already running
 * on this thread, or the error of io_uring setup (-ENOSYS, -EPERM, -ENOMEM,
 * -EOPNOTSUPP, ...) after printing one line to stderr naming the cause and
 * the fix. Returns -EDEADLK (after saying so on stderr) when tasks waited
 * for something that could never happen — no operation in flight: main is
 * then cancelled, and tasks that still cannot finish are abandoned: they end
 * cancelled without being resumed. Objects of the loop that outlive it
 * (futures, tasks) refuse to complete or cancel (-EPERM / false). Blocks the
 * calling thread.
 * SIGINT, as asyncio.run: while the loop runs, the first SIGINT cancels the
 * main task (its await returns -ECANCELED; if main lets that end it,
 * ringo_run returns 0 with *result -ECANCELED, and the process lives on: a
 * program wanting the shell's convention exits with 130), and a second
 * SIGINT ends the process as SIGINT does by default. Only on the process's
 * main thread, and when SIGINT is at its default disposition and not
 * blocked at the start; it is then blocked on this thread during the run,
 * read from a signalfd (<ringo/signal.h>), and unblocked at the end.
 * RINGO_RUN_NO_SIGINT opts out.
 * fork(): a child forked while a loop runs (from a task or a callback) does
 * not have that loop: the ring and its operations stay the parent's. In the
 * child every ringo call behaves as outside a loop (-EPERM; the first await
 * says why on stderr), and ringo_run starts a fresh loop there, as asyncio
 * resets the running loop in a forked child. The parent's loop is not
 * affected. Subprocesses are better started with ringo_process_spawn
 * (posix_spawn). */
int ringo_run(ringo_task_fn main, void *arg, intptr_t *result);

/* ringo_run with options; opts may be NULL. */
int ringo_run_with(ringo_task_fn main, void *arg, intptr_t *result,
		       const ringo_run_opts *opts);

/* ------------------------------------------------------------------------
 * Tasks
 * ------------------------------------------------------------------------ */

typedef struct ringo_task_opts {
	const char *name;   /* copied; NULL: "Task-N" */
	size_t stack_size;  /* 0: the loop's default */
} ringo_task_opts;

/* Schedules fn(arg) to run as a new task of the running loop (asyncio's
 * create_task); it starts when the loop next dispatches completions, never
 * inside this call. opts may be NULL. If out is not NULL it receives a
 * reference that the caller releases with ringo_task_unref(); the loop keeps
 * its own reference until the task is done. Does not suspend.
 * Returns 0, -EPERM outside a running loop, -EINVAL if fn is NULL, -ENOMEM
 * (memory, address space or mappings for its stack exhausted). */
int ringo_task_create(ringo_task_fn fn, void *arg, const ringo_task_opts *opts,
		      ringo_task **out);

/* Takes another reference; returns t. */
ringo_task *ringo_task_ref(ringo_task *t);
/* Drops a reference; the task is freed once it is done and unreferenced.
 * Accepts NULL. */
void ringo_task_unref(ringo_task *t);

/* Waits until t is done and returns its result: its value, its error, or
 * -ECANCELED if it was cancelled. Returns at once, without suspending (and
 * from anywhere), if t is already done. Cancelling the awaiting task cancels
 * t too (as asyncio does), and so does a cancellation already pending when
 * the await starts (asyncio's bpo-34872); the awaiter then resumes when t
 * is done, and gets t's result. Many tasks may await one; the caller keeps
 * its reference. May suspend. Errors: -EINVAL (NULL), -EDEADLK (awaiting
 * yourself), -EPERM (t not done and not in a task). */
intptr_t ringo_task_await(ringo_task *t);

/* Requests cancellation (asyncio's Task.cancel): the task's current or next
 * await returns -ECANCELED. An in-flight kernel operation is cancelled with
 * IORING_OP_ASYNC_CANCEL and the task resumes only after that operation's
 * own completion; if the operation completed first, its real result is
 * returned and -ECANCELED comes at the next await. Requests made while one
 * -ECANCELED is on its way are answered by it. A task cancelled before it
 * starts never runs its body. A body that returns a value while a request is
 * still undelivered ends cancelled; one that returns an error keeps it.
 * Returns true if the request was made, false if t is done, NULL, or of a
 * loop that has ended. Does not suspend. */
bool ringo_task_cancel(ringo_task *t);

/* Number of pending cancellation requests (asyncio's cancelling()); 0 for
 * NULL. Does not suspend. */
int ringo_task_cancelling(const ringo_task *t);
/* Withdraws one request (asyncio's uncancel()); returns the remaining count.
 * At zero, a cancellation not yet delivered is withdrawn too. Does not
 * suspend. */
int ringo_task_uncancel(ringo_task *t);

/* True once t has ended: returned, failed or been cancelled (its result is
 * then ringo_task_result's). */
bool ringo_task_done(const ringo_task *t);
/* True if t ended cancelled. */
bool ringo_task_cancelled(const ringo_task *t);
/* The result of a done task (value or negative errno, -ECANCELED when
 * cancelled); -EAGAIN while it is not done; -EINVAL for NULL. */
intptr_t ringo_task_result(const ringo_task *t);

/* The task's name: owned by the task, valid while t is referenced. */
const char *ringo_task_name(const ringo_task *t);
/* Replaces the name (copied). Returns 0, -EINVAL, -ENOMEM. */
int ringo_task_set_name(ringo_task *t, const char *name);

/* Called when a task that ended with an error other than -ECANCELED is
 * released (its last reference dropped) without anyone having taken its
 * result: by awaiting it (ringo_task_await, wait_for, shield), by
 * ringo_task_result(), or through gather, a task group, a generator or a
 * server that consumes it. asyncio's "Task exception was never retrieved".
 * t is valid only during the call (its name, its result); the handler runs
 * on the loop's stack or in the releasing call and must not suspend. */
typedef void (*ringo_exception_handler_fn)(ringo_task *t, int error, void *arg);

/* Sets the handler for tasks released on this thread; fn NULL restores the
 * default, which prints one line naming the task and the error to stderr:
 *   ringo: task NAME failed with -5 (Input/output error) and nobody took its result
 * Usable anywhere, inside or outside a loop. Does not suspend. */
void ringo_set_exception_handler(ringo_exception_handler_fn fn, void *arg);

/* The running task, borrowed; NULL outside a task (in a callback, or outside
 * a loop). */
ringo_task *ringo_task_current(void);

/* Fills out[0..cap) with borrowed pointers to the running loop's tasks that
 * are not done, and returns how many there are (which may exceed cap). */
size_t ringo_task_all(ringo_task **out, size_t cap);

/* Registers fn(t, arg) to be called once t is done, from the loop (never
 * inside the call that completes t). If t is already done it is scheduled at
 * once. A scheduled callback holds a reference on t until it has run.
 * Returns 0, -EINVAL, -ENOMEM, -EPERM (t's loop is not running here). */
int ringo_task_add_done_callback(ringo_task *t,
				 void (*fn)(ringo_task *t, void *arg),
				 void *arg);
/* Removes every registration of (fn, arg) not yet run; returns how many. */
size_t ringo_task_remove_done_callback(ringo_task *t,
				       void (*fn)(ringo_task *t, void *arg),
				       void *arg);

/* ------------------------------------------------------------------------
 * Futures
 * ------------------------------------------------------------------------ */

/* Creates a pending future bound to the running loop; *out receives the
 * caller's reference, released with ringo_future_unref().
 * Returns 0, -EPERM outside a running loop, -EINVAL, -ENOMEM. */
int ringo_future_create(ringo_future **out);
/* Takes another reference; returns f. */
ringo_future *ringo_future_ref(ringo_future *f);
/* Drops a reference; the last one frees f and the callbacks still
 * registered on it (in debug mode, freeing a pending future logs a
 * warning: nobody set it). Accepts NULL. Does not suspend. */
void ringo_future_unref(ringo_future *f);

/* Completes f with a value >= 0 (set_result) or a negative errno
 * (set_error; -ECANCELED makes f cancelled). Waiters and callbacks are woken
 * through the ring afterwards, never inside these calls. Return 0, -EINVAL
 * (NULL, or a value of the wrong sign), -EALREADY if f is already done,
 * -EPERM if no loop runs here, or -EXDEV if another loop does (f belongs to
 * another thread's loop, or to one that has ended). Do not suspend. */
int ringo_future_set_result(ringo_future *f, intptr_t value);
int ringo_future_set_error(ringo_future *f, int error);

/* Cancels a pending future: it completes with -ECANCELED. Returns true if it
 * was pending, false if it was already done (or its loop has ended). Does
 * not suspend. */
bool ringo_future_cancel(ringo_future *f);

/* Waits for f and returns its value, its error, or -ECANCELED. Returns at
 * once if f is done (a pending cancellation then stays pending).
 * Cancelling the awaiting task cancels f (as asyncio does), also when the
 * cancellation was already pending as the await started. The caller keeps
 * its reference while it waits. May suspend. Errors: -EINVAL, -EPERM (f
 * pending and not in a task). */
intptr_t ringo_future_await(ringo_future *f);

/* True once f is completed (a result, an error or cancelled). */
bool ringo_future_done(const ringo_future *f);
/* True if f completed cancelled (ringo_future_cancel, or -ECANCELED set). */
bool ringo_future_cancelled(const ringo_future *f);
/* The result of a done future; -EAGAIN while pending; -EINVAL for NULL. */
intptr_t ringo_future_result(const ringo_future *f);

/* Registers fn(f, arg) to be called once f is done, from the loop (never
 * inside set_*). A registration holds no reference on f: a future freed
 * before it completes drops its callbacks; a scheduled callback holds one
 * until it has run. Returns 0, -EINVAL, -ENOMEM, -EPERM (f's loop is not
 * running here). remove_done_callback removes every registration of
 * (fn, arg) not yet scheduled and returns how many. */
int ringo_future_add_done_callback(ringo_future *f,
				   void (*fn)(ringo_future *f, void *arg),
				   void *arg);
size_t ringo_future_remove_done_callback(ringo_future *f,
					 void (*fn)(ringo_future *f, void *arg),
					 void *arg);

/* ------------------------------------------------------------------------
 * Sleeping and yielding
 * ------------------------------------------------------------------------ */

/* Suspends the task for at least ns nanoseconds from this call (an absolute
 * IORING_OP_TIMEOUT); it never returns early. ns <= 0 yields through a NOP:
 * every other ready task runs once before this one continues. Returns 0,
 * -ECANCELED, -EPERM. May suspend. */
int ringo_sleep(int64_t ns);

/* Suspends until the monotonic time deadline_ns (ringo_time()). */
int ringo_sleep_until(int64_t deadline_ns);

/* ------------------------------------------------------------------------
 * Callbacks: call_soon, call_later, call_at
 * ------------------------------------------------------------------------ */

/* Schedule fn(arg) on the loop: call_soon runs callbacks in FIFO order once
 * the loop next dispatches completions (through a NOP); call_later after a
 * delay and call_at at a monotonic deadline (through IORING_OP_TIMEOUT), in
 * deadline order. If out is not NULL it receives a reference, released with
 * ringo_handle_unref(), that can cancel the call. Do not suspend. Return 0,
 * -EPERM outside a running loop, -EINVAL, -ENOMEM. */
int ringo_call_soon(ringo_callback_fn fn, void *arg, ringo_handle **out);
int ringo_call_later(int64_t delay_ns, ringo_callback_fn fn, void *arg,
		     ringo_handle **out);
int ringo_call_at(int64_t deadline_ns, ringo_callback_fn fn, void *arg,
		  ringo_handle **out);

/* Prevents the callback from running if it has not started. Returns true if
 * this call cancelled it, false if it had run, was running, or was cancelled
 * already. */
bool ringo_handle_cancel(ringo_handle *h);
bool ringo_handle_cancelled(const ringo_handle *h);
/* For call_later/call_at handles: the deadline in monotonic nanoseconds. */
int64_t ringo_handle_when(const ringo_handle *h);
void ringo_handle_unref(ringo_handle *h);

/* ------------------------------------------------------------------------
 * gather
 * ------------------------------------------------------------------------ */

/* Each slot holds a value or a negative errno instead of the first error
 * ending the gather. */
#define RINGO_RETURN_EXCEPTIONS 0x1u

/* Waits for tasks[0..n) and stores their results in results[0..n) in
 * argument order (results may be NULL). Without RINGO_RETURN_EXCEPTIONS the
 * first child that fails (or is cancelled) makes gather return its error at
 * once; the other children keep running and their slots are left as they
 * were. With it, gather returns 0 once all are done and each slot holds a
 * value or an error (-ECANCELED for a cancelled child). Cancelling the
 * gathering task (or a cancellation already pending when gather starts to
 * wait) cancels every unfinished child and gather returns -ECANCELED once
 * they have all finished. n == 0, or children all done
 * already, returns at once without suspending. May suspend. Errors:
 * -EINVAL (NULL tasks with n > 0, a NULL child), -EDEADLK (the calling task
 * is among them), -EPERM (not in a task), -ENOMEM. */
int ringo_gather(ringo_task *const *tasks, size_t n, intptr_t *results,
		 unsigned flags);

#ifdef __cplusplus
}
#endif

/* The sections that compose tasks: synchronization, queues, asynchronous
 * iteration and generators, asynchronous context managers, and waiting,
 * timeouts, shields and task groups. */
#include <ringo/sync.h>
#include <ringo/queue.h>
#include <ringo/iter.h>
#include <ringo/context.h>
#include <ringo/compose.h>
#include <ringo/io.h>
#include <ringo/stream.h>
#include <ringo/datagram.h>
#include <ringo/sendfile.h>
#include <ringo/tls.h>
#include <ringo/process.h>
#include <ringo/executor.h>
#include <ringo/signal.h>
#include <ringo/thread.h>
#include <ringo/debug.h>

#endif /* RINGO_H */

/* SPDX-License-Identifier: MIT */
/* Internal: the loop, operations, waits and completions shared by lib/.
 * Never installed. */
#ifndef RINGO_INTERNAL_H
#define RINGO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringo.h"
#include "core/fiber.h"

#define ringo__container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define ringo__likely(x) __builtin_expect(!!(x), 1)
#define ringo__unlikely(x) __builtin_expect(!!(x), 0)

/* ---- intrusive doubly linked list ---- */

struct ringo__list {
	struct ringo__list *next, *prev;
};

static inline void ringo__list_init(struct ringo__list *l)
{
	l->next = l->prev = l;
}

static inline bool ringo__list_empty(const struct ringo__list *l)
{
	return l->next == l;
}

static inline void ringo__list_push_back(struct ringo__list *l, struct ringo__list *n)
{
	n->prev = l->prev;
	n->next = l;
	l->prev->next = n;
	l->prev = n;
}

static inline void ringo__list_remove(struct ringo__list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

/* ---- operations: one SQE in flight, resumed by its CQE ---- */

struct ringo__op;
struct ringo_loop;
/* Called by the loop, on the loop's own stack, with the CQE of op. */
typedef void (*ringo__op_fn)(struct ringo__op *op, int res, uint32_t flags);

struct ringo__op {
	ringo__op_fn complete;
	uint16_t gen;   /* matches the tag in the SQE's user_data while armed */
	bool armed;     /* an SQE for it is in flight */
};

/* ---- the ring (lib/core/ring.c: the only file that calls liburing; its hot
 * paths, ringo__ring_nop and ringo__ring_take, are inline in lib/core/ring.h) ---- */

struct ringo__ring;

/* Internal run flag for ringo__ring_create: the loop busy-polls (see
 * ringo__ring_set_poll), so prefer a ring without DEFER_TASKRUN. */
#define RINGO__RUN_POLL_RING 0x80000000u

/* Creates a ring with at least entries SQEs. On failure returns a negative
 * errno and points *why at a one-line explanation with the fix. */
int ringo__ring_create(struct ringo__ring **out, unsigned entries, unsigned run_flags,
		       const char **why);
/* Closes the ring; nothing may be in flight. */
void ringo__ring_destroy(struct ringo__ring *r);
/* Queues an IORING_OP_TIMEOUT for op: ns nanoseconds from now, or with abs
 * at CLOCK_MONOTONIC time ns. */
void ringo__ring_timeout(struct ringo__ring *r, struct ringo__op *op, int64_t ns, bool abs);
/* Queues IORING_OP_TIMEOUT_REMOVE / IORING_OP_ASYNC_CANCEL aimed at the armed
 * op. Their own CQEs are consumed internally; op still gets exactly one CQE. */
void ringo__ring_timeout_remove(struct ringo__ring *r, struct ringo__op *op);
/* Queues IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE: the armed
 * timeout of op now expires at CLOCK_MONOTONIC time when (its own CQE is
 * consumed internally; if op had expired already, nothing changes). Only
 * where ringo__ring_has_timeout_update(r) (Linux 5.11+). */
void ringo__ring_timeout_update(struct ringo__ring *r, struct ringo__op *op, int64_t when);
bool ringo__ring_has_timeout_update(const struct ringo__ring *r);
void ringo__ring_cancel(struct ringo__ring *r, struct ringo__op *op);
/* Submits what is queued, waits until at least one completion is there if
 * wait is true, then calls the complete function of every completion in the
 * order the kernel posted them. Returns how many ops completed, or a
 * negative errno for an unrecoverable ring failure. */
int ringo__ring_run(struct ringo__ring *r, bool wait);
/* Busy-poll: before each wait that would block, spin up to us microseconds
 * watching the ring for completions (0: never; see ringo_run_opts.poll_us). */
void ringo__ring_set_poll(struct ringo__ring *r, unsigned us);
/* Whether the kernel has io_uring opcode (an IORING_OP_* value), as probed
 * when the ring was created. */
bool ringo__ring_supports(const struct ringo__ring *r, unsigned opcode);
/* SQEs submitted (or queued) whose CQE has not been dispatched yet. */
size_t ringo__ring_inflight(const struct ringo__ring *r);
/* A short description of the ring's setup, for diagnostics ("defer-taskrun"). */
const char *ringo__ring_mode(const struct ringo__ring *r);

/* ---- completions: the common core of futures and tasks ---- */

enum { RINGO__PENDING = 0, RINGO__DONE, RINGO__CANCELLED };

/* Something interested in a completion. notify() runs synchronously when the
 * completion finishes: it must not run user code or switch; it wakes a task
 * or schedules a callback by queueing an SQE. */
struct ringo__waiter {
	struct ringo__list node;
	void (*notify)(struct ringo__waiter *w, intptr_t result);
};

struct ringo__completion {
	uint8_t state;
	intptr_t result;
	struct ringo__list waiters;
};

void ringo__completion_init(struct ringo__completion *c);
/* Finishes c (state DONE or CANCELLED) and notifies every waiter, in the
 * order they were added. */
void ringo__completion_finish(struct ringo__completion *c, uint8_t state, intptr_t result);
static inline void ringo__completion_add(struct ringo__completion *c, struct ringo__waiter *w)
{
	ringo__list_push_back(&c->waiters, &w->node);
}

/* Done callbacks: a waiter that, when notified, takes a reference with
 * hold(obj) and queues a NOP whose CQE calls invoke(obj, fn, arg) on the
 * loop, then release(obj). If c is done already, that happens at once.
 * loop must be the running loop and obj's. Returns 0 or -ENOMEM. */
union ringo__cb_fn {
	void (*task)(ringo_task *t, void *arg);
	void (*future)(ringo_future *f, void *arg);
};
int ringo__callback_add(struct ringo_loop *loop, struct ringo__completion *c,
			void (*invoke)(void *obj, union ringo__cb_fn fn, void *arg),
			union ringo__cb_fn fn, void *obj, void *arg, void (*hold)(void *obj),
			void (*release)(void *obj));
/* Removes the registrations of (fn, arg) not yet notified; returns how many. */
size_t ringo__callback_remove(struct ringo__completion *c, union ringo__cb_fn fn, void *arg);
/* Frees every registration not yet notified (the object is being freed). */
void ringo__callback_drop_all(struct ringo__completion *c);

/* ---- waits: a task's one outstanding operation while it is suspended ---- */

enum {
	RINGO__WAIT_KERNEL,      /* a kernel op (timeout, I/O) is in flight */
	RINGO__WAIT_NOTIFY,      /* in a waiter list; nothing in flight yet */
	RINGO__WAIT_WOKEN,       /* the wake-up NOP is in flight */
	RINGO__WAIT_CANCEL_SENT, /* kernel op in flight and a cancel aimed at it */
};

struct ringo__wait;
/* Says in words what a suspended task waits on, for the task dump
 * (lib/debug/dump.c): writes a short phrase to buf ("sleep until +1.250s",
 * "lock 0x... held by Task-12"; now is ringo_time()) and returns the task
 * it awaits, if any (the await tree), else NULL. Each kind of wait has its
 * own, beside the code that suspends; only a dump calls it. */
typedef ringo_task *(*ringo__describe_fn)(const struct ringo__wait *w, char *buf, size_t cap,
					  int64_t now);

struct ringo__wait {
	struct ringo__op op;           /* the SQE this task resumes on */
	struct ringo__waiter waiter;   /* NOTIFY waits: node in the target's list */
	ringo_task *task;
	intptr_t value;                /* what a NOTIFY wait returns once woken */
	uint8_t state;
	bool is_timeout;               /* cancel with TIMEOUT_REMOVE */
	uint8_t pending;               /* CQEs still to come before it resumes */
	int32_t link_res;              /* the CQE result of the linked timeout */
	struct ringo__op link;         /* a deadline's IORING_OP_LINK_TIMEOUT */
	/* Called by ringo_task_cancel while the task is suspended here. Returns
	 * true if the waited-on object took over the cancellation (it will
	 * resume the task with the outcome), false to leave it pending for the
	 * next await. NULL: kernel waits use the ring's cancel. */
	bool (*cancel)(struct ringo__wait *w);
	void *target;
	ringo__describe_fn describe;   /* NULL: "unknown" in a dump */
};

/* ---- resources: objects with an op of their own in flight ---- */

/* An object whose op stays in flight without a task waiting on it (a
 * multishot accept, a stream's receive or background send) registers here,
 * so that when every task has finished, the loop's shutdown can call
 * shutdown(): it must aim a cancel at the op (or otherwise make sure its
 * last CQE comes), so the ring drains. */
struct ringo__resource {
	struct ringo__list node;
	void (*shutdown)(struct ringo__resource *res);
};

/* ---- the loop ---- */

struct ringo_loop {
	struct ringo__ring *ring;
	struct ringo__fiber main_fiber;
	ringo_task *current;            /* running task, NULL on the loop's stack */
	struct ringo__stack_pool stacks;
	struct ringo__list tasks;       /* tasks not done, in creation order */
	size_t ntasks;
	struct ringo__list handles;     /* call_soon/later/at handles not yet run */
	struct ringo__list resources;   /* struct ringo__resource, see above */
	uint64_t task_seq;              /* for "Task-N" names */
	char task_name[24];             /* "Task-<task_seq>", or "" before the first */
	size_t task_name_len;
	ringo_task *task_free;          /* records of freed tasks, for reuse (lib/core/task.c) */
	size_t task_nfree;
	struct arena *arena;            /* task records are carved from (lib/task.c) */
	size_t arena_used;
	uint64_t tasks_created;         /* statistics */
	size_t stream_bytes;            /* capacity of stream buffers (lib/io/stream.c) */
	int64_t started;                /* ringo_time() at the start */
	struct ringo__debug *debug;     /* debug mode / dump signal (lib/debug/debug.c), or NULL */
	uint64_t id;                    /* unique in the process, never reused */
	ringo_task *finished;           /* a task whose fiber just ended, to retire */
	uint16_t gen;
	bool closing;
	/* lib/io/bufring.c: the provided buffer ring, made on first use */
	struct ringo__bufring *bufring;
	uint8_t bufring_state;          /* RINGO__BUFRING_* */
	/* lib/thread/mailbox.c: how other threads reach the loop (its public
	 * handle, ringo_loop, which outlives it while referenced) */
	struct ringo_mailbox *mailbox;
	/* lib/io/bufring.c: emptied stream buffers kept for reuse */
	struct ringo__bufpool *bufpool;
};

enum { RINGO__BUFRING_UNTRIED = 0, RINGO__BUFRING_READY, RINGO__BUFRING_OFF };
/* At the loop's end, once nothing is in flight: unregisters and frees the
 * loop's provided buffer ring, if it has one, and its pool of stream
 * buffers (lib/io/bufring.c). */
void ringo__bufring_destroy(struct ringo_loop *loop);

/* initial-exec: a plain %fs-relative load instead of a __tls_get_addr call
 * on every await (the library is linked, not dlopen'ed late). */
extern __thread struct ringo_loop *ringo__loop __attribute__((tls_model("initial-exec")));

/* For objects that belong to no loop by construction (events, locks,
 * queues): *owner remembers the thread whose loop created the object (or,
 * made outside any loop, first used it);
 * a use while another thread's loop runs here is -EXDEV. 0 outside any
 * loop (unchanged: such calls are the caller's to keep on one thread) and
 * on the owner's thread. One thread-local load and a compare. */
static inline int ringo__thread_check(uintptr_t *owner)
{
	if (!ringo__loop)
		return 0;
	uintptr_t me = (uintptr_t)&ringo__loop;  /* this thread's */
	if (*owner == me)
		return 0;
	if (*owner == 0) {
		*owner = me;
		return 0;
	}
	return -EXDEV;
}

/* After fork() in a running loop, in the child: says once on stderr that
 * the parent's loop is unusable here; true if it did (lib/core/loop.c). */
bool ringo__loop_forked(void);

/* The running loop or NULL. */
static inline struct ringo_loop *ringo__loop_get(void)
{
	return ringo__loop;
}

/* Debug mode (lib/debug/debug.c): how many loops run in it, in the process; a
 * report that an object of loop id was used by the code at where, on a
 * thread that is not its loop's (once per place, if that loop still runs
 * in debug mode). */
extern _Atomic int ringo__debug_loops;
void ringo__debug_foreign(uint64_t id, const void *where);

/* The running loop if it is the one whose id is given, else NULL: objects
 * remember the id of their loop, since a later loop may have the same
 * address. An object of a loop that has ended must not touch it. */
static inline struct ringo_loop *ringo__loop_owning(uint64_t id)
{
	struct ringo_loop *loop = ringo__loop;
	if (ringo__likely(loop && loop->id == id))
		return loop;
	if (ringo__unlikely(ringo__debug_loops > 0))
		ringo__debug_foreign(id, __builtin_return_address(0));
	return NULL;
}

/* For a call on an object of loop id: 0 if that loop runs here; -EXDEV if
 * another loop runs on this thread (the object is another loop's: another
 * thread's, or one that has ended); -EPERM outside a loop. */
static inline int ringo__loop_check(uint64_t id)
{
	struct ringo_loop *loop = ringo__loop;
	return !loop ? -EPERM : loop->id == id ? 0 : -EXDEV;
}

/* Gives each arming a fresh tag, so a CQE for an earlier use of the same
 * record is recognised as stale. */
static inline void ringo__op_arm(struct ringo_loop *loop, struct ringo__op *op,
				 ringo__op_fn complete)
{
	op->complete = complete;
	op->gen = ++loop->gen;
}

/* ---- tasks (lib/core/task.c) ---- */

/* Prepares w as a wait of the current task. */
void ringo__wait_init(struct ringo__wait *w, ringo_task *t);
/* Suspends the current task on w until w's op completes; returns the CQE
 * result (KERNEL waits) or w->value (NOTIFY waits). A cancellation pending
 * as it starts goes to w's cancel hook, as one arriving later would (an
 * awaited task, future, gather's children are cancelled: bpo-34872). Resolves a cancellation
 * that raced with the completion: if a cancel was sent but the op completed
 * anyway, the result is returned and -ECANCELED is left pending. */
intptr_t ringo__wait_suspend(struct ringo__wait *w);
/* Arms w for a kernel op and returns the op to put in the SQE. cancellable:
 * cancelling the task sends ASYNC_CANCEL (TIMEOUT_REMOVE if w->is_timeout);
 * otherwise (a NOP) the cancellation stays pending. */
struct ringo__op *ringo__wait_kernel_op(struct ringo__wait *w, bool cancellable);
/* Arms the IORING_OP_LINK_TIMEOUT that follows w's kernel op (linked with
 * IOSQE_IO_LINK) and returns the op to put in its SQE: the task resumes only
 * after both CQEs, and if the timer cancelled the op the wait returns
 * -ETIMEDOUT; an op that completed anyway returns its own result. */
struct ringo__op *ringo__wait_link_op(struct ringo__wait *w);
/* For a CQE handler of an object's own op (a multishot accept, a stream's
 * receive), running on the loop's stack: wakes the NOTIFY wait w with value
 * and resumes its task at once; the CQE is the resumption. The task may
 * free the object before this returns: the caller must touch nothing
 * afterwards. Does nothing if w is already woken. */
void ringo__wait_resume(struct ringo__wait *w, intptr_t value);
/* Cancel hooks: aim a cancel at w's kernel op / take w out of its waiter
 * list and wake it with -ECANCELED. */
bool ringo__wait_cancel_kernel(struct ringo__wait *w);
bool ringo__wait_cancel_detach(struct ringo__wait *w);
/* Prepares w as a NOTIFY wait of task t (the current one, from
 * ringo__await_begin): nothing is in flight, and it resumes when someone
 * calls ringo__wait_wake. cancel is the hook for a cancellation meanwhile
 * (NULL: ringo__wait_cancel_detach); target is what the hook is told. */
void ringo__wait_init_notify(struct ringo__wait *w, ringo_task *t,
			     bool (*cancel)(struct ringo__wait *w), void *target);
/* Suspends task t (the current one, from ringo__await_begin) in list, a
 * FIFO of waits kept by a lock, a queue, an event...: w is linked at the
 * back, and the task resumes when a waker unlinks it and calls
 * ringo__wait_wake, or when a cancellation calls cancel (NULL: leave the
 * list and resume with -ECANCELED). target is what cancel is told. Returns
 * the woken value. */
intptr_t ringo__wait_queued(struct ringo__wait *w, ringo_task *t, struct ringo__list *list,
			    bool (*cancel)(struct ringo__wait *w), void *target);
/* ringo__wait_queued, with a describe function for the task dump. */
intptr_t ringo__wait_queued_as(struct ringo__wait *w, ringo_task *t, struct ringo__list *list,
			       bool (*cancel)(struct ringo__wait *w), void *target,
			       ringo__describe_fn describe);
/* Wakes a NOTIFY wait with value, through a NOP. Does nothing if it is
 * already woken. */
void ringo__wait_wake(struct ringo__wait *w, intptr_t value);
/* The current task, or NULL; if it has a cancellation pending, delivers it
 * (clears it and returns -ECANCELED in *err). For the start of awaits whose
 * cancellation has nothing to cancel but the wait itself (a kernel op not
 * yet submitted, a place in a lock's queue). Awaits of something that a
 * cancellation must reach (a task, a future, gather's children, a
 * generator) skip it and let ringo__wait_suspend pass it on. */
ringo_task *ringo__await_begin(int *err);
/* Awaits a completion on behalf of the current task; cancel is the hook
 * for cancelling the task while it waits (see struct ringo__wait). */
intptr_t ringo__completion_await(struct ringo__completion *c,
				 bool (*cancel)(struct ringo__wait *w), void *target);

/* sleep(0): suspends the current task t on a NOP, whose CQE comes after
 * those of every task that yielded before, so yielding tasks alternate. A
 * cancellation arriving meanwhile is delivered as it resumes: returns 0 or
 * -ECANCELED. */
int ringo__task_yield(ringo_task *t);
/* ringo_sleep(0): ringo__await_begin and ringo__task_yield in one call. */
int ringo__yield(void);
/* Consumes a pending cancellation of the current task: returns true if
 * there was one. */
bool ringo__task_take_cancel(ringo_task *t);
struct ringo__completion *ringo__task_completion(ringo_task *t);
/* Records that t's result was taken by whoever waited for it (gather, a
 * task group, shield...): a failed task is then not reported when it is
 * released (ringo_set_exception_handler). */
void ringo__task_mark_taken(ringo_task *t);

/* Locks (lib/compose/lock.c): acquires for t, waiting if needed, without ever
 * returning -ECANCELED (a cancellation stays pending); for Condition.wait,
 * which must hold the lock again whatever happens. */
int ringo__lock_acquire_uncancellable(ringo_lock *lock, ringo_task *t);

/* Advises the 2 MiB-aligned part of [p, p + bytes) as transparent huge
 * pages, if bytes is 4 MiB or more: for large arrays that are written once
 * through (gather's slots for a million tasks), where each fresh 4 KiB page
 * would cost a fault. Best effort. */
void ringo__hugepage_hint(void *p, size_t bytes);
/* Loop-side, at its end: frees the task records kept for reuse. */
void ringo__task_pool_drain(struct ringo_loop *loop);
/* Loop-side: cancel every task (shutdown). */
void ringo__task_cancel_all(struct ringo_loop *loop);
/* Loop-side, when tasks can never finish: takes their waits out of the
 * lists of the objects they wait on, so that nothing points into their
 * stacks once the loop is gone, and ends them cancelled without resuming
 * them (their cleanup never runs). */
void ringo__task_abandon_all(struct ringo_loop *loop);
/* For describe functions (lib/debug/dump.c): appends to buf[0..cap) at *len, as
 * snprintf does, keeping *len <= cap - 1. */
void ringo__dump_add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* What fd is, for a dump: a socket's peer ("127.0.0.1:51234", "[::1]:80",
 * a unix path), else its local address, else its /proc/self/fd link (a
 * file's path, "pipe:[123]"); "" if nothing is known. */
void ringo__dump_fd(int fd, char *buf, size_t cap);
/* "+1.250s" (or "-0.002s" when passed), the time from now to when. */
const char *ringo__dump_rel(char out[32], int64_t when, int64_t now);
/* The name of t if t is one of the running loop's tasks not done, else
 * NULL (a pointer kept by an object may outlive its task). */
const char *ringo__dump_task_name(const ringo_task *t);
/* Awaits a completion like ringo__completion_await, describing the wait
 * with describe. */
intptr_t ringo__completion_await_as(struct ringo__completion *c,
				    bool (*cancel)(struct ringo__wait *w), void *target,
				    ringo__describe_fn describe);

/* Debug mode and the dump signal (lib/debug/debug.c). loop_begin reads
 * RINGO_DEBUG, RINGO_DUMP, RINGO_DUMP_SIGNAL and opts (may be NULL) and
 * sets loop->debug if any is on; loop_end reports and frees it. The rest
 * are called only when loop->debug is set. */
void ringo__debug_loop_begin(struct ringo_loop *loop, const ringo_run_opts *opts);
void ringo__debug_loop_end(struct ringo_loop *loop);
/* A task's stack given back: measures how deep it was used. */
void ringo__debug_stack(struct ringo_loop *loop, const struct ringo__stack *s,
			const char *owner);
/* Main has returned: reports the tasks still pending. */
void ringo__debug_main_returned(struct ringo_loop *loop);
/* "function file.c:12 (object+0xoffset)" for a return address. */
void ringo__debug_where(const void *pc, char *buf, size_t cap);
/* Where ringo_task_create was called for t. */
const void *ringo__task_created_at(const ringo_task *t);
/* Signals (lib/os/signal.c): makes signo (0: none) call fn(loop) on the loop,
 * from the ring's read of it, without keeping the loop alive. Returns 0 or
 * a negative errno. */
int ringo__signal_dump(struct ringo_loop *loop, int signo, void (*fn)(struct ringo_loop *loop));

/* Registers res with loop / takes it out (safe if never added). */
static inline void ringo__resource_add(struct ringo_loop *loop, struct ringo__resource *res)
{
	ringo__list_push_back(&loop->resources, &res->node);
}
static inline void ringo__resource_remove(struct ringo__resource *res)
{
	ringo__list_remove(&res->node);
}
/* Handles (lib/core/handle.c): cancels every handle not yet run (shutdown). */
void ringo__handle_cancel_all(struct ringo_loop *loop);

/* ---- the mailbox (lib/thread/mailbox.c): messages from other threads ---- */

/* A message for a loop. run(m) is called on the loop's thread from a CQE's
 * dispatch, on the loop's stack (it must not suspend); it owns m. */
struct ringo__msg {
	struct ringo__msg *next;
	void (*run)(struct ringo__msg *m);
};
/* Any thread: queues m for to's loop, waking it with a MSG_RING CQE.
 * Returns 0, or -EPIPE once the loop has begun to end (m stays the
 * caller's). Messages from one thread run in the order they were posted. */
int ringo__mailbox_post(struct ringo_mailbox *to, struct ringo__msg *m);
/* ringo__mailbox_post for a reply that a task of the loop waits for (and
 * counts in flight with ringo__ring_expect): accepted until the loop's ring
 * is closed, also while it ends. */
int ringo__mailbox_reply(struct ringo_mailbox *to, struct ringo__msg *m);
/* A reference that only keeps the handle's memory (not a holder for whom
 * the loop waits); thread-safe. */
void ringo__mailbox_hold(struct ringo_mailbox *mb);
void ringo__mailbox_release(struct ringo_mailbox *mb);
/* The loop's side: open creates loop->mailbox (0 or -ENOMEM/-EMFILE);
 * listen, at the top of each turn, keeps the loop waiting for messages
 * while other threads hold references; close, once main is done, refuses
 * new messages and runs those already queued; end, after the ring is
 * closed, drops the loop's own reference. */
int ringo__mailbox_open(struct ringo_loop *loop);
void ringo__mailbox_listen(struct ringo_loop *loop);
void ringo__mailbox_close(struct ringo_loop *loop);
void ringo__mailbox_end(struct ringo_loop *loop);
/* The ring fd of ringo_run_threads' first loop, whose kernel worker pool
 * this thread's ring attaches to (IORING_SETUP_ATTACH_WQ); -1: none. */
extern __thread int ringo__ring_attach_wq;

/* Sockets (lib/io/socket.c): ringo_listen_on, with SO_REUSEPORT if asked
 * (ringo_server_opts.reuse_port). */
int ringo__listen_on(const char *host, uint16_t port, int backlog, bool reuse_port);

/* Executor (lib/os/executor.c): jobs of loop_id's executor waiting for a
 * thread (statistics). */
size_t ringo__executor_queued(uint64_t loop_id);
/* Executor (lib/os/executor.c): after the loop's ring is closed, stops and
 * joins the worker threads of loop_id's executor and frees it (safe if it
 * has none). */
void ringo__executor_loop_end(uint64_t loop_id);
/* Signals (lib/os/signal.c): before the main task first runs, lets SIGINT
 * cancel main (unless run_flags has RINGO_RUN_NO_SIGINT, or SIGINT is
 * blocked or not at its default disposition); after the ring is closed,
 * drops the loop's handlers and unblocks what the loop blocked. */
void ringo__signal_loop_begin(struct ringo_loop *loop, ringo_task *main, unsigned run_flags);
void ringo__signal_loop_end(uint64_t loop_id);

/* Streams (lib/io/stream.c), for calls that write to a stream's fd directly
 * (ringo_stream_sendfile): waits until everything buffered has been sent;
 * returns 0, the write error, or -EPIPE after write_eof/close. May suspend.
 * And the deadline set on s. */
int ringo__stream_flush(ringo_stream *s);
ringo_deadline ringo__stream_deadline(const ringo_stream *s);
/* Whether s runs TLS (its bytes must be encrypted: no splice). */
bool ringo__stream_is_tls(const ringo_stream *s);

#endif

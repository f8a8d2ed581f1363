/* SPDX-License-Identifier: MIT */
/* Tasks: a function on its own fiber, and the one suspension mechanism
 * (struct ringo__wait) through which every await goes.
 *
 * A suspended task has exactly one op in flight or one waiter registered;
 * it is resumed only by that op's CQE. Cancellation follows asyncio: a
 * request goes to whatever the task waits on (a kernel op gets an
 * ASYNC_CANCEL or TIMEOUT_REMOVE, a future is cancelled, an awaited task is
 * cancelled), and when that is impossible it stays pending and the next
 * await returns -ECANCELED. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "debug/dump.h"
#include "debug/probes.h"
#include "core/internal.h"
#include "debug/log.h"
#include "core/ring.h"

enum { T_SCHEDULED, T_RUNNING, T_DONE };

struct ringo_task {
	struct ringo__completion done;
	struct ringo__fiber fiber;
	struct ringo__stack *stack;
	struct ringo__op start_op;     /* the NOP whose CQE starts the body */
	struct ringo_loop *loop;
	uint64_t loop_id;              /* to tell whether loop is still running */
	ringo_task_fn fn;
	void *arg;
	struct ringo__wait *wait;      /* where it is suspended, or NULL */
	struct ringo__list node;       /* in loop->tasks while not done */
	char *name;                    /* custom name, or NULL for auto_name */
	int refs;
	int cancels;                   /* asyncio's cancelling() */
	bool must_cancel;              /* deliver -ECANCELED at the next await */
	bool cancelling_now;           /* inside ringo_task_cancel (await cycles) */
	bool shutdown_cancelled;
	bool result_taken;             /* awaited, result() read, gathered... */
	uint8_t phase;
	const void *created_at;        /* the return address of its create call */
	int64_t since;                 /* when it last started, suspended or
					  resumed, in loop time (the dump) */
	char auto_name[24];            /* "Task-N" */
	/* Not cleared by ringo_task_create: set by record_get. */
	bool in_arena;                 /* carved from a record arena, not malloc'd */
};

struct ringo__completion *ringo__task_completion(ringo_task *t)
{
	return &t->done;
}

/* The next "Task-N" of loop into buf: the loop keeps the last one as text
 * and adds 1 to it in decimal, a digit or two each time, rather than
 * formatting the number. */
static void next_auto_name(struct ringo_loop *loop, char buf[24])
{
	char *s = loop->task_name;
	size_t len = loop->task_name_len;
	if (ringo__unlikely(len == 0)) {
		memcpy(s, "Task-0", 7);
		len = 6;
	}
	size_t i = len;
	while (i > 5 && s[i - 1] == '9')
		s[--i] = '0';
	if (i > 5) {
		s[i - 1]++;
	} else if (len + 1 < sizeof(loop->task_name)) {
		/* 9...9 + 1: one digit more. */
		memmove(s + 6, s + 5, len - 5);
		s[5] = '1';
		s[++len] = '\0';
	}
	loop->task_name_len = len;
	memcpy(buf, s, sizeof(loop->task_name));
}

/* ---- task records: freed ones are kept by their loop for the next
 * tasks (malloc and free cost more than the rest of a short task), as
 * many as it keeps free stacks; not under AddressSanitizer, which must see
 * every record freed to catch a use after free.
 *
 * Past ARENA_AFTER tasks alive, new records are carved from arenas: 2 MiB
 * chunks, aligned and advised as transparent huge pages. Each malloc'd
 * record costs a share of a fresh 4 KiB page, and on a VM with shadow
 * paging a fresh page costs tens of microseconds at its first touch; a huge
 * page is one fault and one host exit for 7,000 records. A chunk counts
 * its records not yet given back, plus one while its loop carves from it;
 * the last to let go unmaps it, so a record may outlive its loop. ---- */

enum {
	ARENA_BYTES = RINGO__HUGE_CHUNK,
	ARENA_AFTER = 4096,
	ARENA_HEAD = 64, /* struct arena, padded: records start on a cache line */
	RECORD_BYTES = (sizeof(ringo_task) + 15) & ~(size_t)15,
};

struct arena {
	atomic_size_t refs;
};

static struct arena *arena_of(const ringo_task *t)
{
	return (struct arena *)((uintptr_t)t & ~(uintptr_t)(ARENA_BYTES - 1));
}

static void arena_unref(struct arena *a)
{
	if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) == 1)
		munmap(a, ARENA_BYTES);
}

#if !defined(RINGO_ASAN)
/* A fresh chunk, ARENA_BYTES aligned, or NULL. */
static struct arena *arena_map(void)
{
	struct arena *a = ringo__huge_chunk_map();
	if (a)
		atomic_init(&a->refs, 1);
	return a;
}

static ringo_task *arena_get(struct ringo_loop *loop)
{
	if (!loop->arena || loop->arena_used + RECORD_BYTES > ARENA_BYTES) {
		struct arena *a = arena_map();
		if (!a)
			return NULL;
		if (loop->arena)
			arena_unref(loop->arena);
		loop->arena = a;
		loop->arena_used = ARENA_HEAD;
	}
	ringo_task *t = (ringo_task *)((char *)loop->arena + loop->arena_used);
	loop->arena_used += RECORD_BYTES;
	atomic_fetch_add_explicit(&loop->arena->refs, 1, memory_order_relaxed);
	t->in_arena = true;
	return t;
}

#endif

static void record_free(ringo_task *t)
{
	if (t->in_arena)
		arena_unref(arena_of(t));
	else
		free(t);
}

void ringo__hugepage_hint(void *p, size_t bytes)
{
	if (bytes < 2 * (size_t)ARENA_BYTES)
		return;
	uintptr_t lo = ((uintptr_t)p + ARENA_BYTES - 1) & ~(uintptr_t)(ARENA_BYTES - 1);
	uintptr_t hi = ((uintptr_t)p + bytes) & ~(uintptr_t)(ARENA_BYTES - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

static ringo_task *record_get(struct ringo_loop *loop)
{
#if !defined(RINGO_ASAN)
	ringo_task *t = loop->task_free;
	if (t) {
		ringo_task *next = *(ringo_task **)t;
		loop->task_free = next;
		loop->task_nfree--;
		/* The next create writes it: start loading it now (a free list
		 * of 100,000 records is cold, and each link is in the record). */
		__builtin_prefetch(next, 1);
		return t;
	}
	if (loop->ntasks >= ARENA_AFTER && (t = arena_get(loop)))
		return t;
#else
	(void)loop;
#endif
	ringo_task *m = malloc(sizeof(ringo_task));
	if (m)
		m->in_arena = false;
	return m;
}

static void record_put(ringo_task *t)
{
#if !defined(RINGO_ASAN)
	/* Only while its loop runs on this thread. */
	struct ringo_loop *loop = ringo__loop;
	if (loop && loop->id == t->loop_id && loop->task_nfree < loop->stacks.hot_max) {
		*(ringo_task **)t = loop->task_free;
		loop->task_free = t;
		loop->task_nfree++;
		return;
	}
#endif
	record_free(t);
}

void ringo__task_pool_drain(struct ringo_loop *loop)
{
	while (loop->task_free) {
		ringo_task *t = loop->task_free;
		loop->task_free = *(ringo_task **)t;
		record_free(t);
	}
	loop->task_nfree = 0;
	if (loop->arena) {
		arena_unref(loop->arena);
		loop->arena = NULL;
	}
}

ringo_task *ringo_task_ref(ringo_task *t)
{
	if (t)
		t->refs++;
	return t;
}

/* ---- errors nobody took (asyncio's "Task exception was never retrieved") ---- */

/* The default handler: one line on stderr naming the task. */
static void print_unretrieved(ringo_task *t, int error, void *arg)
{
	(void)arg;
	ringo__log(RINGO_LOG_ERROR, "task %s failed with %d (%s) and nobody took its result",
		   ringo_task_name(t), error, strerror(-error));
}

static __thread ringo_exception_handler_fn exception_handler = print_unretrieved;
static __thread void *exception_handler_arg;

void ringo_set_exception_handler(ringo_exception_handler_fn fn, void *arg)
{
	exception_handler = fn ? fn : print_unretrieved;
	exception_handler_arg = fn ? arg : NULL;
}

void ringo__task_mark_taken(ringo_task *t)
{
	if (t)
		t->result_taken = true;
}

void ringo_task_unref(ringo_task *t)
{
	if (!t || --t->refs > 0)
		return;
	if (t->phase == T_DONE && !t->result_taken && t->done.state == RINGO__DONE &&
	    t->done.result < 0) {
		t->refs++; /* a handler that takes and drops a reference frees nothing */
		exception_handler(t, (int)t->done.result, exception_handler_arg);
		t->refs--;
	}
	free(t->name);
	record_put(t);
}

/* ---- running ---- */

static void finish(ringo_task *t, intptr_t result)
{
	struct ringo_loop *loop = t->loop;
	t->phase = T_DONE;
	ringo__list_remove(&t->node);
	loop->ntasks--;
	ringo__completion_finish(&t->done,
				 result == -ECANCELED ? RINGO__CANCELLED : RINGO__DONE,
				 result);
}

/* Gives back what a done task needs no more: its stack, and the loop's
 * reference. Runs on the loop's stack. */
static void retire(ringo_task *t)
{
	if (t->stack) {
		if (ringo__unlikely(t->loop->debug))
			ringo__debug_stack(t->loop, t->stack, ringo_task_name(t));
		ringo__stack_put(&t->loop->stacks, t->stack);
		t->stack = NULL;
	}
	ringo_task_unref(t);
}

/* Switches from the loop's stack to t. Control comes back when a task
 * suspends with nothing left in the round for another task, or finishes:
 * a finished task (loop->finished) is retired here, off its own stack. */
static void resume(ringo_task *t)
{
	struct ringo_loop *loop = t->loop;
	loop->current = t;
	ringo__fiber_switch(&loop->main_fiber, &t->fiber);
	loop->current = NULL;
	if (loop->finished) {
		retire(loop->finished);
		loop->finished = NULL;
	}
}

static __attribute__((noreturn)) void entry(void *arg)
{
	ringo_task *t = arg;
	RINGO_PROBE1(task__start, t);
	intptr_t result = t->fn(t->arg);
	RINGO_PROBE2(task__finish, t, result);
	/* A cancellation requested but never delivered ends a task that
	 * returned a value cancelled; an error it returned is kept (asyncio:
	 * an exception wins over the pending CancelledError). */
	if (t->must_cancel && result >= 0)
		result = -ECANCELED;
	finish(t, result);
	t->loop->finished = t;
	ringo__fiber_switch_final(&t->fiber, &t->loop->main_fiber);
	__builtin_unreachable();
}

static void start(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	ringo_task *t = ringo__container_of(op, ringo_task, start_op);
	if (t->must_cancel) {
		/* Cancelled before it started: the body never runs. */
		t->must_cancel = false;
		if (!t->stack)
			ringo__stack_unreserve(&t->loop->stacks);
		finish(t, -ECANCELED);
		retire(t);
		return;
	}
	if (!t->stack)
		t->stack = ringo__stack_take(&t->loop->stacks);
	t->stack->owner = t->name ? t->name : t->auto_name;
	t->phase = T_RUNNING;
	t->since = t->loop->ring->now;
	ringo__fiber_prepare(&t->fiber, t->stack, entry, t);
	resume(t);
}

int ringo_task_create(ringo_task_fn fn, void *arg, const ringo_task_opts *opts,
		      ringo_task **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	if (!fn)
		return -EINVAL;
	ringo_task *t = record_get(loop);
	if (!t)
		return -ENOMEM;
	memset(t, 0, offsetof(ringo_task, auto_name));
	if (opts && opts->name) {
		t->name = strdup(opts->name);
		if (!t->name)
			goto err_free;
	} else {
		++loop->task_seq;
		next_auto_name(loop, t->auto_name);
	}
	/* The stack is promised now, so that running out is this call's
	 * -ENOMEM; which stack the task gets is chosen when it starts: the
	 * most recently freed one, still hot. */
	int ret = ringo__stack_reserve(&loop->stacks, opts ? opts->stack_size : 0, &t->stack);
	if (ret < 0)
		goto err_name;
	ringo__completion_init(&t->done);
	t->loop = loop;
	t->loop_id = loop->id;
	t->fn = fn;
	t->arg = arg;
	t->refs = out ? 2 : 1;
	t->phase = T_SCHEDULED;
	t->created_at = __builtin_return_address(0);
	t->since = loop->ring->now;
	loop->tasks_created++;
	ringo__list_push_back(&loop->tasks, &t->node);
	loop->ntasks++;
	RINGO_PROBE2(task__create, t, ringo_task_name(t));
	ringo__op_arm(loop, &t->start_op, start);
	ringo__ring_nop(loop->ring, &t->start_op);
	if (out)
		*out = t;
	return 0;

err_name:
	free(t->name);
err_free:
	t->loop_id = loop->id;
	record_put(t);
	return -ENOMEM;
}

/* ---- waits ---- */

void ringo__wait_init(struct ringo__wait *w, ringo_task *t)
{
	w->task = t;
	w->value = 0;
	w->state = RINGO__WAIT_KERNEL;
	w->is_timeout = false;
	w->pending = 1;
	w->link_res = 0;
	w->cancel = NULL;
	w->target = NULL;
	w->describe = NULL;
	w->op.armed = false;
	ringo__list_init(&w->waiter.node);
}

/* Counts one CQE of w's; true once the last has come and the task may
 * resume. An op cancelled by its linked timeout's timer ends -ETIMEDOUT.
 * The timer's CQE says it cancelled the op with -ETIME, or, for ops whose
 * kernel cancel returns a count (IORING_OP_WAITID, the futex ops), with
 * that count (1); an op that completed first leaves it -ECANCELED. */
static inline __attribute__((always_inline)) bool wait_settle(struct ringo__wait *w)
{
	if (--w->pending)
		return false;
	bool fired = w->link_res == -ETIME || w->link_res > 0;
	if (fired && (w->value == -ECANCELED || w->value == -EINTR))
		w->value = -ETIMEDOUT;
	else if (w->value == -EINTR && w->state == RINGO__WAIT_CANCEL_SENT)
		/* An op a kernel worker was running when the cancel came (a
		 * blocking file write, say) is interrupted rather than
		 * cancelled: the cancel is what ended it. */
		w->value = -ECANCELED;
	return true;
}

static void wait_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	struct ringo__wait *w = ringo__container_of(op, struct ringo__wait, op);
	if (w->state != RINGO__WAIT_WOKEN)
		w->value = res;
	if (wait_settle(w))
		resume(w->task);
}

static void link_complete(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	struct ringo__wait *w = ringo__container_of(op, struct ringo__wait, link);
	w->link_res = res;
	if (wait_settle(w))
		resume(w->task);
}

struct ringo__op *ringo__wait_kernel_op(struct ringo__wait *w, bool cancellable)
{
	w->state = RINGO__WAIT_KERNEL;
	w->pending = 1;
	w->cancel = cancellable ? ringo__wait_cancel_kernel : NULL;
	ringo__op_arm(w->task->loop, &w->op, wait_complete);
	return &w->op;
}

struct ringo__op *ringo__wait_link_op(struct ringo__wait *w)
{
	w->pending = 2;
	w->link_res = 0;
	ringo__op_arm(w->task->loop, &w->link, link_complete);
	return &w->link;
}

void ringo__wait_resume(struct ringo__wait *w, intptr_t value)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return;
	w->value = value;
	w->state = RINGO__WAIT_WOKEN;
	resume(w->task);
}

bool ringo__wait_cancel_kernel(struct ringo__wait *w)
{
	if (w->state == RINGO__WAIT_CANCEL_SENT)
		return true;
	if (w->state != RINGO__WAIT_KERNEL)
		return false;
	struct ringo__ring *ring = w->task->loop->ring;
	if (w->is_timeout)
		ringo__ring_timeout_remove(ring, &w->op);
	else
		ringo__ring_cancel(ring, &w->op);
	w->state = RINGO__WAIT_CANCEL_SENT;
	return true;
}

void ringo__wait_wake(struct ringo__wait *w, intptr_t value)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return;
	w->value = value;
	w->state = RINGO__WAIT_WOKEN;
	w->pending = 1;
	ringo__op_arm(w->task->loop, &w->op, wait_complete);
	ringo__ring_nop(w->task->loop->ring, &w->op);
}

bool ringo__wait_cancel_detach(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	ringo__list_remove(&w->waiter.node);
	ringo__wait_wake(w, -ECANCELED);
	return true;
}

/* ringo__wait_suspend, inlined into the waits that call it on every turn
 * (a yield), where what is known of w (no cancel hook) prunes it. */
static inline __attribute__((always_inline)) intptr_t suspend(struct ringo__wait *w)
{
	ringo_task *t = w->task;
	struct ringo_loop *loop = t->loop;
	int cancels = t->cancels;
	t->wait = w;
	t->since = loop->ring->now;
	RINGO_PROBE2(task__suspend, t, w);
	if (ringo__unlikely(t->must_cancel) && w->cancel) {
		/* A cancellation pending as the task starts to wait goes to
		 * what it waits on, as one arriving now would (asyncio,
		 * bpo-34872): an awaited task or future is cancelled, and the
		 * answer comes through it. A hook that cannot take it leaves
		 * it pending. */
		t->cancelling_now = true;
		if (w->cancel(w))
			t->must_cancel = false;
		t->cancelling_now = false;
	}
	/* If the loop is dispatching a round and its next completion resumes
	 * a task, switch straight to that task rather than through the loop's
	 * stack: the same CQE, the same order, one switch instead of two. */
	int res;
	struct ringo__op *op = ringo__ring_take(loop->ring, wait_complete, &res);
	struct ringo__wait *next = NULL;
	if (op) {
		RINGO_PROBE2(op__complete, op, res);
		next = ringo__container_of(op, struct ringo__wait, op);
		if (next->state != RINGO__WAIT_WOKEN)
			next->value = res;
		if (!wait_settle(next))
			next = NULL;  /* its linked timeout's CQE is still to come */
	}
	if (next) {
		if (next->task != t) {
			loop->current = next->task;
			ringo__fiber_switch(&t->fiber, &next->task->fiber);
		}
	} else {
		ringo__fiber_switch(&t->fiber, &loop->main_fiber);
	}
	t->wait = NULL;
	RINGO_PROBE2(task__resume, t, w->value);
	if (w->value == -ECANCELED) {
		/* One -ECANCELED answers every request made during the wait,
		 * as asyncio throws one CancelledError per step. */
		if (t->cancels > cancels)
			t->must_cancel = false;
	} else if (w->state == RINGO__WAIT_CANCEL_SENT && t->cancels > 0) {
		/* The op completed before the cancel reached it: keep its
		 * result and deliver the cancellation at the next await,
		 * unless it has been withdrawn (uncancel) meanwhile. */
		t->must_cancel = true;
	}
	return w->value;
}

intptr_t ringo__wait_suspend(struct ringo__wait *w)
{
	return suspend(w);
}

static ringo_task *describe_yield(const struct ringo__wait *w, char *buf, size_t cap,
				  int64_t now)
{
	(void)w;
	(void)now;
	snprintf(buf, cap, "yield (sleep 0)");
	return NULL;
}

static inline __attribute__((always_inline)) int yield(struct ringo_loop *loop, ringo_task *t)
{
	/* The kernel wait of ringo__wait_init + ringo__wait_kernel_op, not
	 * cancellable (a NOP completes at once anyway), filled in once. */
	struct ringo__wait w;
	w.task = t;
	w.value = 0;
	w.state = RINGO__WAIT_KERNEL;
	w.is_timeout = false;
	w.pending = 1;
	w.link_res = 0;
	w.cancel = NULL;
	w.target = NULL;
	w.describe = describe_yield;
	ringo__list_init(&w.waiter.node);
	ringo__op_arm(loop, &w.op, wait_complete);
	ringo__ring_nop(loop->ring, &w.op);
	suspend(&w);
	return ringo__task_take_cancel(t) ? -ECANCELED : 0;
}

int ringo__task_yield(ringo_task *t)
{
	return yield(t->loop, t);
}

int ringo__yield(void)
{
	/* ringo__await_begin's checks, inline: in a task, nothing pending. */
	struct ringo_loop *loop = ringo__loop_get();
	ringo_task *t = loop ? loop->current : NULL;
	if (ringo__unlikely(!t || t->must_cancel)) {
		int err;
		t = ringo__await_begin(&err);
		if (!t)
			return err;
	}
	return yield(loop, t);
}

ringo_task *ringo__await_begin(int *err)
{
	struct ringo_loop *loop = ringo__loop_get();
	ringo_task *t = loop ? loop->current : NULL;
	if (!t) {
		if (!loop)
			(void)ringo__loop_forked();
		*err = -EPERM;
		return NULL;
	}
	if (ringo__task_take_cancel(t)) {
		*err = -ECANCELED;
		return NULL;
	}
	return t;
}

bool ringo__task_take_cancel(ringo_task *t)
{
	if (!t->must_cancel)
		return false;
	t->must_cancel = false;
	return true;
}

void ringo__wait_init_notify(struct ringo__wait *w, ringo_task *t,
			     bool (*cancel)(struct ringo__wait *w), void *target)
{
	ringo__wait_init(w, t);
	w->state = RINGO__WAIT_NOTIFY;
	w->waiter.notify = NULL;
	w->cancel = cancel ? cancel : ringo__wait_cancel_detach;
	w->target = target;
}

intptr_t ringo__wait_queued_as(struct ringo__wait *w, ringo_task *t, struct ringo__list *list,
			       bool (*cancel)(struct ringo__wait *w), void *target,
			       ringo__describe_fn describe)
{
	ringo__wait_init_notify(w, t, cancel, target);
	w->describe = describe;
	ringo__list_push_back(list, &w->waiter.node);
	return ringo__wait_suspend(w);
}

intptr_t ringo__wait_queued(struct ringo__wait *w, ringo_task *t, struct ringo__list *list,
			    bool (*cancel)(struct ringo__wait *w), void *target)
{
	return ringo__wait_queued_as(w, t, list, cancel, target, NULL);
}

static void wait_notify(struct ringo__waiter *waiter, intptr_t result)
{
	ringo__wait_wake(ringo__container_of(waiter, struct ringo__wait, waiter), result);
}

intptr_t ringo__completion_await(struct ringo__completion *c,
				 bool (*cancel)(struct ringo__wait *w), void *target)
{
	return ringo__completion_await_as(c, cancel, target, NULL);
}

intptr_t ringo__completion_await_as(struct ringo__completion *c,
				    bool (*cancel)(struct ringo__wait *w), void *target,
				    ringo__describe_fn describe)
{
	/* Awaiting something finished does not suspend, and so delivers no
	 * pending cancellation (as asyncio's await of a done future). */
	if (c->state != RINGO__PENDING)
		return c->result;
	/* A cancellation already pending is not returned here: the wait
	 * passes it to the cancel hook (ringo__wait_suspend). */
	ringo_task *t = ringo_task_current();
	if (!t)
		return -EPERM;
	struct ringo__wait w;
	ringo__wait_init_notify(&w, t, cancel, target);
	w.describe = describe;
	w.waiter.notify = wait_notify;
	ringo__completion_add(c, &w.waiter);
	return ringo__wait_suspend(&w);
}

/* ---- awaiting and cancelling tasks ---- */

static bool await_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	return ringo_task_cancel(w->target);
}

static ringo_task *describe_await(const struct ringo__wait *w, char *buf, size_t cap,
				  int64_t now)
{
	(void)now;
	ringo_task *t = w->target;
	snprintf(buf, cap, "task %s", ringo_task_name(t));
	return t;
}

intptr_t ringo_task_await(ringo_task *t)
{
	if (!t)
		return -EINVAL;
	if (t == ringo_task_current())
		return -EDEADLK;
	ringo_task_ref(t);
	intptr_t r = ringo__completion_await_as(&t->done, await_cancel, t, describe_await);
	if (t->phase == T_DONE)
		t->result_taken = true;
	ringo_task_unref(t);
	return r;
}

bool ringo_task_cancel(ringo_task *t)
{
	if (!t || t->phase == T_DONE || !ringo__loop_owning(t->loop_id))
		return false;
	t->cancels++;
	/* A cycle of awaits (A awaits B awaits A) leads back here: the outer
	 * call is already delivering the cancellation. */
	if (t->cancelling_now)
		return true;
	t->cancelling_now = true;
	struct ringo__wait *w = t->wait;
	if (!(w && w->cancel && w->cancel(w)))
		t->must_cancel = true;
	t->cancelling_now = false;
	return true;
}

int ringo_task_cancelling(const ringo_task *t)
{
	return t ? t->cancels : 0;
}

int ringo_task_uncancel(ringo_task *t)
{
	if (!t)
		return 0;
	if (t->cancels > 0 && --t->cancels == 0)
		t->must_cancel = false;
	return t->cancels;
}

bool ringo_task_done(const ringo_task *t)
{
	return t && t->phase == T_DONE;
}

bool ringo_task_cancelled(const ringo_task *t)
{
	return t && t->done.state == RINGO__CANCELLED;
}

intptr_t ringo_task_result(const ringo_task *t)
{
	if (!t)
		return -EINVAL;
	if (t->phase != T_DONE)
		return -EAGAIN;
	((ringo_task *)t)->result_taken = true; /* t is never const itself */
	return t->done.result;
}

const char *ringo_task_name(const ringo_task *t)
{
	if (!t)
		return NULL;
	return t->name ? t->name : t->auto_name;
}

int ringo_task_set_name(ringo_task *t, const char *name)
{
	if (!t || !name)
		return -EINVAL;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	free(t->name);
	t->name = copy;
	if (t->stack)
		t->stack->owner = copy;
	return 0;
}

ringo_task *ringo_task_current(void)
{
	struct ringo_loop *loop = ringo__loop_get();
	return loop ? loop->current : NULL;
}

size_t ringo_task_all(ringo_task **out, size_t cap)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return 0;
	size_t i = 0;
	for (struct ringo__list *n = loop->tasks.next; n != &loop->tasks; n = n->next, i++)
		if (out && i < cap)
			out[i] = ringo__container_of(n, ringo_task, node);
	return i;
}

void ringo__task_cancel_all(struct ringo_loop *loop)
{
	for (struct ringo__list *n = loop->tasks.next; n != &loop->tasks; n = n->next) {
		ringo_task *t = ringo__container_of(n, ringo_task, node);
		if (!t->shutdown_cancelled) {
			t->shutdown_cancelled = true;
			ringo_task_cancel(t);
		}
	}
}

void ringo__task_abandon_all(struct ringo_loop *loop)
{
	/* First take every wait out of the list it is in (another abandoned
	 * task's, or a future's, a lock's...). */
	for (struct ringo__list *n = loop->tasks.next; n != &loop->tasks; n = n->next) {
		ringo_task *t = ringo__container_of(n, ringo_task, node);
		if (t->wait && t->wait->state == RINGO__WAIT_NOTIFY)
			ringo__list_remove(&t->wait->waiter.node);
	}
	/* Then end each one cancelled, without resuming it and without
	 * notifying anyone: what still waits on it is abandoned too, or a
	 * callback that can no longer run. */
	while (!ringo__list_empty(&loop->tasks)) {
		ringo_task *t = ringo__container_of(loop->tasks.next, ringo_task, node);
		ringo__callback_drop_all(&t->done);
		ringo__list_init(&t->done.waiters);
		t->done.state = RINGO__CANCELLED;
		t->done.result = -ECANCELED;
		t->phase = T_DONE;
		t->wait = NULL;
		ringo__list_remove(&t->node);
		loop->ntasks--;
		if (!t->stack)
			ringo__stack_unreserve(&loop->stacks);
		retire(t);
	}
}

/* ---- the dump's view ---- */

const void *ringo__task_created_at(const ringo_task *t)
{
	return t->created_at;
}

ringo_task *ringo__task_of(struct ringo__list *n)
{
	return ringo__container_of(n, ringo_task, node);
}

void ringo__task_view(const ringo_task *t, struct ringo__task_view *v)
{
	v->name = ringo_task_name(t);
	v->wait = t->wait;
	v->sp = t->fiber.sp;
	v->since = t->since;
	if (t->phase == T_SCHEDULED) {
		v->state = RINGO__TASK_SCHEDULED;
	} else if (t->loop->current == t) {
		/* Resumed in this turn of the loop, at the latest. */
		v->state = RINGO__TASK_RUNNING;
		if (v->since < t->loop->ring->now)
			v->since = t->loop->ring->now;
	}
	else if (t->wait && t->wait->state != RINGO__WAIT_WOKEN) {
		v->state = RINGO__TASK_SUSPENDED;
	} else {
		v->state = RINGO__TASK_READY;
	}
}

/* ---- done callbacks ---- */

static void task_callback(void *obj, union ringo__cb_fn fn, void *arg)
{
	fn.task(obj, arg);
}

static void task_hold(void *obj)
{
	ringo_task_ref(obj);
}

static void task_release(void *obj)
{
	ringo_task_unref(obj);
}

int ringo_task_add_done_callback(ringo_task *t, void (*fn)(ringo_task *t, void *arg),
				 void *arg)
{
	if (!t || !fn)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_owning(t->loop_id);
	if (!loop)
		return -EPERM; /* its loop has ended, or runs on another thread */
	union ringo__cb_fn f = { .task = fn };
	return ringo__callback_add(loop, &t->done, task_callback, f, t, arg, task_hold,
				   task_release);
}

size_t ringo_task_remove_done_callback(ringo_task *t, void (*fn)(ringo_task *t, void *arg),
				       void *arg)
{
	if (!t || !fn)
		return 0;
	union ringo__cb_fn f = { .task = fn };
	return ringo__callback_remove(&t->done, f, arg);
}

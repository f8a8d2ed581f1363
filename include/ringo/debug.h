/* SPDX-License-Identifier: MIT */
/* ringo: seeing inside a running program — the log, task dumps, loop
 * statistics and debug mode. Included by <ringo.h>. */
#ifndef RINGO_DEBUG_H
#define RINGO_DEBUG_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * The log
 * ------------------------------------------------------------------------ */

/* How serious a message is. */
enum ringo_log_level {
	RINGO_LOG_ERROR = 0,    /* a failure: deadlock, ring failure, overflow */
	RINGO_LOG_WARNING = 1,  /* a likely bug: an error nobody retrieved, a slow task */
	RINGO_LOG_INFO = 2,     /* asked for: a task dump, debug-mode summaries */
};

/* Receives every message ringo writes, one line at a time: msg has no
 * trailing newline and is valid only during the call. It may be called
 * from any thread that runs a loop or an executor worker, and, for the
 * stack overflow message, from a signal handler just before the process
 * aborts. It must not call ringo. */
typedef void (*ringo_log_fn)(enum ringo_log_level level, const char *msg, void *arg);

/* Sends every message ringo writes to fn(level, msg, arg), process-wide;
 * NULL restores the default, which writes "ringo: <msg>\n" to stderr in
 * one write(2). Set it before starting loops: it is read without a lock.
 * Does not suspend. */
void ringo_set_log_fn(ringo_log_fn fn, void *arg);

/* ------------------------------------------------------------------------
 * Loop statistics
 * ------------------------------------------------------------------------ */

/* A snapshot of the running loop's counters since it started. Fields may
 * be added at the end in later versions. (A struct tag without a typedef:
 * the function has the name.) */
struct ringo_loop_stats {
	uint64_t tasks_alive;        /* tasks not done (ringo_task_all's count) */
	uint64_t tasks_created;
	uint64_t sqes_submitted;     /* SQEs the kernel took */
	uint64_t enters;             /* submit / wait calls into the kernel
					(io_uring_enter, unless liburing had
					nothing to tell it) */
	uint64_t cqes;               /* completions dispatched, of every kind: */
	uint64_t cqes_multishot;     /*   a multishot op's, with more to come */
	uint64_t cqes_internal;      /*   a cancel's own (since Linux 5.17
					only a failed cancel posts one) */
	uint64_t cqes_stale;         /*   for an op nobody waits for any more */
	uint64_t cq_overflows;       /* completions the kernel had to hold in its
					overflow list (the CQ was full) */
	uint64_t ops_in_flight;      /* SQEs whose completion has not come yet */
	int64_t wait_ns;             /* time waiting for completions (blocked,
					or spinning with poll_us) */
	int64_t run_ns;              /* the rest of the loop's life: running */
	uint64_t stacks_live;        /* task stacks in use */
	uint64_t stacks_cached;      /* free stacks kept committed for reuse */
	uint64_t stacks_cold;        /* free stacks whose memory went back */
	uint64_t stack_size;         /* usable bytes of a default stack */
	uint64_t stream_buffer_bytes;/* capacity of the loop's stream buffers */
	uint64_t executor_queued;    /* executor jobs waiting for a thread */
	/* Busy-poll (ringo_run_opts.poll_us): */
	uint64_t poll_hits;          /* spins that saw work come */
	uint64_t poll_misses;        /* spins that ran out and blocked */
	int64_t poll_ns;             /* time spinning (part of wait_ns) */
};

/* Fills *out with the running loop's statistics. Returns 0, -EINVAL (NULL),
 * -EPERM (no loop runs on this thread). Does not suspend; cheap. */
int ringo_loop_stats(struct ringo_loop_stats *out);

/* ------------------------------------------------------------------------
 * The task dump
 * ------------------------------------------------------------------------ */

/* With each suspended task's backtrace, indented under its line. */
#define RINGO_DUMP_STACKS 0x1u

/* Writes the running loop's tasks to out, one line each:
 *   <name>  <state> for <time>  <what it waits on>  at <call site>
 * state is scheduled (not started), running (the caller), suspended, or
 * ready (woken, about to resume); what it waits on is in words
 * ("sleep until +1.250s", "recv fd 7 (127.0.0.1:51234)",
 * "lock 0x... held by Task-12", "gather of 3 (1 done)", "task Task-9");
 * the call site is the first frame of the task's stack outside ringo, as
 * "function+0xoffset (object+0xoffset)" (addr2line -e object offset, or
 * ringo-ps, gives file:line), shown when libunwind is there. Under each
 * task, indented by two spaces, come the tasks that await it. The first
 * line says how many tasks and operations there are. Returns 0, -EPERM
 * outside a running loop (of this thread), -EINVAL (NULL out), -ENOMEM.
 * Does not suspend. */
int ringo_task_dump(FILE *out);
/* ringo_task_dump with RINGO_DUMP_* flags. */
int ringo_task_dump_with(FILE *out, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* RINGO_DEBUG_H */

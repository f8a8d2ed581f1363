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

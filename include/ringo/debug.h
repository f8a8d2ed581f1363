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

#ifdef __cplusplus
}
#endif

#endif /* RINGO_DEBUG_H */

/* SPDX-License-Identifier: MIT */
/* ringo — Unix signals as awaits and as handler tasks (asyncio's
 * loop.add_signal_handler / remove_signal_handler). Included by <ringo.h>.
 *
 * Signals are read from a signalfd by an SQE (IORING_OP_READ; a POLL_ADD
 * and then read(2) on kernels that cannot read a signalfd that way): while
 * a task waits for a signal or a handler is installed for it, the loop's
 * thread blocks it (pthread_sigmask) and the ring reads it. When nothing
 * wants it any more it is unblocked again, unless it was blocked before,
 * and a signal still pending then gets its ordinary disposition. A loop's
 * handlers are removed when it ends.
 *
 * Who gets a signal: a task waiting for it in ringo_signal_wait if there
 * is one (one of them if several are); otherwise its handler; otherwise,
 * for SIGINT, ringo_run's default (it cancels the main task; see
 * ringo_run). Standard signals sent while one is pending merge into one,
 * as the kernel does; real-time signals queue.
 *
 * Threads: the kernel delivers a signal sent to the process to any thread
 * that does not block it. The executor's threads block every signal; a
 * program with threads of its own must block in them the signals the loop
 * handles (a thread inherits its creator's mask: create them with those
 * signals blocked), or those threads get the signals instead. A child
 * process inherits the signal mask: ringo's subprocesses start with none
 * blocked; a program that forks by itself during a loop should unblock
 * them in the child.
 *
 * Not accepted (-EINVAL): SIGKILL and SIGSTOP, the synchronous fault
 * signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS), numbers out
 * of range, and the real-time signals the C library keeps for itself.
 */
#ifndef RINGO_SIGNAL_H
#define RINGO_SIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/select.h> /* sigset_t, also under a strict -std=c11 */

#ifdef __cplusplus
extern "C" {
#endif

/* Waits until one of the signals in set arrives, and consumes it (sigwait
 * as an await). Returns its number; -ETIMEDOUT at deadline (a
 * ringo_deadline; RINGO_NO_DEADLINE: none); -ECANCELED; -EINVAL (NULL or
 * empty set, or a signal not accepted); -EPERM (not in a task); -EMFILE
 * and the like when no signalfd could be made. The signals are blocked on
 * the loop's thread only while some task waits for them (or a handler has
 * them). May suspend. */
int ringo_signal_wait(const sigset_t *set, ringo_deadline deadline);

/* Installs fn(arg) as the handler of signo in the running loop, replacing
 * any handler it had: each time signo arrives, fn(arg) runs as a new task
 * (named "signal N"; its result is ignored). The handler keeps the loop
 * alive: tasks waiting for what a handler will do are not a deadlock.
 * Returns 0, -EINVAL (signo not accepted, NULL fn), -EPERM (no running
 * loop), or the errno of signalfd(2). Does not suspend. */
int ringo_signal_add_handler(int signo, intptr_t (*fn)(void *arg), void *arg);

/* Removes the running loop's handler of signo. Returns true if there was
 * one. Handler tasks already started run on. Does not suspend. */
bool ringo_signal_remove_handler(int signo);

#ifdef __cplusplus
}
#endif

#endif

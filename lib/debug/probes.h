/* SPDX-License-Identifier: MIT */
/* Internal: USDT probes (provider "ringo"), for perf, bpftrace, systemtap
 * and gdb to trace a binary as built. Each is one nop where it stands;
 * without <sys/sdt.h> at build time, nothing. Never installed.
 *
 *   task__create   (task, name)       ringo_task_create
 *   task__start    (task)             its body is about to run
 *   task__suspend  (task, wait)       it awaits (wait: its struct ringo__wait)
 *   task__resume   (task, value)      the CQE that resumes it came
 *   task__finish   (task, result)     its body returned
 *   op__submit     (op, opcode)       a kernel op a task awaits (an I/O op
 *                                     or a timer: IORING_OP_*) is queued
 *   op__complete   (op, res)          the CQE of op is dispatched (every
 *                                     op, NOP wake-ups and callbacks too)
 */
#ifndef RINGO__PROBES_H
#define RINGO__PROBES_H

#include "ringo_config.h"

#if RINGO_HAVE_SDT
/* sys/sdt.h's macros pass empty variadic arguments, which clang's
 * -Wpedantic reports where they are expanded: not ours to fix. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wgnu-zero-variadic-macro-arguments"
#endif
#include <sys/sdt.h>
#define RINGO_PROBE1(name, a) DTRACE_PROBE1(ringo, name, a)
#define RINGO_PROBE2(name, a, b) DTRACE_PROBE2(ringo, name, a, b)
#else
#define RINGO_PROBE1(name, a) ((void)0)
#define RINGO_PROBE2(name, a, b) ((void)0)
#endif

#endif

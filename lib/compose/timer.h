/* SPDX-License-Identifier: MIT */
/* Internal: a deadline that moves cheaply (issue 9). Never installed.
 *
 * A ringo__timer calls fn(arg) on the loop's stack once its deadline has
 * passed. The wait is an IORING_OP_TIMEOUT and the call runs from its CQE,
 * as every wake-up in ringo; what is cheap is moving the deadline:
 *
 *  - later (a stream's idle timeout refreshed on every read, a timeout
 *    scope pushed back): one store. The armed kernel timer stays; when it
 *    fires before the moved deadline, it is re-armed for the remainder
 *    (one TIMEOUT per expiry of the old deadline, not one per move);
 *  - earlier: one IORING_TIMEOUT_UPDATE SQE on the armed timer (Linux
 *    5.11+), or where the kernel lacks it a TIMEOUT_REMOVE whose CQE
 *    re-arms it;
 *  - to a time already past: a NOP, so fn runs at the loop's next turn
 *    (asyncio's call_soon), after what was queued before;
 *  - never a malloc, never a suspension.
 *
 * Use from lib/ (the stream idle timeout, timeout scopes):
 *     struct ringo__timer *t;
 *     ringo__timer_create(on_idle, stream, &t);          once, -ENOMEM
 *     ringo__timer_set(t, ringo_time() + idle_ns);       on every read
 *     ringo__timer_set(t, RINGO_NO_TIMEOUT);             to stop
 *     ringo__timer_destroy(t);                           when done
 * fn runs once per deadline reached: after it, the timer is stopped until
 * set again (fn may set it again). A timer left armed when every task has
 * ended is stopped by the loop's shutdown. bench/timer.c measures a move. */
#ifndef RINGO_TIMER_H
#define RINGO_TIMER_H

#include <stdint.h>

struct ringo__timer;

/* Creates a stopped timer of the running loop. Returns 0, -EPERM outside a
 * loop, -EINVAL without fn, -ENOMEM. */
int ringo__timer_create(void (*fn)(void *arg), void *arg, struct ringo__timer **out);
/* Sets the deadline: an absolute CLOCK_MONOTONIC time in nanoseconds, or
 * RINGO_NO_TIMEOUT (INT64_MAX) to stop the timer (the kernel timer is then
 * removed). Never suspends, never allocates. */
void ringo__timer_set(struct ringo__timer *t, int64_t when);
/* The deadline, or RINGO_NO_TIMEOUT when stopped or fired. */
int64_t ringo__timer_when(const struct ringo__timer *t);
/* Stops the timer and frees it once the kernel is done with it; fn is never
 * called afterwards. NULL is a no-op. */
void ringo__timer_destroy(struct ringo__timer *t);

#endif

/* SPDX-License-Identifier: MIT */
/* Sleeping and yielding: an IORING_OP_TIMEOUT, or a NOP for ringo_sleep(0). */
#include "internal.h"

static int sleep_op(int64_t ns, bool abs)
{
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	if (!abs && ns <= 0)
		return ringo__task_yield(t);
	struct ringo_loop *loop = ringo__loop_get();
	struct ringo__wait w;
	ringo__wait_init(&w, t);
	/* The deadline counts from this call, not from when the SQE reaches
	 * the kernel (after the other tasks of this round have run), so that
	 * sleeps end in the order of their deadlines, as in asyncio. */
	if (!abs) {
		int64_t now = ringo_time();
		ns = ns > INT64_MAX - now ? INT64_MAX : now + ns;
	}
	w.is_timeout = true;
	ringo__ring_timeout(loop->ring, ringo__wait_kernel_op(&w, true), ns, true);
	intptr_t r = ringo__wait_suspend(&w);
	/* -ETIME: the timer expired, which is what a sleep is for. */
	return r == -ETIME ? 0 : (int)r;
}

int ringo_sleep(int64_t ns)
{
	return sleep_op(ns, false);
}

int ringo_sleep_until(int64_t deadline_ns)
{
	return sleep_op(deadline_ns, true);
}

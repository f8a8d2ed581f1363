/* SPDX-License-Identifier: MIT */
/* Sleeping and yielding: an IORING_OP_TIMEOUT, or a NOP for ringo_sleep(0). */
#include <stdio.h>

#include "core/internal.h"

struct sleep {
	struct ringo__wait w;
	int64_t until;
};

static ringo_task *describe_sleep(const struct ringo__wait *w, char *buf, size_t cap,
				  int64_t now)
{
	const struct sleep *s = ringo__container_of(w, const struct sleep, w);
	char rel[32];
	snprintf(buf, cap, "sleep until %s", ringo__dump_rel(rel, s->until, now));
	return NULL;
}

static int sleep_op(int64_t ns, bool abs)
{
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	if (!abs && ns <= 0)
		return ringo__task_yield(t);
	struct ringo_loop *loop = ringo__loop_get();
	struct sleep s;
	struct ringo__wait *w = &s.w;
	ringo__wait_init(w, t);
	w->describe = describe_sleep;
	/* The deadline counts from this call, not from when the SQE reaches
	 * the kernel (after the other tasks of this round have run), so that
	 * sleeps end in the order of their deadlines, as in asyncio. */
	if (!abs) {
		int64_t now = ringo_time();
		ns = ns > INT64_MAX - now ? INT64_MAX : now + ns;
	}
	s.until = ns;
	w->is_timeout = true;
	ringo__ring_timeout(loop->ring, ringo__wait_kernel_op(w, true), ns, true);
	intptr_t r = ringo__wait_suspend(w);
	/* -ETIME: the timer expired, which is what a sleep is for. */
	return r == -ETIME ? 0 : (int)r;
}

int ringo_sleep(int64_t ns)
{
	/* sleep(0) is a yield: straight there, without sleep_op's frame. */
	if (ns <= 0)
		return ringo__yield();
	return sleep_op(ns, false);
}

int ringo_sleep_until(int64_t deadline_ns)
{
	return sleep_op(deadline_ns, true);
}

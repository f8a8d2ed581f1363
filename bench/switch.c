/* SPDX-License-Identifier: MIT */
/* Context switch: two fibers ping-pong through ringo's switch primitive;
 * each round trip is two switches. */
#include "bench.h"

#include "core/fiber.h"
#include "ringo_config.h"

enum { ROUNDS = 10000000 };

static struct ringo__fiber main_fiber, fiber;

static void bounce(void *arg)
{
	(void)arg;
	for (;;)
		ringo__fiber_switch(&fiber, &main_fiber);
}

int main(void)
{
	struct ringo__stack_pool pool;
	struct ringo__stack *stack;
	if (ringo__stack_pool_init(&pool, RINGO_DEFAULT_STACK_SIZE) < 0 ||
	    ringo__stack_get(&pool, 0, &stack) < 0)
		return 1;
	ringo__fiber_init_main(&main_fiber);
	ringo__fiber_prepare(&fiber, stack, bounce, NULL);
	ringo__fiber_switch(&main_fiber, &fiber); /* warm up */
	int64_t t0 = bench_now();
	for (int i = 0; i < ROUNDS; i++)
		ringo__fiber_switch(&main_fiber, &fiber);
	double ns = (double)(bench_now() - t0) / (2.0 * ROUNDS);
	/* the fiber never finishes; its stack is reclaimed with the process */
	/* A coroutine send() in Python is a resume and a suspend: two switches. */
	bench_report("context switch (one way)", ns, bench_python("switch.py", "") / 2, "ns", 10);
	return 0;
}

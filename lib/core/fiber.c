/* SPDX-License-Identifier: MIT */
/* Fibers: execution contexts switched in user space.
 *
 * The register work is done by the architecture primitives in lib/core/arch/;
 * this file adds what every switch must also tell others: the overflow
 * handler which stack is current, and AddressSanitizer which stack it is
 * running on (otherwise it reports false stack-buffer overflows and loses
 * track of fake stacks). */
#include <stdlib.h>

#include "core/fiber.h"

#if defined(RINGO_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

/* The fiber that switched last on this thread, or NULL if it finished.
 * The side that resumes learns from ASan the bounds of the stack it came
 * from, which is how the thread's own stack gets its bounds. */
static _Thread_local struct ringo__fiber *asan_from;

static void asan_finish(void *fake_stack)
{
	const void *bottom;
	size_t size;
	__sanitizer_finish_switch_fiber(fake_stack, &bottom, &size);
	struct ringo__fiber *from = asan_from;
	if (from && !from->stack) {
		from->asan_bottom = bottom;
		from->asan_size = size;
	}
}
#endif

/* Only a stack without a guard has a canary to check: skipping the call
 * for the others keeps the switch a leaf function. */
static inline void check_stack(const struct ringo__stack *s)
{
	if (s && !s->guard)
		ringo__stack_check(s);
}

void ringo__fiber_init_main(struct ringo__fiber *f)
{
	f->sp = NULL;
	f->stack = NULL;
#if defined(RINGO_ASAN)
	f->asan_fake_stack = NULL;
	f->asan_bottom = NULL;
	f->asan_size = 0;
#endif
}

/* Where every fiber begins, called by the architecture's trampoline. */
static __attribute__((noreturn)) void fiber_start(void (*entry)(void *), void *arg)
{
#if defined(RINGO_ASAN)
	asan_finish(NULL);
#endif
	entry(arg);
	/* entry must end with ringo__fiber_switch_final(). */
	abort();
}

void ringo__fiber_prepare(struct ringo__fiber *f, struct ringo__stack *s,
			  void (*entry)(void *), void *arg)
{
	f->stack = s;
#if defined(RINGO_ASAN)
	/* A recycled stack may still carry the poisoned redzones of frames
	 * that were live when its previous fiber finished. */
	__asan_unpoison_memory_region(s->lo, s->size);
	f->asan_fake_stack = NULL;
	f->asan_bottom = s->lo;
	f->asan_size = s->size;
#endif
	f->sp = ringo__ctx_make(s->lo, s->size, fiber_start, entry, arg);
}

#if defined(RINGO_ASAN)
void ringo__fiber_switch(struct ringo__fiber *from, struct ringo__fiber *to)
{
	check_stack(from->stack);
	ringo__overflow_set_current(to->stack);
	asan_from = from;
	__sanitizer_start_switch_fiber(&from->asan_fake_stack, to->asan_bottom,
				       to->asan_size);
	ringo__ctx_switch(&from->sp, to->sp);
	asan_finish(from->asan_fake_stack);
}
#endif

void ringo__fiber_switch_final(struct ringo__fiber *from, struct ringo__fiber *to)
{
	check_stack(from->stack);
	ringo__overflow_set_current(to->stack);
#if defined(RINGO_ASAN)
	/* NULL: from's fake stack dies with it. */
	asan_from = NULL;
	__sanitizer_start_switch_fiber(NULL, to->asan_bottom, to->asan_size);
#endif
	ringo__ctx_switch(&from->sp, to->sp);
	abort();
}

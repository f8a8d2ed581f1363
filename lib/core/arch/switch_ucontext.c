/* SPDX-License-Identifier: MIT */
/* Portable context switch on <ucontext.h>, for architectures without a
 * hand-written switch. Slower: swapcontext also saves and restores the
 * signal mask, a syscall per switch.
 *
 * The "sp" of a switched-out context is the address of its ucontext_t,
 * which lives in the ringo__ctx_switch frame on the suspended stack (or,
 * for a context not yet started, at the top of its stack). */
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

#include "core/fiber.h"

struct boot {
	ucontext_t uc; /* first: the context's "sp" points at both */
	void (*start)(void (*entry)(void *), void *arg);
	void (*entry)(void *);
	void *arg;
};

/* The context being switched to: a new context's trampoline finds its
 * boot block here (makecontext can portably pass only ints). */
static _Thread_local void *switching_to;

void ringo__ctx_switch(void **from_sp, void *to_sp)
{
	ucontext_t self;
	*from_sp = &self;
	switching_to = to_sp;
	if (swapcontext(&self, to_sp) < 0)
		abort();
}

static void trampoline(void)
{
	struct boot *b = switching_to;
	b->start(b->entry, b->arg);
	abort();
}

void *ringo__ctx_make(void *lo, size_t size,
		      void (*start)(void (*entry)(void *), void *arg),
		      void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)lo + size - sizeof(struct boot)) & ~(uintptr_t)63;
	struct boot *b = (struct boot *)top;
	if (getcontext(&b->uc) < 0)
		abort();
	b->uc.uc_stack.ss_sp = lo;
	b->uc.uc_stack.ss_size = top - (uintptr_t)lo;
	b->uc.uc_link = NULL;
	makecontext(&b->uc, trampoline, 0);
	b->start = start;
	b->entry = entry;
	b->arg = arg;
	return b;
}

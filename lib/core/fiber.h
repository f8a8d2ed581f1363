/* SPDX-License-Identifier: MIT */
/* Internal: execution contexts (fibers) and their stacks. Never installed. */
#ifndef RINGO_FIBER_H
#define RINGO_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__SANITIZE_ADDRESS__)
#define RINGO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RINGO_ASAN 1
#endif
#endif

/* A task stack: an mmap'd region, committed lazily by the kernel, with a
 * guard below the usable part. Stacks of the pool's default size are
 * recycled; others are unmapped when put back. */
struct ringo__stack {
	void *lo;                  /* lowest usable byte (just above the guard) */
	size_t size;               /* usable bytes; the stack grows down from lo + size */
	void *guard;               /* the guard region, or NULL (canary mode) */
	size_t guard_size;
	const char *owner;         /* name printed on overflow (the task's), may be NULL */
	struct ringo__stack *next; /* pool free list */
	uint8_t kind;              /* how it is guarded: see stack.c */
	unsigned valgrind_id;
};

enum { RINGO__STACK_RELEASE_BATCH = 64 };

struct ringo__stack_pool {
	size_t default_size;       /* usable bytes of a default stack, page multiple */
	struct ringo__stack *free; /* recycled default-size stacks (LIFO) */
	size_t nfree;
	size_t nlive;              /* stacks handed out */
	size_t nreserved;          /* promised to tasks not started yet */
	/* Private to stack.c. */
	struct ringo__stack *cold; /* recycled stacks whose pages went back to the kernel */
	size_t ncold;
	/* Bound for the cold list, their pages not yet given back: released
	 * together (one process_madvise and TLB flush per RELEASE_BATCH) */
	struct ringo__stack *releasing[RINGO__STACK_RELEASE_BATCH];
	size_t nreleasing;
	size_t hot_max;            /* bound on nfree: resident free stacks kept */
	size_t page;
	size_t guard_size;         /* the gap below each stack (64 KiB) */
	size_t slab_stacks;        /* default stacks carved from one mapping */
	struct ringo__stack_slab *slabs; /* newest first; only the first has uncarved slots */
	size_t nslabs;
	char *desc_chunk;          /* where slab descriptors are carved (stack.c) */
	size_t desc_used;
	size_t vmas;               /* mappings its mprotect guards charged to the process budget */
	int guard_mode;            /* RINGO_STACK_GUARD, read at init */
};

/* Sets up an empty pool whose default stacks have default_size usable bytes
 * (rounded up to pages). Returns 0 or -EINVAL. */
int ringo__stack_pool_init(struct ringo__stack_pool *p, size_t default_size);
/* Unmaps every stack of the pool; all must have been put back. */
void ringo__stack_pool_destroy(struct ringo__stack_pool *p);
/* Gives the pages of the stacks bound for the cold list back to the kernel
 * (the loop calls it before it waits; ringo__stack_put when a batch is
 * full). */
void ringo__stack_flush(struct ringo__stack_pool *p);
/* Hands out a stack of at least size usable bytes (0: the default).
 * Returns 0 or -ENOMEM (address space, mappings or memory exhausted). */
int ringo__stack_get(struct ringo__stack_pool *p, size_t size, struct ringo__stack **out);
/* Reservations: a task reserves a stack when it is created (so creation is
 * what fails with -ENOMEM) and takes one when it starts, the most recently
 * freed, still hot in cache. reserve: for size <= the default, promises a
 * pooled stack (carving one if the pool has none to spare) and sets *own to
 * NULL; for a larger size allocates it now in *own. Returns 0 or -ENOMEM.
 * take: hands out a promised stack (cannot fail). unreserve: withdraws a
 * promise (a task cancelled before it started). */
int ringo__stack_reserve(struct ringo__stack_pool *p, size_t size, struct ringo__stack **own);
struct ringo__stack *ringo__stack_take(struct ringo__stack_pool *p);
void ringo__stack_unreserve(struct ringo__stack_pool *p);
/* Takes a stack back. */
void ringo__stack_put(struct ringo__stack_pool *p, struct ringo__stack *s);
/* The default-size stack of this thread's pool (the last initialised on
 * this thread) whose guard gap holds addr, or NULL. Async-signal-safe: for
 * the fault handler. */
const struct ringo__stack *ringo__stack_guard_of(const void *addr);

/* The size of a transparent huge page (x86-64, and AArch64 with 4 KiB
 * pages). */
#define RINGO__HUGE_CHUNK ((size_t)2 << 20)
/* Maps a fresh RINGO__HUGE_CHUNK-aligned chunk of that size, advised as a
 * transparent huge page (best effort: without THP it is ordinary pages), so
 * its first touch is one fault for 2 MiB; NULL when mmap fails. The caller
 * munmaps it (RINGO__HUGE_CHUNK bytes). */
void *ringo__huge_chunk_map(void);

/* Aborts with "ringo: stack overflow in task '<owner>'" if a canary-mode
 * stack's canary was overwritten. Cheap; called on every switch away. */
void ringo__stack_check(const struct ringo__stack *s);

/* Logs "stack overflow in task '<owner>'" (lib/debug/log.c) and aborts.
 * Async-signal-safe with the default log function. */
__attribute__((noreturn)) void ringo__overflow_abort(const char *owner);
/* For a fault in the guard below another task's stack than the running
 * one's (a wild write, or a frame that jumped a whole stack): names both,
 * "ringo: stack overflow in task '<running>' into the guard of task
 * '<owner>'" (running NULL: the loop's own stack), and aborts. */
__attribute__((noreturn)) void ringo__overflow_abort_other(const char *running,
							   const char *owner);

/* Overflow detection: installs (once per thread) an alternate signal stack
 * and a SIGSEGV/SIGBUS handler that, when the fault address lies in the guard
 * of the thread's current stack, prints
 *   ringo: stack overflow in task '<owner>'
 * and aborts; other faults are passed to the previous disposition. */
int ringo__overflow_guard_install(void);
void ringo__overflow_guard_remove(void);
/* The stack the thread is running on now (NULL: the thread's own). Set at
 * every switch, read by the fault handler; initial-exec TLS, so setting it
 * is one store and reading it is async-signal-safe. */
extern _Thread_local const struct ringo__stack *ringo__overflow_current
	__attribute__((tls_model("initial-exec")));
static inline void ringo__overflow_set_current(const struct ringo__stack *s)
{
	ringo__overflow_current = s;
}

/* An execution context. */
struct ringo__fiber {
	void *sp;                  /* saved stack pointer while switched out */
	struct ringo__stack *stack;/* NULL for the thread's own context */
#if defined(RINGO_ASAN)
	void *asan_fake_stack;
	const void *asan_bottom;
	size_t asan_size;
#endif
};

/* Makes f describe the calling thread's own context (the loop's). */
void ringo__fiber_init_main(struct ringo__fiber *f);
/* Prepares f to run entry(arg) on stack s at its first switch-in. entry must
 * never return: it ends with ringo__fiber_switch_final(). */
void ringo__fiber_prepare(struct ringo__fiber *f, struct ringo__stack *s,
			  void (*entry)(void *), void *arg);
/* Like switch, but from is finished and will never be resumed. */
void ringo__fiber_switch_final(struct ringo__fiber *from, struct ringo__fiber *to);

/* Architecture primitive (lib/core/arch/): saves callee-saved registers on the
 * current stack, stores the stack pointer in *from_sp, loads to_sp and
 * restores the registers saved there. */
void ringo__ctx_switch(void **from_sp, void *to_sp);

/* Saves the current context in from and resumes to. Inline, as every
 * await goes through it; AddressSanitizer builds need the out-of-line one
 * in fiber.c, which also tells ASan about the stacks. */
#if defined(RINGO_ASAN)
void ringo__fiber_switch(struct ringo__fiber *from, struct ringo__fiber *to);
#else
static inline void ringo__fiber_switch(struct ringo__fiber *from, struct ringo__fiber *to)
{
	/* Only a stack without a guard has a canary to check. */
	if (from->stack && !from->stack->guard)
		ringo__stack_check(from->stack);
	ringo__overflow_set_current(to->stack);
	ringo__ctx_switch(&from->sp, to->sp);
}
#endif
/* Architecture primitive: lays out, at the top of the stack [lo, lo + size),
 * a context whose first ringo__ctx_switch-in calls start(entry, arg) on a
 * correctly aligned stack; start must never return. Returns its sp. */
void *ringo__ctx_make(void *lo, size_t size,
		      void (*start)(void (*entry)(void *), void *arg),
		      void (*entry)(void *), void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/* Stack overflow detection.
 *
 * A task that overflows its stack faults on the guard below it. The fault
 * cannot be handled on the overflowed stack, so each loop thread gets an
 * alternate signal stack, and one process-wide SIGSEGV/SIGBUS handler
 * tells an overflow of the thread's current task stack (fault address in
 * its guard gap, or in the page below, for a frame that skipped past it),
 * or a fault in the guard of any other stack of the thread's loop, from
 * any other fault. An overflow prints the task's name and aborts; any
 * other fault goes to the disposition that was there before ours.
 *
 * A fault in a guard is an overflow only if the stack pointer says so: a
 * stack that overflowed has its stack pointer at or below its low end
 * (within a page: x86-64's red zone, a push at the bottom). A fault in a
 * guard gap while the stack pointer is well inside the running stack is a
 * stray access: a pointer into the gap, or a read or write running past
 * the end of the memory mapped just below it (the lowest gap of a slab
 * borders whatever mmap put below the slab, a buffer ring for example,
 * and the C library's scanf on bytes without a NUL runs into it). That is
 * said as such, with the address, and the fault then goes to the previous
 * disposition (a core dump, or a sanitizer's report of the access). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/fiber.h"
#include "debug/log.h"

enum {
	ALTSTACK_SIZE = 64 << 10,
	ALTSTACK_ACCEPT = 16 << 10, /* a program's own altstack this big will do */
	LOOP_FRAME_REACH = 64 << 10, /* see sp_left */
};

_Thread_local const struct ringo__stack *ringo__overflow_current;

static _Thread_local struct {
	unsigned refs;   /* installs not yet removed on this thread */
	void *mem;       /* our mapping (guard page + stack), NULL if not ours */
	size_t len;
	stack_t prev;    /* the altstack we replaced */
} alt;

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_err;
static size_t page_size;
static struct sigaction prev_segv, prev_bus;

static size_t append(char *buf, size_t len, size_t cap, const char *s)
{
	while (*s && len < cap)
		buf[len++] = *s++;
	return len;
}

static size_t append_hex(char *buf, size_t len, size_t cap, uintptr_t v)
{
	char hex[2 + 2 * sizeof(v) + 1];
	size_t n = sizeof(hex) - 1;
	hex[n] = '\0';
	do {
		hex[--n] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	hex[--n] = 'x';
	hex[--n] = '0';
	return append(buf, len, cap, hex + n);
}

/* "task 'NAME'", or "the loop's own stack" if not is_task. */
static size_t append_task(char *buf, size_t n, size_t cap, const char *name, bool is_task)
{
	if (!is_task)
		return append(buf, n, cap, "the loop's own stack");
	n = append(buf, n, cap, "task '");
	n = append(buf, n, cap, name ? name : "?");
	return append(buf, n, cap, "'");
}

static void log_buf(char *buf, size_t n)
{
	buf[n] = '\0';
	ringo__log_str(RINGO_LOG_ERROR, buf);
}

static __attribute__((noreturn)) void report(const char *running, bool other,
					     const char *owner)
{
	char buf[512];
	size_t cap = sizeof(buf) - 1; /* room for the NUL */
	size_t n = append(buf, 0, cap, "stack overflow in ");
	n = append_task(buf, n, cap, running, running != NULL);
	if (other) {
		n = append(buf, n, cap, " into the guard of task '");
		n = append(buf, n, cap, owner ? owner : "?");
		n = append(buf, n, cap, "'");
	}
	log_buf(buf, n);
	abort();
}

void ringo__overflow_abort(const char *owner)
{
	report(owner ? owner : "?", false, NULL);
}

void ringo__overflow_abort_other(const char *running, const char *owner)
{
	report(running, true, owner);
}

/* A fault at addr in the guard gap of stack g (the running one's, or
 * another's) that is no overflow: said as it is. */
static void report_stray(const struct ringo__stack *running, const struct ringo__stack *g,
			 uintptr_t addr)
{
	char buf[512];
	size_t cap = sizeof(buf) - 1;
	size_t n = running ? append_task(buf, 0, cap, running->owner, true)
			   : append(buf, 0, cap, "the loop (on its own stack)");
	n = append(buf, n, cap, " faulted at ");
	n = append_hex(buf, n, cap, addr);
	if (g == running) {
		n = append(buf, n, cap, ", in the guard gap of its own stack");
	} else {
		n = append(buf, n, cap, ", in the guard gap below the stack of task '");
		n = append(buf, n, cap, g->owner ? g->owner : "?");
		n = append(buf, n, cap, "'");
	}
	n = append(buf, n, cap, ": not a stack overflow (the stack pointer is inside the "
				"running stack); a stray pointer, or an access past the end of "
				"the memory just below the gap");
	log_buf(buf, n);
}

static bool in_guard(const struct ringo__stack *s, uintptr_t addr)
{
	uintptr_t guard = (uintptr_t)s->guard;
	uintptr_t below = guard > page_size ? guard - page_size : 0;
	return addr >= below && addr < guard + s->guard_size;
}

/* The stack pointer at the fault, 0 where we cannot read it (then every
 * fault in a guard counts as an overflow, as it did before). */
static uintptr_t fault_sp(const void *uctx)
{
#if defined(__x86_64__)
	return (uintptr_t)((const ucontext_t *)uctx)->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	return (uintptr_t)((const ucontext_t *)uctx)->uc_mcontext.sp;
#else
	(void)uctx;
	return 0;
#endif
}

/* Whether sp is at the very bottom of s: from a few pushes below its
 * lowest usable byte to a page above it. */
static bool sp_at_bottom(const struct ringo__stack *s, uintptr_t sp)
{
	uintptr_t lo = (uintptr_t)s->lo;
	return sp + 256 >= lo && sp < lo + page_size;
}

/* Whether the stack pointer says that the running stack s overflowed:
 * it is below s's lowest usable byte plus a page (x86-64's red zone, a
 * push at the bottom), or not in s at all. For the loop's own stack (s
 * NULL), whose bounds we do not know: it is at most a page above the fault
 * address and at most a guard gap below it, where a frame that ran down
 * into the gap would have put it. */
static bool sp_left(const struct ringo__stack *s, uintptr_t sp, uintptr_t addr)
{
	if (sp == 0)
		return true;
	if (!s)
		return sp <= addr + page_size && sp + LOOP_FRAME_REACH >= addr;
	uintptr_t lo = (uintptr_t)s->lo;
	return sp < lo + page_size || sp > lo + s->size;
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	const struct ringo__stack *s = ringo__overflow_current;
	uintptr_t addr = (uintptr_t)si->si_addr;
	uintptr_t sp = fault_sp(uctx);
	const struct ringo__stack *g = NULL;
	if (si->si_code > 0) {
		if (s && s->guard && in_guard(s, addr)) {
			if (sp_left(s, sp, addr))
				ringo__overflow_abort(s->owner);
			report_stray(s, s, addr);
		} else if ((g = ringo__stack_guard_of(si->si_addr))) {
			/* The stack pointer at g's very bottom: g itself
			 * overflowed, as when a switch away from it (which
			 * names the next stack current first) pushes its
			 * registers. */
			if (sp && sp_at_bottom(g, sp))
				ringo__overflow_abort(g->owner);
			if (sp_left(s, sp, addr))
				ringo__overflow_abort_other(s ? (s->owner ? s->owner : "?") : NULL,
							    g->owner);
			report_stray(s, g, addr);
		}
	}
	/* Not ours: returning re-executes the faulting instruction, which now
	 * meets the previous disposition. A signal that was sent rather than
	 * caused by a fault would not come back by itself. */
	sigaction(sig, sig == SIGBUS ? &prev_bus : &prev_segv, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void install_handler(void)
{
	long page = sysconf(_SC_PAGESIZE);
	page_size = page > 0 ? (size_t)page : 4096;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &prev_segv) < 0) {
		handler_err = -errno;
		return;
	}
	if (sigaction(SIGBUS, &sa, &prev_bus) < 0) {
		handler_err = -errno;
		sigaction(SIGSEGV, &prev_segv, NULL);
	}
}

int ringo__overflow_guard_install(void)
{
	pthread_once(&handler_once, install_handler);
	if (handler_err)
		return handler_err;
	if (alt.refs++)
		return 0;

	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) &&
	    cur.ss_size >= ALTSTACK_ACCEPT) {
		alt.mem = NULL;
		return 0;
	}
	/* SIGSTKSZ is not a constant in newer glibc: it follows the CPU's
	 * signal frame size. */
	size_t size = ALTSTACK_SIZE;
	if ((size_t)SIGSTKSZ > size)
		size = ((size_t)SIGSTKSZ + page_size - 1) & ~(page_size - 1);
	size_t len = page_size + size;
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED) {
		alt.refs--;
		return -ENOMEM;
	}
	mprotect(mem, page_size, PROT_NONE); /* best effort: a guard for the handler */
	stack_t ss = { .ss_sp = mem + page_size, .ss_size = size, .ss_flags = 0 };
	if (sigaltstack(&ss, &alt.prev) < 0) {
		int err = -errno;
		munmap(mem, len);
		alt.refs--;
		return err;
	}
	alt.mem = mem;
	alt.len = len;
	return 0;
}

void ringo__overflow_guard_remove(void)
{
	if (alt.refs == 0 || --alt.refs > 0 || !alt.mem)
		return;
	/* Put back the previous altstack unless someone replaced ours since;
	 * either way ours is off before it is unmapped. */
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == (char *)alt.mem + page_size) {
		stack_t prev = alt.prev;
		prev.ss_flags &= SS_DISABLE;
		if (sigaltstack(&prev, NULL) < 0) {
			stack_t off = { .ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE };
			sigaltstack(&off, NULL);
		}
	}
	munmap(alt.mem, alt.len);
	alt.mem = NULL;
}

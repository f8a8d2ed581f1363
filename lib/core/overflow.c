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
 * other fault goes to the disposition that was there before ours. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/fiber.h"
#include "debug/log.h"

enum {
	ALTSTACK_SIZE = 64 << 10,
	ALTSTACK_ACCEPT = 16 << 10, /* a program's own altstack this big will do */
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

static __attribute__((noreturn)) void report(const char *running, bool other,
					     const char *owner)
{
	char buf[512];
	size_t cap = sizeof(buf) - 1; /* room for the NUL */
	size_t n = append(buf, 0, cap, "stack overflow in ");
	if (running) {
		n = append(buf, n, cap, "task '");
		n = append(buf, n, cap, running);
		n = append(buf, n, cap, "'");
	} else {
		n = append(buf, n, cap, "the loop's own stack");
	}
	if (other) {
		n = append(buf, n, cap, " into the guard of task '");
		n = append(buf, n, cap, owner ? owner : "?");
		n = append(buf, n, cap, "'");
	}
	buf[n] = '\0';
	ringo__log_str(RINGO_LOG_ERROR, buf);
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

static bool in_guard(const struct ringo__stack *s, uintptr_t addr)
{
	uintptr_t guard = (uintptr_t)s->guard;
	uintptr_t below = guard > page_size ? guard - page_size : 0;
	return addr >= below && addr < guard + s->guard_size;
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	const struct ringo__stack *s = ringo__overflow_current;
	if (s && s->guard && si->si_code > 0 && in_guard(s, (uintptr_t)si->si_addr))
		ringo__overflow_abort(s->owner);
	const struct ringo__stack *g;
	if (si->si_code > 0 && (g = ringo__stack_guard_of(si->si_addr)))
		ringo__overflow_abort_other(s ? (s->owner ? s->owner : "?") : NULL, g->owner);
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

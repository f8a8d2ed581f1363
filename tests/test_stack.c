/* SPDX-License-Identifier: MIT */
/* Task stacks: pooling and reuse, giving memory back, guard modes, overflow
 * detection, and many stacks alive at once within vm.max_map_count. */
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/fiber.h"
#include "ringo_config.h"

#if RINGO_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define OVERFLOW_DEEP "ringo: stack overflow in task 'deep'\n"

static size_t page;

static bool kernel_has_madvise_guard(void)
{
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	bool ok = madvise(p, page, MADV_GUARD_INSTALL) == 0;
	munmap(p, page);
	return ok;
}

static bool resident(const void *addr)
{
	unsigned char v = 0;
	uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(page - 1);
	assert_int_equal(mincore((void *)a, page, &v), 0);
	return v & 1;
}

static bool mapped(const void *addr)
{
	unsigned char v;
	uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(page - 1);
	return mincore((void *)a, page, &v) == 0;
}

static size_t count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* ---- pool ---- */

static void test_init_rounds_and_rejects(void **state)
{
	(void)state;
	struct ringo__stack_pool p;
	assert_int_equal(ringo__stack_pool_init(&p, 0), -EINVAL);
	assert_int_equal(ringo__stack_pool_init(&p, SIZE_MAX), -EINVAL);
	assert_int_equal(ringo__stack_pool_init(&p, 100000), 0);
	assert_int_equal(p.default_size, (100000 + page - 1) / page * page);

	struct ringo__stack *s;
	assert_int_equal(ringo__stack_get(&p, 0, &s), 0);
	assert_int_equal(s->size, p.default_size);
	assert_int_equal((uintptr_t)s->lo % page, 0);
	/* Usable end to end. */
	memset(s->lo, 0x5a, s->size);
	assert_ptr_equal(s->owner, NULL);
	assert_int_equal(p.nlive, 1);
	ringo__stack_put(&p, s);
	assert_int_equal(p.nlive, 0);
	ringo__stack_pool_destroy(&p);
}

static void test_put_then_get_reuses(void **state)
{
	(void)state;
	struct ringo__stack_pool p;
	assert_int_equal(ringo__stack_pool_init(&p, 256 << 10), 0);
	struct ringo__stack *a, *b, *c;
	assert_int_equal(ringo__stack_get(&p, 0, &a), 0);
	ringo__stack_put(&p, a);
	assert_int_equal(ringo__stack_get(&p, 0, &c), 0);
	assert_ptr_equal(c, a);

	/* LIFO: the last one put comes back first. */
	assert_int_equal(ringo__stack_get(&p, 0, &b), 0);
	assert_ptr_not_equal(a, b);
	ringo__stack_put(&p, a);
	ringo__stack_put(&p, b);
	assert_int_equal(p.nfree, 2);
	assert_int_equal(ringo__stack_get(&p, 0, &c), 0);
	assert_ptr_equal(c, b);
	assert_int_equal(ringo__stack_get(&p, 0, &c), 0);
	assert_ptr_equal(c, a);

	/* A smaller request is served from the pool too. */
	ringo__stack_put(&p, a);
	assert_int_equal(ringo__stack_get(&p, 16 << 10, &c), 0);
	assert_ptr_equal(c, a);
	assert_int_equal(c->size, 256 << 10);
	ringo__stack_put(&p, a);
	ringo__stack_put(&p, b);
	ringo__stack_pool_destroy(&p);
}

static void test_other_size_own_mapping(void **state)
{
	(void)state;
	struct ringo__stack_pool p;
	assert_int_equal(ringo__stack_pool_init(&p, 256 << 10), 0);
	struct ringo__stack *s;
	size_t want = (1 << 20) + 1;
	assert_int_equal(ringo__stack_get(&p, want, &s), 0);
	assert_int_equal(s->size, (1 << 20) + page);
	assert_int_equal((uintptr_t)s->lo % page, 0);
	assert_int_equal(s->guard_size, p.guard_size);
	assert_true(s->guard_size >= (64 << 10));
	assert_ptr_equal(s->guard, (char *)s->lo - s->guard_size);
	char *lo = s->lo;
	lo[0] = 1;
	lo[s->size - 1] = 2;
	ringo__stack_put(&p, s);
	assert_false(mapped(lo));
	assert_false(mapped(lo + (1 << 20)));
	assert_int_equal(p.nfree, 0);
	assert_int_equal(p.nlive, 0);
	ringo__stack_pool_destroy(&p);
}

/* Beyond hot_max free stacks, memory goes back to the kernel but the
 * mappings stay and are handed out again. */
static void test_excess_free_stacks_released(void **state)
{
	(void)state;
	struct ringo__stack_pool p;
	assert_int_equal(ringo__stack_pool_init(&p, 256 << 10), 0);
	assert_true(p.hot_max >= 100000); /* the default keeps a big burst warm */
	p.hot_max = 16;
	size_t extra = 8, n = p.hot_max + extra;
	struct ringo__stack **s = calloc(n, sizeof(*s));
	struct ringo__stack **again = calloc(n, sizeof(*again));
	assert_non_null(s);
	assert_non_null(again);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ringo__stack_get(&p, 0, &s[i]), 0);
		char *top = (char *)s[i]->lo + s[i]->size - 1;
		*top = 7;
		assert_true(resident(top));
	}
	for (size_t i = 0; i < n; i++)
		ringo__stack_put(&p, s[i]);
	/* The excess is given back in one batch (the loop flushes before it
	 * waits). */
	assert_int_equal(p.nfree, p.hot_max);
	assert_int_equal(p.ncold, 0);
	assert_int_equal(p.nreleasing, extra);
	ringo__stack_flush(&p);
	assert_int_equal(p.nreleasing, 0);
	assert_int_equal(p.ncold, extra);
	for (size_t i = 0; i < n; i++) {
		char *top = (char *)s[i]->lo + s[i]->size - 1;
		assert_true(mapped(top));
		if (i < p.hot_max) {
			assert_true(resident(top));
			assert_int_equal(*top, 7);
		} else {
			assert_false(resident(top));
		}
	}
	/* Same stacks again, no new ones; released ones read as zero. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ringo__stack_get(&p, 0, &again[i]), 0);
	assert_int_equal(p.nfree + p.ncold, 0);
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t j = 0; j < n && !found; j++)
			found = again[i] == s[j];
		assert_true(found);
	}
	for (size_t i = p.hot_max; i < n; i++)
		assert_int_equal(*((char *)s[i]->lo + s[i]->size - 1), 0);
	for (size_t i = 0; i < n; i++)
		ringo__stack_put(&p, again[i]);
	ringo__stack_pool_destroy(&p);
	free(s);
	free(again);
}

/* ---- overflow, in forked children ---- */

enum {
	CHILD_WRONG_MODE = 3,
	CHILD_SETUP_FAILED = 4,
	CHILD_SURVIVED = 5,
};

static struct ringo__fiber child_main, child_fiber;
static volatile int depth_limit = INT_MAX;

/* Runs child in a forked process, which must die of sig; out gets what it
 * printed. */
static void expect_child_killed(void (*child)(void *), void *arg, int sig, char *out,
				size_t cap)
{
	int status = harness_fork(child, arg, out, cap);
	if (WIFEXITED(status))
		fail_msg("child exited %d, output: %s", WEXITSTATUS(status), out);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

/* Not instrumented: with ASan's detect_stack_use_after_return the frames'
 * arrays would live on its heap "fake stack", not on the task stack. */
#define REAL_FRAMES __attribute__((noinline, no_sanitize("address")))

static REAL_FRAMES int recurse(int n)
{
	volatile char buf[512];
	buf[0] = (char)n;
	buf[sizeof(buf) - 1] = (char)n;
	if (n >= depth_limit)
		return buf[0];
	return recurse(n + 1) + buf[sizeof(buf) - 1];
}

static void deep_entry(void *arg)
{
	(void)arg;
	recurse(0);
	ringo__fiber_switch_final(&child_fiber, &child_main);
}

/* Recurses until its frames reach below lo, into the unprotected guard
 * slot of a canary-mode stack, then returns normally. */
static REAL_FRAMES int recurse_below(const char *stop)
{
	volatile char buf[256];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 1;
	if ((uintptr_t)buf > (uintptr_t)stop)
		return recurse_below(stop) + buf[0];
	return buf[0];
}

static void shallow_overflow_entry(void *arg)
{
	recurse_below((const char *)arg);
	ringo__fiber_switch(&child_fiber, &child_main);
	_exit(CHILD_SURVIVED);
}

struct overflow_case {
	const char *mode; /* RINGO_STACK_GUARD */
	bool guarded;     /* expect a guard page */
	void (*entry)(void *);
};

static void overflow_child(void *arg)
{
	const struct overflow_case *c = arg;
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	setenv("RINGO_STACK_GUARD", c->mode, 1);
	struct ringo__stack_pool p;
	struct ringo__stack *s;
	if (ringo__stack_pool_init(&p, 256 << 10) < 0 || ringo__overflow_guard_install() < 0 ||
	    ringo__stack_get(&p, 0, &s) < 0)
		_exit(CHILD_SETUP_FAILED);
	if ((s->guard != NULL) != c->guarded)
		_exit(CHILD_WRONG_MODE);
	s->owner = "deep";
	ringo__fiber_init_main(&child_main);
	ringo__fiber_prepare(&child_fiber, s, c->entry, (char *)s->lo - 1024);
	ringo__fiber_switch(&child_main, &child_fiber);
	_exit(CHILD_SURVIVED);
}

static void expect_overflow_abort(const struct overflow_case *c)
{
	char out[1024];
	expect_child_killed(overflow_child, (void *)c, SIGABRT, out, sizeof(out));
	assert_string_equal(out, OVERFLOW_DEEP);
}

static void test_overflow_guard_mprotect(void **state)
{
	(void)state;
	static const struct overflow_case c = { "mprotect", true, deep_entry };
	expect_overflow_abort(&c);
}

static void test_overflow_guard_madvise(void **state)
{
	(void)state;
	if (!kernel_has_madvise_guard()) {
		printf("# skipped: kernel lacks MADV_GUARD_INSTALL (Linux 6.13+)\n");
		skip();
	}
	static const struct overflow_case c = { "madvise", true, deep_entry };
	expect_overflow_abort(&c);
}

/* The default mode on this machine, whichever it is. */
static void test_overflow_guard_default(void **state)
{
	(void)state;
	static const struct overflow_case c = { "", true, deep_entry };
	expect_overflow_abort(&c);
}

/* Canary mode: an overflow that stays within the slot's padding page is
 * caught at the next switch away from the stack. */
static void test_overflow_canary_at_switch(void **state)
{
	(void)state;
	static const struct overflow_case c = { "canary", false, shallow_overflow_entry };
	expect_overflow_abort(&c);
}

static void canary_check_child(void *arg)
{
	(void)arg;
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	setenv("RINGO_STACK_GUARD", "canary", 1);
	struct ringo__stack_pool p;
	struct ringo__stack *s;
	if (ringo__stack_pool_init(&p, 256 << 10) < 0 || ringo__stack_get(&p, 0, &s) < 0)
		_exit(CHILD_SETUP_FAILED);
	if (s->guard != NULL)
		_exit(CHILD_WRONG_MODE);
	s->owner = "deep";
	/* Intact, also after a round trip through the pool that gave its
	 * pages back to the kernel. */
	ringo__stack_check(s);
	memset((char *)s->lo + 64, 0xff, s->size - 64);
	ringo__stack_check(s);
	madvise(s->lo, s->size, MADV_DONTNEED);
	ringo__stack_put(&p, s);
	struct ringo__stack *again;
	if (ringo__stack_get(&p, 0, &again) < 0 || again != s)
		_exit(CHILD_SETUP_FAILED);
	again->owner = "deep";
	ringo__stack_check(again);
	printf("intact\n");
	fflush(stdout);
	((volatile char *)again->lo)[3] ^= 1;
	ringo__stack_check(again);
	_exit(CHILD_SURVIVED);
}

static void test_canary_check(void **state)
{
	(void)state;
	char out[1024];
	expect_child_killed(canary_check_child, NULL, SIGABRT, out, sizeof(out));
	assert_string_equal(out, "intact\n" OVERFLOW_DEEP);
}

/* ---- a frame larger than a page (issue 11 item 11) ---- */

/* A task recurses close to the bottom of its stack, then calls a function
 * whose 24 KiB frame is written low end first, as a local array's first
 * element is. With a one-page guard that write lands in the top of the
 * stack below (another task's, here full of a pattern); with the 64 KiB gap
 * it faults in its own guard and is reported with its name. */
enum { BIG_FRAME = 24 << 10, PATTERN = 0x5a };

static struct ringo__stack *neighbour;

static REAL_FRAMES int big_frame(void)
{
	volatile char buf[BIG_FRAME];
	buf[0] = 1;
	buf[sizeof(buf) - 1] = 1;
	return buf[0] + buf[sizeof(buf) - 1];
}

static REAL_FRAMES int descend(const char *stop)
{
	volatile char buf[512];
	buf[0] = 1;
	if ((uintptr_t)buf > (uintptr_t)stop)
		return descend(stop) + buf[0];
	return big_frame() + buf[0];
}

static void big_frame_entry(void *arg)
{
	descend((const char *)arg);
	/* Not caught: did it write into the neighbour? */
	const unsigned char *top = (const unsigned char *)neighbour->lo + neighbour->size;
	for (size_t i = 1; i <= 64 << 10; i++)
		if (top[-(ptrdiff_t)i] != PATTERN) {
			printf("neighbour corrupted %zu bytes below its top\n", i);
			fflush(stdout);
			_exit(CHILD_SURVIVED);
		}
	printf("not caught, neighbour intact\n");
	fflush(stdout);
	_exit(CHILD_SURVIVED);
}

static void big_frame_child(void *arg)
{
	const char *mode = arg;
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	setenv("RINGO_STACK_GUARD", mode, 1);
	struct ringo__stack_pool p;
	struct ringo__stack *s;
	/* Two stacks carved in a row from one slab: s sits right above
	 * neighbour, with only its guard between them. */
	if (ringo__stack_pool_init(&p, 128 << 10) < 0 || ringo__overflow_guard_install() < 0 ||
	    ringo__stack_get(&p, 0, &neighbour) < 0 || ringo__stack_get(&p, 0, &s) < 0)
		_exit(CHILD_SETUP_FAILED);
	if (!s->guard || (char *)neighbour->lo + neighbour->size != (char *)s->guard)
		_exit(CHILD_WRONG_MODE);
	memset((char *)neighbour->lo + neighbour->size - (64 << 10), PATTERN, 64 << 10);
	s->owner = "big";
	neighbour->owner = "neighbour";
	ringo__fiber_init_main(&child_main);
	ringo__fiber_prepare(&child_fiber, s, big_frame_entry, (char *)s->lo + (8 << 10));
	ringo__fiber_switch(&child_main, &child_fiber);
	_exit(CHILD_SURVIVED);
}

static void expect_big_frame_caught(const char *mode)
{
	char out[1024];
	expect_child_killed(big_frame_child, (void *)mode, SIGABRT, out, sizeof(out));
	assert_string_equal(out, "ringo: stack overflow in task 'big'\n");
}

static void test_big_frame_mprotect(void **state)
{
	(void)state;
	expect_big_frame_caught("mprotect");
}

static void test_big_frame_madvise(void **state)
{
	(void)state;
	if (!kernel_has_madvise_guard()) {
		printf("# skipped: kernel lacks MADV_GUARD_INSTALL (Linux 6.13+)\n");
		skip();
	}
	expect_big_frame_caught("madvise");
}

/* A fault in the guard of another stack than the running one while the
 * running task's stack pointer is well inside its stack (a wild write) is
 * no stack overflow: it is said as a fault at that address, naming both
 * tasks, and goes on as the fault it is (SIGSEGV). */
static void other_guard_entry(void *arg)
{
	(void)arg;
	printf("expect %p\n", (void *)((char *)neighbour->guard + 100));
	fflush(stdout);
	((volatile char *)neighbour->guard)[100] = 1;
	_exit(CHILD_SURVIVED);
}

static void (*other_guard_task)(void *); /* what the running task does */

static void other_guard_child(void *arg)
{
	(void)arg;
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGSEGV, SIG_DFL); /* not a sanitizer's handler: the plain outcome */
	setenv("RINGO_STACK_GUARD", "mprotect", 1);
	struct ringo__stack_pool p;
	struct ringo__stack *s;
	if (ringo__stack_pool_init(&p, 128 << 10) < 0 || ringo__overflow_guard_install() < 0 ||
	    ringo__stack_get(&p, 0, &neighbour) < 0 || ringo__stack_get(&p, 0, &s) < 0)
		_exit(CHILD_SETUP_FAILED);
	if (!neighbour->guard)
		_exit(CHILD_WRONG_MODE);
	s->owner = "wild";
	neighbour->owner = "victim";
	ringo__fiber_init_main(&child_main);
	ringo__fiber_prepare(&child_fiber, s, other_guard_task, neighbour);
	ringo__fiber_switch(&child_main, &child_fiber);
	_exit(CHILD_SURVIVED);
}

/* Runs other_guard_child with entry; the child must print "expect ADDR\n"
 * and then fault at ADDR, in victim's guard, with sig. */
static void expect_stray_fault(void (*entry)(void *), int sig)
{
	char out[1024];
	other_guard_task = entry;
	expect_child_killed(other_guard_child, NULL, sig, out, sizeof(out));
	void *at = NULL;
	assert_int_equal(sscanf(out, "expect %p\n", &at), 1);
	char want[512];
	snprintf(want, sizeof(want),
		 "expect %p\nringo: task 'wild' faulted at %p, in the guard gap below the stack "
		 "of task 'victim': not a stack overflow (the stack pointer is inside the running "
		 "stack); a stray pointer, or an access past the end of the memory just below "
		 "the gap\n",
		 at, at);
	assert_string_equal(out, want);
}

static void test_wild_write_in_other_guard_is_no_overflow(void **state)
{
	(void)state;
	expect_stray_fault(other_guard_entry, SIGSEGV);
}

/* The case of a crash of test_stream_stress: a scan for a NUL (the C
 * library's sscanf does one over its whole input) runs past the end of a
 * mapping that mmap put just below a slab, into the guard gap of the
 * slab's first stack. The page below the gap is mapped here, full of
 * bytes that are not NUL. */
static void run_off_mapping_entry(void *arg)
{
	struct ringo__stack *victim = arg;
	char *below = (char *)victim->guard - page;
	void *m = mmap(below, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != below)
		_exit(CHILD_WRONG_MODE); /* something else is mapped there */
	memset(below, 'x', page);
	printf("expect %p\n", victim->guard);
	fflush(stdout);
	size_t (*volatile len)(const char *) = strlen;
	printf("length %zu\n", len(below + page - 16));
	_exit(CHILD_SURVIVED);
}

static void test_run_off_mapping_below_guard_is_no_overflow(void **state)
{
	(void)state;
	expect_stray_fault(run_off_mapping_entry, SIGSEGV);
}

/* A frame that jumps a whole stack (its stack pointer lands in the middle
 * of the gap below the next stack down, as a huge frame built without
 * -fstack-clash-protection would) is an overflow into that guard. */
/* Moves the stack pointer to sp and pushes a word there, as a frame or a
 * switch would (x86-64 and AArch64 only; the callers' tests skip others). */
static void push_at(char *sp)
{
#if defined(__x86_64__)
	__asm__ volatile("mov %0, %%rsp\n\tpushq $0" : : "r"(sp) : "memory");
#elif defined(__aarch64__)
	__asm__ volatile("mov sp, %0\n\tstr xzr, [sp, #-16]!" : : "r"(sp) : "memory");
#else
	(void)sp;
#endif
	_exit(CHILD_SURVIVED);
}

/* other_guard_child running entry must abort, printing want. */
static void expect_other_guard_abort(void (*entry)(void *), const char *want)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	printf("# skipped: moves the stack pointer with x86-64 or AArch64 assembly\n");
	skip();
#endif
	char out[1024];
	other_guard_task = entry;
	expect_child_killed(other_guard_child, NULL, SIGABRT, out, sizeof(out));
	assert_string_equal(out, want);
}

static void jump_entry(void *arg)
{
	struct ringo__stack *victim = arg;
	push_at((char *)victim->guard + victim->guard_size / 2);
}

static void test_frame_jumping_into_other_guard_names_both(void **state)
{
	(void)state;
	expect_other_guard_abort(jump_entry, "ringo: stack overflow in task 'wild' into the "
					     "guard of task 'victim'\n");
}

/* A stack that overflows as a switch away from it pushes its registers:
 * the switch has named the next stack current already, but the stack
 * pointer is at the bottom of the stack that overflowed, which is named
 * alone. Here the running task moves its stack pointer to the bottom of
 * the stack below and pushes, as the switch would on that stack. */
static void bottom_push_entry(void *arg)
{
	struct ringo__stack *victim = arg;
	push_at(victim->lo);
}

static void test_push_at_bottom_of_other_stack_names_it(void **state)
{
	(void)state;
	expect_other_guard_abort(bottom_push_entry, "ringo: stack overflow in task 'victim'\n");
}

/* A fault that is not an overflow keeps its usual outcome. */
static volatile int *volatile bad_address = (volatile int *)16;

static void other_fault_child(void *arg)
{
	(void)arg;
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGSEGV, SIG_DFL);
	if (ringo__overflow_guard_install() < 0)
		_exit(CHILD_SETUP_FAILED);
	*bad_address = 1;
	_exit(CHILD_SURVIVED);
}

static void test_other_faults_pass_through(void **state)
{
	(void)state;
	char out[1024];
	expect_child_killed(other_fault_child, NULL, SIGSEGV, out, sizeof(out));
	assert_null(strstr(out, "overflow"));
}

/* ---- many stacks ---- */

static void test_many_stacks_default_mode(void **state)
{
	(void)state;
	enum { N = 50000 };
	struct ringo__stack_pool p;
	assert_int_equal(ringo__stack_pool_init(&p, 256 << 10), 0);
	struct ringo__stack **s = calloc(N, sizeof(*s));
	assert_non_null(s);
	size_t before = count_mappings();
	size_t guarded = 0;
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(ringo__stack_get(&p, 0, &s[i]), 0);
		guarded += s[i]->guard != NULL;
	}
	size_t after = count_mappings();
	printf("# %d stacks: %zu guarded, mappings %zu -> %zu\n", N, guarded, before, after);
	if (kernel_has_madvise_guard()) {
		/* Guards cost no mapping: at most one per slab. */
		assert_int_equal(guarded, N);
		assert_true(after - before <= N / 64 + 16);
	}
	/* Their tops are usable (the rest stays uncommitted). */
	for (size_t i = 0; i < N; i += 997)
		((char *)s[i]->lo)[s[i]->size - 1] = 1;
	for (size_t i = 0; i < N; i++)
		ringo__stack_put(&p, s[i]);
	assert_int_equal(p.nlive, 0);
	ringo__stack_pool_destroy(&p);
	assert_true(count_mappings() <= before + 4);
	free(s);
}

/* Forced mprotect guards: past the mapping budget stacks keep coming, as
 * canary-mode stacks; the budget comes back when the pool goes. */
static void mprotect_budget_child(void *arg)
{
	(void)arg;
	enum { N = 24000 };
	setenv("RINGO_STACK_GUARD", "mprotect", 1);
	struct ringo__stack_pool p;
	static struct ringo__stack *s[N];
	if (ringo__stack_pool_init(&p, 256 << 10) < 0)
		_exit(CHILD_SETUP_FAILED);
	size_t guarded = 0, canary = 0;
	for (size_t i = 0; i < N; i++) {
		int ret = ringo__stack_get(&p, 0, &s[i]);
		if (ret < 0) {
			printf("get %zu failed: %d\n", i, ret);
			fflush(stdout);
			_exit(CHILD_SETUP_FAILED);
		}
		if (s[i]->guard)
			guarded++;
		else
			canary++;
		/* Guards first, then canaries only. */
		if (s[i]->guard && canary)
			_exit(CHILD_WRONG_MODE);
	}
	/* A canary-mode stack runs a fiber like any other. */
	ringo__stack_check(s[N - 1]);
	for (size_t i = 0; i < N; i++)
		ringo__stack_put(&p, s[i]);
	ringo__stack_pool_destroy(&p);
	size_t vmas_after = p.vmas;
	if (ringo__stack_pool_init(&p, 256 << 10) < 0 || ringo__stack_get(&p, 0, &s[0]) < 0)
		_exit(CHILD_SETUP_FAILED);
	printf("guarded=%zu canary=%zu vmas_after=%zu again=%d\n", guarded, canary, vmas_after,
	       s[0]->guard != NULL);
}

static void test_mprotect_budget_falls_back_to_canary(void **state)
{
	(void)state;
	long max = 0;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &max), 1);
	fclose(f);
#if RINGO_HAVE_VALGRIND
	if (RUNNING_ON_VALGRIND) {
		printf("# skipped: valgrind cannot track 30000+ mappings (VG_N_SEGMENTS)\n");
		skip();
	}
#endif
	if (max / 4 >= 24000 - 1000) {
		printf("# skipped: vm.max_map_count %ld is too large for 24000 stacks to "
		       "exceed the mprotect budget\n", max);
		skip();
	}
	char out[1024];
	int status = harness_fork(mprotect_budget_child, NULL, out, sizeof(out));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child status %#x, output: %s", status, out);
	size_t guarded, canary, vmas_after;
	int again;
	assert_int_equal(sscanf(out, "guarded=%zu canary=%zu vmas_after=%zu again=%d", &guarded,
				&canary, &vmas_after, &again), 4);
	printf("# mprotect mode: %zu guarded, %zu canary\n", guarded, canary);
	assert_int_equal(guarded + canary, 24000);
	/* Two mappings per guard, within half of max_map_count. */
	assert_true(guarded * 2 <= (size_t)max / 2);
	assert_true(guarded * 2 > (size_t)max / 2 - 2);
	assert_true(canary > 0);
	assert_int_equal(vmas_after, 0);
	assert_int_equal(again, 1);
}

static int setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rounds_and_rejects),
		cmocka_unit_test(test_put_then_get_reuses),
		cmocka_unit_test(test_other_size_own_mapping),
		cmocka_unit_test(test_excess_free_stacks_released),
		cmocka_unit_test(test_overflow_guard_mprotect),
		cmocka_unit_test(test_overflow_guard_madvise),
		cmocka_unit_test(test_overflow_guard_default),
		cmocka_unit_test(test_overflow_canary_at_switch),
		cmocka_unit_test(test_canary_check),
		cmocka_unit_test(test_other_faults_pass_through),
		cmocka_unit_test(test_big_frame_mprotect),
		cmocka_unit_test(test_big_frame_madvise),
		cmocka_unit_test(test_wild_write_in_other_guard_is_no_overflow),
		cmocka_unit_test(test_run_off_mapping_below_guard_is_no_overflow),
		cmocka_unit_test(test_frame_jumping_into_other_guard_names_both),
		cmocka_unit_test(test_push_at_bottom_of_other_stack_names_it),
		cmocka_unit_test(test_many_stacks_default_mode),
		cmocka_unit_test(test_mprotect_budget_falls_back_to_canary),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

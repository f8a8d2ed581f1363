/* SPDX-License-Identifier: MIT */
/* Fibers: switching order, register and stack preservation, alignment,
 * reuse of finished fibers' stacks, and the raw switch cost. */
#include "harness.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/fiber.h"

static struct ringo__stack_pool pool;

static int setup(void **state)
{
	(void)state;
	if (ringo__stack_pool_init(&pool, 256 << 10) < 0)
		return -1;
	return ringo__overflow_guard_install() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	ringo__overflow_guard_remove();
	ringo__stack_pool_destroy(&pool);
	return 0;
}

static struct ringo__stack *get_stack(void)
{
	struct ringo__stack *s = NULL;
	assert_int_equal(ringo__stack_get(&pool, 0, &s), 0);
	return s;
}

/* ---- ping-pong ---- */

static struct {
	struct ringo__fiber main, a, b;
	struct harness_log log;
} pp;

static void pp_a(void *arg)
{
	harness_log(&pp.log, "a1:%s", (const char *)arg);
	ringo__fiber_switch(&pp.a, &pp.b);
	harness_log(&pp.log, "a2");
	ringo__fiber_switch(&pp.a, &pp.b);
	harness_log(&pp.log, "a3");
	ringo__fiber_switch_final(&pp.a, &pp.main);
}

static void pp_b(void *arg)
{
	harness_log(&pp.log, "b1:%s", (const char *)arg);
	ringo__fiber_switch(&pp.b, &pp.a);
	harness_log(&pp.log, "b2");
	ringo__fiber_switch(&pp.b, &pp.a);
	harness_log(&pp.log, "b3");
	ringo__fiber_switch_final(&pp.b, &pp.main);
}

static void test_ping_pong(void **state)
{
	(void)state;
	memset(&pp, 0, sizeof(pp));
	struct ringo__stack *sa = get_stack(), *sb = get_stack();
	ringo__fiber_init_main(&pp.main);
	ringo__fiber_prepare(&pp.a, sa, pp_a, "x");
	ringo__fiber_prepare(&pp.b, sb, pp_b, "y");
	ringo__fiber_switch(&pp.main, &pp.a);
	harness_log(&pp.log, "main1");
	ringo__fiber_switch(&pp.main, &pp.b);
	harness_log(&pp.log, "main2");
	assert_string_equal(pp.log.buf, "a1:x b1:y a2 b2 a3 main1 b3 main2");
	ringo__stack_put(&pool, sa);
	ringo__stack_put(&pool, sb);
	assert_int_equal(pool.nlive, 0);
}

/* ---- many fibers, round robin ---- */

enum { NFIBERS = 1000, ROUNDS = 5 };

static struct {
	struct ringo__fiber main;
	struct ringo__fiber f[NFIBERS];
	struct ringo__stack *s[NFIBERS];
	size_t idx[NFIBERS];
	size_t seq;
	size_t misordered;
	size_t off_stack; /* locals found outside the fiber's own stack */
} mf;

static void mf_entry(void *arg)
{
	size_t i = *(size_t *)arg;
	volatile size_t mine = i;
	/* The frame, not a local's address: ASan may keep locals elsewhere. */
	char *frame = __builtin_frame_address(0);
	char *lo = mf.s[i]->lo;
	if (frame < lo || frame >= lo + mf.s[i]->size)
		mf.off_stack++;
	for (size_t r = 0; r < ROUNDS; r++) {
		if (mf.seq != r * NFIBERS + mine)
			mf.misordered++;
		mf.seq++;
		ringo__fiber_switch(&mf.f[i], &mf.main);
	}
	ringo__fiber_switch_final(&mf.f[i], &mf.main);
}

static void test_many_fibers(void **state)
{
	(void)state;
	memset(&mf, 0, sizeof(mf));
	ringo__fiber_init_main(&mf.main);
	for (size_t i = 0; i < NFIBERS; i++) {
		mf.idx[i] = i;
		mf.s[i] = get_stack();
		ringo__fiber_prepare(&mf.f[i], mf.s[i], mf_entry, &mf.idx[i]);
	}
	for (size_t r = 0; r <= ROUNDS; r++)
		for (size_t i = 0; i < NFIBERS; i++)
			ringo__fiber_switch(&mf.main, &mf.f[i]);
	assert_int_equal(mf.seq, (size_t)NFIBERS * ROUNDS);
	assert_int_equal(mf.misordered, 0);
	assert_int_equal(mf.off_stack, 0);
	for (size_t i = 0; i < NFIBERS; i++)
		ringo__stack_put(&pool, mf.s[i]);
	assert_int_equal(pool.nlive, 0);
}

/* ---- callee-saved registers and locals survive switches ---- */

static struct {
	struct ringo__fiber main, worker, clobber;
	bool stop;
	unsigned long ints;
	double fp;
} rg;

typedef void yield_fn(void);

static void yield_none(void)
{
}

static void yield_to_clobber(void)
{
	ringo__fiber_switch(&rg.worker, &rg.clobber);
}

/* Enough live integer and floating-point values that some stay in
 * callee-saved registers and some in the frame across every yield. */
static __attribute__((noinline)) void compute(yield_fn *yield, unsigned long seed,
					       unsigned long *ints, double *fp)
{
	unsigned long a = seed, b = seed * 3, c = seed + 7, d = seed ^ 0x55, e = seed * 11,
	     f = seed - 5, g = seed * 13, h = seed + 99, i = seed * 17, j = seed ^ 0x1234,
	     k = seed * 19, l = seed + 1000;
	double x = 1.5, y = 2.25, z = -0.75, w = 3.125, u = 0.5, v = 7.0;
	for (int n = 0; n < 200; n++) {
		a = a * 31 + b;
		b = b * 7 + c;
		c = c ^ (d << 1);
		d = d + e * 3;
		e = e * 5 - f;
		f = f + g;
		g = g * 3 ^ h;
		h = h + i * 2;
		i = i - j;
		j = j * 9 + k;
		k = k + l;
		l = l * 3 + a;
		x = x * 1.0001 + (double)(a & 0xff) * 1e-3;
		y = y * 0.9999 - x * 1e-4;
		z = z + y * 0.5;
		w = w * 1.00003 + z * 1e-2;
		u = u + w * 1e-3;
		v = v - u * 1e-4;
		yield();
	}
	*ints = a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ l;
	*fp = x + y + z + w + u + v;
}

static void rg_worker(void *arg)
{
	(void)arg;
	compute(yield_to_clobber, 12345, &rg.ints, &rg.fp);
	rg.stop = true;
	ringo__fiber_switch_final(&rg.worker, &rg.main);
}

/* Overwrites every callee-saved register it can name, and the FP
 * registers, between the worker's yields. */
static void rg_clobber(void *arg)
{
	(void)arg;
	volatile double junk = 1e300;
	while (!rg.stop) {
#if defined(__x86_64__)
		__asm__ volatile("movq $-1, %%rbx\n\t"
				 "movq $-1, %%r12\n\t"
				 "movq $-1, %%r13\n\t"
				 "movq $-1, %%r14\n\t"
				 "movq $-1, %%r15\n\t"
				 "pcmpeqd %%xmm0, %%xmm0\n\t"
				 "pcmpeqd %%xmm6, %%xmm6\n\t"
				 "pcmpeqd %%xmm15, %%xmm15"
				 ::: "rbx", "r12", "r13", "r14", "r15", "xmm0", "xmm6", "xmm15");
#elif defined(__aarch64__)
		__asm__ volatile("mov x19, #-1\n\tmov x20, #-1\n\tmov x21, #-1\n\t"
				 "mov x22, #-1\n\tmov x23, #-1\n\tmov x24, #-1\n\t"
				 "mov x25, #-1\n\tmov x26, #-1\n\tmov x27, #-1\n\t"
				 "mov x28, #-1\n\tfmov d8, #-1.0\n\tfmov d9, #-1.0\n\t"
				 "fmov d10, #-1.0\n\tfmov d11, #-1.0\n\tfmov d12, #-1.0\n\t"
				 "fmov d13, #-1.0\n\tfmov d14, #-1.0\n\tfmov d15, #-1.0"
				 ::: "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
				   "x27", "x28", "d8", "d9", "d10", "d11", "d12", "d13", "d14",
				   "d15");
#endif
		junk = junk * 1.5;
		ringo__fiber_switch(&rg.clobber, &rg.worker);
	}
	ringo__fiber_switch_final(&rg.clobber, &rg.main);
}

static void test_registers_preserved(void **state)
{
	(void)state;
	memset(&rg, 0, sizeof(rg));
	unsigned long ints_ref;
	double fp_ref;
	compute(yield_none, 12345, &ints_ref, &fp_ref);

	struct ringo__stack *sw = get_stack(), *sc = get_stack();
	ringo__fiber_init_main(&rg.main);
	ringo__fiber_prepare(&rg.worker, sw, rg_worker, NULL);
	ringo__fiber_prepare(&rg.clobber, sc, rg_clobber, NULL);
	ringo__fiber_switch(&rg.main, &rg.worker);
	assert_true(rg.stop);
	assert_int_equal(rg.ints, ints_ref);
	assert_memory_equal(&rg.fp, &fp_ref, sizeof(double));
	/* The clobber fiber is still suspended: finish it. */
	ringo__fiber_switch(&rg.main, &rg.clobber);
	ringo__stack_put(&pool, sw);
	ringo__stack_put(&pool, sc);
}

/* ---- alignment at entry ---- */

static struct {
	struct ringo__fiber main, f;
	uintptr_t frame, local, nested;
	char text[32];
} al;

static __attribute__((noinline)) void record_nested_local(void)
{
	_Alignas(16) volatile char buf[16];
	buf[0] = 1;
	al.nested = (uintptr_t)buf;
}

static void al_entry(void *arg)
{
	(void)arg;
	_Alignas(16) volatile char buf[16];
	buf[0] = 0;
	al.frame = (uintptr_t)__builtin_frame_address(0);
	al.local = (uintptr_t)buf;
	record_nested_local();
	/* glibc saves vector registers with aligned stores in variadic
	 * functions: this crashes on a misaligned stack. */
	snprintf(al.text, sizeof(al.text), "%.3f %.1f", 3.14159, 2.5);
	ringo__fiber_switch_final(&al.f, &al.main);
}

static void test_alignment(void **state)
{
	(void)state;
	memset(&al, 0, sizeof(al));
	struct ringo__stack *s = get_stack();
	ringo__fiber_init_main(&al.main);
	ringo__fiber_prepare(&al.f, s, al_entry, NULL);
	ringo__fiber_switch(&al.main, &al.f);
	assert_int_equal(al.frame % 16, 0);
	assert_int_equal(al.local % 16, 0);
	assert_int_equal(al.nested % 16, 0);
	uintptr_t lo = (uintptr_t)s->lo, hi = lo + s->size;
	assert_true(al.frame > lo && al.frame < hi);
	/* The entry frame is at the top: little else is on the stack (the
	 * ucontext fallback keeps its ucontext_t there). */
	assert_true(hi - al.frame <= 2048);
	assert_string_equal(al.text, "3.142 2.5");
	ringo__stack_put(&pool, s);
}

/* ---- finished fibers' stacks are reused ---- */

static struct {
	struct ringo__fiber main, f;
	size_t runs;
} ru;

static void ru_entry(void *arg)
{
	ru.runs += (size_t)(uintptr_t)arg;
	volatile char scribble[2048];
	memset((char *)scribble, 0xa5, sizeof(scribble));
	ringo__fiber_switch(&ru.f, &ru.main);
	ringo__fiber_switch_final(&ru.f, &ru.main);
}

static void test_reuse_after_final(void **state)
{
	(void)state;
	memset(&ru, 0, sizeof(ru));
	ringo__fiber_init_main(&ru.main);
	struct ringo__stack *first = NULL;
	for (size_t n = 0; n < 10000; n++) {
		struct ringo__stack *s = get_stack();
		if (!first)
			first = s;
		assert_ptr_equal(s, first);
		ringo__fiber_prepare(&ru.f, s, ru_entry, (void *)(uintptr_t)1);
		ringo__fiber_switch(&ru.main, &ru.f);
		ringo__fiber_switch(&ru.main, &ru.f);
		ringo__stack_put(&pool, s);
	}
	assert_int_equal(ru.runs, 10000);
	assert_int_equal(pool.nlive, 0);
}

/* ---- raw switch cost (printed, not asserted) ---- */

static struct {
	struct ringo__fiber main, a, b;
	long rounds;
} sw;

static void sw_a(void *arg)
{
	(void)arg;
	for (long i = 0; i < sw.rounds; i++)
		ringo__fiber_switch(&sw.a, &sw.b);
	ringo__fiber_switch_final(&sw.a, &sw.main);
}

static void sw_b(void *arg)
{
	(void)arg;
	for (;;)
		ringo__fiber_switch(&sw.b, &sw.a);
}

static void test_switch_cost(void **state)
{
	(void)state;
	sw.rounds = 1000000;
	struct ringo__stack *sa = get_stack(), *sb = get_stack();
	ringo__fiber_init_main(&sw.main);
	ringo__fiber_prepare(&sw.a, sa, sw_a, NULL);
	ringo__fiber_prepare(&sw.b, sb, sw_b, NULL);
	int64_t t0 = harness_now();
	ringo__fiber_switch(&sw.main, &sw.a);
	int64_t t1 = harness_now();
	printf("# %ld round trips, %.2f ns per switch\n", sw.rounds,
	       (double)(t1 - t0) / (2.0 * (double)sw.rounds));
	ringo__stack_put(&pool, sa);
	ringo__stack_put(&pool, sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_many_fibers),
		cmocka_unit_test(test_registers_preserved),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_reuse_after_final),
		cmocka_unit_test(test_switch_cost),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

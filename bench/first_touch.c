/* SPDX-License-Identifier: MIT */
/* The floor under "1M tasks alive" (issue 9): what the first touch of a
 * fresh page costs on this machine, one page per 320 KiB (a default stack
 * slot: 256 KiB + the 64 KiB guard gap), as every task's first frame does.
 *   cold:      no preparation: a page fault each
 *   populated: after MADV_POPULATE_WRITE of those pages (what the stack
 *              pool does, in batches): no page fault, but on a VM with
 *              shadow paging the first user access still exits to the host
 *   second:    the same pages again (the cost once everything is mapped) */
#include "bench.h"

#include <errno.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum { PAGES = 100000, STRIDE = 320 << 10, PAGE = 4096 };

static char *region(void)
{
	char *p = mmap(NULL, (size_t)PAGES * STRIDE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, (size_t)PAGES * STRIDE, MADV_NOHUGEPAGE);
	return p;
}

/* ns per page to write one byte near the top of every slot. */
static double touch(char *p, char v)
{
	int64_t t0 = bench_now();
	for (size_t i = 0; i < PAGES; i++)
		((volatile char *)p)[i * STRIDE + STRIDE - 64] = v;
	return (double)(bench_now() - t0) / PAGES;
}

int main(void)
{
	char *cold = region(), *pop = region();
	if (!cold || !pop)
		return 1;
	double t_cold = touch(cold, 1);
	double t_second = touch(cold, 2);
	int64_t t0 = bench_now();
	for (size_t i = 0; i < PAGES; i++)
		if (madvise(pop + i * STRIDE + STRIDE - PAGE, PAGE, MADV_POPULATE_WRITE) < 0) {
			printf("first touch: MADV_POPULATE_WRITE unsupported (%s)\n",
			       strerror(errno));
			return 0;
		}
	double t_populate = (double)(bench_now() - t0) / PAGES;
	double t_populated = touch(pop, 1);
	printf("first touch, cold          %9.2f us/page (page fault)\n", t_cold / 1e3);
	printf("MADV_POPULATE_WRITE        %9.2f us/page (one madvise a page)\n",
	       t_populate / 1e3);
	printf("first touch, populated     %9.2f us/page (no page fault)\n", t_populated / 1e3);
	printf("second touch               %9.2f us/page\n", t_second / 1e3);
	munmap(cold, (size_t)PAGES * STRIDE);
	munmap(pop, (size_t)PAGES * STRIDE);
	return 0;
}

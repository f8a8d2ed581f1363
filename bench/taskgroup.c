/* SPDX-License-Identifier: MIT */
/* A task group of 100,000 trivial children: spawn them all, exit. */
#include "bench.h"

#include <ringo.h>

enum { N = 100000 };

static intptr_t child(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t workload(void *arg)
{
	(void)arg;
	int64_t t0 = bench_now();
	ringo_taskgroup *g;
	if (ringo_taskgroup_enter(&g) < 0)
		return -1;
	intptr_t r = 0;
	for (intptr_t i = 0; i < N && r == 0; i++)
		r = ringo_taskgroup_spawn(g, child, (void *)i, NULL, NULL);
	r = ringo_taskgroup_exit(g, r);
	int64_t ns = bench_now() - t0;
	ringo_taskgroup_destroy(g);
	return r < 0 ? r : ns;
}

/* Two rounds in one loop: the first warms the loop's stack and task caches
 * as a long-running service's would be; the second is measured. */
static intptr_t run(void *arg)
{
	intptr_t ns = workload(arg);
	return ns < 0 ? ns : workload(arg);
}

int main(void)
{
	intptr_t ns = 0;
	if (ringo_run(run, NULL, &ns) < 0 || ns < 0)
		return 1;
	bench_report("task group per child", (double)ns / N,
		     bench_python("taskgroup.py", "--n 100000"), "ns", 0);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* wait_for on a task that is already done: the fast path, per call. */
#include "bench.h"

#include <ringo.h>

enum { N = 10000000 };

static intptr_t child(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t workload(void *arg)
{
	(void)arg;
	ringo_task *t;
	if (ringo_task_create(child, (void *)7, NULL, &t) < 0 || ringo_task_await(t) != 7)
		return -1;
	intptr_t sum = 0;
	int64_t t0 = bench_now();
	for (int i = 0; i < N; i++)
		sum += ringo_wait_for(t, RINGO_SEC(10));
	int64_t ns = bench_now() - t0;
	ringo_task_unref(t);
	return sum == (intptr_t)7 * N ? ns : -1;
}

/* Two rounds in one loop: the first warms up, the second is measured. */
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
	bench_report("wait_for on a done task", (double)ns / N,
		     bench_python("wait_for.py", "--n 200000"), "ns", 0);
	return 0;
}

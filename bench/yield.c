/* SPDX-License-Identifier: MIT */
/* sleep(0): 100 tasks yielding 1,000,000 times in all. */
#include "bench.h"

#include <ringo.h>

enum { TASKS = 100, YIELDS = 1000000 };

static intptr_t yielder(void *arg)
{
	for (intptr_t i = 0; i < (intptr_t)arg; i++)
		if (ringo_sleep(0) < 0)
			return -1;
	return 0;
}

static intptr_t workload(void *arg)
{
	ringo_task *t[TASKS];
	int64_t t0 = bench_now();
	for (int i = 0; i < TASKS; i++)
		if (ringo_task_create(yielder, arg, NULL, &t[i]) < 0)
			return -1;
	int r = ringo_gather(t, TASKS, NULL, 0);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < TASKS; i++)
		ringo_task_unref(t[i]);
	return r < 0 ? r : ns;
}

static intptr_t run(void *arg)
{
	return bench_best_of(workload, arg);
}

int main(void)
{
	intptr_t ns = 0;
	intptr_t per_task = YIELDS / TASKS;
	if (ringo_run(run, (void *)per_task, &ns) < 0 || ns < 0)
		return 1;
	bench_report_peers("sleep(0) yield, 100 tasks", (double)ns / YIELDS,
			   bench_python("yield.py", "--n 1000000 --tasks 100"),
			   bench_peer("go", "yield", NULL), bench_peer("tokio", "yield", NULL),
			   "ns", 60);
	return 0;
}

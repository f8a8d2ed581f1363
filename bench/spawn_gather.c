/* SPDX-License-Identifier: MIT */
/* Spawn 100,000 tasks that return their index, gather them. */
#include "bench.h"

#include <ringo.h>

enum { N = 100000 };

static ringo_task *tasks[N];
static intptr_t results[N];

static intptr_t child(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t workload(void *arg)
{
	(void)arg;
	int64_t t0 = bench_now();
	for (intptr_t i = 0; i < N; i++)
		if (ringo_task_create(child, (void *)i, NULL, &tasks[i]) < 0)
			return -1;
	int r = ringo_gather(tasks, N, results, 0);
	int64_t ns = bench_now() - t0;
	for (intptr_t i = 0; i < N; i++) {
		if (results[i] != i)
			r = -1;
		ringo_task_unref(tasks[i]);
	}
	return r < 0 ? r : ns;
}

static intptr_t run(void *arg)
{
	return bench_best_of(workload, arg);
}

int main(void)
{
	intptr_t ns = 0;
	if (ringo_run(run, NULL, &ns) < 0 || ns < 0)
		return 1;
	bench_report_peers("spawn+gather per task", (double)ns / N,
			   bench_python("spawn_gather.py", "--n 100000"),
			   bench_peer("go", "spawn_gather", NULL),
			   bench_peer("tokio", "spawn_gather", NULL), "ns", 100);
	return 0;
}

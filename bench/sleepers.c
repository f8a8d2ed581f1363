/* SPDX-License-Identifier: MIT */
/* 100,000 tasks each sleeping 50 ms: wall time until all are done. */
#include "bench.h"

#include <ringo.h>

enum { N = 100000 };

static ringo_task *tasks[N];

static intptr_t sleeper(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_MSEC(50));
}

static intptr_t workload(void *arg)
{
	(void)arg;
	int64_t t0 = bench_now();
	for (int i = 0; i < N; i++)
		if (ringo_task_create(sleeper, NULL, NULL, &tasks[i]) < 0)
			return -1;
	int r = ringo_gather(tasks, N, NULL, 0);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < N; i++)
		ringo_task_unref(tasks[i]);
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
	bench_report_peers("100k x sleep(50ms) wall", (double)ns / 1e6,
			   bench_python("sleepers.py", "--n 100000"),
			   bench_peer("go", "sleepers", NULL), bench_peer("tokio", "sleepers", NULL),
			   "ms", 100);
	return 0;
}

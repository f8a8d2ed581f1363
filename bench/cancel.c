/* SPDX-License-Identifier: MIT */
/* Cancel 100,000 sleeping tasks and wait until all are done. */
#include "bench.h"

#include <ringo.h>

enum { N = 100000 };

static ringo_task *tasks[N];

static intptr_t sleeper(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(10));
}

static intptr_t workload(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++)
		if (ringo_task_create(sleeper, NULL, NULL, &tasks[i]) < 0)
			return -1;
	ringo_sleep(0); /* every task is asleep now */
	int64_t t0 = bench_now();
	for (int i = 0; i < N; i++)
		ringo_task_cancel(tasks[i]);
	int r = ringo_gather(tasks, N, NULL, RINGO_RETURN_EXCEPTIONS);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < N; i++) {
		if (!ringo_task_cancelled(tasks[i]))
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
	bench_report_peers("cancel a sleeping task", (double)ns / N,
			   bench_python("cancel.py", "--n 100000"),
			   bench_peer("go", "cancel", NULL), bench_peer("tokio", "cancel", NULL),
			   "ns", 300);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* One million tasks sleeping 1 s at once: wall time until all are done. */
#include "bench.h"

#include <ringo.h>

enum { N = 1000000 };

static ringo_task **tasks;

static intptr_t sleeper(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(1));
}

static intptr_t run(void *arg)
{
	(void)arg;
	int64_t t0 = bench_now();
	for (int i = 0; i < N; i++) {
		int r = ringo_task_create(sleeper, NULL, NULL, &tasks[i]);
		if (r < 0) {
			fprintf(stderr, "task %d: %s\n", i, strerror(-r));
			return r;
		}
	}
	int r = ringo_gather(tasks, N, NULL, 0);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < N; i++)
		ringo_task_unref(tasks[i]);
	return r < 0 ? r : ns;
}

int main(void)
{
	tasks = calloc(N, sizeof(*tasks));
	intptr_t ns = 0;
	if (!tasks || ringo_run(run, NULL, &ns) < 0 || ns < 0)
		return 1;
	bench_report("1M x sleep(1s) wall", (double)ns / 1e9,
		     bench_python("million.py", "--n 1000000"), "s", 0);
	free(tasks);
	return 0;
}

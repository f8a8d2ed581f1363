/* SPDX-License-Identifier: MIT */
/* Resident memory per sleeping task: VmRSS before and after 100,000 tasks
 * have gone to sleep. */
#include "bench.h"

#include <ringo.h>

enum { N = 100000 };

static ringo_task *tasks[N];

static long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

static intptr_t sleeper(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(60));
}

static intptr_t run(void *arg)
{
	(void)arg;
	long before = rss_bytes();
	for (int i = 0; i < N; i++)
		if (ringo_task_create(sleeper, NULL, NULL, &tasks[i]) < 0)
			return -1;
	ringo_sleep(0); /* every task is asleep now */
	long after = rss_bytes();
	for (int i = 0; i < N; i++) {
		ringo_task_cancel(tasks[i]);
		ringo_task_unref(tasks[i]);
	}
	return (after - before) / N;
}

int main(void)
{
	intptr_t per_task = 0;
	if (ringo_run(run, NULL, &per_task) < 0 || per_task < 0)
		return 1;
	bench_report("resident bytes per sleeper", (double)per_task,
		     bench_python("memory.py", "--n 100000"), "B", 8192);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* One million tasks sleeping 1 s at once: wall time until all are done. */
#include "bench.h"

#include <ringo.h>

/* RINGO_BENCH_N=100000 runs fewer tasks (for iteration; the peers still
 * run a million). */
static int N = 1000000;

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

/* The process's peak resident memory (VmHWM), in kB. */
static double peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (double)kb;
}

int main(void)
{
	const char *n = getenv("RINGO_BENCH_N");
	if (n && atoi(n) > 0)
		N = atoi(n);
	tasks = calloc(N, sizeof(*tasks));
	intptr_t ns = 0;
	/* RINGO_BENCH_STACK=65536: another default stack size (to measure what
	 * the reservation's size costs). */
	const char *st = getenv("RINGO_BENCH_STACK");
	ringo_run_opts opts = { .stack_size = st ? (size_t)atol(st) : 0 };
	if (!tasks || ringo_run_with(run, NULL, &ns, &opts) < 0 || ns < 0)
		return 1;
	double rss = peak_rss_kb();
	double go_rss, tokio_rss;
	double go = bench_peer("go", "million", &go_rss);
	double tokio = bench_peer("tokio", "million", &tokio_rss);
	/* Target: no slower than Go (issue 9). */
	bench_report_peers("1M x sleep(1s) wall", (double)ns / 1e9,
			   bench_python("million.py", "--n 1000000"), go, tokio, "s",
			   isnan(go) ? 0 : go);
	/* Peak RSS of the whole process over the N tasks: target 4.5 KB
	 * per task. */
	bench_report_peers("1M tasks: peak RSS per task", rss * 1024 / N, NAN,
			   go_rss * 1024 / N, tokio_rss * 1024 / N, "B", 4608);
	free(tasks);
	return 0;
}

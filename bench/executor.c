/* SPDX-License-Identifier: MIT */
/* run_in_executor: the round trip of a job that does nothing, one at a time
 * (latency: the task suspends, a worker runs it and posts the completion,
 * the task resumes), and 64 tasks keeping 4 workers busy (throughput).
 * Completions by IORING_OP_MSG_RING, then by the eventfd fallback. */
#include "bench.h"

#include <ringo.h>

enum { SERIAL = 5000, TASKS = 64, PER_TASK = 500 };

static intptr_t noop(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t serial(void *arg)
{
	(void)arg;
	int64_t t0 = bench_now();
	for (intptr_t i = 0; i < SERIAL; i++) {
		intptr_t r;
		if (ringo_run_in_executor(noop, (void *)i, &r) < 0 || r != i)
			return -1;
	}
	return bench_now() - t0;
}

static intptr_t submitter(void *arg)
{
	(void)arg;
	for (intptr_t i = 0; i < PER_TASK; i++) {
		intptr_t r;
		if (ringo_run_in_executor(noop, (void *)i, &r) < 0 || r != i)
			return -1;
	}
	return 0;
}

static intptr_t parallel(void *arg)
{
	(void)arg;
	ringo_task *t[TASKS];
	int64_t t0 = bench_now();
	for (int i = 0; i < TASKS; i++)
		if (ringo_task_create(submitter, NULL, NULL, &t[i]) < 0)
			return -1;
	int r = ringo_gather(t, TASKS, NULL, 0);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < TASKS; i++)
		ringo_task_unref(t[i]);
	return r < 0 ? r : ns;
}

struct figures {
	intptr_t serial_ns, parallel_ns;
};

static intptr_t run(void *arg)
{
	struct figures *f = arg;
	if (ringo_executor_set_workers(4) < 0)
		return -1;
	f->serial_ns = bench_best_of(serial, NULL);
	f->parallel_ns = bench_best_of(parallel, NULL);
	return f->serial_ns < 0 || f->parallel_ns < 0 ? -1 : 0;
}

static int measure(const char *mode, struct figures *f)
{
	if (mode)
		setenv("RINGO_EXECUTOR", mode, 1);
	else
		unsetenv("RINGO_EXECUTOR");
	intptr_t r = -1;
	if (ringo_run(run, f, &r) < 0 || r < 0)
		return -1;
	return 0;
}

int main(void)
{
	struct figures msg, efd;
	if (measure(NULL, &msg) < 0 || measure("eventfd", &efd) < 0)
		return 1;
	double py_serial = bench_python("executor.py", "--mode serial --n 5000");
	double py_parallel = bench_python("executor.py", "--mode parallel --tasks 64 --per-task 500");
	bench_report("executor round trip", (double)msg.serial_ns / SERIAL, py_serial, "ns", 0);
	bench_report("  (eventfd fallback)", (double)efd.serial_ns / SERIAL, py_serial, "ns", 0);
	bench_report("executor 64 tasks, 4 thr", (double)msg.parallel_ns / (TASKS * PER_TASK),
		     py_parallel, "ns/job", 0);
	bench_report("  (eventfd fallback)", (double)efd.parallel_ns / (TASKS * PER_TASK),
		     py_parallel, "ns/job", 0);
	return 0;
}

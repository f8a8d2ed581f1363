/* SPDX-License-Identifier: MIT */
/* Subprocesses: spawn + wait of /bin/true, 8 at a time; and 16 MiB through
 * cat with communicate. */
#include "bench.h"

#include <ringo.h>

enum { N = 100, AT_ONCE = 8, CAT_BYTES = 16 << 20 };

static int next;

static intptr_t spawner(void *arg)
{
	(void)arg;
	const char *argv[] = { "/bin/true", NULL };
	while (next < N) {
		next++;
		ringo_process *p;
		int rc = -1;
		if (ringo_process_spawn(argv, NULL, &p) < 0)
			return -1;
		int r = ringo_process_wait(p, &rc, RINGO_NO_DEADLINE);
		ringo_process_destroy(p);
		if (r < 0 || rc != 0)
			return -1;
	}
	return 0;
}

static intptr_t spawn_workload(void *arg)
{
	(void)arg;
	ringo_task *t[AT_ONCE];
	next = 0;
	int64_t t0 = bench_now();
	for (int i = 0; i < AT_ONCE; i++)
		if (ringo_task_create(spawner, NULL, NULL, &t[i]) < 0)
			return -1;
	int r = ringo_gather(t, AT_ONCE, NULL, 0);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < AT_ONCE; i++)
		ringo_task_unref(t[i]);
	return r < 0 ? r : ns;
}

static char *input;

static intptr_t cat_workload(void *arg)
{
	(void)arg;
	const char *argv[] = { "cat", NULL };
	ringo_process_opts o = { .in = { RINGO_STDIO_PIPE, -1 }, .out = { RINGO_STDIO_PIPE, -1 } };
	ringo_process *p;
	int64_t t0 = bench_now();
	if (ringo_process_spawn(argv, &o, &p) < 0)
		return -1;
	char *out;
	size_t outlen;
	int rc = -1;
	int r = ringo_process_communicate(p, input, CAT_BYTES, &out, &outlen, NULL, NULL, &rc, RINGO_NO_DEADLINE);
	int64_t ns = bench_now() - t0;
	ringo_process_destroy(p);
	if (r < 0 || rc != 0 || outlen != CAT_BYTES || memcmp(out, input, CAT_BYTES) != 0)
		r = -1;
	free(out);
	return r < 0 ? r : ns;
}

static intptr_t run(void *arg)
{
	intptr_t *ns = arg;
	ns[0] = bench_best_of(spawn_workload, NULL);
	ns[1] = bench_best_of(cat_workload, NULL);
	return ns[0] < 0 || ns[1] < 0 ? -1 : 0;
}

int main(void)
{
	input = malloc(CAT_BYTES);
	if (!input)
		return 1;
	for (size_t i = 0; i < CAT_BYTES; i++)
		input[i] = (char)(i * 31 + (i >> 12));
	intptr_t ns[2] = { -1, -1 }, r = -1;
	if (ringo_run(run, ns, &r) < 0 || r < 0)
		return 1;
	free(input);
	bench_report("spawn+wait /bin/true, each", (double)ns[0] / N / 1000,
		     bench_python("process.py", "--what spawn --n 100"), "us", 0);
	bench_report("16 MiB through cat", (double)ns[1] / 1e6,
		     bench_python("process.py", "--what cat --n 16"), "ms", 0);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* gather: three tasks sleeping 1, 2 and 3 s run at once; their results come
 * back in argument order after about 3 s. Then the same with one child
 * failing and RINGO_RETURN_EXCEPTIONS, so every slot holds a value or an
 * error. */
#include <stdio.h>
#include <string.h>

#include <ringo.h>

static int64_t start;

static double elapsed(void)
{
	return (double)(ringo_time() - start) / 1e9;
}

static intptr_t worker(void *arg)
{
	intptr_t seconds = (intptr_t)arg;
	printf("[%.1fs] task %ld: sleeping %ld s\n", elapsed(), (long)seconds, (long)seconds);
	fflush(stdout);
	int r = ringo_sleep(RINGO_SEC(seconds));
	if (r < 0)
		return r;
	printf("[%.1fs] task %ld: done\n", elapsed(), (long)seconds);
	fflush(stdout);
	return seconds * 10;
}

static intptr_t failing(void *arg)
{
	intptr_t seconds = (intptr_t)arg;
	int r = ringo_sleep(RINGO_SEC(seconds));
	if (r < 0)
		return r;
	printf("[%.1fs] task %ld: failing with EIO\n", elapsed(), (long)seconds);
	fflush(stdout);
	return -EIO;
}

static int gather_round(const char *title, ringo_task_fn fns[3], unsigned flags)
{
	printf("%s\n", title);
	fflush(stdout);
	start = ringo_time();
	ringo_task *tasks[3] = { 0 };
	intptr_t results[3] = { 0 };
	int r = 0;
	for (intptr_t i = 0; i < 3 && r == 0; i++)
		r = ringo_task_create(fns[i], (void *)(i + 1), NULL, &tasks[i]);
	if (r == 0)
		r = ringo_gather(tasks, 3, results, flags);
	if (r == 0) {
		printf("[%.1fs] results:", elapsed());
		for (int i = 0; i < 3; i++) {
			if (results[i] >= 0)
				printf(" %ld", (long)results[i]);
			else
				printf(" %s", strerror((int)-results[i]));
		}
		printf("\n");
		fflush(stdout);
	}
	for (int i = 0; i < 3; i++)
		ringo_task_unref(tasks[i]);
	return r;
}

static intptr_t go(void *arg)
{
	(void)arg;
	ringo_task_fn all_ok[3] = { worker, worker, worker };
	int r = gather_round("gather(sleep 1 s, sleep 2 s, sleep 3 s):", all_ok, 0);
	if (r < 0)
		return r;
	ringo_task_fn one_fails[3] = { worker, failing, worker };
	return gather_round("gather(..., return_exceptions=True) with task 2 failing:", one_fails,
		     RINGO_RETURN_EXCEPTIONS);
}

int main(void)
{
	intptr_t result;
	int r = ringo_run(go, NULL, &result);
	return r == 0 && result == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/* The seed's first program: a task sleeps 3 s, call_later(1 s) cancels it,
 * and it catches the cancellation.
 *
 *   async def sleep():
 *       try:
 *           await asyncio.sleep(3)
 *       except asyncio.CancelledError:
 *           print('canceled')
 */
#include <stdio.h>

#include <ringo.h>

static intptr_t sleeper(void *arg)
{
	(void)arg;
	int r = ringo_sleep(RINGO_SEC(3));
	if (r == -ECANCELED) {
		printf("canceled\n");
		fflush(stdout);
	}
	return r;
}

static void cancel(void *task)
{
	ringo_task_cancel(task);
}

static intptr_t go(void *arg)
{
	(void)arg;
	ringo_task *task;
	int r = ringo_task_create(sleeper, NULL, NULL, &task);
	if (r < 0)
		return r;
	r = ringo_call_later(RINGO_SEC(1), cancel, task, NULL);
	if (r == 0)
		r = (int)ringo_task_await(task); /* run_until_complete(task) */
	ringo_task_unref(task);
	return r == -ECANCELED ? 0 : -EPROTO;
}

int main(void)
{
	intptr_t result;
	int r = ringo_run(go, NULL, &result);
	return r == 0 && result == 0 ? 0 : 1;
}

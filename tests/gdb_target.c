/* SPDX-License-Identifier: MIT */
/* A program for tests/test_gdb.py: tasks suspended in known places, and a
 * function the debugger stops in while they are. */
#include <stdio.h>

#include <ringo.h>

static ringo_future *never;

__attribute__((noinline)) void gdb_stop_here(void)
{
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) int nap(void)
{
	int r = ringo_sleep(RINGO_SEC(30));
	/* Code after the call keeps it from being a tail call (clang makes
	 * one otherwise, and nap's frame would be gone). */
	__asm__ volatile("" ::: "memory");
	return r;
}

static intptr_t sleeper(void *arg)
{
	(void)arg;
	int r = nap();
	return r < 0 ? r : 0;
}

static intptr_t waiter(void *arg)
{
	(void)arg;
	intptr_t r = ringo_future_await(never);
	return r < 0 ? r : 0;
}

static intptr_t body(void *arg)
{
	(void)arg;
	if (ringo_future_create(&never) < 0)
		return -1;
	ringo_task *t[2];
	ringo_task_opts o = { .name = "sleeper" };
	ringo_task_create(sleeper, NULL, &o, &t[0]);
	o.name = "waiter";
	ringo_task_create(waiter, NULL, &o, &t[1]);
	ringo_sleep(RINGO_MSEC(10));
	gdb_stop_here();
	ringo_task_cancel(t[0]);
	ringo_task_cancel(t[1]);
	ringo_gather(t, 2, NULL, RINGO_RETURN_EXCEPTIONS);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	ringo_future_unref(never);
	return 0;
}

int main(void)
{
	intptr_t r = -1;
	ringo_run(body, NULL, &r);
	printf("done %ld\n", (long)r);
	return r == 0 ? 0 : 1;
}

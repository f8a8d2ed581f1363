/* SPDX-License-Identifier: MIT */
/* The cost of moving a deadline (issue 9): ringo_timeout_reschedule of an
 * entered timeout scope, 1,000,000 times later and 1,000,000 times earlier,
 * beside what a move cost before lib/compose/timer.c (cancel the call_at handle,
 * which sends a TIMEOUT_REMOVE, and call_at again: a malloc and a new
 * TIMEOUT), and asyncio's Timeout.reschedule. Times include submitting the
 * SQEs a move queues and reaping their CQEs. */
#include "bench.h"

#include <ringo.h>

enum { MOVES = 1000000 };

static void nothing(void *arg)
{
	(void)arg;
}

/* later != 0: each move pushes the deadline back; else pulls it in. */
static intptr_t reschedule(void *arg)
{
	bool later = arg != NULL;
	ringo_timeout *to;
	int64_t base = ringo_time() + RINGO_SEC(100);
	if (ringo_timeout_enter_at(&to, base) < 0)
		return -1;
	int64_t t0 = bench_now();
	for (int i = 1; i <= MOVES; i++)
		ringo_timeout_reschedule(to, later ? base + i : base - i);
	ringo_sleep(0); /* submit and reap what the moves queued */
	int64_t ns = bench_now() - t0;
	ringo_timeout_exit(to, 0);
	ringo_timeout_destroy(to);
	return ns;
}

static intptr_t later(void *arg)
{
	(void)arg;
	return reschedule((void *)1);
}

static intptr_t earlier(void *arg)
{
	(void)arg;
	return reschedule(NULL);
}

/* The old way: a new kernel timer per move. */
static intptr_t cancel_and_call_at(void *arg)
{
	(void)arg;
	ringo_handle *h;
	int64_t base = ringo_time() + RINGO_SEC(100);
	if (ringo_call_at(base, nothing, NULL, &h) < 0)
		return -1;
	int64_t t0 = bench_now();
	for (int i = 1; i <= MOVES; i++) {
		ringo_handle_cancel(h);
		ringo_handle_unref(h);
		if (ringo_call_at(base + i, nothing, NULL, &h) < 0)
			return -1;
	}
	ringo_handle_cancel(h);
	ringo_handle_unref(h);
	ringo_sleep(0);
	int64_t ns = bench_now() - t0;
	return ns;
}

struct workload {
	intptr_t (*fn)(void *);
};

static intptr_t run(void *arg)
{
	const struct workload *w = arg;
	return bench_best_of(w->fn, NULL);
}

static double per_move(intptr_t (*fn)(void *))
{
	struct workload w = { fn };
	intptr_t ns = 0;
	if (ringo_run(run, &w, &ns) < 0 || ns < 0)
		exit(1);
	return (double)ns / MOVES;
}

int main(void)
{
	double py_later = bench_python("timer.py", "--n 1000000");
	double old = per_move(cancel_and_call_at);
	double l = per_move(later);
	double e = per_move(earlier);
	bench_report("timeout move later", l, py_later, "ns", 20);
	bench_report("timeout move earlier", e, NAN, "ns", 0);
	bench_report("remove + new timer (before)", old, NAN, "ns", 0);
	printf("%-28s %.1fx cheaper later, %.1fx cheaper earlier than a new timer\n", "",
	       old / l, old / e);
	return 0;
}

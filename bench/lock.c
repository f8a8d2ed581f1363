/* SPDX-License-Identifier: MIT */
/* Lock hand-off: two tasks take turns holding one lock (A holds, B waits;
 * A releases, which hands the lock to B, and queues again; ...). Reports ns
 * per hand-off; then the same with 100 such pairs, each on its own lock,
 * running at once (the loop batches their wake-ups). */
#include "bench.h"

#include <ringo.h>

enum { HANDOFFS = 1000000, PAIRS = 100 };

struct pair {
	ringo_lock *lock;
	long n;          /* release/acquire rounds per task */
	long handoffs;   /* releases that handed the lock to a waiter */
	int last;        /* which task held it last: checks strict turns */
	bool broken;
};

struct turn {
	struct pair *p;
	int id;
};

static intptr_t taker(void *arg)
{
	struct turn *me = arg;
	struct pair *p = me->p;
	if (ringo_lock_acquire(p->lock) < 0)
		return -1;
	for (long i = 0; i < p->n; i++) {
		if (p->last == me->id)
			p->broken = true;
		p->last = me->id;
		ringo_lock_release(p->lock);
		p->handoffs += ringo_lock_locked(p->lock);
		if (ringo_lock_acquire(p->lock) < 0)
			return -1;
	}
	ringo_lock_release(p->lock);
	p->handoffs += ringo_lock_locked(p->lock);
	return 0;
}

/* npairs pairs of tasks, total hand-offs in all: returns ns per hand-off
 * (scaled by 1000 to keep a fraction in an intptr_t), or -1. */
static intptr_t workload(long npairs, long total)
{
	struct pair *p = calloc((size_t)npairs, sizeof(*p));
	struct turn *turns = calloc((size_t)npairs * 2, sizeof(*turns));
	ringo_task **t = calloc((size_t)npairs * 2, sizeof(*t));
	intptr_t ret = -1;
	if (!p || !turns || !t)
		goto out;
	for (long i = 0; i < npairs; i++) {
		if (ringo_lock_create(&p[i].lock) < 0)
			goto out;
		p[i].n = total / npairs / 2;
		p[i].last = -1;
		/* held until both tasks queue, so the turns start at once */
		ringo_lock_try_acquire(p[i].lock);
		for (int k = 0; k < 2; k++) {
			turns[2 * i + k] = (struct turn){ &p[i], k };
			if (ringo_task_create(taker, &turns[2 * i + k], NULL, &t[2 * i + k]) < 0)
				goto out;
		}
	}
	if (ringo_sleep(0) < 0) /* every task queues on its lock */
		goto out;
	int64_t t0 = bench_now();
	for (long i = 0; i < npairs; i++) {
		ringo_lock_release(p[i].lock);
		p[i].handoffs += ringo_lock_locked(p[i].lock);
	}
	if (ringo_gather(t, (size_t)npairs * 2, NULL, 0) < 0)
		goto out;
	int64_t ns = bench_now() - t0;
	long handoffs = 0;
	for (long i = 0; i < npairs; i++) {
		if (p[i].broken) {
			fprintf(stderr, "lock: a task took the lock twice in a row\n");
			goto out;
		}
		handoffs += p[i].handoffs;
	}
	/* main's release, 2n in the loops, A's final release: all but B's
	 * final release hand the lock over */
	long expect = npairs * (2 * p[0].n + 2);
	if (handoffs != expect) {
		fprintf(stderr, "lock: %ld hand-offs, expected %ld\n", handoffs, expect);
		goto out;
	}
	ret = (intptr_t)((double)ns * 1000.0 / (double)handoffs);
out:
	for (long i = 0; t && i < npairs * 2; i++)
		ringo_task_unref(t[i]);
	for (long i = 0; p && i < npairs; i++)
		ringo_lock_destroy(p[i].lock);
	free(t);
	free(turns);
	free(p);
	return ret;
}

/* A warm-up round, then the measured one, in one loop. */
static intptr_t run(void *arg)
{
	long npairs = (long)(intptr_t)arg;
	if (workload(npairs, HANDOFFS / 10) < 0)
		return -1;
	return workload(npairs, HANDOFFS);
}

int main(void)
{
	intptr_t one = 0, many = 0;
	if (ringo_run(run, (void *)(intptr_t)1, &one) < 0 || one < 0)
		return 1;
	if (ringo_run(run, (void *)(intptr_t)PAIRS, &many) < 0 || many < 0)
		return 1;
	bench_report("lock hand-off (2 tasks)", (double)one / 1000.0,
		     bench_python("lock.py", "--n 1000000 --pairs 1"), "ns", 150);
	bench_report("lock hand-off (100 pairs)", (double)many / 1000.0,
		     bench_python("lock.py", "--n 1000000 --pairs 100"), "ns", 150);
	return 0;
}

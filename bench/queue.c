/* SPDX-License-Identifier: MIT */
/* Queue ping-pong: pairs of tasks pass an item back and forth through two
 * queues of maxsize 1; every item is one put and one get that wakes the
 * other task of the pair. Reported: wall ns per item, 1,000,000 items in
 * all, for 100 pairs running at once (the loop then reaps many wake-ups per
 * io_uring_enter, as the yield benchmark's 100 tasks do) and, for latency,
 * one lone pair (one io_uring_enter per item). */
#include "bench.h"

#include <ringo.h>

enum { ITEMS = 1000000, PAIRS = 100, MAX_PAIRS = 100 };

struct pair {
	ringo_queue *to_pong, *to_ping;
	intptr_t rounds;
};

/* Returns each item it gets, plus one, until the queue is shut down. */
static intptr_t pong(void *arg)
{
	struct pair *p = arg;
	intptr_t item;
	int r;
	while ((r = ringo_queue_get(p->to_pong, &item)) == 0)
		if ((r = ringo_queue_put(p->to_ping, item + 1)) < 0)
			return r;
	return r == -ESHUTDOWN ? 0 : r;
}

static intptr_t ping(void *arg)
{
	struct pair *p = arg;
	intptr_t item = 0;
	for (intptr_t i = 0; i < p->rounds; i++)
		if (ringo_queue_put(p->to_pong, item) < 0 ||
		    ringo_queue_get(p->to_ping, &item) < 0)
			return -1;
	return item == p->rounds ? 0 : -1;
}

/* One round: npairs pairs, items in all (each round trip is two items).
 * Returns the wall time in ns, or -1. */
static intptr_t workload(int npairs, intptr_t items)
{
	struct pair p[MAX_PAIRS];
	ringo_task *t[2 * MAX_PAIRS];
	intptr_t ret = -1;
	int made = 0;
	for (; made < npairs; made++) {
		p[made].rounds = items / 2 / npairs;
		if (ringo_queue_create(RINGO_QUEUE_FIFO, 1, &p[made].to_pong) < 0)
			goto out;
		if (ringo_queue_create(RINGO_QUEUE_FIFO, 1, &p[made].to_ping) < 0) {
			ringo_queue_destroy(p[made].to_pong);
			goto out;
		}
	}
	int64_t t0 = bench_now();
	int spawned = 0;
	for (; spawned < npairs; spawned++)
		if (ringo_task_create(pong, &p[spawned], NULL, &t[npairs + spawned]) < 0 ||
		    ringo_task_create(ping, &p[spawned], NULL, &t[spawned]) < 0)
			return -1;
	int r = ringo_gather(t, (size_t)npairs, NULL, 0);
	int64_t ns = bench_now() - t0;
	for (int i = 0; i < npairs; i++)
		ringo_queue_shutdown(p[i].to_pong, false);
	if (ringo_gather(t + npairs, (size_t)npairs, NULL, 0) == 0 && r == 0)
		ret = ns;
	for (int i = 0; i < 2 * npairs; i++)
		ringo_task_unref(t[i]);
out:
	for (int i = 0; i < made; i++) {
		ringo_queue_destroy(p[i].to_pong);
		ringo_queue_destroy(p[i].to_ping);
	}
	return ret;
}

/* In one loop: a warm-up round, then the measured rounds. */
static intptr_t run(void *arg)
{
	intptr_t *ns = arg;
	if (workload(PAIRS, ITEMS / 10) < 0)
		return -1;
	ns[0] = workload(PAIRS, ITEMS);
	ns[1] = workload(1, ITEMS / 5);
	return ns[0] < 0 || ns[1] < 0 ? -1 : 0;
}

int main(void)
{
	intptr_t ns[2], r = -1;
	if (ringo_run(run, ns, &r) < 0 || r < 0)
		return 1;
	bench_report("queue ping-pong, 100 pairs", (double)ns[0] / ITEMS,
		     bench_python("queue.py", "--n 1000000 --pairs 100"), "ns", 150);
	bench_report("queue ping-pong, 1 pair", (double)ns[1] / (ITEMS / 5),
		     bench_python("queue.py", "--n 200000 --pairs 1"), "ns", 0);
	return 0;
}

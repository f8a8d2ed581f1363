/* SPDX-License-Identifier: MIT */
/* Queues: FIFO/LIFO/priority order, maxsize and the nowait errors, blocked
 * getters and putters served FIFO without barging, cancellation that loses
 * and duplicates nothing, task_done/join, both shutdown modes, iteration. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset_log(void)
{
	memset(&log_, 0, sizeof(log_));
}

static const char *ename(int r)
{
	switch (r) {
	case 0:
		return "ok";
	case -EAGAIN:
		return "EAGAIN";
	case -ECANCELED:
		return "ECANCELED";
	case -ESHUTDOWN:
		return "ESHUTDOWN";
	case -EOVERFLOW:
		return "EOVERFLOW";
	case -EPERM:
		return "EPERM";
	case -EINVAL:
		return "EINVAL";
	default:
		return "other";
	}
}

/* One task acting on a queue; the tasks log "<name>:<outcome>". */
struct actor {
	ringo_queue *q;
	const char *name;
	intptr_t item;
	int64_t prio;
	ringo_task *task;
};

static intptr_t do_get(void *arg)
{
	struct actor *a = arg;
	intptr_t item = -1;
	int r = ringo_queue_get(a->q, &item);
	if (r == 0)
		harness_log(&log_, "%s:%ld", a->name, (long)item);
	else
		harness_log(&log_, "%s:%s", a->name, ename(r));
	return r == 0 ? item : r;
}

static intptr_t do_put(void *arg)
{
	struct actor *a = arg;
	int r = ringo_queue_put(a->q, a->item);
	harness_log(&log_, "%s:%s", a->name, ename(r));
	return r;
}

static intptr_t do_put_prio(void *arg)
{
	struct actor *a = arg;
	int r = ringo_queue_put_prio(a->q, a->prio, a->item);
	harness_log(&log_, "%s:%s", a->name, ename(r));
	return r;
}

static intptr_t do_join(void *arg)
{
	struct actor *a = arg;
	int r = ringo_queue_join(a->q);
	harness_log(&log_, "%s:%s", a->name, ename(r));
	return r;
}

/* Starts a->task running fn and lets it run up to its first suspension. */
static void start(struct actor *a, ringo_task_fn fn)
{
	assert_int_equal(ringo_task_create(fn, a, NULL, &a->task), 0);
	assert_int_equal(ringo_sleep(0), 0);
}

static intptr_t finish(struct actor *a)
{
	intptr_t r = ringo_task_await(a->task);
	ringo_task_unref(a->task);
	a->task = NULL;
	return r;
}

static ringo_queue *make(ringo_queue_kind kind, size_t maxsize)
{
	ringo_queue *q = NULL;
	assert_int_equal(ringo_queue_create(kind, maxsize, &q), 0);
	assert_non_null(q);
	return q;
}

static intptr_t get_now(ringo_queue *q)
{
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get_nowait(q, &item), 0);
	return item;
}

/* ---- bad input ---- */

static intptr_t bad_input(void *arg)
{
	(void)arg;
	ringo_queue *q = NULL;
	intptr_t item = 7;
	assert_int_equal(ringo_queue_create(RINGO_QUEUE_FIFO, 0, NULL), -EINVAL);
	assert_int_equal(ringo_queue_create((ringo_queue_kind)3, 0, &q), -EINVAL);
	assert_int_equal(ringo_queue_create((ringo_queue_kind)-1, 0, &q), -EINVAL);
	assert_null(q);
	assert_int_equal(ringo_queue_put(NULL, 1), -EINVAL);
	assert_int_equal(ringo_queue_put_nowait(NULL, 1), -EINVAL);
	assert_int_equal(ringo_queue_put_prio(NULL, 1, 1), -EINVAL);
	assert_int_equal(ringo_queue_put_prio_nowait(NULL, 1, 1), -EINVAL);
	assert_int_equal(ringo_queue_get(NULL, &item), -EINVAL);
	assert_int_equal(ringo_queue_get_nowait(NULL, &item), -EINVAL);
	assert_int_equal(ringo_queue_task_done(NULL), -EINVAL);
	assert_int_equal(ringo_queue_join(NULL), -EINVAL);
	assert_int_equal(ringo_queue_shutdown(NULL, false), -EINVAL);
	assert_int_equal(ringo_queue_qsize(NULL), 0);
	assert_true(ringo_queue_empty(NULL));
	assert_false(ringo_queue_full(NULL));
	assert_int_equal(ringo_queue_maxsize(NULL), 0);
	assert_false(ringo_queue_is_shutdown(NULL));
	assert_null(ringo_queue_aiter(NULL));
	ringo_queue_destroy(NULL);

	q = make(RINGO_QUEUE_FIFO, 0);
	assert_int_equal(ringo_queue_put(q, 1), 0);
	assert_int_equal(ringo_queue_get(q, NULL), -EINVAL);
	assert_int_equal(ringo_queue_get_nowait(q, NULL), -EINVAL);
	assert_int_equal(ringo_queue_qsize(q), 1); /* nothing consumed */
	assert_int_equal(item, 7);                 /* nothing written */
	ringo_queue_destroy(q);
	return 0;
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(harness_run(bad_input, NULL), 0);
}

/* Outside a task: everything that need not wait works; waiting is -EPERM. */
static void test_outside_a_task(void **state)
{
	(void)state;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 1);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get(q, &item), -EPERM);
	assert_int_equal(ringo_queue_put(q, 5), 0);
	assert_int_equal(ringo_queue_put(q, 6), -EPERM);
	assert_int_equal(ringo_queue_qsize(q), 1);
	assert_int_equal(ringo_queue_join(q), -EPERM);
	assert_int_equal(ringo_queue_get(q, &item), 0);
	assert_int_equal(item, 5);
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_join(q), 0);
	ringo_queue_destroy(q);
}

/* ---- order ---- */

static intptr_t fifo_lifo_order(void *arg)
{
	(void)arg;
	ringo_queue *f = make(RINGO_QUEUE_FIFO, 0);
	ringo_queue *l = make(RINGO_QUEUE_LIFO, 0);
	for (intptr_t i = 1; i <= 4; i++) {
		assert_int_equal(ringo_queue_put(f, i), 0);
		assert_int_equal(ringo_queue_put_nowait(l, i), 0);
	}
	/* FIFO/LIFO ignore the priority. */
	assert_int_equal(ringo_queue_put_prio(f, -100, 5), 0);
	assert_int_equal(ringo_queue_put_prio_nowait(l, -100, 5), 0);
	for (int i = 0; i < 5; i++) {
		intptr_t a = -1, b = -1;
		assert_int_equal(ringo_queue_get(f, &a), 0);
		assert_int_equal(ringo_queue_get(l, &b), 0);
		harness_log(&log_, "%ld/%ld", (long)a, (long)b);
	}
	assert_true(ringo_queue_empty(f));
	assert_true(ringo_queue_empty(l));
	ringo_queue_destroy(f);
	ringo_queue_destroy(l);
	return 0;
}

static void test_fifo_and_lifo_order(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(fifo_lifo_order, NULL), 0);
	assert_string_equal(log_.buf, "1/5 2/4 3/3 4/2 5/1");
}

static intptr_t priority_order(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_PRIORITY, 0);
	/* Explicit priorities: smallest first, ties in put order. */
	assert_int_equal(ringo_queue_put_prio(q, 5, 'a'), 0);
	assert_int_equal(ringo_queue_put_prio(q, 1, 'b'), 0);
	assert_int_equal(ringo_queue_put_prio_nowait(q, 5, 'c'), 0);
	assert_int_equal(ringo_queue_put_prio(q, 1, 'd'), 0);
	assert_int_equal(ringo_queue_put_prio(q, INT64_MIN, 'e'), 0);
	assert_int_equal(ringo_queue_put_prio(q, INT64_MAX, 'f'), 0);
	assert_int_equal(ringo_queue_put_prio(q, 1, 'g'), 0);
	assert_int_equal(ringo_queue_put_prio(q, -3, 'h'), 0);
	assert_int_equal(ringo_queue_qsize(q), 8);
	while (!ringo_queue_empty(q))
		harness_log(&log_, "%c", (char)get_now(q));
	/* put: the item is its own priority, compared as signed. */
	const intptr_t items[] = { 30, -5, 10, 0, 10, -7 };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(ringo_queue_put(q, items[i]), 0);
	while (!ringo_queue_empty(q))
		harness_log(&log_, "%ld", (long)get_now(q));
	ringo_queue_destroy(q);
	return 0;
}

static void test_priority_order(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(priority_order, NULL), 0);
	assert_string_equal(log_.buf, "e h b d g a c f -7 -5 0 10 10 30");
}

/* Many items, through the ring buffer's wrap-around and growth, and a heap
 * of many equal and unequal priorities. */
static intptr_t many_items(void *arg)
{
	(void)arg;
	ringo_queue *f = make(RINGO_QUEUE_FIFO, 0);
	ringo_queue *l = make(RINGO_QUEUE_LIFO, 0);
	ringo_queue *p = make(RINGO_QUEUE_PRIORITY, 0);
	intptr_t next_in = 0, next_out = 0;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 7 * round + 5; i++)
			assert_int_equal(ringo_queue_put_nowait(f, next_in++), 0);
		for (int i = 0; i < 5 * round + 3; i++)
			assert_int_equal(get_now(f), next_out++);
	}
	while (!ringo_queue_empty(f))
		assert_int_equal(get_now(f), next_out++);
	assert_int_equal(next_in, next_out);

	for (intptr_t i = 0; i < 1000; i++)
		assert_int_equal(ringo_queue_put(l, i), 0);
	for (intptr_t i = 999; i >= 0; i--)
		assert_int_equal(get_now(l), i);

	/* A permutation of 0..999 put with priority j % 10: out by priority,
	 * and within one priority in put order. */
	for (intptr_t i = 0; i < 1000; i++) {
		intptr_t j = (i * 7919) % 1000;
		assert_int_equal(ringo_queue_put_prio(p, j % 10, j), 0);
	}
	for (intptr_t prio = 0; prio < 10; prio++)
		for (intptr_t i = 0; i < 1000; i++)
			if ((i * 7919) % 1000 % 10 == prio)
				assert_int_equal(get_now(p), (i * 7919) % 1000);
	assert_true(ringo_queue_empty(p));
	ringo_queue_destroy(f);
	ringo_queue_destroy(l);
	ringo_queue_destroy(p);
	return 0;
}

static void test_many_items(void **state)
{
	(void)state;
	assert_int_equal(harness_run(many_items, NULL), 0);
}

/* Stability over many equal priorities: exact order checked. */
static intptr_t stable_ties(void *arg)
{
	(void)arg;
	ringo_queue *p = make(RINGO_QUEUE_PRIORITY, 0);
	for (intptr_t i = 0; i < 300; i++)
		assert_int_equal(ringo_queue_put_prio(p, (i * 37) % 3, i), 0);
	for (int64_t prio = 0; prio < 3; prio++)
		for (intptr_t i = 0; i < 300; i++)
			if ((i * 37) % 3 == prio)
				assert_int_equal(get_now(p), i);
	assert_true(ringo_queue_empty(p));
	ringo_queue_destroy(p);
	return 0;
}

static void test_priority_ties_are_fifo(void **state)
{
	(void)state;
	assert_int_equal(harness_run(stable_ties, NULL), 0);
}

/* ---- maxsize and nowait ---- */

static intptr_t maxsize_nowait(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 2);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_maxsize(q), 2);
	assert_true(ringo_queue_empty(q));
	assert_false(ringo_queue_full(q));
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN);
	assert_int_equal(item, -1);
	assert_int_equal(ringo_queue_put_nowait(q, 1), 0);
	assert_false(ringo_queue_full(q));
	assert_int_equal(ringo_queue_put(q, 2), 0); /* room: no suspension */
	assert_true(ringo_queue_full(q));
	assert_false(ringo_queue_empty(q));
	assert_int_equal(ringo_queue_put_nowait(q, 3), -EAGAIN);
	assert_int_equal(ringo_queue_put_prio_nowait(q, 0, 3), -EAGAIN);
	assert_int_equal(ringo_queue_qsize(q), 2);
	assert_int_equal(get_now(q), 1);
	assert_int_equal(ringo_queue_put_nowait(q, 3), 0);
	assert_int_equal(get_now(q), 2);
	assert_int_equal(get_now(q), 3);
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN);
	ringo_queue_destroy(q);

	/* Unbounded: never full. */
	q = make(RINGO_QUEUE_LIFO, 0);
	for (intptr_t i = 0; i < 100; i++)
		assert_int_equal(ringo_queue_put_nowait(q, i), 0);
	assert_false(ringo_queue_full(q));
	assert_int_equal(ringo_queue_qsize(q), 100);
	assert_int_equal(ringo_queue_maxsize(q), 0);
	ringo_queue_destroy(q);
	return 0;
}

static void test_maxsize_and_nowait_errors(void **state)
{
	(void)state;
	assert_int_equal(harness_run(maxsize_nowait, NULL), 0);
}

/* ---- blocked getters and putters ---- */

static intptr_t getters_fifo(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_LIFO, 0);
	struct actor g[3] = {
		{ .q = q, .name = "g1" }, { .q = q, .name = "g2" }, { .q = q, .name = "g3" },
	};
	for (int i = 0; i < 3; i++)
		start(&g[i], do_get);
	harness_log(&log_, "put");
	assert_int_equal(ringo_queue_put(q, 10), 0);
	assert_int_equal(ringo_queue_put_nowait(q, 20), 0);
	/* No barging: 10 and 20 are handed over; a later get_nowait cannot
	 * take them, and a later put goes to the next getter. */
	assert_int_equal(ringo_queue_qsize(q), 0);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN);
	assert_int_equal(ringo_queue_put(q, 30), 0);
	assert_int_equal(ringo_queue_qsize(q), 0);
	assert_int_equal(ringo_queue_put(q, 40), 0);
	assert_int_equal(ringo_queue_qsize(q), 1);
	harness_log(&log_, "puts");
	assert_int_equal(finish(&g[0]), 10);
	assert_int_equal(finish(&g[1]), 20);
	assert_int_equal(finish(&g[2]), 30);
	assert_int_equal(get_now(q), 40);
	ringo_queue_destroy(q);
	return 0;
}

static void test_blocked_getters_fifo_no_barging(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(getters_fifo, NULL), 0);
	assert_string_equal(log_.buf, "put puts g1:10 g2:20 g3:30");
}

static intptr_t putters_fifo(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 1);
	assert_int_equal(ringo_queue_put(q, 0), 0);
	struct actor p[3] = {
		{ .q = q, .name = "p1", .item = 1 },
		{ .q = q, .name = "p2", .item = 2 },
		{ .q = q, .name = "p3", .item = 3 },
	};
	for (int i = 0; i < 3; i++)
		start(&p[i], do_put);
	harness_log(&log_, "get");
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get(q, &item), 0);
	assert_int_equal(item, 0);
	/* p1's item took the slot at once: the queue is full again, and a
	 * put_nowait cannot barge in. */
	assert_int_equal(ringo_queue_qsize(q), 1);
	assert_true(ringo_queue_full(q));
	assert_int_equal(ringo_queue_put_nowait(q, 99), -EAGAIN);
	for (intptr_t i = 1; i <= 3; i++) {
		assert_int_equal(ringo_queue_get(q, &item), 0);
		harness_log(&log_, "got%ld", (long)item);
	}
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(finish(&p[i]), 0);
	ringo_queue_destroy(q);
	return 0;
}

static void test_blocked_putters_fifo_no_barging(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(putters_fifo, NULL), 0);
	/* The gets never suspend (an item is always there), so the putters,
	 * woken through the ring, log after them. */
	assert_string_equal(log_.buf, "get got1 got2 got3 p1:ok p2:ok p3:ok");
}

/* A blocked putter's item enters a LIFO queue on top when a slot frees. */
static intptr_t lifo_putters(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_LIFO, 2);
	assert_int_equal(ringo_queue_put(q, 1), 0);
	assert_int_equal(ringo_queue_put(q, 2), 0);
	struct actor p[2] = {
		{ .q = q, .name = "p3", .item = 3 },
		{ .q = q, .name = "p4", .item = 4 },
	};
	start(&p[0], do_put);
	start(&p[1], do_put);
	for (int i = 0; i < 4; i++)
		harness_log(&log_, "%ld", (long)get_now(q));
	assert_int_equal(finish(&p[0]), 0);
	assert_int_equal(finish(&p[1]), 0);
	ringo_queue_destroy(q);
	return 0;
}

static void test_lifo_blocked_putters(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(lifo_putters, NULL), 0);
	assert_string_equal(log_.buf, "2 3 4 1 p3:ok p4:ok");
}

/* A blocked putter's priority counts when its item enters the queue. */
static intptr_t priority_putters(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_PRIORITY, 2);
	assert_int_equal(ringo_queue_put_prio(q, 5, 'a'), 0);
	assert_int_equal(ringo_queue_put_prio(q, 1, 'b'), 0);
	struct actor p = { .q = q, .name = "pc", .item = 'c', .prio = 0 };
	start(&p, do_put_prio);
	for (int i = 0; i < 3; i++)
		harness_log(&log_, "%c", (char)get_now(q));
	assert_int_equal(finish(&p), 0);
	ringo_queue_destroy(q);
	return 0;
}

static void test_priority_blocked_putters(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(priority_putters, NULL), 0);
	assert_string_equal(log_.buf, "b c a pc:ok");
}

/* A producer and a consumer through a queue of maxsize 1, both blocking. */
static intptr_t producer(void *arg)
{
	ringo_queue *q = arg;
	for (intptr_t i = 1; i <= 5; i++) {
		assert_int_equal(ringo_queue_put(q, i), 0);
		harness_log(&log_, "p%ld", (long)i);
	}
	return 0;
}

static intptr_t producer_consumer(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 1);
	ringo_task *t;
	assert_int_equal(ringo_task_create(producer, q, NULL, &t), 0);
	for (int i = 0; i < 5; i++) {
		intptr_t item = -1;
		assert_int_equal(ringo_queue_get(q, &item), 0);
		harness_log(&log_, "c%ld", (long)item);
	}
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	ringo_queue_destroy(q);
	return 0;
}

static void test_producer_consumer(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(producer_consumer, NULL), 0);
	/* The consumer blocks first: p1 hands 1 to it, p2 fills the queue, p3
	 * blocks. c1; c2 takes 2 and admits 3; c3 takes 3 without waiting; the
	 * consumer blocks again; p3 returns, p4 hands 4 over, p5 fills. */
	assert_string_equal(log_.buf, "p1 p2 c1 c2 c3 p3 p4 p5 c4 c5");
}

/* ---- cancellation ---- */

static intptr_t cancel_queued_get(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	struct actor g[2] = { { .q = q, .name = "g1" }, { .q = q, .name = "g2" } };
	start(&g[0], do_get);
	start(&g[1], do_get);
	assert_true(ringo_task_cancel(g[0].task));
	assert_int_equal(ringo_queue_put(q, 7), 0); /* goes to g2, not g1 */
	assert_int_equal(ringo_queue_put(q, 8), 0); /* nobody waits: queued */
	assert_int_equal(finish(&g[0]), -ECANCELED);
	assert_int_equal(finish(&g[1]), 7);
	assert_int_equal(ringo_queue_qsize(q), 1);
	assert_int_equal(get_now(q), 8);
	/* Two items were put and two taken: two task_done, no more. */
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	ringo_queue_destroy(q);
	return 0;
}

static void test_cancelled_get_consumes_nothing(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(cancel_queued_get, NULL), 0);
	assert_string_equal(log_.buf, "g1:ECANCELED g2:7");
}

static intptr_t cancel_queued_put(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 1);
	assert_int_equal(ringo_queue_put(q, 0), 0);
	struct actor p[2] = {
		{ .q = q, .name = "p1", .item = 1 },
		{ .q = q, .name = "p2", .item = 2 },
	};
	start(&p[0], do_put);
	start(&p[1], do_put);
	assert_true(ringo_task_cancel(p[0].task));
	assert_int_equal(get_now(q), 0); /* admits p2's item, not p1's */
	assert_int_equal(get_now(q), 2);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN);
	assert_int_equal(finish(&p[0]), -ECANCELED);
	assert_int_equal(finish(&p[1]), 0);
	assert_true(ringo_queue_empty(q));
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	ringo_queue_destroy(q);
	return 0;
}

static void test_cancelled_put_enqueues_nothing(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(cancel_queued_put, NULL), 0);
	assert_string_equal(log_.buf, "p1:ECANCELED p2:ok");
}

/* The item was handed to the getter just before the cancel: the getter
 * keeps it and sees -ECANCELED at its next await. */
static intptr_t get_then_await(void *arg)
{
	struct actor *a = arg;
	intptr_t item = -1;
	int r = ringo_queue_get(a->q, &item);
	harness_log(&log_, "get:%s:%ld", ename(r), (long)item);
	r = ringo_sleep(0);
	harness_log(&log_, "next:%s", ename(r));
	return r;
}

static intptr_t cancel_after_get_handoff(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	struct actor g = { .q = q };
	start(&g, get_then_await);
	assert_int_equal(ringo_queue_put(q, 42), 0);
	assert_true(ringo_task_cancel(g.task));
	harness_log(&log_, "cancelled");
	assert_int_equal(finish(&g), -ECANCELED);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN); /* not duplicated */
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	ringo_queue_destroy(q);
	return 0;
}

static void test_cancel_after_get_handoff_keeps_item(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(cancel_after_get_handoff, NULL), 0);
	assert_string_equal(log_.buf, "cancelled get:ok:42 next:ECANCELED");
}

static intptr_t put_then_await(void *arg)
{
	struct actor *a = arg;
	int r = ringo_queue_put(a->q, a->item);
	harness_log(&log_, "put:%s", ename(r));
	r = ringo_sleep(0);
	harness_log(&log_, "next:%s", ename(r));
	return r;
}

static intptr_t cancel_after_put_handoff(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 1);
	assert_int_equal(ringo_queue_put(q, 1), 0);
	struct actor p = { .q = q, .item = 2 };
	start(&p, put_then_await);
	assert_int_equal(get_now(q), 1); /* admits 2 and wakes the putter */
	assert_true(ringo_task_cancel(p.task));
	harness_log(&log_, "cancelled");
	assert_int_equal(finish(&p), -ECANCELED);
	assert_int_equal(ringo_queue_qsize(q), 1); /* not lost */
	assert_int_equal(get_now(q), 2);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get_nowait(q, &item), -EAGAIN); /* not duplicated */
	ringo_queue_destroy(q);
	return 0;
}

static void test_cancel_after_put_handoff_keeps_item(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(cancel_after_put_handoff, NULL), 0);
	assert_string_equal(log_.buf, "cancelled put:ok next:ECANCELED");
}

/* A pending cancellation: get/put that need not wait complete (and leave
 * it pending, as asyncio's do); one that must wait delivers it instead,
 * consuming and enqueueing nothing. */
static intptr_t pending_cancel(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 1);
	ringo_task *self = ringo_task_current();
	intptr_t item = -1;
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_queue_get(q, &item), -ECANCELED);
	assert_int_equal(item, -1);
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_queue_put(q, 5), 0);     /* room: no wait */
	assert_int_equal(ringo_queue_put(q, 6), -ECANCELED);
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_queue_join(q), -ECANCELED);
	assert_true(ringo_task_cancel(self));
	assert_int_equal(ringo_queue_get(q, &item), 0); /* an item: no wait */
	assert_int_equal(item, 5);
	assert_int_equal(ringo_sleep(0), -ECANCELED);
	assert_true(ringo_queue_empty(q));
	assert_int_equal(ringo_task_uncancel(self), 3);
	assert_int_equal(ringo_task_uncancel(self), 2);
	assert_int_equal(ringo_task_uncancel(self), 1);
	assert_int_equal(ringo_task_uncancel(self), 0);
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	ringo_queue_destroy(q);
	return 0;
}

static void test_pending_cancellation(void **state)
{
	(void)state;
	assert_int_equal(harness_run(pending_cancel, NULL), 0);
}

/* ---- task_done and join ---- */

static intptr_t worker(void *arg)
{
	ringo_queue *q = arg;
	intptr_t item;
	int r;
	while ((r = ringo_queue_get(q, &item)) == 0) {
		assert_int_equal(ringo_sleep(RINGO_MSEC(2)), 0);
		harness_log(&log_, "done%ld", (long)item);
		assert_int_equal(ringo_queue_task_done(q), 0);
	}
	return r;
}

static intptr_t task_done_join(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	assert_int_equal(ringo_queue_join(q), 0); /* nothing unfinished */
	for (intptr_t i = 1; i <= 3; i++)
		assert_int_equal(ringo_queue_put(q, i), 0);
	struct actor j[2] = { { .q = q, .name = "j1" }, { .q = q, .name = "j2" } };
	struct actor jc = { .q = q, .name = "jc" };
	start(&j[0], do_join);
	start(&jc, do_join);
	start(&j[1], do_join);
	assert_true(ringo_task_cancel(jc.task));
	assert_int_equal(finish(&jc), -ECANCELED);
	ringo_task *w;
	assert_int_equal(ringo_task_create(worker, q, NULL, &w), 0);
	assert_int_equal(ringo_queue_join(q), 0);
	harness_log(&log_, "main:joined");
	assert_int_equal(finish(&j[0]), 0);
	assert_int_equal(finish(&j[1]), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	/* The worker ends when the queue is shut down. */
	assert_int_equal(ringo_queue_shutdown(q, false), 0);
	assert_int_equal(ringo_task_await(w), -ESHUTDOWN);
	ringo_task_unref(w);
	ringo_queue_destroy(q);
	return 0;
}

static void test_task_done_and_join(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(task_done_join, NULL), 0);
	assert_string_equal(log_.buf,
			    "jc:ECANCELED done1 done2 done3 j1:ok j2:ok main:joined");
}

/* ---- shutdown ---- */

static intptr_t graceful(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 2);
	assert_int_equal(ringo_queue_put(q, 1), 0);
	assert_int_equal(ringo_queue_put(q, 2), 0);
	struct actor p = { .q = q, .name = "p3", .item = 3 };
	struct actor j = { .q = q, .name = "join" };
	start(&p, do_put);
	start(&j, do_join);
	assert_false(ringo_queue_is_shutdown(q));
	assert_int_equal(ringo_queue_shutdown(q, false), 0);
	assert_true(ringo_queue_is_shutdown(q));
	harness_log(&log_, "shutdown");
	assert_int_equal(ringo_queue_put(q, 4), -ESHUTDOWN);
	assert_int_equal(ringo_queue_put_nowait(q, 4), -ESHUTDOWN);
	assert_int_equal(ringo_queue_put_prio(q, 0, 4), -ESHUTDOWN);
	assert_int_equal(finish(&p), -ESHUTDOWN); /* 3 was not enqueued */
	/* The items left are drained, then get says shut down. */
	intptr_t item = -1;
	assert_int_equal(ringo_queue_qsize(q), 2);
	assert_int_equal(ringo_queue_get(q, &item), 0);
	assert_int_equal(item, 1);
	assert_int_equal(ringo_queue_get_nowait(q, &item), 0);
	assert_int_equal(item, 2);
	item = -1;
	assert_int_equal(ringo_queue_get(q, &item), -ESHUTDOWN);
	assert_int_equal(ringo_queue_get_nowait(q, &item), -ESHUTDOWN);
	assert_int_equal(item, -1);
	/* join still waits for the two items taken. */
	assert_int_equal(ringo_sleep(0), 0);
	assert_false(ringo_task_done(j.task));
	assert_int_equal(ringo_queue_task_done(q), 0);
	assert_int_equal(ringo_queue_task_done(q), 0);
	harness_log(&log_, "done");
	assert_int_equal(finish(&j), 0);
	assert_int_equal(ringo_queue_shutdown(q, false), 0); /* again: fine */
	ringo_queue_destroy(q);
	return 0;
}

static void test_graceful_shutdown_drains(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(graceful, NULL), 0);
	assert_string_equal(log_.buf, "shutdown p3:ESHUTDOWN done join:ok");
}

/* Blocked getters, in either mode, are woken with -ESHUTDOWN in order. */
static intptr_t shutdown_getters(void *arg)
{
	bool immediate = (bool)(intptr_t)arg;
	ringo_queue *q = make(RINGO_QUEUE_PRIORITY, 0);
	struct actor g[2] = { { .q = q, .name = "g1" }, { .q = q, .name = "g2" } };
	start(&g[0], do_get);
	start(&g[1], do_get);
	assert_int_equal(ringo_queue_shutdown(q, immediate), 0);
	harness_log(&log_, "shutdown");
	assert_int_equal(finish(&g[0]), -ESHUTDOWN);
	assert_int_equal(finish(&g[1]), -ESHUTDOWN);
	ringo_queue_destroy(q);
	return 0;
}

static void test_shutdown_wakes_getters(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(shutdown_getters, (void *)(intptr_t)false), 0);
	assert_string_equal(log_.buf, "shutdown g1:ESHUTDOWN g2:ESHUTDOWN");
	reset_log();
	assert_int_equal(harness_run(shutdown_getters, (void *)(intptr_t)true), 0);
	assert_string_equal(log_.buf, "shutdown g1:ESHUTDOWN g2:ESHUTDOWN");
}

static intptr_t immediate(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_LIFO, 3);
	for (intptr_t i = 1; i <= 3; i++)
		assert_int_equal(ringo_queue_put(q, i), 0);
	intptr_t item = -1;
	assert_int_equal(ringo_queue_get(q, &item), 0); /* taken, not done */
	assert_int_equal(item, 3);
	assert_int_equal(ringo_queue_put(q, 4), 0);
	struct actor p[2] = {
		{ .q = q, .name = "p5", .item = 5 },
		{ .q = q, .name = "p6", .item = 6 },
	};
	struct actor j = { .q = q, .name = "join" };
	start(&p[0], do_put);
	start(&j, do_join);
	start(&p[1], do_put);
	assert_int_equal(ringo_queue_shutdown(q, true), 0);
	harness_log(&log_, "shutdown");
	assert_true(ringo_queue_empty(q));
	assert_int_equal(ringo_queue_get(q, &item), -ESHUTDOWN);
	assert_int_equal(ringo_queue_get_nowait(q, &item), -ESHUTDOWN);
	assert_int_equal(ringo_queue_put_nowait(q, 7), -ESHUTDOWN);
	assert_int_equal(finish(&p[0]), -ESHUTDOWN);
	assert_int_equal(finish(&p[1]), -ESHUTDOWN);
	/* 1, 2, 4 dropped count as done; 3 was taken and is not done yet. */
	assert_false(ringo_task_done(j.task));
	assert_int_equal(ringo_queue_task_done(q), 0);
	harness_log(&log_, "done3");
	assert_int_equal(finish(&j), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	ringo_queue_destroy(q);
	return 0;
}

static void test_immediate_shutdown(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(immediate, NULL), 0);
	assert_string_equal(log_.buf, "shutdown p5:ESHUTDOWN p6:ESHUTDOWN done3 join:ok");
}

/* Immediate shutdown releases join when every unfinished item is dropped,
 * and may follow a graceful one. */
static intptr_t immediate_releases_join(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	assert_int_equal(ringo_queue_put(q, 1), 0);
	assert_int_equal(ringo_queue_put(q, 2), 0);
	struct actor j = { .q = q, .name = "join" };
	start(&j, do_join);
	assert_int_equal(ringo_queue_shutdown(q, false), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_false(ringo_task_done(j.task));
	assert_int_equal(ringo_queue_qsize(q), 2);
	assert_int_equal(ringo_queue_shutdown(q, true), 0);
	harness_log(&log_, "immediate");
	assert_int_equal(ringo_queue_qsize(q), 0);
	assert_int_equal(finish(&j), 0);
	assert_int_equal(ringo_queue_task_done(q), -EOVERFLOW);
	ringo_queue_destroy(q);
	return 0;
}

static void test_immediate_shutdown_releases_join(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(immediate_releases_join, NULL), 0);
	assert_string_equal(log_.buf, "immediate join:ok");
}

/* A shutdown after the wake-up: the woken getter keeps its item. */
static intptr_t shutdown_after_handoff(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	struct actor g = { .q = q, .name = "g" };
	start(&g, do_get);
	assert_int_equal(ringo_queue_put(q, 9), 0);
	assert_int_equal(ringo_queue_shutdown(q, true), 0);
	assert_int_equal(finish(&g), 9);
	ringo_queue_destroy(q);
	return 0;
}

static void test_shutdown_after_handoff(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(shutdown_after_handoff, NULL), 0);
	assert_string_equal(log_.buf, "g:9");
}

/* ---- iteration ---- */

static intptr_t iter_producer(void *arg)
{
	ringo_queue *q = arg;
	for (intptr_t i = 1; i <= 3; i++) {
		assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
		assert_int_equal(ringo_queue_put(q, i), 0);
		harness_log(&log_, "put%ld", (long)i);
	}
	/* Two more at once, then the end: the consumer still gets them. */
	assert_int_equal(ringo_queue_put(q, 4), 0);
	assert_int_equal(ringo_queue_put(q, 5), 0);
	assert_int_equal(ringo_queue_shutdown(q, false), 0);
	harness_log(&log_, "shutdown");
	return 0;
}

static intptr_t iterate(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(iter_producer, q, NULL, &t), 0);
	ringo_aiter *it = ringo_queue_aiter(q);
	assert_non_null(it);
	assert_null(it->aclose);
	intptr_t item;
	int r;
	while ((r = it->anext(it, &item)) == 1)
		harness_log(&log_, "item%ld", (long)item);
	harness_log(&log_, "end:%d", r);
	assert_int_equal(it->anext(it, &item), 0); /* stays ended */
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	ringo_queue_destroy(q);
	return 0;
}

static void test_iteration_until_shutdown(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(iterate, NULL), 0);
	/* After handing 3 over the producer runs on to its end: the consumer
	 * then drains 4 and 5 from the shut-down queue before the end. */
	assert_string_equal(log_.buf, "put1 item1 put2 item2 put3 shutdown item3 "
				      "item4 item5 end:0");
}

static intptr_t iterate_cancelled(void *arg)
{
	ringo_queue *q = arg;
	ringo_aiter *it = ringo_queue_aiter(q);
	intptr_t item;
	int r;
	while ((r = it->anext(it, &item)) == 1)
		harness_log(&log_, "item%ld", (long)item);
	harness_log(&log_, "end:%s", ename(r));
	return r;
}

static intptr_t iteration_cancel(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(iterate_cancelled, q, NULL, &t), 0);
	assert_int_equal(ringo_queue_put(q, 1), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_int_equal(ringo_queue_put(q, 2), 0);
	assert_int_equal(get_now(q), 2); /* the cancelled iteration took nothing */
	ringo_task_unref(t);
	ringo_queue_destroy(q);
	return 0;
}

static void test_iteration_cancelled(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(iteration_cancel, NULL), 0);
	assert_string_equal(log_.buf, "item1 end:ECANCELED");
}

/* ---- destroy ---- */

static intptr_t destroy_with_waiters(void *arg)
{
	(void)arg;
	ringo_queue *q = make(RINGO_QUEUE_FIFO, 0);
	struct actor g = { .q = q, .name = "g" };
	start(&g, do_get);
	ringo_queue_destroy(q);
	assert_int_equal(finish(&g), -ESHUTDOWN);
	return 0;
}

static void test_destroy_wakes_waiters(void **state)
{
	(void)state;
	reset_log();
	assert_int_equal(harness_run(destroy_with_waiters, NULL), 0);
	assert_string_equal(log_.buf, "g:ESHUTDOWN");
}

/* A queue that outlives a loop, with items in it, is freed with them. */
static void test_destroy_with_items(void **state)
{
	(void)state;
	ringo_queue *q = make(RINGO_QUEUE_PRIORITY, 0);
	for (intptr_t i = 0; i < 50; i++)
		assert_int_equal(ringo_queue_put_nowait(q, i), 0);
	ringo_queue_destroy(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_outside_a_task),
		cmocka_unit_test(test_fifo_and_lifo_order),
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_many_items),
		cmocka_unit_test(test_priority_ties_are_fifo),
		cmocka_unit_test(test_maxsize_and_nowait_errors),
		cmocka_unit_test(test_blocked_getters_fifo_no_barging),
		cmocka_unit_test(test_blocked_putters_fifo_no_barging),
		cmocka_unit_test(test_lifo_blocked_putters),
		cmocka_unit_test(test_priority_blocked_putters),
		cmocka_unit_test(test_producer_consumer),
		cmocka_unit_test(test_cancelled_get_consumes_nothing),
		cmocka_unit_test(test_cancelled_put_enqueues_nothing),
		cmocka_unit_test(test_cancel_after_get_handoff_keeps_item),
		cmocka_unit_test(test_cancel_after_put_handoff_keeps_item),
		cmocka_unit_test(test_pending_cancellation),
		cmocka_unit_test(test_task_done_and_join),
		cmocka_unit_test(test_graceful_shutdown_drains),
		cmocka_unit_test(test_shutdown_wakes_getters),
		cmocka_unit_test(test_immediate_shutdown),
		cmocka_unit_test(test_immediate_shutdown_releases_join),
		cmocka_unit_test(test_shutdown_after_handoff),
		cmocka_unit_test(test_iteration_until_shutdown),
		cmocka_unit_test(test_iteration_cancelled),
		cmocka_unit_test(test_destroy_wakes_waiters),
		cmocka_unit_test(test_destroy_with_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

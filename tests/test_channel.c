/* SPDX-License-Identifier: MIT */
/* Channels between loops: ping-pong in order; many senders and receivers
 * on 3 loops, every item received exactly once and in per-sender order;
 * close with blocked senders and receivers on 3 loops (all woken with
 * -EPIPE, buffered items still received); a cancelled receiver takes
 * nothing; try_send/try_recv from a plain thread; plain threads x loops
 * through blocking sends and receives both ways (exactly once, per-sender
 * order), their deadlines, and close waking a blocked plain thread. */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringo.h>

static ringo_channel *ch1, *ch2;

/* ---- ping-pong ---- */

#define ROUNDS 10000

static intptr_t ping_pong(void *arg)
{
	(void)arg;
	intptr_t v;
	if (ringo_loop_index() == 0) {
		for (intptr_t i = 0; i < ROUNDS; i++) {
			assert_int_equal(ringo_channel_send(ch1, i), 0);
			assert_int_equal(ringo_channel_recv(ch2, &v), 0);
			if (v != i + 1)
				return -1;
		}
		ringo_channel_close(ch1);
		return 0;
	}
	intptr_t n = 0;
	int r;
	while ((r = ringo_channel_recv(ch1, &v)) == 0) {
		assert_int_equal(ringo_channel_send(ch2, v + 1), 0);
		n++;
	}
	return r == -EPIPE ? n : r;
}

static void test_ping_pong(void **state)
{
	(void)state;
	assert_int_equal(ringo_channel_create(1, &ch1), 0);
	assert_int_equal(ringo_channel_create(1, &ch2), 0);
	intptr_t results[2];
	assert_int_equal(ringo_run_threads(2, ping_pong, NULL, NULL, results), 0);
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], ROUNDS);
	ringo_channel_unref(ch1);
	ringo_channel_unref(ch2);
}

/* ---- many to many ---- */

#define LOOPS 3
#define TASKS 2                 /* senders and receivers per loop */
#define PER_SENDER 3000
#define NSENDERS (LOOPS * TASKS)

static _Atomic unsigned char seen[NSENDERS][PER_SENDER];
static _Atomic unsigned disorder, senders_left;

static intptr_t sender(void *arg)
{
	intptr_t id = (intptr_t)arg;
	for (intptr_t i = 0; i < PER_SENDER; i++)
		if (ringo_channel_send(ch1, id << 32 | i) != 0)
			return -1;
	/* The last sender closes: the receivers drain and see -EPIPE. */
	if (atomic_fetch_sub(&senders_left, 1) == 1)
		ringo_channel_close(ch1);
	return 0;
}

static intptr_t receiver(void *arg)
{
	(void)arg;
	intptr_t last[NSENDERS];
	for (int i = 0; i < NSENDERS; i++)
		last[i] = -1;
	intptr_t v, n = 0;
	int r;
	while ((r = ringo_channel_recv(ch1, &v)) == 0) {
		intptr_t id = v >> 32, seq = v & 0xffffffff;
		if (seq <= last[id])
			atomic_fetch_add(&disorder, 1);
		last[id] = seq;
		atomic_fetch_add(&seen[id][seq], 1);
		n++;
	}
	return r == -EPIPE ? n : r;
}

static intptr_t many_main(void *arg)
{
	(void)arg;
	ringo_task *t[2 * TASKS];
	for (intptr_t i = 0; i < TASKS; i++) {
		ringo_task_create(sender, (void *)(ringo_loop_index() * TASKS + i), NULL, &t[i]);
		ringo_task_create(receiver, NULL, NULL, &t[TASKS + i]);
	}
	intptr_t results[2 * TASKS], received = 0;
	assert_int_equal(ringo_gather(t, 2 * TASKS, results, 0), 0);
	for (int i = 0; i < 2 * TASKS; i++) {
		if (i < TASKS)
			assert_int_equal(results[i], 0);
		else
			received += results[i];
		ringo_task_unref(t[i]);
	}
	return received;
}

static void test_many_to_many(void **state)
{
	(void)state;
	memset(seen, 0, sizeof(seen));
	atomic_store(&senders_left, NSENDERS);
	assert_int_equal(ringo_channel_create(4, &ch1), 0);
	intptr_t results[LOOPS];
	assert_int_equal(ringo_run_threads(LOOPS, many_main, NULL, NULL, results), 0);
	intptr_t total = 0;
	for (int i = 0; i < LOOPS; i++)
		total += results[i];
	assert_int_equal(total, NSENDERS * PER_SENDER);
	for (int s = 0; s < NSENDERS; s++)
		for (int i = 0; i < PER_SENDER; i++)
			assert_int_equal(seen[s][i], 1);
	assert_int_equal(disorder, 0);
	ringo_channel_unref(ch1);
}

/* ---- close with blocked senders and receivers on 3 loops ---- */

static _Atomic unsigned blocked;

static intptr_t blocked_send(void *arg)
{
	(void)arg;
	atomic_fetch_add(&blocked, 1);
	return ringo_channel_send(ch1, 99);  /* ch1 is full */
}

static intptr_t blocked_recv(void *arg)
{
	(void)arg;
	atomic_fetch_add(&blocked, 1);
	intptr_t v;
	return ringo_channel_recv(ch2, &v);  /* ch2 is empty */
}

static intptr_t close_main(void *arg)
{
	(void)arg;
	ringo_task *s, *r;
	ringo_task_create(blocked_send, NULL, NULL, &s);
	ringo_task_create(blocked_recv, NULL, NULL, &r);
	if (ringo_loop_index() == 0) {
		while (atomic_load(&blocked) < 2 * LOOPS)
			ringo_sleep(RINGO_MSEC(1));
		ringo_sleep(RINGO_MSEC(10));  /* all of them in the lists */
		assert_int_equal(ringo_channel_len(ch1), 1);
		assert_int_equal(ringo_channel_close(ch1), 0);
		assert_int_equal(ringo_channel_close(ch2), 0);
		assert_int_equal(ringo_channel_close(ch2), 0);
		assert_true(ringo_channel_closed(ch2));
	}
	intptr_t rs = ringo_task_await(s), rr = ringo_task_await(r);
	ringo_task_unref(s);
	ringo_task_unref(r);
	return rs == -EPIPE && rr == -EPIPE ? 0 : -1;
}

static void test_close_wakes_everyone(void **state)
{
	(void)state;
	atomic_store(&blocked, 0);
	assert_int_equal(ringo_channel_create(1, &ch1), 0);
	assert_int_equal(ringo_channel_create(1, &ch2), 0);
	assert_int_equal(ringo_channel_try_send(ch1, 1), 0);
	intptr_t results[LOOPS];
	assert_int_equal(ringo_run_threads(LOOPS, close_main, NULL, NULL, results), 0);
	for (int i = 0; i < LOOPS; i++)
		assert_int_equal(results[i], 0);
	/* What was buffered before close is still there, then -EPIPE. */
	intptr_t v;
	assert_int_equal(ringo_channel_try_recv(ch1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ringo_channel_try_recv(ch1, &v), -EPIPE);
	assert_int_equal(ringo_channel_try_send(ch1, 2), -EPIPE);
	ringo_channel_unref(ch1);
	ringo_channel_unref(ch2);
}

/* ---- a cancelled receiver takes nothing; a plain thread ---- */

static intptr_t recv_one(void *arg)
{
	intptr_t v = -1;
	int r = ringo_channel_recv(arg, &v);
	return r < 0 ? r : v;
}

static void *plain_sender(void *arg)
{
	ringo_channel *ch = arg;
	while (ringo_channel_try_send(ch, 5) == -EAGAIN)
		usleep(1000);
	return NULL;
}

static intptr_t cancel_main(void *arg)
{
	(void)arg;
	ringo_channel *ch;
	assert_int_equal(ringo_channel_create(1, &ch), 0);
	ringo_task *a, *b;
	ringo_task_create(recv_one, ch, NULL, &a);
	ringo_task_create(recv_one, ch, NULL, &b);
	ringo_sleep(RINGO_MSEC(1));
	ringo_task_cancel(a);
	assert_int_equal(ringo_task_await(a), -ECANCELED);
	/* The item goes to b, the receiver still waiting. */
	pthread_t th;
	pthread_create(&th, NULL, plain_sender, ch);
	assert_int_equal(ringo_task_await(b), 5);
	pthread_join(th, NULL);
	ringo_task_unref(a);
	ringo_task_unref(b);
	intptr_t v;
	assert_int_equal(ringo_channel_try_recv(ch, &v), -EAGAIN);
	assert_int_equal(ringo_channel_try_send(ch, 6), 0);
	assert_int_equal(ringo_channel_try_send(ch, 7), -EAGAIN);
	assert_int_equal(ringo_channel_recv(ch, &v), 0);
	assert_int_equal(v, 6);
	ringo_channel_unref(ch);
	return 0;
}

static void test_cancel_and_plain_thread(void **state)
{
	(void)state;
	assert_int_equal(harness_run(cancel_main, NULL), 0);
	ringo_channel *ch;
	assert_int_equal(ringo_channel_create(0, &ch), -EINVAL);
	assert_int_equal(ringo_channel_create(1, NULL), -EINVAL);
	assert_int_equal(ringo_channel_create(1, &ch), 0);
	assert_int_equal(ringo_channel_send(NULL, 1), -EINVAL);
	ringo_channel_unref(ch);
}

/* ---- plain threads and loops ---- */

#define PLAIN 4
#define PLAIN_LOOPS 2
#define PER_PLAIN 10000

struct plain_flow {
	ringo_channel *ch;
	_Atomic unsigned char seen[PLAIN > PLAIN_LOOPS ? PLAIN : PLAIN_LOOPS][PER_PLAIN];
	_Atomic int errors;
	_Atomic unsigned senders_left;
};
static struct plain_flow flow;

static intptr_t item_of(unsigned sender, unsigned seq)
{
	return (intptr_t)sender << 20 | seq;
}

/* A receiver's check: each item once, each sender's in order. */
static void take(intptr_t v, int *last)
{
	unsigned sender = (unsigned)(v >> 20), seq = (unsigned)(v & 0xfffff);
	if (sender >= PLAIN || seq >= PER_PLAIN || (int)seq <= last[sender]) {
		flow.errors++;
		return;
	}
	last[sender] = (int)seq;
	flow.seen[sender][seq]++;
}

static void *plain_send(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (unsigned i = 0; i < PER_PLAIN; i++)
		if (ringo_channel_send_wait(flow.ch, item_of(me, i), RINGO_NO_DEADLINE) != 0)
			flow.errors++;
	if (--flow.senders_left == 0)
		ringo_channel_close(flow.ch);
	return NULL;
}

static intptr_t loop_recv(void *arg)
{
	(void)arg;
	int last[PLAIN];
	memset(last, -1, sizeof(last));
	intptr_t v, n = 0;
	int r;
	while ((r = ringo_channel_recv(flow.ch, &v)) == 0) {
		take(v, last);
		n++;
	}
	return r == -EPIPE ? n : r;
}

static void check_all_seen(unsigned senders)
{
	assert_int_equal(flow.errors, 0);
	for (unsigned s = 0; s < senders; s++)
		for (unsigned i = 0; i < PER_PLAIN; i++)
			assert_int_equal(flow.seen[s][i], 1);
}

/* 4 plain threads send 10,000 each through a channel of 8 to 2 loops. */
static void test_plain_to_loops(void **state)
{
	(void)state;
	memset(&flow, 0, sizeof(flow));
	assert_int_equal(ringo_channel_create(8, &flow.ch), 0);
	flow.senders_left = PLAIN;
	pthread_t th[PLAIN];
	for (unsigned i = 0; i < PLAIN; i++)
		assert_int_equal(pthread_create(&th[i], NULL, plain_send, (void *)(uintptr_t)i), 0);
	intptr_t results[PLAIN_LOOPS];
	assert_int_equal(ringo_run_threads(PLAIN_LOOPS, loop_recv, NULL, NULL, results), 0);
	for (unsigned i = 0; i < PLAIN; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(results[0] + results[1], PLAIN * PER_PLAIN);
	check_all_seen(PLAIN);
	ringo_channel_unref(flow.ch);
}

static intptr_t loop_send(void *arg)
{
	(void)arg;
	unsigned me = ringo_loop_index();
	for (unsigned i = 0; i < PER_PLAIN; i++)
		if (ringo_channel_send(flow.ch, item_of(me, i)) != 0)
			return -1;
	if (--flow.senders_left == 0)
		ringo_channel_close(flow.ch);
	return 0;
}

static void *plain_recv(void *arg)
{
	intptr_t *n = arg;
	int last[PLAIN];
	memset(last, -1, sizeof(last));
	intptr_t v;
	int r;
	while ((r = ringo_channel_recv_wait(flow.ch, &v,
					    ringo_deadline_in(RINGO_SEC(60)))) == 0) {
		take(v, last);
		(*n)++;
	}
	if (r != -EPIPE)
		flow.errors++;
	return NULL;
}

/* 2 loops send 10,000 each through a channel of 8 to 4 plain threads. */
static void test_loops_to_plain(void **state)
{
	(void)state;
	memset(&flow, 0, sizeof(flow));
	assert_int_equal(ringo_channel_create(8, &flow.ch), 0);
	flow.senders_left = PLAIN_LOOPS;
	pthread_t th[PLAIN];
	intptr_t got[PLAIN] = { 0 };
	for (unsigned i = 0; i < PLAIN; i++)
		assert_int_equal(pthread_create(&th[i], NULL, plain_recv, &got[i]), 0);
	intptr_t results[PLAIN_LOOPS];
	assert_int_equal(ringo_run_threads(PLAIN_LOOPS, loop_send, NULL, NULL, results), 0);
	intptr_t total = 0;
	for (unsigned i = 0; i < PLAIN; i++) {
		pthread_join(th[i], NULL);
		total += got[i];
	}
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], 0);
	assert_int_equal(total, PLAIN_LOOPS * PER_PLAIN);
	check_all_seen(PLAIN_LOOPS);
	ringo_channel_unref(flow.ch);
}

static void *close_later(void *arg)
{
	usleep(50000);
	ringo_channel_close(arg);
	return NULL;
}

static intptr_t wait_calls_in_a_loop(void *arg)
{
	intptr_t v;
	if (ringo_channel_send_wait(arg, 1, RINGO_NO_DEADLINE) != -EPERM ||
	    ringo_channel_recv_wait(arg, &v, RINGO_NO_DEADLINE) != -EPERM)
		return -1;
	return 0;
}

/* Deadlines, close waking a blocked plain thread, -EPERM in a loop. */
static void test_plain_blocking(void **state)
{
	(void)state;
	ringo_channel *ch;
	assert_int_equal(ringo_channel_create(1, &ch), 0);
	intptr_t v;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_channel_recv_wait(ch, &v, ringo_deadline_in(RINGO_MSEC(30))),
			 -ETIMEDOUT);
	assert_true(ringo_time() - t0 >= RINGO_MSEC(30));
	/* ringo_channel_send/recv on a plain thread block the same way. */
	assert_int_equal(ringo_channel_send(ch, 1), 0);
	assert_int_equal(ringo_channel_send_wait(ch, 2, ringo_deadline_in(RINGO_MSEC(10))),
			 -ETIMEDOUT);
	assert_int_equal(ringo_channel_recv(ch, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ringo_channel_try_recv(ch, &v), -EAGAIN);  /* 2 was not sent */
	assert_int_equal(harness_run(wait_calls_in_a_loop, ch), 0);
	/* Close wakes a blocked receiver with -EPIPE. */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, close_later, ch), 0);
	assert_int_equal(ringo_channel_recv_wait(ch, &v, ringo_deadline_in(RINGO_SEC(30))), -EPIPE);
	pthread_join(th, NULL);
	assert_int_equal(ringo_channel_send_wait(ch, 3, RINGO_NO_DEADLINE), -EPIPE);
	assert_int_equal(ringo_channel_send_wait(NULL, 3, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_channel_recv_wait(ch, NULL, RINGO_NO_DEADLINE), -EINVAL);
	ringo_channel_unref(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_many_to_many),
		cmocka_unit_test(test_close_wakes_everyone),
		cmocka_unit_test(test_cancel_and_plain_thread),
		cmocka_unit_test(test_plain_to_loops),
		cmocka_unit_test(test_loops_to_plain),
		cmocka_unit_test(test_plain_blocking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

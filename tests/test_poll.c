/* SPDX-License-Identifier: MIT */
/* Busy-poll (ringo_run_opts.poll_us, RINGO_POLL_US): two polling loops
 * exchange messages (a channel ping-pong, and call_soon_threadsafe floods
 * from the other loop and from plain threads), each arriving exactly once
 * and in per-sender order; a polling loop still wakes for timers, backs off
 * when its spins find nothing, and ends cleanly; RINGO_POLL_US turns it on,
 * and without either nothing spins. Each case runs on the default ring and
 * on a plain ring; the suite runs again with the eventfd mailbox. */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <ringo.h>

static unsigned ring_flags;

static struct ringo_loop_stats stats_of(void)
{
	struct ringo_loop_stats st;
	assert_int_equal(ringo_loop_stats(&st), 0);
	return st;
}

static uint64_t spins(const struct ringo_loop_stats *st)
{
	return st->poll_hits + st->poll_misses;
}

/* ---- two polling loops ---- */

#define ROUNDS 5000
#define THREADS 4
#define PER_THREAD 5000

static ringo_channel *ping, *pong;

/* Loop 1's record of the call_soon_threadsafe messages: loop 0 is sender
 * THREADS, the plain threads 0..THREADS-1. Touched on loop 1 only. */
struct tally {
	unsigned next[THREADS + 1];
	unsigned received, disorder;
	ringo_event *all_in;
};
static struct tally tally;
static uint64_t loop_spins[2];

struct msg {
	unsigned sender, seq;
};

static void count(void *arg)
{
	struct msg *m = arg;
	if (m->seq != tally.next[m->sender])
		tally.disorder++;
	tally.next[m->sender] = m->seq + 1;
	if (++tally.received == (THREADS + 1) * PER_THREAD)
		ringo_event_set(tally.all_in);
	free(m);
}

static void send_all(ringo_loop *to, unsigned sender)
{
	for (unsigned i = 0; i < PER_THREAD; i++) {
		struct msg *m = malloc(sizeof(*m));
		assert_non_null(m);
		*m = (struct msg){ sender, i };
		assert_int_equal(ringo_call_soon_threadsafe(to, count, m), 0);
	}
}

static ringo_loop *target;  /* loop 1's handle, referenced for the threads */
static unsigned thread_ids[THREADS];

static void *plain_sender(void *arg)
{
	send_all(target, *(unsigned *)arg);
	return NULL;
}

static intptr_t two_loops(void *arg)
{
	(void)arg;
	intptr_t v;
	if (ringo_loop_index() == 1) {
		assert_int_equal(ringo_event_create(&tally.all_in), 0);
		target = ringo_loop_ref(ringo_loop_current());
		pthread_t threads[THREADS];
		for (unsigned i = 0; i < THREADS; i++) {
			thread_ids[i] = i;
			assert_int_equal(pthread_create(&threads[i], NULL, plain_sender,
							&thread_ids[i]), 0);
		}
		/* Echo the pings until loop 0 closes the channel. */
		intptr_t n = 0;
		int ret;
		while ((ret = ringo_channel_recv(ping, &v)) == 0) {
			assert_int_equal(ringo_channel_send(pong, v * 2), 0);
			n++;
		}
		assert_int_equal(ret, -EPIPE);
		assert_int_equal(ringo_event_wait(tally.all_in), 1);
		ringo_event_destroy(tally.all_in);
		/* Every message is in: the threads have sent their last. */
		for (unsigned i = 0; i < THREADS; i++)
			pthread_join(threads[i], NULL);
		ringo_loop_unref(target);
		struct ringo_loop_stats st = stats_of();
		loop_spins[1] = spins(&st);
		return n;
	}
	for (intptr_t i = 0; i < ROUNDS; i++) {
		assert_int_equal(ringo_channel_send(ping, i), 0);
		assert_int_equal(ringo_channel_recv(pong, &v), 0);
		if (v != i * 2)
			return -1;
	}
	ringo_channel_close(ping);
	/* Then a flood to loop 1 from here, beside the plain threads'. */
	send_all(ringo_loop_at(1), THREADS);
	struct ringo_loop_stats st = stats_of();
	loop_spins[0] = spins(&st);
	return 0;
}

static void run_two(const ringo_run_opts *opts)
{
	memset(&tally, 0, sizeof(tally));
	loop_spins[0] = loop_spins[1] = 0;
	assert_int_equal(ringo_channel_create(1, &ping), 0);
	assert_int_equal(ringo_channel_create(1, &pong), 0);
	intptr_t results[2];
	assert_int_equal(ringo_run_threads(2, two_loops, NULL, opts, results), 0);
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], ROUNDS);
	assert_int_equal(tally.disorder, 0);
	assert_int_equal(tally.received, (THREADS + 1) * PER_THREAD);
	for (unsigned i = 0; i <= THREADS; i++)
		assert_int_equal(tally.next[i], PER_THREAD);
	ringo_channel_unref(ping);
	ringo_channel_unref(pong);
}

static void test_two_polling_loops(void **state)
{
	(void)state;
	ringo_run_opts opts = { .flags = ring_flags, .poll_us = 200 };
	run_two(&opts);
	/* Both loops spun before they blocked. */
	assert_true(loop_spins[0] > 0);
	assert_true(loop_spins[1] > 0);
}

/* Pinned to the CPUs, as a loop that owns a core runs. */
static void test_two_polling_loops_pinned(void **state)
{
	(void)state;
	ringo_run_opts opts = { .flags = ring_flags | RINGO_RUN_PIN_CPUS, .poll_us = 50 };
	run_two(&opts);
	assert_true(loop_spins[0] > 0);
	assert_true(loop_spins[1] > 0);
}

/* The same exchange without polling: nothing spins. */
static void test_off_by_default(void **state)
{
	(void)state;
	ringo_run_opts opts = { .flags = ring_flags };
	run_two(&opts);
	assert_int_equal(loop_spins[0], 0);
	assert_int_equal(loop_spins[1], 0);
}

/* ---- one polling loop: timers, backoff, the end ---- */

#define SLEEPS 50

struct timers {
	int sleeps_ok;
	int64_t short_ns;            /* the shortest sleep, measured */
	struct ringo_loop_stats st;
	intptr_t child;
};

static intptr_t child_sleeps(void *arg)
{
	(void)arg;
	int ret = ringo_sleep(RINGO_MSEC(2));
	return ret == 0 ? 7 : ret;
}

static intptr_t timers_main(void *arg)
{
	struct timers *t = arg;
	t->short_ns = INT64_MAX;
	/* Nothing but a timer in flight: the spin finds nothing for 10 us,
	 * the loop blocks, and the timeout's CQE wakes it. */
	for (int i = 0; i < SLEEPS; i++) {
		int64_t t0 = ringo_time();
		if (ringo_sleep(RINGO_MSEC(1)) == 0)
			t->sleeps_ok++;
		int64_t d = ringo_time() - t0;
		if (d < t->short_ns)
			t->short_ns = d;
	}
	/* A task that sleeps, awaited. */
	ringo_task *c;
	assert_int_equal(ringo_task_create(child_sleeps, NULL, NULL, &c), 0);
	t->child = ringo_task_await(c);
	ringo_task_unref(c);
	/* Left running when main returns: cancelled at the end, as always. */
	assert_int_equal(ringo_task_create(child_sleeps, NULL, NULL, NULL), 0);
	assert_int_equal(ringo_loop_stats(&t->st), 0);
	return 0;
}

static void test_timers_backoff_and_end(void **state)
{
	(void)state;
	struct timers t;
	memset(&t, 0, sizeof(t));
	ringo_run_opts opts = { .flags = ring_flags, .poll_us = 10 };
	intptr_t result = -1;
	assert_int_equal(ringo_run_with(timers_main, &t, &result, &opts), 0);
	assert_int_equal(result, 0);
	assert_int_equal(t.sleeps_ok, SLEEPS);
	assert_true(t.short_ns >= RINGO_MSEC(1));
	assert_int_equal(t.child, 7);
	/* It spun, and gave up spinning after runs of empty spins: fewer
	 * spins than waits. (A spin sees work only if the thread lost its
	 * CPU for a millisecond in it.) */
	assert_true(spins(&t.st) > 0);
	assert_true(t.st.poll_misses > 0);
	assert_true(spins(&t.st) < SLEEPS);
	assert_true(t.st.poll_ns > 0);
	assert_true(t.st.poll_ns <= t.st.wait_ns);
}

/* RINGO_POLL_US turns it on where the options leave it at 0. */
static void test_env(void **state)
{
	(void)state;
	struct timers t;
	memset(&t, 0, sizeof(t));
	ringo_run_opts opts = { .flags = ring_flags };
	assert_int_equal(setenv("RINGO_POLL_US", "20", 1), 0);
	intptr_t result = -1;
	int ret = ringo_run_with(timers_main, &t, &result, &opts);
	unsetenv("RINGO_POLL_US");
	assert_int_equal(ret, 0);
	assert_int_equal(t.sleeps_ok, SLEEPS);
	assert_true(spins(&t.st) > 0);
	/* Off again without it. */
	memset(&t, 0, sizeof(t));
	assert_int_equal(ringo_run_with(timers_main, &t, &result, &opts), 0);
	assert_int_equal(spins(&t.st), 0);
	assert_int_equal(t.st.poll_ns, 0);
}

static int plain_ring(void **state)
{
	(void)state;
	ring_flags = RINGO_RUN_PLAIN_RING;
	return 0;
}

static int default_ring(void **state)
{
	(void)state;
	ring_flags = 0;
	return 0;
}

#define BOTH(t) cmocka_unit_test_setup(t, default_ring), cmocka_unit_test_setup(t, plain_ring)

int main(void)
{
	unsetenv("RINGO_POLL_US");
	const struct CMUnitTest tests[] = {
		BOTH(test_two_polling_loops),
		BOTH(test_two_polling_loops_pinned),
		BOTH(test_off_by_default),
		BOTH(test_timers_backoff_and_end),
		BOTH(test_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

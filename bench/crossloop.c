/* SPDX-License-Identifier: MIT */
/* Cross-loop round trips on two loops (ringo_run_threads(2)): a task on
 * loop 0 runs a task on loop 1 and awaits it (ringo_run_coroutine_threadsafe
 * + ringo_xfuture_await), and a ping-pong over two channels of capacity 1.
 * Every hop is a MSG_RING CQE in the other loop's ring. Prints round trips
 * and messages (two a round trip) per second and microseconds per round
 * trip, best of 3 runs, three ways: loops unpinned, pinned to CPUs 0 and 1
 * (RINGO_RUN_PIN_CPUS), and pinned with busy-poll (ringo_run_opts.poll_us:
 * RINGO_POLL_US, else 50). Beside them,
 * when installed (bench/peers.sh): Go's twin, two goroutines and unbuffered
 * channels with GOMAXPROCS=2 (bench/go/core crossloop; again with each
 * goroutine locked to an OS thread of its own), and tokio's, two
 * tasks on the multi-thread runtime with 2 workers and mpsc channels of
 * capacity 1 (bench/tokio crossloop). */
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>

#include <ringo.h>

#include "bench.h"

#define ROUNDS 50000

static ringo_channel *ping, *pong;
static int64_t best_channel_ns;
static ringo_event *stop;

static intptr_t echo_value(void *arg)
{
	return (intptr_t)arg;
}

static void stop_cb(void *arg)
{
	(void)arg;
	ringo_event_set(stop);
}

static intptr_t xfuture_main(void *arg)
{
	int64_t *ns = arg;
	if (ringo_loop_index() == 1) {
		ringo_event_create(&stop);
		ringo_event_wait(stop);
		ringo_event_destroy(stop);
		return 0;
	}
	int64_t t0 = bench_now();
	for (intptr_t i = 0; i < ROUNDS; i++) {
		ringo_xfuture *xf;
		if (ringo_run_coroutine_threadsafe(ringo_loop_at(1), echo_value, (void *)i, &xf) < 0)
			return -1;
		intptr_t r = ringo_xfuture_await(xf);
		ringo_xfuture_unref(xf);
		if (r != i)
			return -1;
	}
	*ns = bench_now() - t0;
	ringo_call_soon_threadsafe(ringo_loop_at(1), stop_cb, NULL);
	return 0;
}

/* Where loop 0's time goes in the channel ping-pong (the best run's):
 * io_uring_enter calls, time blocked in them, and the thread's voluntary
 * context switches, per round trip. */
static struct ringo_loop_stats st0, st1;
static struct rusage ru0, ru1;

static intptr_t channel_main(void *arg)
{
	int64_t *ns = arg;
	intptr_t v;
	if (ringo_loop_index() == 1) {
		while (ringo_channel_recv(ping, &v) == 0)
			ringo_channel_send(pong, v);
		return 0;
	}
	struct ringo_loop_stats a, b;
	struct rusage ra, rb;
	ringo_loop_stats(&a);
	getrusage(RUSAGE_THREAD, &ra);
	int64_t t0 = bench_now();
	for (intptr_t i = 0; i < ROUNDS; i++) {
		ringo_channel_send(ping, i);
		if (ringo_channel_recv(pong, &v) < 0 || v != i)
			return -1;
	}
	*ns = bench_now() - t0;
	ringo_loop_stats(&b);
	getrusage(RUSAGE_THREAD, &rb);
	if (st0.enters == 0 || *ns < best_channel_ns) {
		best_channel_ns = *ns;
		st0 = a, st1 = b, ru0 = ra, ru1 = rb;
	}
	ringo_channel_close(ping);
	return 0;
}

static double best(ringo_task_fn fn, const ringo_run_opts *opts)
{
	double best_ns = 0;
	for (int run = 0; run < 3; run++) {
		int64_t ns = 0;
		ringo_channel_create(1, &ping);
		ringo_channel_create(1, &pong);
		intptr_t results[2];
		if (ringo_run_threads(2, fn, &ns, opts, results) < 0 || results[0] < 0) {
			fprintf(stderr, "crossloop: run failed\n");
			exit(1);
		}
		ringo_channel_unref(ping);
		ringo_channel_unref(pong);
		if (run == 0 || ns < best_ns)
			best_ns = (double)ns;
	}
	return best_ns / ROUNDS;
}

/* One row: time per round trip, round trips and messages (two per round
 * trip) per second. */
static void row(const char *what, double ns)
{
	printf("  %-44s %8.2f us/round trip  %9.0f round trips/s  %9.0f msgs/s\n", what,
	       ns / 1e3, 1e9 / ns, 2e9 / ns);
}

/* Loop 0's side of the best channel run, per round trip. */
static void where(void)
{
	double spin = (double)(st1.poll_ns - st0.poll_ns) / ROUNDS / 1e3;
	printf("    loop 0 per round trip: %.2f io_uring_enter, %.2f us blocked in it",
	       (double)(st1.enters - st0.enters) / ROUNDS,
	       (double)(st1.wait_ns - st0.wait_ns) / ROUNDS / 1e3 - spin);
	if (st1.poll_hits + st1.poll_misses > st0.poll_hits + st0.poll_misses)
		printf(", %.2f us spinning (%.0f%% of spins saw work come)", spin,
		       100.0 * (double)(st1.poll_hits - st0.poll_hits) /
			       (double)(st1.poll_hits + st1.poll_misses - st0.poll_hits -
					st0.poll_misses));
	printf(", %.2f voluntary context switches\n", (double)(ru1.ru_nvcsw - ru0.ru_nvcsw) / ROUNDS);
	st0.enters = 0;  /* the next mode's best run */
}

int main(void)
{
	/* The poll rows' budget: RINGO_POLL_US, else 50 us; the other rows
	 * run without it. */
	const char *env = getenv("RINGO_POLL_US");
	unsigned poll_us = env && atoi(env) > 0 ? (unsigned)atoi(env) : 50;
	unsetenv("RINGO_POLL_US");
	printf("crossloop: %d round trips between 2 loops, best of 3 (measured while other "
	       "builds ran)\n", ROUNDS);
	double c = 0;
	ringo_run_opts pinned = { .flags = RINGO_RUN_PIN_CPUS };
	ringo_run_opts polled = { .flags = RINGO_RUN_PIN_CPUS, .poll_us = poll_us };
	struct {
		const char *name;
		const ringo_run_opts *opts;
	} modes[] = {
		{ "", NULL },
		{ ", pinned", &pinned },
		{ ", pinned, poll_us", &polled },
	};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		char name[64];
		if (modes[m].opts && modes[m].opts->poll_us)
			snprintf(name, sizeof(name), "%s=%u", modes[m].name, poll_us);
		else
			snprintf(name, sizeof(name), "%s", modes[m].name);
		char what[128];
		snprintf(what, sizeof(what), "run_coroutine_threadsafe + await%s:", name);
		row(what, best(xfuture_main, modes[m].opts));
		snprintf(what, sizeof(what), "channel ping-pong%s:", name);
		double ns = best(channel_main, modes[m].opts);
		row(what, ns);
		where();
		if (m == 0 || ns < c)
			c = ns;
	}
	/* Go's second figure: each goroutine locked to a thread of its own. */
	double go_locked, us[3];
	us[0] = bench_peer("go", "crossloop", &go_locked);
	us[1] = go_locked;
	us[2] = bench_peer("tokio", "crossloop", NULL);
	const char *what[] = { "Go channels, GOMAXPROCS=2:", "Go, each goroutine on its own thread:",
			       "tokio mpsc, multi-thread, 2 workers:" };
	for (int i = 0; i < 3; i++) {
		if (us[i] != us[i]) {
			printf("  %-44s not run\n", what[i]);
			continue;
		}
		row(what[i], us[i] * 1e3);
		printf("    ringo's best channel row takes %.2fx its time\n", c / 1e3 / us[i]);
	}
	return 0;
}

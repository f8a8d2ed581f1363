/* SPDX-License-Identifier: MIT */
/* The executor: results, FIFO order, a pool smaller than the work,
 * cancellation of running and queued jobs, and the loop's end waiting for
 * running jobs. Every case runs with completions posted by MSG_RING and by
 * the eventfd fallback, on the default ring and on a plain ring. */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringo.h>

struct mode {
	const char *name;
	unsigned flags;
	const char *executor; /* RINGO_EXECUTOR, or NULL */
};

static const struct mode modes[] = {
	{ "default ring, MSG_RING", 0, NULL },
	{ "plain ring, MSG_RING", RINGO_RUN_PLAIN_RING, NULL },
	{ "default ring, eventfd", 0, "eventfd" },
	{ "plain ring, eventfd", RINGO_RUN_PLAIN_RING, "eventfd" },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static intptr_t run(intptr_t (*fn)(void *), void *arg, const struct mode *m)
{
	if (m->executor)
		setenv("RINGO_EXECUTOR", m->executor, 1);
	else
		unsetenv("RINGO_EXECUTOR");
	ringo_run_opts opts = { .flags = m->flags };
	intptr_t result = INTPTR_MIN;
	assert_int_equal(ringo_run_with(fn, arg, &result, &opts), 0);
	unsetenv("RINGO_EXECUTOR");
	return result;
}

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* ---- results ---- */

static intptr_t answer(void *arg)
{
	(void)arg;
	return 42;
}

static intptr_t failing(void *arg)
{
	(void)arg;
	return -EIO;
}

static intptr_t whoami(void *arg)
{
	*(pthread_t *)arg = pthread_self();
	return (intptr_t)arg;
}

static intptr_t results_main(void *arg)
{
	(void)arg;
	intptr_t r = 0;
	assert_int_equal(ringo_run_in_executor(answer, NULL, &r), 0);
	assert_int_equal(r, 42);
	/* An error of the job is its result, not the call's. */
	assert_int_equal(ringo_run_in_executor(failing, NULL, &r), 0);
	assert_int_equal(r, -EIO);
	pthread_t th = pthread_self();
	assert_int_equal(ringo_run_in_executor(whoami, &th, &r), 0);
	assert_ptr_equal((void *)r, &th);
	assert_false(pthread_equal(th, pthread_self()));
	assert_int_equal(ringo_run_in_executor(answer, NULL, NULL), 0);
	assert_int_equal(ringo_run_in_executor(NULL, NULL, &r), -EINVAL);
	return 7;
}

static void test_results(void **state)
{
	(void)state;
	for (size_t i = 0; i < NMODES; i++)
		assert_int_equal(run(results_main, NULL, &modes[i]), 7);
}

static void cb_outside(void *arg)
{
	intptr_t r;
	*(int *)arg = ringo_run_in_executor(answer, NULL, &r);
}

static intptr_t callback_main(void *arg)
{
	assert_int_equal(ringo_call_soon(cb_outside, arg, NULL), 0);
	assert_int_equal(ringo_sleep(0), 0);
	return 0;
}

static void test_outside_a_task(void **state)
{
	(void)state;
	intptr_t r;
	assert_int_equal(ringo_run_in_executor(answer, NULL, &r), -EPERM);
	int in_callback = 0;
	assert_int_equal(run(callback_main, &in_callback, &modes[0]), 0);
	assert_int_equal(in_callback, -EPERM);
}

/* ---- FIFO order with one worker ---- */

#define NORDER 8

struct order {
	pthread_mutex_t mu;
	int log[NORDER];
	int n;
};

struct item {
	struct order *o;
	int i;
};

static intptr_t record(void *arg)
{
	struct item *it = arg;
	pthread_mutex_lock(&it->o->mu);
	it->o->log[it->o->n++] = it->i;
	pthread_mutex_unlock(&it->o->mu);
	return it->i * 10;
}

static intptr_t submit_record(void *arg)
{
	intptr_t r = -1;
	int ret = ringo_run_in_executor(record, arg, &r);
	return ret < 0 ? ret : r;
}

static intptr_t order_main(void *arg)
{
	struct order *o = arg;
	struct item items[NORDER];
	ringo_task *t[NORDER];
	intptr_t res[NORDER];
	assert_int_equal(ringo_executor_set_workers(1), 0);
	for (int i = 0; i < NORDER; i++) {
		items[i] = (struct item){ o, i };
		assert_int_equal(ringo_task_create(submit_record, &items[i], NULL, &t[i]), 0);
	}
	assert_int_equal(ringo_gather(t, NORDER, res, 0), 0);
	for (int i = 0; i < NORDER; i++) {
		assert_int_equal(res[i], i * 10);
		ringo_task_unref(t[i]);
	}
	return 0;
}

static void test_fifo_order(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++) {
		struct order o = { .n = 0 };
		pthread_mutex_init(&o.mu, NULL);
		assert_int_equal(run(order_main, &o, &modes[m]), 0);
		assert_int_equal(o.n, NORDER);
		for (int i = 0; i < NORDER; i++)
			assert_int_equal(o.log[i], i);
		pthread_mutex_destroy(&o.mu);
	}
}

/* ---- more jobs than workers ---- */

#define NBUSY 24

/* The first `want` jobs wait for each other (up to 5 s), so that if the
 * pool has `want` threads they are all seen busy at once however slowly
 * the threads get going; the others just take a moment. */
struct busy {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int active, max_active, ran, arrived, want;
};

static intptr_t busy_job(void *arg)
{
	struct busy *b = arg;
	pthread_mutex_lock(&b->mu);
	if (++b->active > b->max_active)
		b->max_active = b->active;
	if (++b->arrived <= b->want) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (b->active < b->want &&
		       pthread_cond_timedwait(&b->cond, &b->mu, &until) == 0)
			;
		pthread_cond_broadcast(&b->cond);
	}
	pthread_mutex_unlock(&b->mu);
	msleep(2);
	pthread_mutex_lock(&b->mu);
	b->active--;
	b->ran++;
	pthread_mutex_unlock(&b->mu);
	return 1;
}

static intptr_t submit_busy(void *arg)
{
	intptr_t r = -1;
	int ret = ringo_run_in_executor(busy_job, arg, &r);
	return ret < 0 ? ret : r;
}

/* Runs NBUSY jobs at once; returns the most that ran at the same time. */
static int busy_round(struct busy *b, int want)
{
	ringo_task *t[NBUSY];
	intptr_t res[NBUSY];
	b->max_active = 0;
	b->ran = 0;
	b->arrived = 0;
	b->want = want;
	for (int i = 0; i < NBUSY; i++)
		assert_int_equal(ringo_task_create(submit_busy, b, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, NBUSY, res, 0), 0);
	for (int i = 0; i < NBUSY; i++) {
		assert_int_equal(res[i], 1);
		ringo_task_unref(t[i]);
	}
	assert_int_equal(b->ran, NBUSY);
	return b->max_active;
}

static intptr_t busy_main(void *arg)
{
	struct busy *b = arg;
	/* The default pool: 4 threads. */
	assert_int_equal(busy_round(b, 4), 4);
	/* Raised: more run at once. Lowering below what was started is not
	 * possible. */
	assert_int_equal(ringo_executor_set_workers(6), 0);
	assert_int_equal(busy_round(b, 6), 6);
	assert_int_equal(ringo_executor_set_workers(2), -EBUSY);
	assert_int_equal(ringo_executor_set_workers(0), -EINVAL);
	assert_int_equal(ringo_executor_set_workers(1025), -EINVAL);
	return 0;
}

static intptr_t two_main(void *arg)
{
	assert_int_equal(busy_round(arg, 2), 2);
	return 0;
}

static void busy_init(struct busy *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cond, NULL);
}

static void busy_destroy(struct busy *b)
{
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->mu);
}

static void test_more_jobs_than_workers(void **state)
{
	(void)state;
	struct busy b;
	for (size_t m = 0; m < NMODES; m++) {
		busy_init(&b);
		assert_int_equal(run(busy_main, &b, &modes[m]), 0);
		busy_destroy(&b);
	}
	/* Outside a loop: the size of the executors of later loops. */
	busy_init(&b);
	assert_int_equal(ringo_executor_set_workers(2), 0);
	assert_int_equal(run(two_main, &b, &modes[0]), 0);
	assert_int_equal(ringo_executor_set_workers(4), 0);
	busy_destroy(&b);
}

/* ---- cancellation ---- */

struct slow {
	atomic_int started, finished;
	int cleanups;
	intptr_t cleaned;
	bool finished_at_cleanup;
	int64_t ms;
};

static intptr_t slow_job(void *arg)
{
	struct slow *s = arg;
	atomic_store(&s->started, 1);
	msleep((int)s->ms);
	atomic_store(&s->finished, 1);
	return 99;
}

static void slow_cleanup(void *arg, intptr_t result)
{
	struct slow *s = arg;
	s->cleanups++;
	s->cleaned = result;
	s->finished_at_cleanup = atomic_load(&s->finished) != 0;
}

static intptr_t run_slow(void *arg)
{
	intptr_t r = -1;
	int ret = ringo_run_in_executor_cleanup(slow_job, arg, slow_cleanup, &r);
	return ret < 0 ? ret : r;
}

static intptr_t cancel_running_main(void *arg)
{
	struct slow *s = arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(run_slow, s, NULL, &t), 0);
	while (!atomic_load(&s->started))
		assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	int64_t t0 = ringo_time();
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	/* At once, while the job still sleeps. */
	assert_true(ringo_time() - t0 < RINGO_MSEC(200));
	assert_int_equal(atomic_load(&s->finished), 0);
	assert_int_equal(s->cleanups, 0);
	ringo_task_unref(t);
	/* The result is handed to the cleanup once the job returns. */
	while (s->cleanups == 0)
		assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_int_equal(s->cleanups, 1);
	assert_int_equal(s->cleaned, 99);
	assert_true(s->finished_at_cleanup);
	/* The executor still works. */
	intptr_t r;
	assert_int_equal(ringo_run_in_executor(answer, NULL, &r), 0);
	assert_int_equal(r, 42);
	return 0;
}

static void test_cancel_running(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++) {
		struct slow s = { .ms = 300 };
		assert_int_equal(run(cancel_running_main, &s, &modes[m]), 0);
		assert_int_equal(s.cleanups, 1);
	}
}

static intptr_t cancel_queued_main(void *arg)
{
	struct slow *s = arg; /* s[0] runs, s[1] waits behind it */
	assert_int_equal(ringo_executor_set_workers(1), 0);
	ringo_task *a, *b;
	assert_int_equal(ringo_task_create(run_slow, &s[0], NULL, &a), 0);
	assert_int_equal(ringo_task_create(run_slow, &s[1], NULL, &b), 0);
	while (!atomic_load(&s[0].started))
		assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	int64_t t0 = ringo_time();
	assert_true(ringo_task_cancel(b));
	assert_int_equal(ringo_task_await(b), -ECANCELED);
	assert_true(ringo_time() - t0 < RINGO_MSEC(200));
	/* Never started: cleaned up before the call returned. */
	assert_int_equal(s[1].cleanups, 1);
	assert_int_equal(s[1].cleaned, -ECANCELED);
	assert_int_equal(ringo_task_await(a), 99);
	assert_int_equal(s[0].cleanups, 0);
	ringo_task_unref(a);
	ringo_task_unref(b);
	/* It never runs: the one worker is free now. */
	intptr_t r;
	assert_int_equal(ringo_run_in_executor(answer, NULL, &r), 0);
	assert_int_equal(atomic_load(&s[1].started), 0);
	return 0;
}

static void test_cancel_queued(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++) {
		struct slow s[2] = { { .ms = 300 }, { .ms = 300 } };
		assert_int_equal(run(cancel_queued_main, s, &modes[m]), 0);
		assert_int_equal(atomic_load(&s[1].started), 0);
	}
}

static intptr_t pending_cancel_main(void *arg)
{
	struct slow *s = arg;
	assert_true(ringo_task_cancel(ringo_task_current()));
	intptr_t r = 5;
	assert_int_equal(ringo_run_in_executor_cleanup(slow_job, s, slow_cleanup, &r), -ECANCELED);
	assert_int_equal(r, 5);
	assert_int_equal(s->cleanups, 1);
	assert_int_equal(s->cleaned, -ECANCELED);
	return 0;
}

static void test_pending_cancel(void **state)
{
	(void)state;
	struct slow s = { .ms = 0 };
	assert_int_equal(run(pending_cancel_main, &s, &modes[0]), 0);
	assert_int_equal(atomic_load(&s.started), 0);
}

/* ---- the loop's end ---- */

static intptr_t leave_jobs_main(void *arg)
{
	struct slow *s = arg; /* s[0] runs, s[1] waits behind it */
	assert_int_equal(ringo_executor_set_workers(1), 0);
	assert_int_equal(ringo_task_create(run_slow, &s[0], NULL, NULL), 0);
	assert_int_equal(ringo_task_create(run_slow, &s[1], NULL, NULL), 0);
	while (!atomic_load(&s[0].started))
		assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	return 3; /* the two tasks are cancelled by the loop's end */
}

static void test_loop_end_waits_for_running_jobs(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++) {
		struct slow s[2] = { { .ms = 150 }, { .ms = 150 } };
		int64_t t0 = harness_now();
		assert_int_equal(run(leave_jobs_main, s, &modes[m]), 3);
		/* The running job finished before ringo_run returned, and its
		 * result went to its cleanup; the queued one never ran. */
		assert_true(harness_now() - t0 >= RINGO_MSEC(150));
		assert_int_equal(atomic_load(&s[0].finished), 1);
		assert_int_equal(s[0].cleanups, 1);
		assert_int_equal(s[0].cleaned, 99);
		assert_int_equal(atomic_load(&s[1].started), 0);
		assert_int_equal(s[1].cleanups, 1);
		assert_int_equal(s[1].cleaned, -ECANCELED);
	}
}

/* ---- many short jobs ---- */

#define NTASKS 50
#define NJOBS 40

static intptr_t square(void *arg)
{
	intptr_t x = (intptr_t)arg;
	return x * x;
}

static intptr_t many_jobs(void *arg)
{
	(void)arg;
	intptr_t sum = 0;
	for (intptr_t i = 0; i < NJOBS; i++) {
		intptr_t r;
		int ret = ringo_run_in_executor(square, (void *)i, &r);
		if (ret < 0)
			return ret;
		sum += r;
	}
	return sum;
}

static intptr_t many_main(void *arg)
{
	(void)arg;
	ringo_task *t[NTASKS];
	intptr_t res[NTASKS];
	for (int i = 0; i < NTASKS; i++)
		assert_int_equal(ringo_task_create(many_jobs, NULL, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, NTASKS, res, 0), 0);
	intptr_t want = 0;
	for (intptr_t i = 0; i < NJOBS; i++)
		want += i * i;
	for (int i = 0; i < NTASKS; i++) {
		assert_int_equal(res[i], want);
		ringo_task_unref(t[i]);
	}
	return 0;
}

static void test_many_jobs(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++)
		assert_int_equal(run(many_main, NULL, &modes[m]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_outside_a_task),
		cmocka_unit_test(test_fifo_order),
		cmocka_unit_test(test_more_jobs_than_workers),
		cmocka_unit_test(test_cancel_running),
		cmocka_unit_test(test_cancel_queued),
		cmocka_unit_test(test_pending_cancel),
		cmocka_unit_test(test_loop_end_waits_for_running_jobs),
		cmocka_unit_test(test_many_jobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

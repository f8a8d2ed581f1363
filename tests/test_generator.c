/* SPDX-License-Identifier: MIT */
/* Asynchronous generators: lazy start, hand-offs through the ring, asend,
 * ends and errors, aclose (awaited cleanup, yield during close, unstarted
 * and finished generators), owners, shutdown and cancellation. */
#include "harness.h"

#include <string.h>

#include <ringo.h>

static struct harness_log log_;

static void reset(void)
{
	memset(&log_, 0, sizeof(log_));
}

/* Yields 1..n (arg), logging; the close error and cancellation are logged
 * and returned. */
static int count_up(void *arg)
{
	intptr_t n = (intptr_t)arg;
	harness_log(&log_, "g:start");
	for (intptr_t i = 1; i <= n; i++) {
		harness_log(&log_, "g:y%ld", (long)i);
		int r = ringo_agen_yield(i, NULL);
		if (r < 0) {
			harness_log(&log_, "g:yield%d", r);
			return r;
		}
	}
	harness_log(&log_, "g:end");
	return 0;
}

static intptr_t async_for_generator(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(count_up, (void *)3, NULL, &gen), 0);
	/* created lazily: nothing runs before the first anext */
	assert_int_equal(ringo_sleep(0), 0);
	harness_log(&log_, "created");
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, ringo_agen_aiter(gen), err)
		harness_log(&log_, "c:%ld", (long)item);
	harness_log(&log_, "err:%d", err);
	assert_true(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_anext(gen, &item), 0); /* stays at the end */
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

/* Issue 11 item 2: a cancellation pending when the consumer asks for the
 * next item goes to the generator's task, as one arriving while it waits
 * would: the generator resumes and its next await (here its yield) gets
 * -ECANCELED, which ends it, and the consumer gets that answer. */
static intptr_t pending_cancel_anext(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(count_up, (void *)3, NULL, &gen), 0);
	intptr_t item = 0;
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	assert_int_equal(item, 1);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_agen_anext(gen, &item), -ECANCELED);
	assert_true(ringo_agen_finished(gen));
	harness_log(&log_, "c:finished");
	/* Delivered once. */
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_pending_cancel_reaches_generator(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(pending_cancel_anext, NULL), 0);
	assert_string_equal(log_.buf, "g:start g:y1 g:y2 g:yield-125 c:finished");
}

static void test_async_for_over_generator(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(async_for_generator, NULL), 0);
	assert_string_equal(log_.buf, "created g:start g:y1 c:1 g:y2 c:2 g:y3 c:3 g:end err:0");
}

/* Every hand-off is a wake-up through the ring: a task that yields with
 * sleep(0) runs between the generator's yield and the consumer's resumption
 * and between the consumer's anext and the generator's resumption. */
static intptr_t yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 4; i++) {
		harness_log(&log_, "t%d", i);
		if (ringo_sleep(0) < 0)
			return -ECANCELED;
	}
	return 0;
}

static intptr_t handoffs_through_ring(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	ringo_task *t;
	assert_int_equal(ringo_agen_create(count_up, (void *)2, NULL, &gen), 0);
	assert_int_equal(ringo_task_create(yielder, NULL, NULL, &t), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	harness_log(&log_, "c:%ld", (long)item);
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	harness_log(&log_, "c:%ld", (long)item);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_handoffs_go_through_the_ring(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(handoffs_through_ring, NULL), 0);
	/* t starts before the generator's task (created first); each hand-off
	 * is a NOP queued behind t's yield. */
	assert_string_equal(log_.buf, "t0 g:start g:y1 t1 c:1 t2 g:y2 t3 c:2 "
				      "g:yield-108");
}

/* asend: the generator keeps a running sum of what it is sent. */
static int summer(void *arg)
{
	(void)arg;
	intptr_t sum = 0, sent = -1;
	for (;;) {
		int r = ringo_agen_yield(sum, &sent);
		if (r < 0)
			return r == -RINGO_EGENEXIT ? 0 : r;
		harness_log(&log_, "sent:%ld", (long)sent);
		sum += sent;
	}
}

static intptr_t asend_values(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(summer, NULL, NULL, &gen), 0);
	intptr_t item = -1;
	/* a just-started generator takes no value but 0 (Python: None) */
	assert_int_equal(ringo_agen_asend(gen, 5, &item), -EINVAL);
	assert_int_equal(item, -1);
	assert_int_equal(ringo_agen_asend(gen, 0, &item), 1);
	assert_int_equal(item, 0);
	assert_int_equal(ringo_agen_asend(gen, 10, &item), 1);
	assert_int_equal(item, 10);
	assert_int_equal(ringo_agen_asend(gen, -3, &item), 1); /* any intptr_t */
	assert_int_equal(item, 7);
	assert_int_equal(ringo_agen_anext(gen, &item), 1); /* anext sends 0 */
	assert_int_equal(item, 7);
	assert_int_equal(ringo_agen_asend(gen, 100, NULL), 1);
	assert_int_equal(ringo_agen_aclose(gen), 0);
	assert_true(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_asend(gen, 1, &item), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_asend_values(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(asend_values, NULL), 0);
	assert_string_equal(log_.buf, "sent:10 sent:-3 sent:0 sent:100");
}

/* The body's error reaches the consumer once; after it, the end. */
static int fails_after_one(void *arg)
{
	(void)arg;
	int r = ringo_agen_yield(1, NULL);
	if (r < 0)
		return r;
	r = ringo_sleep(RINGO_MSEC(1));
	return r < 0 ? r : -EIO;
}

static intptr_t body_error(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(fails_after_one, NULL, NULL, &gen), 0);
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, ringo_agen_aiter(gen), err)
		harness_log(&log_, "c:%ld", (long)item);
	harness_log(&log_, "err:%d", err);
	assert_int_equal(ringo_agen_anext(gen, &item), 0);
	assert_int_equal(ringo_agen_aclose(gen), 0); /* finished: nothing */
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_error_ends_iteration(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(body_error, NULL), 0);
	assert_string_equal(log_.buf, "c:1 err:-5");
}

/* A body that returns a positive value ends the iteration normally. */
static int returns_positive(void *arg)
{
	(void)arg;
	return 9;
}

static intptr_t positive_end(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(returns_positive, NULL, NULL, &gen), 0);
	intptr_t item = -1;
	assert_int_equal(ringo_agen_anext(gen, &item), 0);
	assert_int_equal(item, -1);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_positive_return_is_end(void **state)
{
	(void)state;
	assert_int_equal(harness_run(positive_end, NULL), 0);
}

/* Closing a suspended generator: its yield returns -RINGO_EGENEXIT and its
 * cleanup may await before aclose returns. */
static int with_cleanup(void *arg)
{
	intptr_t result = (intptr_t)arg;
	for (intptr_t i = 1;; i++) {
		int r = ringo_agen_yield(i, NULL);
		if (r < 0) {
			harness_log(&log_, "g:yield%d", r);
			break;
		}
	}
	int r = ringo_sleep(RINGO_MSEC(30));
	harness_log(&log_, "g:cleanup%d", r);
	return r < 0 ? r : (int)result;
}

static intptr_t close_suspended(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(with_cleanup, (void *)-RINGO_EGENEXIT, NULL, &gen),
			 0);
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, ringo_agen_aiter(gen), err) {
		harness_log(&log_, "c:%ld", (long)item);
		if (item == 2)
			break;
	}
	/* break leaves the generator suspended at its yield */
	assert_int_equal(err, 0);
	assert_false(ringo_agen_finished(gen));
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	harness_log(&log_, "closing");
	int64_t t0 = harness_now();
	assert_int_equal(ringo_aiter_close(ringo_agen_aiter(gen)), 0);
	int64_t took = harness_now() - t0;
	harness_log(&log_, "closed");
	assert_true(took >= RINGO_MSEC(30));
	assert_true(took < RINGO_SEC(1));
	assert_true(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_anext(gen, &item), 0);
	assert_int_equal(ringo_agen_aclose(gen), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);

	/* a cleanup that fails: aclose returns its error; one that returns 0
	 * after the close error: aclose returns 0 */
	assert_int_equal(ringo_agen_create(with_cleanup, (void *)-EIO, NULL, &gen), 0);
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	assert_int_equal(ringo_agen_aclose(gen), -EIO);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	assert_int_equal(ringo_agen_create(with_cleanup, (void *)0, NULL, &gen), 0);
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	assert_int_equal(ringo_agen_aclose(gen), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_close_suspended_runs_awaited_cleanup(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(close_suspended, NULL), 0);
	assert_string_equal(log_.buf, "c:1 c:2 closing g:yield-108 g:cleanup0 closed "
				      "g:yield-108 g:cleanup0 g:yield-108 g:cleanup0");
}

/* A yield during close: that yield fails with -EPROTO without suspending,
 * and aclose returns -EPROTO once the body has finished. */
static int yields_in_close(void *arg)
{
	(void)arg;
	int r = ringo_agen_yield(1, NULL);
	harness_log(&log_, "g:yield%d", r);
	r = ringo_agen_yield(2, NULL);
	harness_log(&log_, "g:yield%d", r);
	r = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "g:end%d", r);
	return 0;
}

static intptr_t yield_during_close(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(yields_in_close, NULL, NULL, &gen), 0);
	intptr_t item = 0;
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	assert_int_equal(item, 1);
	assert_int_equal(ringo_agen_aclose(gen), -EPROTO);
	harness_log(&log_, "closed");
	assert_true(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_yield_during_close_is_an_error(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(yield_during_close, NULL), 0);
	assert_string_equal(log_.buf, "g:yield-108 g:yield-71 g:end0 closed");
}

/* Closing a generator that never started: its body never runs. */
static intptr_t close_unstarted(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(count_up, (void *)3, NULL, &gen), 0);
	assert_false(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_aclose(gen), 0);
	assert_true(ringo_agen_finished(gen));
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), 0);
	assert_int_equal(ringo_agen_aclose(gen), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	/* destroying an unstarted generator needs no task */
	assert_int_equal(ringo_agen_create(count_up, (void *)3, NULL, &gen), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_close_unstarted_and_finished(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(close_unstarted, NULL), 0);
	assert_string_equal(log_.buf, "");
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(count_up, (void *)3, NULL, &gen), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0); /* outside any loop */
	assert_int_equal(ringo_agen_destroy(NULL), 0);
}

/* The owner ends: ringo_agen_destroy closes a suspended generator and waits
 * for its cleanup. */
static intptr_t owner(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(with_cleanup, (void *)0, NULL, &gen), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	harness_log(&log_, "owner ends");
	assert_int_equal(ringo_agen_destroy(gen), 0);
	harness_log(&log_, "destroyed");
	return 0;
}

static intptr_t owner_main(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(owner, NULL, NULL, &t), 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	/* nothing of the generator is left running */
	assert_int_equal(ringo_task_all(NULL, 0), 1);
	return 0;
}

static void test_destroy_closes(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(owner_main, NULL), 0);
	assert_string_equal(log_.buf, "owner ends g:yield-108 g:cleanup0 destroyed");
}

/* Left open when ringo_run shuts down: the generator is closed as
 * asyncio.run's shutdown_asyncgens does: its yield returns -RINGO_EGENEXIT
 * and its cleanup runs. */
static ringo_agen *left_open;

static intptr_t leaves_open(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_agen_create(count_up, (void *)5, NULL, &left_open), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(left_open, &item), 1);
	harness_log(&log_, "main ends");
	return 0;
}

static void test_open_generator_closed_at_shutdown(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(leaves_open, NULL), 0);
	assert_string_equal(log_.buf, "g:start g:y1 main ends g:yield-108");
	assert_true(ringo_agen_finished(left_open));
	assert_int_equal(ringo_agen_destroy(left_open), 0);
}

/* A generator closed at its yield by the shutdown is finishing: a later
 * yield fails. */
static int yields_after_cancel(void *arg)
{
	(void)arg;
	int r = ringo_agen_yield(1, NULL);
	harness_log(&log_, "g:yield%d", r);
	r = ringo_agen_yield(2, NULL);
	harness_log(&log_, "g:yield%d", r);
	return r;
}

static intptr_t leaves_open_2(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_agen_create(yields_after_cancel, NULL, NULL, &left_open), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(left_open, &item), 1);
	return 0;
}

static void test_yield_after_shutdown_cancel(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(leaves_open_2, NULL), 0);
	assert_string_equal(log_.buf, "g:yield-108 g:yield-71");
	assert_int_equal(ringo_agen_destroy(left_open), 0);
}

/* Cancelling the consumer waiting in anext cancels the generator's task:
 * the cancellation lands in the generator's await. */
static int slow_item(void *arg)
{
	intptr_t handle = (intptr_t)arg;
	int r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "g:sleep%d", r);
	if (r < 0 && !handle)
		return r;
	r = ringo_agen_yield(42, NULL);
	harness_log(&log_, "g:yield%d", r);
	return r;
}

static intptr_t consumer(void *arg)
{
	ringo_agen *gen = arg;
	intptr_t item = 0;
	int r = ringo_agen_anext(gen, &item);
	harness_log(&log_, "c:anext%d:%ld", r, (long)item);
	if (r < 0)
		return r;
	/* The cancellation went to the generator: none is left for us. */
	r = ringo_sleep(RINGO_MSEC(1));
	harness_log(&log_, "c:sleep%d", r);
	return r;
}

static intptr_t cancel_consumer(void *arg)
{
	intptr_t handle = (intptr_t)arg;
	ringo_agen *gen;
	ringo_task *t;
	assert_int_equal(ringo_agen_create(slow_item, (void *)handle, NULL, &gen), 0);
	assert_int_equal(ringo_task_create(consumer, gen, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	/* another consumer while it runs: busy */
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), -EBUSY);
	assert_int_equal(ringo_agen_aclose(gen), -EBUSY);
	int64_t t0 = harness_now();
	assert_true(ringo_task_cancel(t));
	intptr_t r = ringo_task_await(t);
	assert_true(harness_now() - t0 < RINGO_SEC(1));
	assert_int_equal(ringo_task_cancelling(t), 1);
	ringo_task_unref(t);
	if (handle) {
		assert_int_equal(r, 0);
		assert_false(ringo_agen_finished(gen));
		harness_log(&log_, "closing");
		assert_int_equal(ringo_agen_aclose(gen), 0);
	} else {
		assert_int_equal(r, -ECANCELED);
	}
	assert_true(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_cancel_consumer_propagates(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_consumer, (void *)0), 0);
	assert_string_equal(log_.buf, "g:sleep-125 c:anext-125:0");
}

static void test_cancel_consumer_generator_handles(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_consumer, (void *)1), 0);
	assert_string_equal(log_.buf, "g:sleep-125 c:anext1:42 c:sleep0 closing "
				      "g:yield-108");
}

/* Cancelling the task that closes: the generator's cleanup is cancelled,
 * and aclose still waits for it to finish. */
static int long_cleanup(void *arg)
{
	(void)arg;
	int r = ringo_agen_yield(1, NULL);
	harness_log(&log_, "g:yield%d", r);
	r = ringo_sleep(RINGO_SEC(10));
	harness_log(&log_, "g:cleanup%d", r);
	return r;
}

static intptr_t closer(void *arg)
{
	int r = ringo_agen_aclose(arg);
	harness_log(&log_, "aclose%d", r);
	return r;
}

static intptr_t cancel_closer(void *arg)
{
	(void)arg;
	ringo_agen *gen;
	ringo_task *t;
	assert_int_equal(ringo_agen_create(long_cleanup, NULL, NULL, &gen), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	assert_int_equal(ringo_task_create(closer, gen, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	assert_true(ringo_agen_finished(gen));
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_cancel_closer(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(cancel_closer, NULL), 0);
	assert_string_equal(log_.buf, "g:yield-108 g:cleanup-125 aclose-125");
}

/* A generator consuming another: yields twice each inner item. */
static int doubler(void *arg)
{
	ringo_agen *inner = arg;
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, ringo_agen_aiter(inner), err) {
		int r = ringo_agen_yield(2 * item, NULL);
		if (r < 0) {
			err = ringo_agen_aclose(inner);
			return err < 0 ? err : r;
		}
	}
	return err;
}

static intptr_t nested(void *arg)
{
	(void)arg;
	ringo_agen *inner, *outer;
	assert_int_equal(ringo_agen_create(count_up, (void *)4, NULL, &inner), 0);
	assert_int_equal(ringo_agen_create(doubler, inner, NULL, &outer), 0);
	intptr_t item;
	int err;
	RINGO_ASYNC_FOR(item, ringo_agen_aiter(outer), err) {
		harness_log(&log_, "c:%ld", (long)item);
		if (item == 4)
			break;
	}
	assert_int_equal(ringo_agen_destroy(outer), 0); /* closes inner too */
	assert_true(ringo_agen_finished(inner));
	assert_int_equal(ringo_agen_destroy(inner), 0);
	return 0;
}

static void test_generator_consuming_generator(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(nested, NULL), 0);
	assert_string_equal(log_.buf, "g:start g:y1 c:2 g:y2 c:4 g:yield-108");
}

/* Misuse and edges. */
static intptr_t not_a_generator(void *arg)
{
	(void)arg;
	intptr_t sent;
	assert_int_equal(ringo_agen_yield(1, &sent), -EPERM);
	return 0;
}

static int iterates_itself(void *arg)
{
	ringo_agen **self = arg;
	intptr_t item;
	harness_log(&log_, "self:%d", ringo_agen_anext(*self, &item));
	return 0;
}

static intptr_t edges(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(not_a_generator, NULL, NULL, &t), 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(iterates_itself, &gen, NULL, &gen), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	/* a named generator's task carries the name */
	ringo_task_opts opts = { .name = "gen", .stack_size = 0 };
	assert_int_equal(ringo_agen_create(count_up, (void *)1, &opts, &gen), 0);
	assert_int_equal(ringo_agen_anext(gen, &item), 1);
	ringo_task *all[4];
	assert_int_equal(ringo_task_all(all, 4), 2);
	assert_string_equal(ringo_task_name(all[1]), "gen");
	assert_int_equal(ringo_agen_destroy(gen), 0);
	assert_int_equal(ringo_agen_anext(NULL, &item), -EINVAL);
	assert_int_equal(ringo_agen_aclose(NULL), -EINVAL);
	assert_null(ringo_agen_aiter(NULL));
	assert_false(ringo_agen_finished(NULL));
	/* a pending cancellation is delivered by anext, which starts nothing */
	assert_int_equal(ringo_agen_create(count_up, (void *)1, NULL, &gen), 0);
	assert_true(ringo_task_cancel(ringo_task_current()));
	assert_int_equal(ringo_agen_anext(gen, &item), -ECANCELED);
	assert_int_equal(ringo_task_uncancel(ringo_task_current()), 0);
	assert_int_equal(ringo_sleep(0), 0);
	assert_int_equal(ringo_agen_destroy(gen), 0);
	return 0;
}

static void test_edges(void **state)
{
	(void)state;
	reset();
	assert_int_equal(harness_run(edges, NULL), 0);
	assert_string_equal(log_.buf, "self:-16 g:start g:y1 g:yield-108");
	ringo_agen *gen;
	assert_int_equal(ringo_agen_create(NULL, NULL, NULL, &gen), -EINVAL);
	assert_int_equal(ringo_agen_create(count_up, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ringo_agen_create(count_up, NULL, NULL, &gen), 0);
	intptr_t item;
	assert_int_equal(ringo_agen_anext(gen, &item), -EPERM); /* no task */
	assert_int_equal(ringo_agen_destroy(gen), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async_for_over_generator),
		cmocka_unit_test(test_pending_cancel_reaches_generator),
		cmocka_unit_test(test_handoffs_go_through_the_ring),
		cmocka_unit_test(test_asend_values),
		cmocka_unit_test(test_error_ends_iteration),
		cmocka_unit_test(test_positive_return_is_end),
		cmocka_unit_test(test_close_suspended_runs_awaited_cleanup),
		cmocka_unit_test(test_yield_during_close_is_an_error),
		cmocka_unit_test(test_close_unstarted_and_finished),
		cmocka_unit_test(test_destroy_closes),
		cmocka_unit_test(test_open_generator_closed_at_shutdown),
		cmocka_unit_test(test_yield_after_shutdown_cancel),
		cmocka_unit_test(test_cancel_consumer_propagates),
		cmocka_unit_test(test_cancel_consumer_generator_handles),
		cmocka_unit_test(test_cancel_closer),
		cmocka_unit_test(test_generator_consuming_generator),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

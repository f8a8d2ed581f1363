/* SPDX-License-Identifier: MIT */
/* Debug mode: each report once, with the words it promises; nothing when
 * off. Reports are captured through ringo_set_log_fn (the watchdog's come
 * from its own thread). */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringo.h>

static struct {
	pthread_mutex_t lock;
	char text[65536];
	size_t len;
} logged = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void capture(enum ringo_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	pthread_mutex_lock(&logged.lock);
	int n = snprintf(logged.text + logged.len, sizeof(logged.text) - logged.len, "%s\n", msg);
	if (n > 0 && logged.len + (size_t)n < sizeof(logged.text))
		logged.len += (size_t)n;
	pthread_mutex_unlock(&logged.lock);
}

static int setup(void **state)
{
	(void)state;
	logged.len = 0;
	logged.text[0] = '\0';
	ringo_set_log_fn(capture, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ringo_set_log_fn(NULL, NULL);
	return 0;
}

static size_t count(const char *needle)
{
	size_t n = 0;
	for (const char *p = logged.text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static intptr_t run_debug(intptr_t (*fn)(void *), int64_t slow_ns)
{
	ringo_run_opts o = { .flags = RINGO_RUN_DEBUG, .slow_task_ns = slow_ns };
	intptr_t result = -1;
	assert_int_equal(ringo_run_with(fn, NULL, &result, &o), 0);
	return result;
}

static void busy(int64_t ns)
{
	int64_t end = ringo_time() + ns;
	while (ringo_time() < end)
		;
}

/* ---- slow tasks and a blocked loop ---- */

static __attribute__((noinline)) void slow_inner(void)
{
	busy(RINGO_MSEC(700));
}

static intptr_t slow_body(void *arg)
{
	(void)arg;
	slow_inner();
	return ringo_sleep(0);
}

static intptr_t fast_body(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		busy(RINGO_MSEC(1));
		if (ringo_sleep(0) < 0)
			return -1;
	}
	return 0;
}

static intptr_t slow_and_fast(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	ringo_task_opts o = { .name = "fast" };
	assert_int_equal(ringo_task_create(fast_body, NULL, &o, &t[0]), 0);
	o.name = "slow";
	assert_int_equal(ringo_task_create(slow_body, NULL, &o, &t[1]), 0);
	assert_int_equal(ringo_gather(t, 2, NULL, 0), 0);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	/* The watchdog reports the end of a slow run at its next look. */
	return ringo_sleep(RINGO_MSEC(100));
}

static void test_slow_task_reported_fast_not(void **state)
{
	(void)state;
	/* 60 ms: slow runs 700 ms (reported when it ends), and blocks the loop
	 * past ten times that (reported while it runs, with its stack). */
	assert_int_equal(run_debug(slow_and_fast, RINGO_MSEC(60)), 0);
	assert_int_equal(count("debug: task 'slow' ran "), 1);
	assert_int_equal(count("s without awaiting (more than 0.060s); it was at:"), 1);
	assert_int_equal(count("debug: task 'slow' has been running for "), 1);
	assert_int_equal(count("s without awaiting: the loop is blocked; its stack:"), 1);
	assert_int_equal(count("'fast'"), 0);
	/* Its stack names where it was (addr2line finds the static function). */
	assert_true(count("  #") >= 2);
	assert_true(count(" slow_body test_debug.c:") >= 1);
}

/* ---- where things were created ---- */

static __attribute__((noinline)) void leak_a_future(void)
{
	ringo_future *f;
	assert_int_equal(ringo_future_create(&f), 0);
	ringo_future_unref(f);
}

static intptr_t sleep_long(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(10));
}

static intptr_t leave_things_behind(void *arg)
{
	(void)arg;
	leak_a_future();
	ringo_future *kept;
	assert_int_equal(ringo_future_create(&kept), 0);
	assert_int_equal(ringo_future_set_result(kept, 1), 0);
	ringo_future_unref(kept);  /* done: nothing to say */
	ringo_task_opts o = { .name = "orphan" };
	assert_int_equal(ringo_task_create(sleep_long, NULL, &o, NULL), 0);
	return ringo_sleep(RINGO_MSEC(1));
}

static void test_pending_future_and_task_reported(void **state)
{
	(void)state;
	assert_int_equal(run_debug(leave_things_behind, 0), 0);
	assert_int_equal(count("debug: future 0x"), 1);
	assert_int_equal(count(") was released while pending: nobody set it"), 1);
	assert_int_equal(count("(created at leak_a_future "), 1);
	assert_int_equal(count("debug: task 'orphan' (created at leave_things_behind "), 1);
	assert_int_equal(count(") was still pending when main returned: it is cancelled"), 1);
}

/* ---- objects used from another thread ---- */

static ringo_task *victim;

/* One place that uses the task from the wrong thread, three times. */
static __attribute__((noinline)) bool cancel_from_thread(void)
{
	volatile bool r = ringo_task_cancel(victim);  /* not a tail call */
	return r;
}

static void *other_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		assert_false(cancel_from_thread());
	return NULL;
}

static intptr_t cross_thread(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_task_create(sleep_long, NULL, NULL, &victim), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_thread, NULL), 0);
	pthread_join(th, NULL);
	ringo_task_cancel(victim);
	intptr_t r = ringo_task_await(victim);
	ringo_task_unref(victim);
	return r == -ECANCELED ? 0 : -1;
}

static void test_other_thread_reported_once(void **state)
{
	(void)state;
	assert_int_equal(run_debug(cross_thread, 0), 0);
	assert_int_equal(count("debug: an object of loop "), 1);
	assert_int_equal(count(", on a thread that runs no loop: ringo objects belong to their "
			       "loop's thread"),
			 1);
	assert_int_equal(count(" was used in cancel_from_thread "), 1);
}

/* ---- stack high-water mark ---- */

static __attribute__((noinline)) int deep(int n)
{
	volatile char big[96 * 1024];
	for (size_t i = 0; i < sizeof(big); i += 512)
		big[i] = (char)n;
	return big[0];
}

static intptr_t deep_body(void *arg)
{
	(void)arg;
	return deep(3) == 3 ? 0 : -1;
}

static intptr_t use_stack(void *arg)
{
	(void)arg;
	ringo_task *t;
	ringo_task_opts o = { .name = "deep" };
	assert_int_equal(ringo_task_create(deep_body, NULL, &o, &t), 0);
	intptr_t r = ringo_task_await(t);
	ringo_task_unref(t);
	return r;
}

static void test_stack_high_water(void **state)
{
	(void)state;
	assert_int_equal(run_debug(use_stack, 0), 0);
	assert_int_equal(count("debug: deepest task stack use: "), 1);
	const char *p = strstr(logged.text, "debug: deepest task stack use: ");
	unsigned kib = 0, of = 0;
	char name[32];
	assert_int_equal(sscanf(p, "debug: deepest task stack use: %u KiB of %u KiB (task '%31[^']",
				&kib, &of, name),
			 3);
	assert_true(kib >= 96 && kib < of);
	assert_string_equal(name, "deep");
}

/* ---- the dump signal ---- */

static char dump_path[64];

static intptr_t dump_on_signal(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR2);
	/* The loop writes the dump when the signal's read completes. */
	for (int i = 0; i < 100 && access(dump_path, F_OK) != 0; i++)
		ringo_sleep(RINGO_MSEC(10));
	return 0;
}

static void test_dump_signal_writes_the_file(void **state)
{
	(void)state;
	snprintf(dump_path, sizeof(dump_path), "/tmp/ringo-test-dump.%d", (int)getpid());
	unlink(dump_path);
	setenv("RINGO_DUMP", dump_path, 1);
	/* Not debug mode: RINGO_DUMP alone turns the signal on. */
	ringo_run_opts o = { .dump_signal = SIGUSR2 };
	intptr_t result = -1;
	assert_int_equal(ringo_run_with(dump_on_signal, NULL, &result, &o), 0);
	unsetenv("RINGO_DUMP");
	FILE *f = fopen(dump_path, "r");
	assert_non_null(f);
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(dump_path);
	assert_memory_equal(text, "task dump: 1 task, ", 19);
	assert_non_null(strstr(text, "\nmain  suspended for "));
	assert_non_null(strstr(text, "  sleep until +"));
	char said[128];
	snprintf(said, sizeof(said), "task dump written to %s", dump_path);
	assert_int_equal(count(said), 1);
	/* The loop has given the signal back: it is not blocked any more. */
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	assert_false(sigismember(&cur, SIGUSR2));
}

/* ---- off ---- */

static intptr_t slow_off(void *arg)
{
	(void)arg;
	busy(RINGO_MSEC(150));
	leak_a_future();
	return 0;
}

static void test_off_by_default(void **state)
{
	(void)state;
	unsetenv("RINGO_DEBUG");
	ringo_run_opts o = { .slow_task_ns = RINGO_MSEC(10) };
	intptr_t result = -1;
	assert_int_equal(ringo_run_with(slow_off, NULL, &result, &o), 0);
	assert_int_equal(logged.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slow_task_reported_fast_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_future_and_task_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_thread_reported_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_high_water, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_signal_writes_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_by_default, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

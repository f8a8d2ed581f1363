/* SPDX-License-Identifier: MIT */
/* Tasks: spawning, awaiting, results, names, done callbacks, references. */
#include "harness.h"

#include <netdb.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif

#include <ringo.h>

static struct harness_log log_;

static intptr_t value_after_yield(void *arg)
{
	harness_log(&log_, "run%ld", (long)(intptr_t)arg);
	assert_int_equal(ringo_sleep(0), 0);
	return (intptr_t)arg;
}

static intptr_t spawn_and_await(void *arg)
{
	(void)arg;
	ringo_task *a, *b;
	assert_int_equal(ringo_task_create(value_after_yield, (void *)1, NULL, &a), 0);
	assert_int_equal(ringo_task_create(value_after_yield, (void *)2, NULL, &b), 0);
	harness_log(&log_, "spawned"); /* bodies never run inside create */
	assert_false(ringo_task_done(a));
	assert_int_equal(ringo_task_result(a), -EAGAIN);
	assert_int_equal(ringo_task_await(b), 2);
	assert_int_equal(ringo_task_await(a), 1);
	assert_true(ringo_task_done(a));
	assert_false(ringo_task_cancelled(a));
	assert_int_equal(ringo_task_result(a), 1);
	ringo_task_unref(a);
	ringo_task_unref(b);
	return 0;
}

static void test_spawn_and_await(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(spawn_and_await, NULL), 0);
	assert_string_equal(log_.buf, "spawned run1 run2");
}

static intptr_t fail_eio(void *arg)
{
	(void)arg;
	return -EIO;
}

static intptr_t return_pointer(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t errors_and_pointers(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(fail_eio, NULL, NULL, &t), 0);
	assert_int_equal(ringo_task_await(t), -EIO);
	assert_false(ringo_task_cancelled(t));
	assert_int_equal(ringo_task_result(t), -EIO);
	ringo_task_unref(t);
	static char buf[8];
	assert_int_equal(ringo_task_create(return_pointer, buf, NULL, &t), 0);
	assert_ptr_equal((void *)ringo_task_await(t), buf);
	ringo_task_unref(t);
	return 0;
}

static void test_errors_and_pointers(void **state)
{
	(void)state;
	assert_int_equal(harness_run(errors_and_pointers, NULL), 0);
}

static ringo_task *shared_target;

static intptr_t awaiter(void *arg)
{
	intptr_t r = ringo_task_await(shared_target);
	harness_log(&log_, "w%ld=%ld", (long)(intptr_t)arg, (long)r);
	return r;
}

static intptr_t sleeper_value(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	return 99;
}

static intptr_t many_awaiters(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_task_create(sleeper_value, NULL, NULL, &shared_target), 0);
	ringo_task *w[3];
	for (intptr_t i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(awaiter, (void *)i, NULL, &w[i]), 0);
	intptr_t results[3];
	assert_int_equal(ringo_gather(w, 3, results, 0), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(results[i], 99);
		ringo_task_unref(w[i]);
	}
	ringo_task_unref(shared_target);
	return 0;
}

static void test_many_awaiters(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(many_awaiters, NULL), 0);
	assert_string_equal(log_.buf, "w0=99 w1=99 w2=99");
}

static intptr_t logger(void *arg)
{
	harness_log(&log_, "%s", (const char *)arg);
	return 0;
}

static intptr_t await_done_does_not_suspend(void *arg)
{
	(void)arg;
	ringo_task *done, *other;
	assert_int_equal(ringo_task_create(return_pointer, (void *)7, NULL, &done), 0);
	assert_int_equal(ringo_task_await(done), 7);
	assert_int_equal(ringo_task_create(logger, "other", NULL, &other), 0);
	/* If this await suspended, "other" would run before "main". */
	assert_int_equal(ringo_task_await(done), 7);
	harness_log(&log_, "main");
	assert_int_equal(ringo_task_await(other), 0);
	ringo_task_unref(done);
	ringo_task_unref(other);
	return 0;
}

static void test_await_done_task_returns_at_once(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(await_done_does_not_suspend, NULL), 0);
	assert_string_equal(log_.buf, "main other");
}

static intptr_t bad_awaits(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_task_await(NULL), -EINVAL);
	assert_int_equal(ringo_task_await(ringo_task_current()), -EDEADLK);
	assert_int_equal(ringo_task_create(NULL, NULL, NULL, NULL), -EINVAL);
	assert_false(ringo_task_cancel(NULL));
	assert_int_equal(ringo_task_result(NULL), -EINVAL);
	ringo_task_unref(NULL);
	return 0;
}

static void test_bad_awaits(void **state)
{
	(void)state;
	assert_int_equal(harness_run(bad_awaits, NULL), 0);
}

static intptr_t names(void *arg)
{
	(void)arg;
	assert_string_equal(ringo_task_name(ringo_task_current()), "main");
	ringo_task *a, *b;
	assert_int_equal(ringo_task_create(return_pointer, NULL, NULL, &a), 0);
	ringo_task_opts opts = { .name = "worker" };
	assert_int_equal(ringo_task_create(return_pointer, NULL, &opts, &b), 0);
	assert_int_equal(strncmp(ringo_task_name(a), "Task-", 5), 0);
	assert_string_equal(ringo_task_name(b), "worker");
	assert_int_equal(ringo_task_set_name(a, "renamed"), 0);
	assert_string_equal(ringo_task_name(a), "renamed");
	assert_int_equal(ringo_task_set_name(a, NULL), -EINVAL);
	assert_int_equal(ringo_task_await(a), 0);
	assert_int_equal(ringo_task_await(b), 0);
	ringo_task_unref(a);
	ringo_task_unref(b);
	return 0;
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(harness_run(names, NULL), 0);
}

/* Auto names count up in decimal, carries included (9, 99, 999 + 1), also
 * in records reused from finished tasks. */
static intptr_t counted_names(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 1100; i++) {
		ringo_task *t;
		assert_int_equal(ringo_task_create(return_pointer, NULL, NULL, &t), 0);
		char want[24];
		snprintf(want, sizeof(want), "Task-%d", i);
		assert_string_equal(ringo_task_name(t), want);
		assert_int_equal(ringo_task_await(t), 0);
		ringo_task_unref(t);
	}
	return 0;
}

static void test_auto_names_count(void **state)
{
	(void)state;
	assert_int_equal(harness_run(counted_names, NULL), 0);
}

static intptr_t check_current(void *arg)
{
	return ringo_task_current() == *(ringo_task **)arg;
}

static intptr_t current_and_all(void *arg)
{
	(void)arg;
	ringo_task *self = ringo_task_current();
	assert_non_null(self);
	ringo_task *t[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_task_create(check_current, &t[i], NULL, &t[i]), 0);
	ringo_task *all[8];
	assert_int_equal(ringo_task_all(all, 8), 4);
	assert_ptr_equal(all[0], self);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(all[i + 1], t[i]);
	assert_int_equal(ringo_task_all(all, 2), 4); /* count beyond cap */
	intptr_t results[3];
	assert_int_equal(ringo_gather(t, 3, results, 0), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(results[i], 1);
		ringo_task_unref(t[i]);
	}
	assert_int_equal(ringo_task_all(NULL, 0), 1);
	return 0;
}

static void test_current_and_all(void **state)
{
	(void)state;
	assert_int_equal(harness_run(current_and_all, NULL), 0);
}

static void on_done(ringo_task *t, void *arg)
{
	harness_log(&log_, "%s:%ld", (const char *)arg, (long)ringo_task_result(t));
}

static intptr_t done_callbacks(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(sleeper_value, NULL, NULL, &t), 0);
	assert_int_equal(ringo_task_add_done_callback(t, on_done, "a"), 0);
	assert_int_equal(ringo_task_add_done_callback(t, on_done, "b"), 0);
	assert_int_equal(ringo_task_add_done_callback(t, on_done, "c"), 0);
	assert_int_equal(ringo_task_remove_done_callback(t, on_done, "b"), 1);
	assert_int_equal(ringo_task_remove_done_callback(t, on_done, "b"), 0);
	assert_int_equal(ringo_task_add_done_callback(t, NULL, NULL), -EINVAL);
	assert_int_equal(ringo_task_await(t), 99);
	harness_log(&log_, "awaited");
	assert_int_equal(ringo_sleep(0), 0);
	/* On a done task: scheduled, not run inline. */
	assert_int_equal(ringo_task_add_done_callback(t, on_done, "late"), 0);
	harness_log(&log_, "added");
	assert_int_equal(ringo_sleep(0), 0);
	ringo_task_unref(t);
	return 0;
}

static void test_done_callbacks(void **state)
{
	(void)state;
	memset(&log_, 0, sizeof(log_));
	assert_int_equal(harness_run(done_callbacks, NULL), 0);
	/* callbacks registered before the await run before main resumes */
	assert_string_equal(log_.buf, "a:99 c:99 awaited added late:99");
}

static intptr_t fire_and_forget_body(void *arg)
{
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	(*(int *)arg)++;
	return 0;
}

static intptr_t fire_and_forget(void *arg)
{
	for (int i = 0; i < 100; i++)
		assert_int_equal(ringo_task_create(fire_and_forget_body, arg, NULL, NULL), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(50)), 0);
	return 0;
}

static void test_fire_and_forget(void **state)
{
	(void)state;
	int count = 0;
	assert_int_equal(harness_run(fire_and_forget, &count), 0);
	assert_int_equal(count, 100);
}

/* Many tasks alive at once: past a few thousand, their records come from
 * the loop's arenas (lib/task.c). Their handles outlive the loop: each
 * record keeps its arena mapped until it is let go. */
enum { MANY = 20000 };
static ringo_task *many[MANY];

static intptr_t index_after_yield(void *arg)
{
	assert_int_equal(ringo_sleep(0), 0);
	return (intptr_t)arg;
}

static intptr_t spawn_many(void *arg)
{
	(void)arg;
	for (intptr_t i = 0; i < MANY; i++)
		assert_int_equal(ringo_task_create(index_after_yield, (void *)i, NULL, &many[i]),
				 0);
	assert_int_equal(ringo_gather(many, MANY, NULL, 0), 0);
	/* Half let go inside the loop (kept for reuse), half after it. */
	for (int i = 0; i < MANY / 2; i++)
		ringo_task_unref(many[i]);
	for (intptr_t i = 0; i < MANY / 2; i++)
		assert_int_equal(ringo_task_create(index_after_yield, (void *)i, NULL, &many[i]),
				 0);
	assert_int_equal(ringo_gather(many, MANY / 2, NULL, 0), 0);
	return 0;
}

static void test_many_records_outlive_the_loop(void **state)
{
	(void)state;
	assert_int_equal(harness_run(spawn_many, NULL), 0);
	for (int i = 0; i < MANY; i++) {
		assert_true(ringo_task_done(many[i]));
		assert_int_equal(ringo_task_result(many[i]), i);
		assert_int_equal(strncmp(ringo_task_name(many[i]), "Task-", 5), 0);
	}
	for (int i = 0; i < MANY; i++)
		ringo_task_unref(many[i]);
}

static intptr_t big_frame(void *arg)
{
	(void)arg;
	volatile char buf[512 * 1024];
	for (size_t i = 0; i < sizeof(buf); i += 4096)
		buf[i] = (char)i;
	assert_int_equal(ringo_sleep(0), 0);
	return buf[4096];
}

static intptr_t custom_stack(void *arg)
{
	(void)arg;
	ringo_task *t;
	ringo_task_opts opts = { .stack_size = 1024 * 1024 };
	assert_int_equal(ringo_task_create(big_frame, NULL, &opts, &t), 0);
	intptr_t r = ringo_task_await(t);
	ringo_task_unref(t);
	return r;
}

static void test_custom_stack_size(void **state)
{
	(void)state;
	assert_int_equal(harness_run(custom_stack, NULL), (char)4096);
}

static intptr_t deep_printf(void *arg)
{
	(void)arg;
	char buf[256];
	snprintf(buf, sizeof(buf), "%f %e %g %s %d", 3.25, 1e300, 2.5e-7, "x", 42);
	return strcmp(buf, "3.250000 1.000000e+300 2.5e-07 x 42") == 0;
}

static void test_default_stack_runs_libc(void **state)
{
	(void)state;
	assert_int_equal(harness_run(deep_printf, NULL), 1);
}

static intptr_t resolve(void *arg)
{
	(void)arg;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int r = getaddrinfo("localhost", "80", &hints, &res);
	if (r == 0)
		freeaddrinfo(res);
	return r == 0;
}

static void test_default_stack_runs_getaddrinfo(void **state)
{
	(void)state;
	assert_int_equal(harness_run(resolve, NULL), 1);
}

static intptr_t long_nap(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(30));
}

/* Spawns until the address space runs out: spawn says -ENOMEM, and the
 * tasks already spawned are unharmed. */
static intptr_t spawn_until_enomem(void *arg)
{
	(void)arg;
	enum { MAX = 100000 };
	static ringo_task *t[MAX];
	int n = 0, r = 0;
	while (n < MAX && (r = ringo_task_create(long_nap, NULL, NULL, &t[n])) == 0)
		n++;
	printf("spawned %d, then %d\n", n, r);
	assert_int_equal(ringo_sleep(0), 0); /* they all run and sleep */
	for (int i = 0; i < n; i++)
		assert_true(ringo_task_cancel(t[i]));
	intptr_t cancelled = 0;
	for (int i = 0; i < n; i++) {
		cancelled += ringo_task_await(t[i]) == -ECANCELED;
		ringo_task_unref(t[i]);
	}
	printf("cancelled %ld\n", (long)cancelled);
	return r;
}

static void enomem_child(void *arg)
{
	(void)arg;
	struct rlimit lim = { 512UL << 20, 512UL << 20 };
	setrlimit(RLIMIT_AS, &lim);
	intptr_t result = 0;
	int r = ringo_run(spawn_until_enomem, NULL, &result);
	printf("run=%d result=%ld\n", r, (long)result);
}

static void test_spawn_reports_enomem(void **state)
{
	(void)state;
#if __has_include(<valgrind/valgrind.h>)
	if (RUNNING_ON_VALGRIND)
		skip(); /* valgrind's own memory does not fit under the limit */
#endif
#if defined(__SANITIZE_ADDRESS__)
	skip(); /* AddressSanitizer's shadow memory needs more than RLIMIT_AS allows */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip(); /* AddressSanitizer's shadow memory needs more than RLIMIT_AS allows */
#endif
#endif
	char out[512];
	int status = harness_fork(enomem_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	int spawned = 0, err = 0;
	long cancelled = -1;
	assert_int_equal(sscanf(out, "spawned %d, then %d\ncancelled %ld", &spawned, &err,
				&cancelled), 3);
	assert_int_equal(err, -ENOMEM);
	assert_true(spawned > 100);
	assert_int_equal(cancelled, spawned);
	char tail[64];
	snprintf(tail, sizeof(tail), "run=0 result=%d\n", -ENOMEM);
	assert_non_null(strstr(out, tail));
}

/* ---- issue 11 item 5: errors nobody took ---- */

static struct harness_log unretrieved_log;

static void record_unretrieved(ringo_task *t, int error, void *arg)
{
	harness_log(&unretrieved_log, "%s:%d:%s", ringo_task_name(t), error, (const char *)arg);
}

static intptr_t fails_eio(void *arg)
{
	(void)arg;
	return -EIO;
}

static intptr_t fails_after_sleep(void *arg)
{
	(void)arg;
	ringo_sleep(RINGO_MSEC(1));
	return -ENOENT;
}

static intptr_t returns_value(void *arg)
{
	(void)arg;
	return 3;
}

static ringo_task *spawn_named(ringo_task_fn fn, const char *name)
{
	ringo_task *t;
	ringo_task_opts o = { .name = name };
	assert_int_equal(ringo_task_create(fn, NULL, &o, &t), 0);
	return t;
}

static intptr_t unretrieved_main(void *arg)
{
	(void)arg;
	/* Never looked at: reported when the last reference goes. */
	ringo_task *lost = spawn_named(fails_eio, "lost");
	/* Taken in every way that takes it: not reported. */
	ringo_task *awaited = spawn_named(fails_eio, "awaited");
	ringo_task *read = spawn_named(fails_eio, "read");
	ringo_task *gathered = spawn_named(fails_after_sleep, "gathered");
	ringo_task *waited = spawn_named(fails_after_sleep, "waited_for");
	ringo_task *shielded = spawn_named(fails_after_sleep, "shielded");
	/* Not an error: not reported. */
	ringo_task *fine = spawn_named(returns_value, "fine");
	ringo_task *cancelled = spawn_named(fails_after_sleep, "cancelled");
	assert_true(ringo_task_cancel(cancelled));
	/* No reference kept: the loop's own is the last. */
	assert_int_equal(ringo_task_create(fails_eio, NULL, &(ringo_task_opts){ .name = "unowned" },
					   NULL),
			 0);
	assert_int_equal(ringo_task_await(awaited), -EIO);
	assert_int_equal(ringo_gather(&gathered, 1, NULL, 0), -ENOENT);
	assert_int_equal(ringo_wait_for(waited, RINGO_SEC(5)), -ENOENT);
	assert_int_equal(ringo_shield(shielded), -ENOENT);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_int_equal(ringo_task_result(read), -EIO);
	harness_log(&unretrieved_log, "unref");
	ringo_task *all[] = { lost, awaited, read, gathered, waited, shielded, fine, cancelled };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ringo_task_unref(all[i]);
	harness_log(&unretrieved_log, "done");
	return 0;
}

static void test_unretrieved_error_is_reported(void **state)
{
	(void)state;
	memset(&unretrieved_log, 0, sizeof(unretrieved_log));
	ringo_set_exception_handler(record_unretrieved, "h");
	assert_int_equal(harness_run(unretrieved_main, NULL), 0);
	ringo_set_exception_handler(NULL, NULL);
	assert_string_equal(unretrieved_log.buf, "unowned:-5:h unref lost:-5:h done");
}

static intptr_t lose_one(void *arg)
{
	(void)arg;
	ringo_task *t = spawn_named(fails_eio, "worker-7");
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	ringo_task_unref(t);
	return 0;
}

static void default_handler_child(void *arg)
{
	(void)arg;
	intptr_t r = -1;
	if (ringo_run(lose_one, NULL, &r) != 0 || r != 0)
		_exit(3);
}

static void test_default_handler_prints_one_line(void **state)
{
	(void)state;
	char out[512];
	int status = harness_fork(default_handler_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "ringo: task worker-7 failed with -5 (Input/output error) and "
				 "nobody took its result\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_and_await),
		cmocka_unit_test(test_errors_and_pointers),
		cmocka_unit_test(test_many_awaiters),
		cmocka_unit_test(test_await_done_task_returns_at_once),
		cmocka_unit_test(test_bad_awaits),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_auto_names_count),
		cmocka_unit_test(test_current_and_all),
		cmocka_unit_test(test_done_callbacks),
		cmocka_unit_test(test_fire_and_forget),
		cmocka_unit_test(test_many_records_outlive_the_loop),
		cmocka_unit_test(test_custom_stack_size),
		cmocka_unit_test(test_default_stack_runs_libc),
		cmocka_unit_test(test_default_stack_runs_getaddrinfo),
		cmocka_unit_test(test_spawn_reports_enomem),
		cmocka_unit_test(test_unretrieved_error_is_reported),
		cmocka_unit_test(test_default_handler_prints_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Signals: ringo_signal_wait, handlers as tasks, and ringo_run's SIGINT
 * (in child processes). The in-process cases run with the signalfd read by
 * IORING_OP_READ and by the poll fallback (RINGO_SIGNALFD=poll). */
#include "harness.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringo.h>

static const char *const signalfd_modes[] = { NULL, "poll" };
#define NMODES (sizeof(signalfd_modes) / sizeof(signalfd_modes[0]))

static intptr_t run_mode(intptr_t (*fn)(void *), void *arg, size_t mode)
{
	if (signalfd_modes[mode])
		setenv("RINGO_SIGNALFD", signalfd_modes[mode], 1);
	intptr_t r = harness_run(fn, arg);
	unsetenv("RINGO_SIGNALFD");
	return r;
}

static bool blocked(int sig)
{
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig) == 1;
}

static sigset_t set_of(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	return s;
}

/* ---- ringo_signal_wait ---- */

static void send_usr1(void *arg)
{
	(void)arg;
	kill(getpid(), SIGUSR1);
}

static intptr_t wait_main(void *arg)
{
	(void)arg;
	sigset_t s = set_of(SIGUSR1);
	sigaddset(&s, SIGUSR2);
	assert_false(blocked(SIGUSR1));
	assert_int_equal(ringo_call_later(RINGO_MSEC(20), send_usr1, NULL, NULL), 0);
	assert_int_equal(ringo_signal_wait(&s, ringo_deadline_in(RINGO_SEC(5))), SIGUSR1);
	/* Blocked only while waited for. */
	assert_false(blocked(SIGUSR1));
	assert_false(blocked(SIGUSR2));
	/* A deadline. */
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_signal_wait(&s, ringo_deadline_in(RINGO_MSEC(50))), -ETIMEDOUT);
	assert_true(ringo_time() - t0 >= RINGO_MSEC(50));
	assert_false(blocked(SIGUSR1));
	return 0;
}

static void test_wait(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++)
		assert_int_equal(run_mode(wait_main, NULL, m), 0);
}

static intptr_t waiter(void *arg)
{
	sigset_t s = set_of(SIGUSR1);
	ringo_deadline d = { (int64_t)(intptr_t)arg }; /* arg NULL: none */
	return ringo_signal_wait(&s, d);
}

static intptr_t cancel_main(void *arg)
{
	(void)arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(waiter, NULL, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_true(blocked(SIGUSR1));
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	assert_false(blocked(SIGUSR1));
	return 0;
}

static void test_wait_cancelled(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++)
		assert_int_equal(run_mode(cancel_main, NULL, m), 0);
}

static intptr_t bad_main(void *arg)
{
	(void)arg;
	sigset_t s;
	sigemptyset(&s);
	assert_int_equal(ringo_signal_wait(NULL, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_signal_wait(&s, RINGO_NO_DEADLINE), -EINVAL);
	s = set_of(SIGKILL);
	assert_int_equal(ringo_signal_wait(&s, RINGO_NO_DEADLINE), -EINVAL);
	s = set_of(SIGSEGV);
	sigaddset(&s, SIGUSR1);
	assert_int_equal(ringo_signal_wait(&s, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_signal_add_handler(SIGSTOP, waiter, NULL), -EINVAL);
	assert_int_equal(ringo_signal_add_handler(0, waiter, NULL), -EINVAL);
	assert_int_equal(ringo_signal_add_handler(NSIG, waiter, NULL), -EINVAL);
	assert_int_equal(ringo_signal_add_handler(SIGUSR1, NULL, NULL), -EINVAL);
	assert_false(ringo_signal_remove_handler(SIGUSR1));
	return 0;
}

static void test_bad_arguments(void **state)
{
	(void)state;
	sigset_t s = set_of(SIGUSR1);
	assert_int_equal(ringo_signal_wait(&s, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_signal_add_handler(SIGUSR1, waiter, NULL), -EPERM);
	assert_false(ringo_signal_remove_handler(SIGUSR1));
	assert_int_equal(harness_run(bad_main, NULL), 0);
}

/* A signal already pending (blocked by the program before the loop) is
 * taken at once, and stays blocked after the loop since it was before. */
static intptr_t pending_main(void *arg)
{
	(void)arg;
	sigset_t s = set_of(SIGUSR2);
	assert_int_equal(ringo_signal_wait(&s, ringo_deadline_in(RINGO_SEC(5))), SIGUSR2);
	assert_true(blocked(SIGUSR2));
	return 0;
}

static void test_pending_before(void **state)
{
	(void)state;
	sigset_t s = set_of(SIGUSR2);
	sigset_t old;
	pthread_sigmask(SIG_BLOCK, &s, &old);
	raise(SIGUSR2);
	assert_int_equal(harness_run(pending_main, NULL), 0);
	assert_true(blocked(SIGUSR2));
	sigset_t pending;
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGUSR2));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- handlers ---- */

struct handled {
	ringo_event *ev;
	int count;
	char name[32];
};

static intptr_t on_usr1(void *arg)
{
	struct handled *h = arg;
	h->count++;
	snprintf(h->name, sizeof(h->name), "%s", ringo_task_name(ringo_task_current()));
	ringo_event_set(h->ev);
	return 0;
}

static intptr_t handler_main(void *arg)
{
	struct handled *h = arg;
	assert_int_equal(ringo_event_create(&h->ev), 0);
	assert_int_equal(ringo_signal_add_handler(SIGUSR1, on_usr1, h), 0);
	assert_true(blocked(SIGUSR1));
	for (int i = 1; i <= 3; i++) {
		ringo_event_clear(h->ev);
		assert_int_equal(kill(getpid(), SIGUSR1), 0);
		assert_int_equal(ringo_event_wait(h->ev), 1);
		assert_int_equal(h->count, i);
	}
	assert_string_equal(h->name, "signal 10");
	/* A waiter comes first. */
	ringo_event_clear(h->ev);
	ringo_task *t;
	assert_int_equal(ringo_task_create(waiter, (void *)(intptr_t)ringo_deadline_in(RINGO_SEC(5)).ns,
					   NULL, &t),
			 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	assert_int_equal(ringo_task_await(t), SIGUSR1);
	ringo_task_unref(t);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_int_equal(h->count, 3);
	/* Then the handler again. */
	assert_true(blocked(SIGUSR1));
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	assert_int_equal(ringo_event_wait(h->ev), 1);
	assert_int_equal(h->count, 4);
	assert_true(ringo_signal_remove_handler(SIGUSR1));
	assert_false(ringo_signal_remove_handler(SIGUSR1));
	assert_false(blocked(SIGUSR1));
	ringo_event_destroy(h->ev);
	return 0;
}

static void test_handler(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++) {
		struct handled h = { .count = 0 };
		assert_int_equal(run_mode(handler_main, &h, m), 0);
	}
}

/* A handler keeps the loop waiting: a task waiting for what it will do is
 * no deadlock, even with nothing else in flight. The signal comes from a
 * thread that blocks it. */
static void *late_kill(void *arg)
{
	(void)arg;
	usleep(50000);
	kill(getpid(), SIGUSR1);
	return NULL;
}

static intptr_t alive_main(void *arg)
{
	struct handled *h = arg;
	assert_int_equal(ringo_event_create(&h->ev), 0);
	assert_int_equal(ringo_signal_add_handler(SIGUSR1, on_usr1, h), 0);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, late_kill, NULL), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(ringo_event_wait(h->ev), 1);
	pthread_join(th, NULL);
	assert_int_equal(h->count, 1);
	ringo_event_destroy(h->ev);
	/* The handler is removed when the loop ends. */
	return 0;
}

static void test_handler_keeps_loop_alive(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMODES; m++) {
		struct handled h = { .count = 0 };
		assert_int_equal(run_mode(alive_main, &h, m), 0);
		assert_false(blocked(SIGUSR1));
	}
}

/* ---- SIGINT and ringo_run ---- */

static intptr_t quick(void *arg)
{
	(void)arg;
	assert_true(blocked(SIGINT));
	return 0;
}

static intptr_t quick_no_sigint(void *arg)
{
	(void)arg;
	assert_false(blocked(SIGINT));
	return 0;
}

static void *run_on_thread(void *arg)
{
	intptr_t r = -1;
	*(int *)arg = ringo_run(quick_no_sigint, NULL, &r) == 0 && r == 0;
	return NULL;
}

static void test_sigint_blocked_only_during_run(void **state)
{
	(void)state;
	assert_false(blocked(SIGINT));
	assert_int_equal(harness_run(quick, NULL), 0);
	assert_false(blocked(SIGINT));
	ringo_run_opts opts = { .flags = RINGO_RUN_NO_SIGINT };
	intptr_t r = -1;
	assert_int_equal(ringo_run_with(quick_no_sigint, NULL, &r, &opts), 0);
	assert_int_equal(r, 0);
	/* As asyncio.run: a loop on another thread leaves SIGINT alone. */
	pthread_t th;
	int ok = 0;
	assert_int_equal(pthread_create(&th, NULL, run_on_thread, &ok), 0);
	pthread_join(th, NULL);
	assert_int_equal(ok, 1);
}

/* A child running a loop whose main reports on a pipe. */
struct child {
	pid_t pid;
	int rfd;
	char out[256];
	size_t len;
};

struct child_arg {
	int wfd;
	unsigned flags;
	bool stubborn; /* main goes on sleeping after the first -ECANCELED */
	bool ignore;   /* SIGINT set to SIG_IGN before ringo_run */
};

static intptr_t child_main(void *arg)
{
	struct child_arg *a = arg;
	dprintf(a->wfd, "ready\n");
	int r = ringo_sleep(RINGO_SEC(10));
	dprintf(a->wfd, "sleep=%d\n", r);
	if (a->stubborn && r == -ECANCELED)
		r = ringo_sleep(RINGO_SEC(10));
	return r;
}

static void start_child(struct child *c, struct child_arg *a)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		close(fds[0]);
		a->wfd = fds[1];
		signal(SIGINT, a->ignore ? SIG_IGN : SIG_DFL);
		ringo_run_opts opts = { .flags = a->flags };
		intptr_t result = 0;
		int ret = ringo_run_with(child_main, a, &result, &opts);
		dprintf(fds[1], "run=%d result=%d\n", ret, (int)result);
		_exit(0);
	}
	close(fds[1]);
	c->rfd = fds[0];
	c->len = 0;
	c->out[0] = '\0';
}

/* Reads from the child until its output contains want (or it ends);
 * fails after 5 s. */
static void expect_output(struct child *c, const char *want)
{
	int64_t deadline = harness_now() + RINGO_SEC(5);
	while (!strstr(c->out, want)) {
		struct pollfd p = { .fd = c->rfd, .events = POLLIN };
		int left = (int)((deadline - harness_now()) / 1000000);
		assert_true(left > 0);
		if (poll(&p, 1, left) <= 0)
			continue;
		ssize_t n = read(c->rfd, c->out + c->len, sizeof(c->out) - 1 - c->len);
		if (n <= 0)
			break;
		c->len += (size_t)n;
		c->out[c->len] = '\0';
	}
	assert_non_null(strstr(c->out, want));
}

static int end_child(struct child *c)
{
	int status = 0;
	int64_t deadline = harness_now() + RINGO_SEC(5);
	pid_t p;
	while ((p = waitpid(c->pid, &status, WNOHANG)) == 0 && harness_now() < deadline)
		usleep(1000);
	if (p == 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
		fail_msg("the child did not end");
	}
	close(c->rfd);
	return status;
}

static void test_sigint_cancels_main(void **state)
{
	(void)state;
	struct child c;
	struct child_arg a = { .flags = 0 };
	start_child(&c, &a);
	expect_output(&c, "ready\n");
	int64_t t0 = harness_now();
	assert_int_equal(kill(c.pid, SIGINT), 0);
	char want[64];
	snprintf(want, sizeof(want), "sleep=%d\nrun=0 result=%d\n", -ECANCELED, -ECANCELED);
	expect_output(&c, want);
	int status = end_child(&c);
	assert_true(harness_now() - t0 < RINGO_SEC(2));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(c.out, "ready\n" "sleep=-125\n" "run=0 result=-125\n");
}

static void test_second_sigint_ends_process(void **state)
{
	(void)state;
	struct child c;
	struct child_arg a = { .stubborn = true };
	start_child(&c, &a);
	expect_output(&c, "ready\n");
	assert_int_equal(kill(c.pid, SIGINT), 0);
	expect_output(&c, "sleep=-125\n");
	assert_int_equal(kill(c.pid, SIGINT), 0);
	int status = end_child(&c);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGINT);
	assert_string_equal(c.out, "ready\nsleep=-125\n");
}

static void test_no_sigint_flag(void **state)
{
	(void)state;
	struct child c;
	struct child_arg a = { .flags = RINGO_RUN_NO_SIGINT };
	start_child(&c, &a);
	expect_output(&c, "ready\n");
	assert_int_equal(kill(c.pid, SIGINT), 0);
	int status = end_child(&c);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGINT);
	assert_string_equal(c.out, "ready\n");
}

/* A program that set SIGINT's disposition itself keeps it: ignored here. */
static void test_sigint_left_alone_when_claimed(void **state)
{
	(void)state;
	struct child c;
	struct child_arg a = { .ignore = true };
	start_child(&c, &a);
	expect_output(&c, "ready\n");
	assert_int_equal(kill(c.pid, SIGINT), 0);
	/* Still sleeping: nothing was cancelled. */
	struct pollfd p = { .fd = c.rfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 200), 0);
	kill(c.pid, SIGKILL);
	int status = end_child(&c);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_wait_cancelled),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_pending_before),
		cmocka_unit_test(test_handler),
		cmocka_unit_test(test_handler_keeps_loop_alive),
		cmocka_unit_test(test_sigint_blocked_only_during_run),
		cmocka_unit_test(test_sigint_cancels_main),
		cmocka_unit_test(test_second_sigint_ends_process),
		cmocka_unit_test(test_no_sigint_flag),
		cmocka_unit_test(test_sigint_left_alone_when_claimed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

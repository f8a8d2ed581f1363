/* SPDX-License-Identifier: MIT */
/* The ring: io_uring unavailable, full submission queues, ring modes. */
#include "harness.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ringo.h>

static intptr_t trivial(void *arg)
{
	(void)arg;
	return 3;
}

/* Makes io_uring_setup fail with the errno in arg, as a container's seccomp
 * profile or kernel.io_uring_disabled=2 would, then tries to run a loop. */
static void forbidden_child(void *arg)
{
	int err = (int)(intptr_t)arg;
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		printf("seccomp unavailable\n");
		_exit(77);
	}
	intptr_t result = 0;
	int r = ringo_run(trivial, NULL, &result);
	fflush(stderr);
	printf("run=%d\n", r);
	fflush(stdout);
	_exit(r < 0 ? 1 : 0);
}

static void check_forbidden(int err, const char *reason)
{
	char out[1024];
	int status = harness_fork(forbidden_child, (void *)(intptr_t)err, out, sizeof(out));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		skip();
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	char expect[64];
	snprintf(expect, sizeof(expect), "run=%d\n", -err);
	if (!strstr(out, expect))
		fail_msg("child said: %s", out);
	/* exactly one line of diagnosis, naming the cause */
	const char *line = strstr(out, "ringo: cannot start the loop: ");
	assert_non_null(line);
	assert_non_null(strstr(line, reason));
	assert_ptr_equal(strchr(out, '\n') + 1, strstr(out, "run="));
}

static void test_io_uring_forbidden(void **state)
{
	(void)state;
	check_forbidden(EPERM, "io_uring is forbidden here (EPERM)");
}

static void test_io_uring_missing(void **state)
{
	(void)state;
	check_forbidden(ENOSYS, "the kernel has no io_uring (ENOSYS)");
}

static intptr_t storm_body(void *arg)
{
	for (int i = 0; i < 10; i++)
		assert_int_equal(ringo_sleep(i % 2 ? 0 : RINGO_USEC(1)), 0);
	(*(int *)arg)++;
	return 0;
}

static intptr_t storm(void *arg)
{
	enum { N = 2000 };
	static ringo_task *t[N];
	for (int i = 0; i < N; i++)
		assert_int_equal(ringo_task_create(storm_body, arg, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, N, NULL, 0), 0);
	for (int i = 0; i < N; i++)
		ringo_task_unref(t[i]);
	return 0;
}

/* An SQ of 8 entries with 2,000 tasks: every await finds the SQ full many
 * times over and must submit and retry, never fail. Run on both ring
 * setups, and with the SQ index array that IORING_SETUP_NO_SQARRAY
 * otherwise leaves out (RINGO_RING_SQARRAY=1: liburing's own setup, as on
 * kernels before 6.6). */
static void test_full_submission_queue(void **state)
{
	(void)state;
	unsigned modes[] = { 0, RINGO_RUN_PLAIN_RING, 0, RINGO_RUN_PLAIN_RING };
	for (int m = 0; m < 4; m++) {
		if (m >= 2)
			setenv("RINGO_RING_SQARRAY", "1", 1);
		int count = 0;
		ringo_run_opts opts = { .ring_entries = 8, .flags = modes[m] };
		intptr_t result = -1;
		assert_int_equal(ringo_run_with(storm, &count, &result, &opts), 0);
		unsetenv("RINGO_RING_SQARRAY");
		assert_int_equal(result, 0);
		assert_int_equal(count, 2000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_uring_forbidden),
		cmocka_unit_test(test_io_uring_missing),
		cmocka_unit_test(test_full_submission_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

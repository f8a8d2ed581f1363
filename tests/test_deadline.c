/* SPDX-License-Identifier: MIT */
/* The deadline type (ringo_deadline): how deadlines are made, that a time
 * already past never turns into "none", and that an I/O call given one
 * behaves accordingly. That a bare number cannot be passed as a deadline is
 * checked by tests/compile_fail.sh on tests/deadline_misuse.c. */
#include "harness.h"

#include <sys/socket.h>
#include <unistd.h>

#include <ringo.h>

/* A deadline is not an integer. */
_Static_assert(_Generic(ringo_deadline_in(1), ringo_deadline: 1, default: 0),
	       "ringo_deadline_in returns a ringo_deadline");
_Static_assert(_Generic(RINGO_NO_DEADLINE, ringo_deadline: 1, default: 0),
	       "RINGO_NO_DEADLINE is a ringo_deadline");

static void test_make(void **state)
{
	(void)state;
	assert_true(ringo_deadline_none(RINGO_NO_DEADLINE));
	assert_int_equal(RINGO_NO_DEADLINE.ns, 0);
	/* "No timeout" as a delay or as a time means none. */
	assert_true(ringo_deadline_none(ringo_deadline_in(RINGO_NO_TIMEOUT)));
	assert_true(ringo_deadline_none(ringo_deadline_at(RINGO_NO_TIMEOUT)));
	/* A delay past the clock's range saturates to none. */
	assert_true(ringo_deadline_none(ringo_deadline_in(RINGO_NO_TIMEOUT - 1)));
	/* Times <= 0 are long past, not "none". */
	assert_false(ringo_deadline_none(ringo_deadline_at(0)));
	assert_false(ringo_deadline_none(ringo_deadline_at(-5)));
	assert_int_equal(ringo_deadline_at(0).ns, 1);
	assert_int_equal(ringo_deadline_at(-5).ns, 1);
	assert_false(ringo_deadline_none(ringo_deadline_in(INT64_MIN)));
	assert_int_equal(ringo_deadline_in(INT64_MIN).ns, 1);
	/* An ordinary time is kept as it is. */
	assert_int_equal(ringo_deadline_at(12345).ns, 12345);
	int64_t before = ringo_time();
	ringo_deadline d = ringo_deadline_in(RINGO_SEC(2));
	int64_t after = ringo_time();
	assert_true(d.ns >= before + RINGO_SEC(2));
	assert_true(d.ns <= after + RINGO_SEC(2));
	d = ringo_deadline_in(0);
	assert_false(ringo_deadline_none(d));
	assert_true(d.ns >= before);
}

static intptr_t past_main(void *arg)
{
	int *fd = arg;
	char b;
	/* Nothing to read: each deadline already past times out at once
	 * instead of waiting forever. */
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_recv(fd[0], &b, 1, 0, ringo_deadline_at(0)), -ETIMEDOUT);
	assert_int_equal(ringo_recv(fd[0], &b, 1, 0, ringo_deadline_at(-1)), -ETIMEDOUT);
	assert_int_equal(ringo_recv(fd[0], &b, 1, 0, ringo_deadline_in(-RINGO_SEC(1))),
			 -ETIMEDOUT);
	assert_int_equal(ringo_recv(fd[0], &b, 1, 0, ringo_deadline_in(0)), -ETIMEDOUT);
	assert_true(ringo_time() - t0 < RINGO_SEC(2));
	/* A stream's deadline likewise. */
	int dup_fd = dup(fd[0]);
	assert_true(dup_fd >= 0);
	ringo_stream *s;
	assert_int_equal(ringo_stream_open(dup_fd, NULL, &s), 0);
	ringo_stream_set_deadline(s, ringo_deadline_at(0));
	assert_int_equal(ringo_stream_read(s, &b, 1), -ETIMEDOUT);
	ringo_stream_set_deadline(s, RINGO_NO_DEADLINE);
	assert_int_equal(write(fd[1], "x", 1), 1);
	assert_int_equal(ringo_stream_read(s, &b, 1), 1);
	assert_int_equal(b, 'x');
	ringo_stream_destroy(s);
	return 0;
}

static void test_past_deadline_times_out(void **state)
{
	(void)state;
	int fd[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0);
	assert_int_equal(harness_run(past_main, fd), 0);
	close(fd[0]);
	close(fd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_past_deadline_times_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

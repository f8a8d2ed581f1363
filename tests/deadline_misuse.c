/* SPDX-License-Identifier: MIT */
/* Compiled by tests/compile_fail.sh, never linked: CASE 0 is the right way
 * to pass deadlines and must compile; every other CASE is a mistake that
 * the ringo_deadline type exists to reject, and must not compile. */
#include <ringo.h>

int use(int fd, char *buf, ringo_stream *s, ringo_acceptor *a, ringo_process *p);

int use(int fd, char *buf, ringo_stream *s, ringo_acceptor *a, ringo_process *p)
{
	int64_t two_seconds = RINGO_SEC(2);
	(void)two_seconds;
#if CASE == 0
	ringo_stream_set_deadline(s, ringo_deadline_in(two_seconds));
	ringo_deadline d = ringo_deadline_at(ringo_time() + two_seconds);
	(void)ringo_process_wait(p, NULL, RINGO_NO_DEADLINE);
	(void)ringo_acceptor_accept(a, d);
	return (int)ringo_recv(fd, buf, 1, 0, d);
#elif CASE == 1
	/* a duration where a deadline is expected */
	(void)s, (void)a, (void)p;
	return (int)ringo_recv(fd, buf, 1, 0, RINGO_SEC(2));
#elif CASE == 2
	/* 0 for "none" */
	(void)s, (void)a, (void)p;
	return (int)ringo_read(fd, buf, 1, -1, 0);
#elif CASE == 3
	(void)fd, (void)buf, (void)a, (void)p;
	ringo_stream_set_deadline(s, two_seconds);
	return 0;
#elif CASE == 4
	(void)fd, (void)buf, (void)s, (void)p;
	return ringo_acceptor_accept(a, ringo_time() + two_seconds);
#elif CASE == 5
	(void)fd, (void)buf, (void)s, (void)a;
	return ringo_process_wait(p, NULL, two_seconds);
#elif CASE == 6
	/* a deadline where a relative timeout is expected */
	(void)fd, (void)buf, (void)s, (void)a, (void)p;
	ringo_timeout *to;
	return ringo_timeout_enter(&to, ringo_deadline_in(two_seconds));
#elif CASE == 7
	(void)fd, (void)buf, (void)s, (void)a, (void)p;
	ringo_deadline d = two_seconds;
	return (int)d.ns;
#else
#error unknown CASE
#endif
}

/* SPDX-License-Identifier: MIT */
/* The I/O await itself (lib/io/io.c): one SQE, or an op linked to its
 * deadline's IORING_OP_LINK_TIMEOUT; cancellation; full rings. */
#include "harness.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringo.h>

struct pair {
	int fd[2];
};

static void make_pair(struct pair *p)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fd), 0);
}

static void close_pair(struct pair *p)
{
	close(p->fd[0]);
	close(p->fd[1]);
}

static intptr_t recv_deadline(void *arg)
{
	struct pair *p = arg;
	char buf[8] = "xxxxxxx";
	int64_t t0 = ringo_time();
	/* Nothing ever arrives: the deadline ends it, and the buffer is
	 * untouched. */
	assert_int_equal(ringo_recv(p->fd[0], buf, sizeof(buf), 0,
				    ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(50));
	assert_true(took < RINGO_SEC(2));
	assert_memory_equal(buf, "xxxxxxx", 8);
	/* The socket still works: data that is there wins over a deadline. */
	assert_int_equal(write(p->fd[1], "hello", 5), 5);
	assert_int_equal(ringo_recv(p->fd[0], buf, sizeof(buf), 0,
				    ringo_deadline_in(RINGO_MSEC(50))),
			 5);
	assert_memory_equal(buf, "hello", 5);
	/* A deadline already past still lets data that is there through. */
	assert_int_equal(write(p->fd[1], "again", 5), 5);
	assert_int_equal(ringo_recv(p->fd[0], buf, sizeof(buf), 0, ringo_deadline_in(-1)), 5);
	/* No deadline: waits for the data. */
	return 0;
}

static void test_deadline(void **state)
{
	(void)state;
	struct pair p;
	make_pair(&p);
	assert_int_equal(harness_run(recv_deadline, &p), 0);
	close_pair(&p);
}

struct cancel_case {
	struct pair p;
	char buf[16];
	intptr_t res;
	int64_t before;
};

static intptr_t receiver(void *arg)
{
	struct cancel_case *c = arg;
	c->res = ringo_recv(c->p.fd[0], c->buf, sizeof(c->buf), 0,
			    ringo_deadline_in(RINGO_SEC(10)));
	return c->res;
}

static intptr_t cancel_recv(void *arg)
{
	struct cancel_case *c = arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(receiver, c, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	int64_t t0 = ringo_time();
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	/* Cancelled long before its deadline: the ASYNC_CANCEL ended it. */
	assert_true(ringo_time() - t0 < RINGO_SEC(1));
	assert_int_equal(c->res, -ECANCELED);
	ringo_task_unref(t);
	/* The kernel holds no pointer into buf any more: data sent now stays
	 * in the socket for the next reader. */
	assert_int_equal(write(c->p.fd[1], "late", 4), 4);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_memory_equal(c->buf, "untouched-buffer", 16);
	char again[8];
	assert_int_equal(ringo_recv(c->p.fd[0], again, sizeof(again), 0, RINGO_NO_DEADLINE), 4);
	assert_memory_equal(again, "late", 4);
	return 0;
}

static void test_cancel_leaves_buffer(void **state)
{
	(void)state;
	struct cancel_case c;
	memset(&c, 0, sizeof(c));
	memcpy(c.buf, "untouched-buffer", 16);
	make_pair(&c.p);
	assert_int_equal(harness_run(cancel_recv, &c), 0);
	close_pair(&c.p);
}

/* Many tasks each with a deadline on an 8-entry SQ: the op and its linked
 * timeout always go in one submission, whatever the SQ's fill. */
#define MANY 200

struct many {
	struct pair p[MANY];
	int timed_out;
	int got;
};

struct slot {
	struct many *m;
	int i;
};

static intptr_t waiter(void *arg)
{
	struct slot *s = arg;
	char c;
	ssize_t r = ringo_recv(s->m->p[s->i].fd[0], &c, 1, 0,
			       ringo_deadline_in(RINGO_MSEC(30)));
	if (r == -ETIMEDOUT)
		s->m->timed_out++;
	else if (r == 1 && c == 'z')
		s->m->got++;
	else
		return -EPROTO;
	return 0;
}

static intptr_t many_deadlines(void *arg)
{
	struct many *m = arg;
	static struct slot slots[MANY];
	ringo_task *t[MANY];
	for (int i = 0; i < MANY; i++) {
		slots[i] = (struct slot){ m, i };
		assert_int_equal(ringo_task_create(waiter, &slots[i], NULL, &t[i]), 0);
	}
	/* Half of them get their byte. */
	for (int i = 0; i < MANY; i += 2)
		assert_int_equal(write(m->p[i].fd[1], "z", 1), 1);
	assert_int_equal(ringo_gather(t, MANY, NULL, 0), 0);
	for (int i = 0; i < MANY; i++)
		ringo_task_unref(t[i]);
	return 0;
}

static void test_deadlines_on_small_ring(void **state)
{
	(void)state;
	static struct many m;
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < MANY; i++)
		make_pair(&m.p[i]);
	ringo_run_opts opts = { .ring_entries = 8 };
	intptr_t res = -1;
	assert_int_equal(ringo_run_with(many_deadlines, &m, &res, &opts), 0);
	assert_int_equal(res, 0);
	assert_int_equal(m.got, MANY / 2);
	assert_int_equal(m.timed_out, MANY / 2);
	for (int i = 0; i < MANY; i++)
		close_pair(&m.p[i]);
}

static intptr_t outside(void *arg)
{
	(void)arg;
	return 0;
}

static void test_outside_a_task(void **state)
{
	(void)state;
	char b;
	assert_int_equal(ringo_recv(0, &b, 1, 0, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_recv(0, NULL, 1, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(harness_run(outside, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel_leaves_buffer),
		cmocka_unit_test(test_deadlines_on_small_ring),
		cmocka_unit_test(test_outside_a_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* ringo_call_soon_threadsafe and the loop handle: 8 plain threads x 10,000
 * messages arrive exactly once and in per-sender order; a loop posting to
 * itself; -EPIPE from a loop that has ended; a loop ending while threads
 * still send (every accepted message runs, once); deadlock detection with
 * and without outside references. Each case runs on the default ring and on
 * a plain ring. */
#include "harness.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringo.h>

static unsigned ring_flags;

static intptr_t run(intptr_t (*fn)(void *), void *arg, int expect)
{
	ringo_run_opts opts = { .flags = ring_flags };
	intptr_t result = INTPTR_MIN;
	assert_int_equal(ringo_run_with(fn, arg, &result, &opts), expect);
	return result;
}

/* ---- many senders ---- */

#define SENDERS 8
#define PER_SENDER 10000

struct flood {
	ringo_loop *loop;
	ringo_event *all_in;
	pthread_t threads[SENDERS];
	unsigned next[SENDERS];     /* the loop's: next sequence number per sender */
	unsigned received;
	unsigned out_of_order;
	int send_errors;
};

struct flood_msg {
	struct flood *f;
	unsigned sender, seq;
};

static void flood_cb(void *arg)
{
	struct flood_msg *m = arg;
	struct flood *f = m->f;
	if (m->seq != f->next[m->sender])
		f->out_of_order++;
	f->next[m->sender] = m->seq + 1;
	if (++f->received == SENDERS * PER_SENDER)
		ringo_event_set(f->all_in);
	free(m);
}

struct sender_arg {
	struct flood *f;
	unsigned id;
};
static struct sender_arg sender_args[SENDERS];

static void *sender_main(void *arg)
{
	struct sender_arg *a = arg;
	for (unsigned i = 0; i < PER_SENDER; i++) {
		struct flood_msg *m = malloc(sizeof(*m));
		*m = (struct flood_msg){ a->f, a->id, i };
		int ret = ringo_call_soon_threadsafe(a->f->loop, flood_cb, m);
		if (ret != 0) {
			free(m);
			__atomic_fetch_add(&a->f->send_errors, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static intptr_t flood_main(void *arg)
{
	struct flood *f = arg;
	assert_int_equal(ringo_event_create(&f->all_in), 0);
	/* A reference held for the threads: the loop waits for them. */
	f->loop = ringo_loop_ref(ringo_loop_current());
	for (unsigned i = 0; i < SENDERS; i++) {
		sender_args[i] = (struct sender_arg){ f, i };
		assert_int_equal(pthread_create(&f->threads[i], NULL, sender_main, &sender_args[i]), 0);
	}
	assert_int_equal(ringo_event_wait(f->all_in), 1);
	ringo_event_destroy(f->all_in);
	return 0;
}

static void test_eight_senders_in_order(void **state)
{
	(void)state;
	struct flood *f = calloc(1, sizeof(*f));
	assert_int_equal(run(flood_main, f, 0), 0);
	for (unsigned i = 0; i < SENDERS; i++)
		pthread_join(f->threads[i], NULL);
	assert_int_equal(f->send_errors, 0);
	assert_int_equal(f->received, SENDERS * PER_SENDER);
	assert_int_equal(f->out_of_order, 0);
	for (unsigned i = 0; i < SENDERS; i++)
		assert_int_equal(f->next[i], PER_SENDER);
	/* The loop has ended: its handle answers -EPIPE. */
	assert_int_equal(ringo_call_soon_threadsafe(f->loop, flood_cb, NULL), -EPIPE);
	ringo_loop_unref(f->loop);
	free(f);
}

/* ---- from the loop's own thread ---- */

struct self {
	struct harness_log log;
	ringo_event *done;
};

static void self_cb(void *arg)
{
	struct self *s = arg;
	harness_log(&s->log, "cb");
	if (strcmp(s->log.buf, "soon cb cb cb") == 0)
		ringo_event_set(s->done);
}

static void soon_cb(void *arg)
{
	harness_log(&((struct self *)arg)->log, "soon");
}

static intptr_t self_main(void *arg)
{
	struct self *s = arg;
	ringo_event_create(&s->done);
	ringo_loop *me = ringo_loop_current();
	assert_non_null(me);
	assert_ptr_equal(ringo_loop_at(0), me);
	assert_null(ringo_loop_at(1));
	assert_int_equal(ringo_loop_index(), 0);
	assert_int_equal(ringo_loop_count(), 1);
	ringo_call_soon(soon_cb, s, NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ringo_call_soon_threadsafe(me, self_cb, s), 0);
	/* Nothing runs inside the call. */
	assert_string_equal(s->log.buf, "");
	assert_int_equal(ringo_event_wait(s->done), 1);
	ringo_event_destroy(s->done);
	return 0;
}

static void test_from_own_loop(void **state)
{
	(void)state;
	struct self s;
	memset(&s, 0, sizeof(s));
	assert_null(ringo_loop_current());
	assert_int_equal(ringo_loop_count(), 0);
	assert_null(ringo_loop_at(0));
	run(self_main, &s, 0);
	assert_string_equal(s.log.buf, "soon cb cb cb");
	assert_int_equal(ringo_call_soon_threadsafe(NULL, self_cb, &s), -EINVAL);
}

/* ---- a loop ending while threads still send ---- */

struct ending {
	ringo_loop *loop;
	_Atomic unsigned accepted[4];
	unsigned ran;               /* the loop's */
	_Atomic bool stop;
};

struct ending_arg {
	struct ending *e;
	unsigned id;
};

static void ending_cb(void *arg)
{
	struct ending *e = arg;
	e->ran++;
}

static void *ending_sender(void *arg)
{
	struct ending_arg *a = arg;
	for (;;) {
		int ret = ringo_call_soon_threadsafe(a->e->loop, ending_cb, a->e);
		if (ret == -EPIPE)
			break;
		assert_int_equal(ret, 0);
		atomic_fetch_add(&a->e->accepted[a->id], 1);
	}
	return NULL;
}

static struct ending_arg ending_args[4];
static pthread_t ending_threads[4];

static intptr_t ending_main(void *arg)
{
	struct ending *e = arg;
	e->loop = ringo_loop_ref(ringo_loop_current());
	for (unsigned i = 0; i < 4; i++) {
		ending_args[i] = (struct ending_arg){ e, i };
		assert_int_equal(pthread_create(&ending_threads[i], NULL, ending_sender,
						&ending_args[i]), 0);
	}
	/* Let the senders get going, then end with messages on their way. */
	while (e->ran < 1000)
		assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	return 0;
}

static void test_loop_ends_while_senders_send(void **state)
{
	(void)state;
	struct ending *e = calloc(1, sizeof(*e));
	assert_int_equal(run(ending_main, e, 0), 0);
	for (unsigned i = 0; i < 4; i++)
		pthread_join(ending_threads[i], NULL);
	unsigned accepted = 0;
	for (unsigned i = 0; i < 4; i++)
		accepted += e->accepted[i];
	/* Every message accepted before the end ran, exactly once. */
	assert_true(e->ran >= 1000);
	assert_int_equal(accepted, e->ran);
	ringo_loop_unref(e->loop);
	free(e);
}

/* ---- deadlock detection ---- */

static ringo_loop *held;

static void *drop_later(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	ringo_loop_unref(held);
	return NULL;
}

static intptr_t wait_forever(void *arg)
{
	ringo_event *ev;
	ringo_event_create(&ev);
	pthread_t *th = arg;
	if (th) {
		held = ringo_loop_ref(ringo_loop_current());
		assert_int_equal(pthread_create(th, NULL, drop_later, NULL), 0);
	}
	intptr_t r = ringo_event_wait(ev);
	ringo_event_destroy(ev);
	return r;
}

static void test_deadlock_detection(void **state)
{
	(void)state;
	/* Nobody else holds the loop: nothing can come, at once -EDEADLK. */
	int64_t t0 = harness_now();
	assert_int_equal(run(wait_forever, NULL, -EDEADLK), -ECANCELED);
	/* A thread holds it for 50 ms: the loop waits for its messages, and
	 * reports the deadlock once the last outside reference is gone. */
	pthread_t th;
	t0 = harness_now();
	assert_int_equal(run(wait_forever, &th, -EDEADLK), -ECANCELED);
	assert_true(harness_now() - t0 >= RINGO_MSEC(50));
	pthread_join(th, NULL);
}

/* Under RINGO_MAILBOX=eventfd (the way of kernels without MSG_RING, a
 * meson test of its own), a running loop reads an eventfd; without it, it
 * has none. */
static intptr_t count_eventfds(void *arg)
{
	(void)arg;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	intptr_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[300], link[64] = "";
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		if (readlink(path, link, sizeof(link) - 1) > 0 && strstr(link, "eventfd"))
			n++;
	}
	closedir(d);
	return n;
}

static void test_mailbox_way(void **state)
{
	(void)state;
	const char *mode = getenv("RINGO_MAILBOX");
	bool efd = mode && !strcmp(mode, "eventfd");
	assert_int_equal(run(count_eventfds, NULL, 0), efd ? 1 : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailbox_way),
		cmocka_unit_test(test_eight_senders_in_order),
		cmocka_unit_test(test_from_own_loop),
		cmocka_unit_test(test_loop_ends_while_senders_send),
		cmocka_unit_test(test_deadlock_detection),
	};
	int failed = 0;
	for (int plain = 0; plain < 2; plain++) {
		ring_flags = plain ? RINGO_RUN_PLAIN_RING : 0;
		failed += cmocka_run_group_tests_name(plain ? "plain ring" : "default ring", tests,
						      NULL, NULL);
	}
	return failed;
}

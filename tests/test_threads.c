/* SPDX-License-Identifier: MIT */
/* ringo_run_threads: every loop runs main and knows the others; loops send
 * each other messages (MSG_RING SQEs of their own rings), in order; n == 0
 * means one loop per CPU; pinning; SIGINT cancels every main; a loop that
 * cannot start keeps every main from running. */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ringo.h>

/* ---- all to all ---- */

#define LOOPS 4
#define PER_PEER 2000

struct shard {
	ringo_event *all_in;
	unsigned next[LOOPS];       /* next sequence number expected from each peer */
	unsigned received;
	unsigned out_of_order;
};
static struct shard shards[LOOPS];
static _Atomic unsigned seen_index_mask;

struct hello {
	unsigned from, to, seq;
};

static void hello_cb(void *arg)
{
	struct hello *h = arg;
	struct shard *s = &shards[h->to];
	if (ringo_loop_index() != h->to || h->seq != s->next[h->from])
		s->out_of_order++;
	s->next[h->from] = h->seq + 1;
	if (++s->received == (LOOPS - 1) * PER_PEER)
		ringo_event_set(s->all_in);
	free(h);
}

static intptr_t all_to_all(void *arg)
{
	(void)arg;
	unsigned me = ringo_loop_index(), n = ringo_loop_count();
	assert_int_equal(n, LOOPS);
	assert_ptr_equal(ringo_loop_at(me), ringo_loop_current());
	assert_null(ringo_loop_at(n));
	atomic_fetch_or(&seen_index_mask, 1u << me);
	struct shard *s = &shards[me];
	ringo_event_create(&s->all_in);
	for (unsigned seq = 0; seq < PER_PEER; seq++) {
		for (unsigned to = 0; to < n; to++) {
			if (to == me)
				continue;
			struct hello *h = malloc(sizeof(*h));
			*h = (struct hello){ me, to, seq };
			assert_int_equal(ringo_call_soon_threadsafe(ringo_loop_at(to), hello_cb, h), 0);
		}
		if (seq % 100 == 0)
			ringo_sleep(0);  /* let the others in */
	}
	assert_int_equal(ringo_event_wait(s->all_in), 1);
	ringo_event_destroy(s->all_in);
	return 100 + me;
}

static void test_all_to_all(void **state)
{
	(void)state;
	memset(shards, 0, sizeof(shards));
	intptr_t results[LOOPS];
	assert_int_equal(ringo_run_threads(LOOPS, all_to_all, NULL, NULL, results), 0);
	assert_int_equal(seen_index_mask, (1u << LOOPS) - 1);
	for (unsigned i = 0; i < LOOPS; i++) {
		assert_int_equal(results[i], 100 + i);
		assert_int_equal(shards[i].received, (LOOPS - 1) * PER_PEER);
		assert_int_equal(shards[i].out_of_order, 0);
	}
}

/* ---- every loop serves one port (SO_REUSEPORT) ---- */

#define CLIENTS 200

static uint16_t shared_port;
static int loop0_fd;                 /* handed to ringo_start_server_fd */
static _Atomic unsigned listening;
static ringo_loop *serving[LOOPS];
static ringo_event *stop_ev[LOOPS];
static unsigned served[LOOPS];       /* each loop's own count */

static intptr_t say_index(ringo_stream *s, void *arg)
{
	(void)arg;
	char c = (char)('0' + ringo_loop_index());
	served[ringo_loop_index()]++;
	return ringo_stream_write(s, &c, 1);
}

static void stop_cb(void *arg)
{
	ringo_event_set(arg);
}

static intptr_t serve_shard(void *arg)
{
	(void)arg;
	unsigned me = ringo_loop_index();
	ringo_server_opts opts = { .reuse_port = true };
	ringo_server *srv;
	int ret = me == 0 ? ringo_start_server_fd(loop0_fd, say_index, NULL, &opts, &srv)
			  : ringo_start_server("127.0.0.1", shared_port, say_index, NULL, &opts, &srv);
	if (ret < 0)
		return ret;
	ringo_event_create(&stop_ev[me]);
	serving[me] = ringo_loop_ref(ringo_loop_current());
	atomic_fetch_add(&listening, 1);
	ringo_event_wait(stop_ev[me]);
	ringo_server_close(srv, false);
	ringo_event_destroy(stop_ev[me]);
	return served[me];
}

static unsigned answers[LOOPS];

static void *client(void *arg)
{
	(void)arg;
	while (atomic_load(&listening) < LOOPS)
		usleep(1000);
	for (int i = 0; i < CLIENTS; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(shared_port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		char c = 0;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && read(fd, &c, 1) == 1 &&
		    c >= '0' && c < '0' + LOOPS)
			answers[c - '0']++;
		close(fd);
	}
	for (unsigned i = 0; i < LOOPS; i++) {
		ringo_call_soon_threadsafe(serving[i], stop_cb, stop_ev[i]);
		ringo_loop_unref(serving[i]);
	}
	return NULL;
}

static void test_every_loop_serves(void **state)
{
	(void)state;
	/* Loop 0 serves a socket made here; the others bind the same port. */
	loop0_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(loop0_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(loop0_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	getsockname(loop0_fd, (struct sockaddr *)&a, &len);
	shared_port = ntohs(a.sin_port);

	pthread_t th;
	pthread_create(&th, NULL, client, NULL);
	intptr_t results[LOOPS];
	assert_int_equal(ringo_run_threads(LOOPS, serve_shard, NULL, NULL, results), 0);
	pthread_join(th, NULL);
	unsigned total = 0;
	for (unsigned i = 0; i < LOOPS; i++) {
		/* The kernel spread 200 connections over 4 listeners: each
		 * got some (all in one would be a 4 * (3/4)^200 chance). */
		assert_true(results[i] > 0);
		assert_int_equal(results[i], answers[i]);
		total += answers[i];
	}
	assert_int_equal(total, CLIENTS);
}

/* ---- one per CPU, pinned ---- */

static intptr_t where(void *arg)
{
	(void)arg;
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	if (CPU_COUNT(&set) != 1)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

static void test_one_per_cpu_pinned(void **state)
{
	(void)state;
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	int ncpu = CPU_COUNT(&set);
	intptr_t *results = calloc((size_t)ncpu, sizeof(*results));
	ringo_run_opts opts = { .flags = RINGO_RUN_PIN_CPUS };
	assert_int_equal(ringo_run_threads(0, where, NULL, &opts, results), 0);
	/* Loop i on the i-th allowed CPU. */
	int i = 0;
	for (int c = 0; c < CPU_SETSIZE && i < ncpu; c++)
		if (CPU_ISSET(c, &set))
			assert_int_equal(results[i++], c);
	free(results);
}

/* ---- SIGINT ---- */

static _Atomic unsigned sleeping;

static intptr_t sleep_long(void *arg)
{
	(void)arg;
	atomic_fetch_add(&sleeping, 1);
	int r = ringo_sleep(RINGO_SEC(30));
	return r == -ECANCELED ? 1000 + (intptr_t)ringo_loop_index() : r;
}

static void *interrupter(void *arg)
{
	(void)arg;
	/* This thread must not take the signal itself. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	while (atomic_load(&sleeping) < LOOPS)
		usleep(1000);
	usleep(20 * 1000);
	kill(getpid(), SIGINT);
	return NULL;
}

static void sigint_child(void *arg)
{
	(void)arg;
	pthread_t th;
	pthread_create(&th, NULL, interrupter, NULL);
	intptr_t results[LOOPS];
	int64_t t0 = harness_now();
	int ret = ringo_run_threads(LOOPS, sleep_long, NULL, NULL, results);
	pthread_join(th, NULL);
	printf("ret %d in %s:", ret, harness_now() - t0 < RINGO_SEC(10) ? "time" : "too long");
	for (unsigned i = 0; i < LOOPS; i++)
		printf(" %d", (int)results[i]);
	printf("\n");
}

static void test_sigint_cancels_every_main(void **state)
{
	(void)state;
	char out[256];
	/* In a child: the signal is process-wide. */
	int status = harness_fork(sigint_child, NULL, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "ret 0 in time: 1000 1001 1002 1003\n");
}

/* ---- bad input ---- */

static intptr_t nothing(void *arg)
{
	(void)arg;
	return 0;
}

static intptr_t nested(void *arg)
{
	(void)arg;
	return ringo_run_threads(2, nothing, NULL, NULL, NULL);
}

static intptr_t bad_fds(void *arg)
{
	(void)arg;
	ringo_server *srv;
	assert_int_equal(ringo_start_server_fd(-1, say_index, NULL, NULL, &srv), -EINVAL);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ringo_start_server_fd(p[0], say_index, NULL, NULL, &srv), -ENOTSOCK);
	close(p[0]);
	close(p[1]);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(ringo_start_server_fd(u, say_index, NULL, NULL, &srv), -EINVAL);
	close(u);
	return 0;
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(ringo_start_server_fd(0, say_index, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(harness_run(bad_fds, NULL), 0);
	assert_int_equal(ringo_run_threads(2, NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ringo_run_threads(100000, nothing, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(harness_run(nested, NULL), -EBUSY);
	/* One loop, results NULL. */
	assert_int_equal(ringo_run_threads(1, nothing, NULL, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_to_all),
		cmocka_unit_test(test_every_loop_serves),
		cmocka_unit_test(test_one_per_cpu_pinned),
		cmocka_unit_test(test_sigint_cancels_every_main),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

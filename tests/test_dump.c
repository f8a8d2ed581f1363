/* SPDX-License-Identifier: MIT */
/* ringo_task_dump: one line per task in each kind of wait, with exact
 * words; awaiters indented under what they await. */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringo.h>

static ringo_future *fut;
static ringo_lock *lock;
static ringo_event *ev;
static ringo_queue *queue;
static int conn[2]; /* a TCP connection over loopback: [0] ours, [1] the peer */

static intptr_t sleeper(void *arg)
{
	(void)arg;
	return ringo_sleep(RINGO_SEC(10));
}

static intptr_t awaiter(void *arg)
{
	return ringo_task_await(arg);
}

static intptr_t reader(void *arg)
{
	(void)arg;
	char c;
	return ringo_recv(conn[0], &c, 1, 0, RINGO_NO_DEADLINE);
}

static intptr_t fut_waiter(void *arg)
{
	(void)arg;
	return ringo_future_await(fut);
}

static intptr_t holder(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_lock_acquire(lock), 0);
	int r = ringo_sleep(RINGO_SEC(10));
	ringo_lock_release(lock);
	return r;
}

static intptr_t locker(void *arg)
{
	(void)arg;
	int r = ringo_lock_acquire(lock);
	if (r == 0)
		ringo_lock_release(lock);
	return r;
}

static intptr_t ev_waiter(void *arg)
{
	(void)arg;
	return ringo_event_wait(ev);
}

static intptr_t getter(void *arg)
{
	(void)arg;
	intptr_t item;
	return ringo_queue_get(queue, &item);
}

static intptr_t quick(void *arg)
{
	return (intptr_t)arg;
}

static intptr_t gatherer(void *arg)
{
	ringo_task **kids = arg;
	return ringo_gather(kids, 3, NULL, 0);
}

/* The dump with every "1.234s" made "T" and each "  at ..." site cut off
 * (sites are checked apart: they need libunwind). */
static char *normalize(const char *in)
{
	regex_t num, site;
	assert_int_equal(regcomp(&num, "[0-9]+\\.[0-9][0-9][0-9]s", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&site, "  at [^\n]*", REG_EXTENDED), 0);
	char *out = calloc(1, strlen(in) + 1);
	size_t o = 0;
	const char *p = in;
	regmatch_t m;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (regexec(&site, line, 1, &m, 0) == 0)
			line[m.rm_so] = '\0';
		const char *q = line;
		while (regexec(&num, q, 1, &m, 0) == 0) {
			memcpy(out + o, q, (size_t)m.rm_so);
			o += (size_t)m.rm_so;
			out[o++] = 'T';
			q += m.rm_eo;
		}
		strcpy(out + o, q);
		o += strlen(q);
		out[o++] = '\n';
		p += n + (eol ? 1 : 0);
	}
	out[o] = '\0';
	regfree(&num);
	regfree(&site);
	return out;
}

static char dumped[16384];

static intptr_t scene(void *arg)
{
	(void)arg;
	assert_int_equal(ringo_future_create(&fut), 0);
	assert_int_equal(ringo_lock_create(&lock), 0);
	assert_int_equal(ringo_event_create(&ev), 0);
	assert_int_equal(ringo_queue_create(RINGO_QUEUE_FIFO, 0, &queue), 0);
	harness_tcp_pair(conn);

	ringo_task *t[12];
	size_t n = 0;
	ringo_task_opts o = { .name = "sleeper" };
	assert_int_equal(ringo_task_create(sleeper, NULL, &o, &t[n++]), 0);
	o.name = "awaiter";
	assert_int_equal(ringo_task_create(awaiter, t[0], &o, &t[n++]), 0);
	o.name = "reader";
	assert_int_equal(ringo_task_create(reader, NULL, &o, &t[n++]), 0);
	o.name = "fut_waiter";
	assert_int_equal(ringo_task_create(fut_waiter, NULL, &o, &t[n++]), 0);
	o.name = "holder";
	assert_int_equal(ringo_task_create(holder, NULL, &o, &t[n++]), 0);
	o.name = "locker";
	assert_int_equal(ringo_task_create(locker, NULL, &o, &t[n++]), 0);
	o.name = "ev_waiter";
	assert_int_equal(ringo_task_create(ev_waiter, NULL, &o, &t[n++]), 0);
	o.name = "getter";
	assert_int_equal(ringo_task_create(getter, NULL, &o, &t[n++]), 0);
	ringo_task *kids[3];
	o.name = "kid0";
	assert_int_equal(ringo_task_create(quick, (void *)7, &o, &kids[0]), 0);
	o.name = "kid1";
	assert_int_equal(ringo_task_create(sleeper, NULL, &o, &kids[1]), 0);
	o.name = "kid2";
	assert_int_equal(ringo_task_create(sleeper, NULL, &o, &kids[2]), 0);
	o.name = "gatherer";
	assert_int_equal(ringo_task_create(gatherer, kids, &o, &t[n++]), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	o.name = "later";
	ringo_task *later;
	assert_int_equal(ringo_task_create(quick, NULL, &o, &later), 0);

	FILE *f = fmemopen(dumped, sizeof(dumped) - 1, "w");
	assert_int_equal(ringo_task_dump(f), 0);
	fclose(f);

	for (size_t i = 0; i < n; i++)
		ringo_task_cancel(t[i]);
	ringo_task_cancel(kids[1]);
	ringo_task_cancel(kids[2]);
	ringo_task_cancel(later);
	assert_int_equal(ringo_sleep(RINGO_MSEC(1)), 0);
	for (size_t i = 0; i < n; i++)
		ringo_task_unref(t[i]);
	for (size_t i = 0; i < 3; i++)
		ringo_task_unref(kids[i]);
	ringo_task_unref(later);
	close(conn[0]);
	close(conn[1]);
	ringo_future_unref(fut);
	ringo_lock_destroy(lock);
	ringo_event_destroy(ev);
	ringo_queue_destroy(queue);
	return 0;
}

static void test_each_kind_of_wait(void **state)
{
	(void)state;
	harness_run(scene, NULL);
	char *got = normalize(dumped);
	char expect[4096], fp[32], lp[32], ep[32], qp[32];
	snprintf(fp, sizeof(fp), "%p", (void *)fut);
	snprintf(lp, sizeof(lp), "%p", (void *)lock);
	snprintf(ep, sizeof(ep), "%p", (void *)ev);
	snprintf(qp, sizeof(qp), "%p", (void *)queue);
	/* The header's counts and pid, then the tree: roots in creation order,
	 * each followed by those awaiting it. */
	const char *body = strchr(got, '\n') + 1;
	assert_memory_equal(got, "task dump: 13 tasks, ", 21);
	snprintf(expect, sizeof(expect),
		 "main  running for T\n"
		 "sleeper  suspended for T  sleep until +T\n"
		 "  awaiter  suspended for T  task sleeper\n"
		 "reader  suspended for T  recv fd %d (127.0.0.1:%%s)\n"
		 "fut_waiter  suspended for T  future %s (set by nobody yet)\n"
		 "holder  suspended for T  sleep until +T\n"
		 "locker  suspended for T  lock %s held by holder\n"
		 "ev_waiter  suspended for T  event %s (not set)\n"
		 "getter  suspended for T  queue %s get (empty)\n"
		 "kid1  suspended for T  sleep until +T\n"
		 "  gatherer  suspended for T  gather of 3 (1 done)\n"
		 "kid2  suspended for T  sleep until +T\n"
		 "later  scheduled for T\n",
		 conn[0], fp, lp, ep, qp);
	/* The peer's port is the connecting socket's. */
	char port[16];
	const char *pp = strstr(body, "(127.0.0.1:");
	assert_non_null(pp);
	snprintf(port, sizeof(port), "%.*s", (int)strcspn(pp + 11, ")"), pp + 11);
	char full[4096];
	snprintf(full, sizeof(full), expect, port);
	assert_string_equal(body, full);
	free(got);
	/* Call sites, where libunwind unwound the stacks: the first frame
	 * outside ringo (a task whose body tail-calls the await has none). */
	if (strstr(dumped, "  at ")) {
		assert_non_null(strstr(dumped, "sleep until +"));
		const char *line = strstr(dumped, "\nlocker  ");
		assert_non_null(line);
		const char *at = strstr(line, "  at locker+0x");
		assert_non_null(at);
		assert_true(at < strchr(line + 1, '\n'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_kind_of_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

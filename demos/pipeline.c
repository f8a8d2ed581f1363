/* SPDX-License-Identifier: MIT */
/* A pipeline: two producers and two consumers over a bounded queue, inside
 * a task group, inside a timeout scope that expires and cancels them all.
 *
 *	async with asyncio.timeout(2.7):
 *	    async with asyncio.TaskGroup() as tg:
 *	        tg.create_task(consumer(1, 0.8)); tg.create_task(consumer(2, 1.1))
 *	        tg.create_task(producer(1)); tg.create_task(producer(2))
 *
 * The queue holds 2 items, so the producers soon wait for room; consumer 1
 * takes 0.8 s per job, consumer 2 takes 1.1 s. At 2.7 s the scope cancels
 * the task group's parent; the group cancels its children: the consumers
 * are interrupted mid-job and clean up (which awaits), the producers'
 * blocked puts enqueue nothing. The group then answers -ECANCELED and the
 * scope turns it into -ETIMEDOUT. About 3 s in all. */
#include <stdio.h>

#include <ringo.h>

static ringo_queue *queue;
static int jobs_done;

static void job_name(intptr_t job, char *buf, size_t cap)
{
	snprintf(buf, cap, "%c%ld", job >= 200 ? 'b' : 'a', (long)(job % 100));
}

struct worker {
	int id;
	int64_t work_ns;     /* per job (consumers) */
	int64_t cleanup_ns;  /* cleanup after a cancellation (consumers) */
};

static intptr_t producer(void *arg)
{
	const struct worker *w = arg;
	for (intptr_t n = 1;; n++) {
		intptr_t job = w->id * 100 + n;
		char name[16];
		job_name(job, name, sizeof(name));
		int r = ringo_queue_put_nowait(queue, job);
		if (r == -EAGAIN) {
			printf("producer %d: queue full, waiting to put %s\n", w->id, name);
			fflush(stdout);
			r = ringo_queue_put(queue, job);
		}
		if (r < 0)
			return r; /* cancelled: the job was not enqueued */
		printf("producer %d: put %s\n", w->id, name);
		fflush(stdout);
	}
}

static intptr_t consumer(void *arg)
{
	const struct worker *w = arg;
	for (;;) {
		intptr_t job;
		int r = ringo_queue_get(queue, &job);
		if (r < 0)
			return r;
		char name[16];
		job_name(job, name, sizeof(name));
		printf("consumer %d: got %s\n", w->id, name);
		fflush(stdout);
		r = ringo_sleep(w->work_ns);
		if (r == -ECANCELED) {
			printf("consumer %d: cancelled while working on %s, cleaning up\n", w->id,
			       name);
			fflush(stdout);
			/* The cancellation was delivered: the cleanup may await. */
			ringo_sleep(w->cleanup_ns);
			printf("consumer %d: cleanup done\n", w->id);
			fflush(stdout);
			return -ECANCELED;
		}
		printf("consumer %d: done %s\n", w->id, name);
		fflush(stdout);
		jobs_done++;
		ringo_queue_task_done(queue);
	}
}

static intptr_t pipeline(void *arg)
{
	(void)arg;
	static const struct worker consumers[] = {
		{ 1, RINGO_MSEC(800), RINGO_MSEC(150) },
		{ 2, RINGO_MSEC(1100), RINGO_MSEC(300) },
	};
	static const struct worker producers[] = { { 1, 0, 0 }, { 2, 0, 0 } };
	int r = ringo_queue_create(RINGO_QUEUE_FIFO, 2, &queue);
	if (r < 0)
		return r;
	printf("pipeline: 2 producers, 2 consumers, a queue of 2, a 2.7 s timeout\n");
	fflush(stdout);

	ringo_timeout_actx tm;
	ringo_taskgroup_actx tg;
	intptr_t scope, group;
	int err, group_err = 0;
	RINGO_ASYNC_WITH(ringo_actx_timeout(&tm, RINGO_MSEC(2700)), scope, err) {
		RINGO_ASYNC_WITH(ringo_actx_taskgroup(&tg), group, group_err) {
			ringo_taskgroup *g = (ringo_taskgroup *)group;
			for (int i = 0; i < 2; i++)
				ringo_taskgroup_spawn(g, consumer, (void *)&consumers[i], NULL, NULL);
			for (int i = 0; i < 2; i++)
				ringo_taskgroup_spawn(g, producer, (void *)&producers[i], NULL, NULL);
		}
		ringo_taskgroup_destroy(tg.group);
		err = group_err;
	}
	(void)scope;

	printf("pipeline: %s; %d jobs done, left in the queue:",
	       err == -ETIMEDOUT ? "timed out" : "stopped", jobs_done);
	intptr_t job;
	while (ringo_queue_get_nowait(queue, &job) == 0) {
		char name[16];
		job_name(job, name, sizeof(name));
		printf(" %s", name);
	}
	printf("\n");
	ringo_queue_destroy(queue);
	return err == -ETIMEDOUT ? 0 : 1;
}

int main(void)
{
	intptr_t result = 1;
	if (ringo_run(pipeline, NULL, &result) < 0)
		return 1;
	return (int)result;
}

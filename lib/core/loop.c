/* SPDX-License-Identifier: MIT */
/* The loop: ringo_run creates it, runs the main task until it is done, then
 * cancels what is left, drains the ring and closes it. The loop itself is
 * nothing but: submit, wait, and for each CQE switch to the fiber it names
 * (lib/core/ring.c dispatches, lib/core/task.c switches). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "debug/dump.h"
#include "core/internal.h"
#include "debug/log.h"
#include "ringo_config.h"

__thread struct ringo_loop *ringo__loop __attribute__((tls_model("initial-exec")));

/* fork(): the child has a copy of the forking thread's loop pointer, but
 * the ring, its mappings and the kernel's operations are the parent's. The
 * child forgets the loop (every call then fails as outside a loop, with
 * -EPERM, and the first await says why on stderr) and may start its own
 * with ringo_run, as asyncio resets the running loop in a forked child. */
static __thread bool forked_from_loop;

static void forget_loop_in_child(void)
{
	if (ringo__loop) {
		ringo__loop = NULL;
		forked_from_loop = true;
	}
}

bool ringo__loop_forked(void)
{
	if (!forked_from_loop)
		return false;
	forked_from_loop = false;
	fputs("ringo: this process was forked inside a running loop; the parent's loop "
	      "cannot be used here (calls fail with -EPERM); start a new one with ringo_run\n",
	      stderr);
	return true;
}

static void atfork_register(void)
{
	(void)pthread_atfork(NULL, NULL, forget_loop_in_child);
}

int64_t ringo_time(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One round of the loop. Returns false when nothing can ever happen again:
 * no operation is in flight, so no CQE will come. */
static bool turn(struct ringo_loop *loop)
{
	ringo__mailbox_listen(loop);
	ringo__stack_flush(&loop->stacks);
	int n = ringo__ring_run(loop->ring, true);
	if (n < 0) {
		ringo__log(RINGO_LOG_ERROR, "the ring failed: %s", strerror(-n));
		return false;
	}
	return n > 0 || ringo__ring_inflight(loop->ring) > 0;
}

/* asyncio.run's ending: cancel every task, let them finish, drop pending
 * callbacks, and wait for the last CQE so the kernel holds no pointer into
 * memory we are about to free. Returns false if tasks had to be abandoned
 * (they wait for something that can never happen). */
static bool loop_shutdown(struct ringo_loop *loop)
{
	loop->closing = true;
	ringo__mailbox_close(loop);
	for (;;) {
		ringo__task_cancel_all(loop);
		if (loop->ntasks == 0) {
			ringo__handle_cancel_all(loop);
			/* Nobody is left to use them: stop resources' own ops. */
			while (!ringo__list_empty(&loop->resources)) {
				struct ringo__resource *res = ringo__container_of(
					loop->resources.next, struct ringo__resource, node);
				ringo__resource_remove(res);
				res->shutdown(res);
			}
		}
		if (loop->ntasks == 0 && ringo__ring_inflight(loop->ring) == 0)
			return true;
		if (!turn(loop)) {
			ringo__log(RINGO_LOG_ERROR, "%zu task(s) still wait on something that "
						   "can never happen; abandoning them",
				loop->ntasks);
			ringo__dump_log(RINGO_LOG_ERROR, 0);
			ringo__task_abandon_all(loop);
			return false;
		}
	}
}

int ringo_run(ringo_task_fn main, void *arg, intptr_t *result)
{
	return ringo_run_with(main, arg, result, NULL);
}

int ringo_run_with(ringo_task_fn main, void *arg, intptr_t *result, const ringo_run_opts *opts)
{
	if (!main)
		return -EINVAL;
	if (ringo__loop)
		return -EBUSY;
	static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
	(void)pthread_once(&atfork_once, atfork_register);
	forked_from_loop = false;
	struct ringo_loop loop;
	memset(&loop, 0, sizeof(loop));
	unsigned entries = opts && opts->ring_entries ? opts->ring_entries
						     : RINGO_DEFAULT_RING_ENTRIES;
	size_t stack_size = opts && opts->stack_size ? opts->stack_size
						      : RINGO_DEFAULT_STACK_SIZE;
	/* Busy-poll: the option, else RINGO_POLL_US. */
	unsigned poll_us = opts ? opts->poll_us : 0;
	const char *poll_env = getenv("RINGO_POLL_US");
	if (!poll_us && poll_env)
		poll_us = (unsigned)strtoul(poll_env, NULL, 10);
	if (poll_us > RINGO_POLL_US_MAX)
		poll_us = RINGO_POLL_US_MAX;
	unsigned ring_flags = (opts ? opts->flags : 0) | (poll_us ? RINGO__RUN_POLL_RING : 0);
	const char *why = "";
	int ret = ringo__ring_create(&loop.ring, entries, ring_flags, &why);
	if (ret < 0) {
		ringo__log(RINGO_LOG_ERROR, "cannot start the loop: %s", why);
		return ret;
	}
	ringo__ring_set_poll(loop.ring, poll_us);
	ret = ringo__stack_pool_init(&loop.stacks, stack_size);
	if (ret < 0)
		goto err_ring;
	if (opts && opts->stack_cache)
		loop.stacks.hot_max = opts->stack_cache;
	ret = ringo__overflow_guard_install();
	if (ret < 0)
		goto err_pool;
	static _Atomic uint64_t loop_ids;
	loop.id = ++loop_ids;
	loop.started = ringo_time();
	ringo__fiber_init_main(&loop.main_fiber);
	ringo__list_init(&loop.tasks);
	ringo__list_init(&loop.handles);
	ringo__list_init(&loop.resources);
	ringo__loop = &loop;
	ret = ringo__mailbox_open(&loop);
	if (ret < 0)
		goto err_guard;
	ringo__debug_loop_begin(&loop, opts);

	ringo_task *main_task;
	ringo_task_opts main_opts = { .name = "main" };
	ret = ringo_task_create(main, arg, &main_opts, &main_task);
	if (ret < 0)
		goto err_guard;
	ringo__signal_loop_begin(&loop, main_task, opts ? opts->flags : 0);
	bool deadlock = false;
	while (!ringo_task_done(main_task)) {
		if (!turn(&loop)) {
			ringo__log_str(RINGO_LOG_ERROR,
				       "deadlock: the main task waits but no operation is in "
				       "flight; cancelling every task");
			ringo__dump_log(RINGO_LOG_ERROR, 0);
			deadlock = true;
			break;
		}
	}
	if (ringo__unlikely(loop.debug) && !deadlock)
		ringo__debug_main_returned(&loop);
	if (!loop_shutdown(&loop))
		deadlock = true;
	ringo__bufring_destroy(&loop);
	/* main's result is ringo_run's to return, taken or not. */
	ringo__task_mark_taken(main_task);
	if (result)
		*result = ringo_task_result(main_task);
	ringo_task_unref(main_task);
	ret = deadlock ? -EDEADLK : 0;

err_guard:
	ringo__debug_loop_end(&loop);
	ringo__loop = NULL;
	ringo__task_pool_drain(&loop);
	ringo__overflow_guard_remove();
err_pool:
	ringo__stack_pool_destroy(&loop.stacks);
err_ring:
	ringo__ring_destroy(loop.ring);
	/* With the ring closed, nothing of theirs is in flight. */
	ringo__mailbox_end(&loop);
	ringo__executor_loop_end(loop.id);
	ringo__signal_loop_end(loop.id);
	return ret;
}

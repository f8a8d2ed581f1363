/* SPDX-License-Identifier: MIT */
/* shield: awaiting a task without passing the awaiter's cancellation on. */
#include <stdio.h>

#include "core/internal.h"

static ringo_task *describe_shield(const struct ringo__wait *w, char *buf, size_t cap,
				   int64_t now)
{
	(void)now;
	ringo_task *t = w->target;
	snprintf(buf, cap, "task %s (shielded)", ringo_task_name(t));
	return t;
}

intptr_t ringo_shield(ringo_task *t)
{
	if (!t)
		return -EINVAL;
	if (t == ringo_task_current())
		return -EDEADLK;
	ringo_task_ref(t);
	/* The detach hook answers the awaiter's cancellation with -ECANCELED
	 * at once and leaves t alone. */
	intptr_t r = ringo__completion_await_as(ringo__task_completion(t),
						ringo__wait_cancel_detach, t, describe_shield);
	if (ringo_task_done(t))
		ringo__task_mark_taken(t);
	ringo_task_unref(t);
	return r;
}

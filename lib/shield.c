/* SPDX-License-Identifier: MIT */
/* shield: awaiting a task without passing the awaiter's cancellation on. */
#include "internal.h"

intptr_t ringo_shield(ringo_task *t)
{
	if (!t)
		return -EINVAL;
	if (t == ringo_task_current())
		return -EDEADLK;
	ringo_task_ref(t);
	/* The detach hook answers the awaiter's cancellation with -ECANCELED
	 * at once and leaves t alone. */
	intptr_t r = ringo__completion_await(ringo__task_completion(t),
					     ringo__wait_cancel_detach, NULL);
	ringo_task_unref(t);
	return r;
}

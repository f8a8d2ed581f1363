/* SPDX-License-Identifier: MIT */
/* Built by .ci/run against the installed library, with nothing but
 * `pkg-config --cflags --libs ringo`: proves the install is usable. */
#include <stdio.h>

#include <ringo.h>

static intptr_t child(void *arg)
{
	ringo_sleep(RINGO_MSEC(10));
	return (intptr_t)arg * 2;
}

static intptr_t go(void *arg)
{
	(void)arg;
	ringo_task *t[2];
	intptr_t results[2];
	for (intptr_t i = 0; i < 2; i++)
		if (ringo_task_create(child, (void *)(i + 1), NULL, &t[i]) < 0)
			return -1;
	int r = ringo_gather(t, 2, results, 0);
	ringo_task_unref(t[0]);
	ringo_task_unref(t[1]);
	return r < 0 ? r : results[0] + results[1];
}

int main(void)
{
	intptr_t result = 0;
	if (ringo_run(go, NULL, &result) < 0 || result != 6)
		return 1;
	printf("consumer: ok (%ld)\n", (long)result);
	return 0;
}

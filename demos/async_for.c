/* SPDX-License-Identifier: MIT */
/* The seed's second program: async for over an asynchronous iterator that
 * counts to 3, sleeping 1 s before each item.
 *
 *   class Foo:
 *       def __init__(self):
 *           self.count = 0
 *       def __aiter__(self):
 *           return self
 *       async def __anext__(self):
 *           if self.count == 3:
 *               raise StopAsyncIteration
 *           await asyncio.sleep(1)
 *           self.count += 1
 *           return self.count
 *
 *   async def go():
 *       a = Foo()
 *       async for i in a:
 *           print(i)
 */
#include <stdio.h>

#include <ringo.h>

struct foo {
	ringo_aiter aiter; /* __aiter__ returns self */
	int count;
};

/* __anext__: 1 with the item, 0 for StopAsyncIteration, or an error. */
static int foo_anext(ringo_aiter *it, intptr_t *item)
{
	struct foo *self = (struct foo *)it;
	if (self->count == 3)
		return 0;
	int r = ringo_sleep(RINGO_SEC(1));
	if (r < 0)
		return r;
	self->count += 1;
	*item = self->count;
	return 1;
}

static intptr_t go(void *arg)
{
	(void)arg;
	struct foo a = { .aiter = { .anext = foo_anext, .aclose = NULL }, .count = 0 };
	intptr_t i;
	int err;
	RINGO_ASYNC_FOR(i, &a.aiter, err) {
		printf("%ld\n", (long)i);
		fflush(stdout);
	}
	return err;
}

int main(void)
{
	intptr_t result;
	int r = ringo_run(go, NULL, &result);
	return r == 0 && result == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/* The seed's third program: async with around an asynchronous context
 * manager whose __aenter__ and __aexit__ await.
 *
 *   class Foo:
 *       async def __aenter__(self):
 *           print('start __aenter__')
 *           await asyncio.sleep(2)
 *           print('end __aenter__')
 *       async def __aexit__(self, exc_type, exc_value, traceback):
 *           print('start __aexit__')
 *           await asyncio.sleep(3)
 *           print('end __aexit__')
 *
 *   async def go():
 *       a = Foo()
 *       async with a as f:
 *           print('start')
 *           await asyncio.sleep(4)
 *           print('end')
 */
#include <stdio.h>

#include <ringo.h>

static void say(const char *line)
{
	puts(line);
	fflush(stdout);
}

static int foo_aenter(ringo_actx *m, intptr_t *as)
{
	(void)m;
	(void)as; /* returns None */
	say("start __aenter__");
	int r = ringo_sleep(RINGO_SEC(2));
	if (r < 0)
		return r;
	say("end __aenter__");
	return 0;
}

/* Returns 0: the body's outcome goes through (__aexit__ returns None). */
static int foo_aexit(ringo_actx *m, int error)
{
	(void)m;
	(void)error;
	say("start __aexit__");
	int r = ringo_sleep(RINGO_SEC(3));
	if (r < 0)
		return r;
	say("end __aexit__");
	return 0;
}

static intptr_t go(void *arg)
{
	(void)arg;
	ringo_actx a = { .aenter = foo_aenter, .aexit = foo_aexit };
	intptr_t f;
	int err;
	RINGO_ASYNC_WITH(&a, f, err) {
		(void)f;
		say("start");
		err = ringo_sleep(RINGO_SEC(4));
		if (err < 0)
			break;
		say("end");
	}
	return err;
}

int main(void)
{
	intptr_t result;
	int r = ringo_run(go, NULL, &result);
	return r == 0 && result == 0 ? 0 : 1;
}

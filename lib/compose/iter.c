/* SPDX-License-Identifier: MIT */
/* Asynchronous iteration: the protocol's entry points and async for. */
#include "core/internal.h"

int ringo_aiter_next(ringo_aiter *it, intptr_t *item)
{
	if (!it || !it->anext)
		return -EINVAL;
	intptr_t dropped;
	int r = it->anext(it, item ? item : &dropped);
	return r > 0 ? 1 : r;
}

int ringo_aiter_close(ringo_aiter *it)
{
	if (!it)
		return -EINVAL;
	return it->aclose ? it->aclose(it) : 0;
}

int ringo_async_for(ringo_aiter *it, int (*body)(intptr_t item, void *arg), void *arg)
{
	if (!it || !body)
		return -EINVAL;
	intptr_t item;
	int r;
	while ((r = ringo_aiter_next(it, &item)) > 0) {
		r = body(item, arg);
		if (r != 0)
			return r;
	}
	return r;
}

/* SPDX-License-Identifier: MIT */
/* The server demos' connection limit (see conn_limit.h). */
#include "conn_limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define RESERVED_FDS 32

size_t conn_limit_init(struct conn_limit *l, size_t max, const char *prog)
{
	l->max = max;
	atomic_init(&l->active, 0);
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		return l->max;
	rlim_t want = (rlim_t)max + RESERVED_FDS;
	if (r.rlim_cur < want) {
		r.rlim_cur = r.rlim_max != RLIM_INFINITY && r.rlim_max < want ? r.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &r);
		getrlimit(RLIMIT_NOFILE, &r);
	}
	if (r.rlim_cur < want) {
		l->max = r.rlim_cur > 2 * RESERVED_FDS ? (size_t)(r.rlim_cur - RESERVED_FDS) : 1;
		fprintf(stderr, "%s: %zu connections at most (the fd limit is %llu)\n", prog,
			l->max, (unsigned long long)r.rlim_cur);
	}
	return l->max;
}

bool conn_limit_enter(struct conn_limit *l)
{
	if (atomic_fetch_add_explicit(&l->active, 1, memory_order_relaxed) < l->max)
		return true;
	atomic_fetch_sub_explicit(&l->active, 1, memory_order_relaxed);
	return false;
}

void conn_limit_leave(struct conn_limit *l)
{
	atomic_fetch_sub_explicit(&l->active, 1, memory_order_relaxed);
}

bool conn_limit_parse(const char *arg, size_t *max)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);
	if (end == arg || *end || arg[0] == '-' || v < 1 || v > 1000000)
		return false;
	*max = (size_t)v;
	return true;
}

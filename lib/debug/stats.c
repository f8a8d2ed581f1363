/* SPDX-License-Identifier: MIT */
/* Loop statistics: counters the hot paths keep as plain increments (in
 * the ring, the loop and the task code), gathered here on request. */
#include <string.h>

#include "core/internal.h"
#include "core/ring.h"

int ringo_loop_stats(struct ringo_loop_stats *out)
{
	if (!out)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	const struct ringo__ring *r = loop->ring;
	memset(out, 0, sizeof(*out));
	out->tasks_alive = loop->ntasks;
	out->tasks_created = loop->tasks_created;
	out->sqes_submitted = r->submitted;
	out->enters = r->enters;
	out->cqes = r->cqes;
	out->cqes_multishot = r->cqes_more;
	out->cqes_internal = r->cqes_internal;
	out->cqes_stale = r->stale;
	out->cq_overflows = r->uring.cq.koverflow ? *r->uring.cq.koverflow : 0;
	out->ops_in_flight = ringo__ring_inflight(r);
	int64_t now = ringo_time();
	out->wait_ns = r->wait_ns;
	out->run_ns = now - loop->started - r->wait_ns;
	out->stacks_live = loop->stacks.nlive;
	out->stacks_cached = loop->stacks.nfree;
	out->stacks_cold = loop->stacks.ncold;
	out->stack_size = loop->stacks.default_size;
	out->stream_buffer_bytes = loop->stream_bytes;
	out->executor_queued = ringo__executor_queued(loop->id);
	out->poll_hits = r->poll_hits;
	out->poll_misses = r->poll_misses;
	out->poll_ns = r->poll_spin_ns;
	return 0;
}

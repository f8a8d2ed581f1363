/* SPDX-License-Identifier: MIT */
/* Keys to shards, commands to parts, parts' replies to one (see route.h). */
#include "route.h"

#include <stdint.h>
#include <string.h>

unsigned kv_shard_of(struct kv_str key, unsigned n)
{
	if (n <= 1)
		return 0;
	/* FNV-1a, then a final mix so that short keys that differ in their
	 * last byte spread over every shard. Unseeded: each thread must
	 * agree, and a flood of one shard only slows that shard. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < key.n; i++)
		h = (h ^ (unsigned char)key.p[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (unsigned)(h % n);
}

/* The argv index one past the last key's part, or 0 if the arguments do
 * not fit the key spec. */
static size_t keys_end(const struct kv_command *cmd, size_t argc)
{
	size_t first = (size_t)cmd->first_key, step = (size_t)cmd->key_step;
	if (cmd->last_key >= 0)
		return (size_t)cmd->last_key + 1 <= argc ? (size_t)cmd->last_key + step : 0;
	/* up to the last argument: a whole number of steps */
	return argc > first && (argc - first) % step == 0 ? argc : 0;
}

size_t kv_route_parts(const struct kv_command *cmd, size_t argc)
{
	size_t end = keys_end(cmd, argc);
	return end ? (end - (size_t)cmd->first_key) / (size_t)cmd->key_step : 0;
}

size_t kv_route_part(const struct kv_command *cmd, size_t i, size_t *nargs)
{
	*nargs = (size_t)cmd->key_step;
	return (size_t)cmd->first_key + i * (size_t)cmd->key_step;
}

enum kv_route kv_route(const struct kv_command *cmd, const struct kv_str *argv, size_t argc,
		       unsigned n, unsigned *shard)
{
	*shard = 0;
	if (!kv_command_arity_ok(cmd, argc))
		return KV_ROUTE_HERE;
	if (cmd->flags & KV_CMD_ALL_KEYS)
		return n > 1 ? KV_ROUTE_EVERY : KV_ROUTE_ONE;
	if (!cmd->first_key)
		return KV_ROUTE_HERE;
	size_t parts = kv_route_parts(cmd, argc);
	if (parts == 0)
		return KV_ROUTE_HERE;
	size_t nargs;
	unsigned s = kv_shard_of(argv[kv_route_part(cmd, 0, &nargs)], n);
	for (size_t i = 1; i < parts; i++)
		if (kv_shard_of(argv[kv_route_part(cmd, i, &nargs)], n) != s)
			return KV_ROUTE_SPLIT;
	*shard = s;
	return KV_ROUTE_ONE;
}

/* The reply's first line, CRLF included (the whole reply if it has none). */
static size_t first_line(struct kv_str r)
{
	const char *lf = memchr(r.p, '\n', r.n);
	return lf ? (size_t)(lf - r.p) + 1 : r.n;
}

void kv_merge(const struct kv_command *cmd, const struct kv_str *replies, size_t n,
	      struct kv_out *o)
{
	if (cmd->merge == KV_MERGE_ARRAY) {
		/* each part is "*1\r\n" and its element */
		kv_out_num(o, '*', (long long)n);
		for (size_t i = 0; i < n; i++) {
			size_t head = replies[i].n && replies[i].p[0] == '*' ? first_line(replies[i]) : 0;
			kv_out_add(o, replies[i].p + head, replies[i].n - head);
		}
		return;
	}
	long long sum = 0;
	for (size_t i = 0; i < n; i++) {
		struct kv_str r = replies[i];
		long long v;
		if (r.n && r.p[0] == '-') {
			kv_out_add(o, r.p, r.n);
			return;
		}
		if (cmd->merge == KV_MERGE_SUM && r.n >= 3 && r.p[0] == ':' &&
		    kv_parse_int(r.p + 1, first_line(r) - 3, &v))
			sum += v;
	}
	if (cmd->merge == KV_MERGE_SUM)
		kv_out_num(o, ':', sum);
	else
		kv_out_lit(o, "+OK\r\n");
}

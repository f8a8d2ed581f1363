/* SPDX-License-Identifier: MIT */
/* How the KV demo spreads its keys over several stores (shards), one per
 * loop, shared-nothing as Seastar and Dragonfly do it: every key belongs
 * to one shard (kv_shard_of, the same answer on every thread); a command
 * runs where its keys are (kv_route), whole when they are on one shard,
 * else in parts, one per key (kv_route_part), on each key's shard; a
 * command of every key (DBSIZE, FLUSHDB) runs whole on each shard; and
 * the parts' replies make the command's one reply by its merge rule
 * (kv_merge). Messages between loops are the server's business
 * (demos/kv_server.c): nothing here suspends or needs a loop. */
#ifndef DEMOS_KV_ROUTE_H
#define DEMOS_KV_ROUTE_H

#include <stddef.h>

#include "command.h"
#include "reply.h"
#include "str.h"

/* The shard of n (>= 1) that owns key. */
unsigned kv_shard_of(struct kv_str key, unsigned n);

enum kv_route {
	KV_ROUTE_HERE,        /* no key (or an arity error): run it anywhere */
	KV_ROUTE_ONE,         /* every key on one shard: run it whole there */
	KV_ROUTE_SPLIT,       /* keys on several shards: one part per key */
	KV_ROUTE_EVERY        /* KV_CMD_ALL_KEYS: run it whole on every shard */
};

/* Where cmd with argv[0..argc) runs among n shards; for KV_ROUTE_ONE,
 * *shard says which. A command whose arguments do not fit its arity or
 * its key spec (MSET with a key and no value) is KV_ROUTE_HERE: it only
 * replies its error, touching no store. */
enum kv_route kv_route(const struct kv_command *cmd, const struct kv_str *argv, size_t argc,
		       unsigned n, unsigned *shard);

/* For a KV_ROUTE_SPLIT command: how many parts (keys) it has, and the
 * i-th: the argv position of its key, and how many arguments follow the
 * command name in that part (the key, and MSET's value). A part runs as
 * the command with those arguments only ("MGET k", "MSET k v", "DEL k"). */
size_t kv_route_parts(const struct kv_command *cmd, size_t argc);
size_t kv_route_part(const struct kv_command *cmd, size_t i, size_t *nargs);

/* Appends to o the reply of a command that ran in n parts, whose replies
 * (each one complete reply) are replies[0..n), in key order (or shard
 * order for KV_ROUTE_EVERY), by cmd->merge: MGET's parts' elements in one
 * array; the sum of DEL's, EXISTS's or DBSIZE's integers; MSET's or
 * FLUSHDB's +OK. An error reply of a part (a sum's or an OK's) is the
 * reply, the first one in order. */
void kv_merge(const struct kv_command *cmd, const struct kv_str *replies, size_t n,
	      struct kv_out *o);

#endif

/* SPDX-License-Identifier: MIT */
/* The KV demo's commands, executed against one store: PING, ECHO, GET, SET
 * (EX, PX, NX, XX, KEEPTTL, GET), DEL, EXISTS, INCR, DECR, MGET, MSET,
 * EXPIRE, TTL, DBSIZE, FLUSHDB, QUIT, and the COMMAND and CONFIG GET
 * replies that redis-cli and redis-benchmark ask for at start. Replies and
 * error messages are byte for byte those of redis 7.
 *
 * kv_execute runs a parsed command (kv/resp.h) against c->store and
 * appends its reply to c->out. A server with several stores (shards) looks
 * the command up (kv_command_find), routes it by its keys (first_key,
 * last_key, key_step) and runs it, or each part of it, with
 * kv_command_run against the owning store; commands with
 * KV_CMD_ALL_KEYS (DBSIZE, FLUSHDB) concern every store. How the replies
 * of a command run in parts make its one reply is its merge rule
 * (kv/route.h). Nothing here suspends or needs a loop. */
#ifndef DEMOS_KV_COMMAND_H
#define DEMOS_KV_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"
#include "store.h"
#include "str.h"

/* What a command runs with. */
struct kv_ctx {
	struct kv_store *store;
	struct kv_out *out;
	bool quit;            /* set by QUIT: close once the reply is sent */
};

enum {
	KV_CMD_ALL_KEYS = 1,  /* reads or changes the whole store */
	KV_CMD_CONNECTION = 2 /* concerns the connection, not the store */
};

/* How the replies of a command run in parts (one per key, or one per
 * store) make its reply (kv/route.h). */
enum kv_merge {
	KV_MERGE_NONE,        /* never split */
	KV_MERGE_ARRAY,       /* MGET: one array of the parts' elements, in key order */
	KV_MERGE_SUM,         /* DEL, EXISTS, DBSIZE: the sum of the integers */
	KV_MERGE_OK           /* MSET, FLUSHDB: +OK, or the first error */
};

struct kv_command {
	const char *name;     /* lower case, as in redis's errors */
	int arity;            /* argc including the name; -n: at least n */
	int first_key;        /* argv index of the first key; 0: no keys */
	int last_key;         /* of the last key; -1: the last argument */
	int key_step;         /* 2 for MSET's key value pairs */
	unsigned flags;       /* KV_CMD_* */
	enum kv_merge merge;
	void (*run)(struct kv_ctx *c, const struct kv_str *argv, size_t argc);
};

/* The command named name (any case), or NULL. */
const struct kv_command *kv_command_find(struct kv_str name);
/* Whether argc arguments (the name included) fit cmd's arity. */
bool kv_command_arity_ok(const struct kv_command *cmd, size_t argc);
/* Checks cmd's arity and runs it (or replies redis's arity error). */
void kv_command_run(const struct kv_command *cmd, struct kv_ctx *c, const struct kv_str *argv,
		    size_t argc);
/* Finds and runs argv[0], or replies redis's unknown-command error; an
 * empty command (argc 0) gets no reply. */
void kv_execute(struct kv_ctx *c, const struct kv_str *argv, size_t argc);
/* How many commands there are (COMMAND COUNT). */
size_t kv_command_count(void);

#endif

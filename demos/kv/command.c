/* SPDX-License-Identifier: MIT */
/* The KV demo's commands (see command.h). Replies and error messages are
 * byte for byte those of redis 7. */
#include "command.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void reply_not_integer(struct kv_out *o)
{
	kv_out_lit(o, "-ERR value is not an integer or out of range\r\n");
}

static void cmd_ping(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	if (argc == 1)
		kv_out_lit(c->out, "+PONG\r\n");
	else
		kv_out_bulk(c->out, argv[1].p, argv[1].n);
}

static void cmd_echo(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argc;
	kv_out_bulk(c->out, argv[1].p, argv[1].n);
}

static void cmd_get(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argc;
	struct kv_entry *e = kv_store_get(c->store, argv[1]);
	if (e)
		kv_out_bulk(c->out, e->val, e->vlen);
	else
		kv_out_lit(c->out, "$-1\r\n");
}

/* A relative expiry time (EX, PX, EXPIRE) as an absolute deadline in ms,
 * checked as redis checks it. SET wants a positive time; EXPIRE takes any
 * (one in the past deletes the key). Returns true, or false after replying
 * with redis's error. */
static bool deadline_of(struct kv_ctx *c, struct kv_str arg, bool seconds, const char *cmd,
			int64_t *when)
{
	long long v;
	if (!kv_parse_int(arg.p, arg.n, &v)) {
		reply_not_integer(c->out);
		return false;
	}
	int64_t now = kv_now_ms();
	bool is_set = strcmp(cmd, "set") == 0;
	if ((is_set && v <= 0) ||
	    (seconds && (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000)) ||
	    (seconds ? v * 1000 : v) > INT64_MAX - now) {
		kv_out_error(c->out, "ERR invalid expire time in '%s' command", cmd);
		return false;
	}
	*when = now + (seconds ? v * 1000 : v);
	return true;
}

static void cmd_set(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	enum { NX = 1, XX = 2, EX = 4, PX = 8, KEEPTTL = 16, GET = 32 };
	unsigned flags = 0;
	struct kv_str ttl = {0};
	for (size_t i = 3; i < argc; i++) {
		struct kv_str a = argv[i];
		bool has_next = i + 1 < argc;
		if (kv_is(a, "nx") && !(flags & XX)) {
			flags |= NX;
		} else if (kv_is(a, "xx") && !(flags & NX)) {
			flags |= XX;
		} else if (kv_is(a, "get")) {
			flags |= GET;
		} else if (kv_is(a, "keepttl") && !(flags & (EX | PX))) {
			flags |= KEEPTTL;
		} else if ((kv_is(a, "ex") || kv_is(a, "px")) && !(flags & (EX | PX | KEEPTTL)) &&
			   has_next) {
			flags |= kv_is(a, "ex") ? EX : PX;
			ttl = argv[++i];
		} else {
			kv_out_lit(c->out, "-ERR syntax error\r\n");
			return;
		}
	}
	int64_t when = 0;
	if ((flags & (EX | PX)) && !deadline_of(c, ttl, flags & EX, "set", &when))
		return;
	struct kv_entry *e = kv_store_get(c->store, argv[1]);
	if (flags & GET) {
		if (e)
			kv_out_bulk(c->out, e->val, e->vlen);
		else
			kv_out_lit(c->out, "$-1\r\n");
	}
	if ((flags & NX && e) || (flags & XX && !e)) {
		if (!(flags & GET))
			kv_out_lit(c->out, "$-1\r\n");
		return;
	}
	e = kv_store_set(c->store, argv[1], argv[2]);
	if (!e || (!(flags & KEEPTTL) && kv_store_expire_at(c->store, e, when) < 0)) {
		kv_out_lit(c->out, "-ERR out of memory\r\n");
		return;
	}
	if (!(flags & GET))
		kv_out_lit(c->out, "+OK\r\n");
}

static void cmd_del(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	long long n = 0;
	for (size_t i = 1; i < argc; i++) {
		struct kv_entry *e = kv_store_get(c->store, argv[i]);
		if (e) {
			kv_store_unlink(c->store, e);
			n++;
		}
	}
	kv_out_num(c->out, ':', n);
}

static void cmd_exists(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	long long n = 0;
	for (size_t i = 1; i < argc; i++)
		n += kv_store_get(c->store, argv[i]) != NULL;
	kv_out_num(c->out, ':', n);
}

static void incr_by(struct kv_ctx *c, struct kv_str key, long long by)
{
	struct kv_entry *e = kv_store_get(c->store, key);
	long long v = 0;
	if (e && !kv_parse_int(e->val, e->vlen, &v)) {
		reply_not_integer(c->out);
		return;
	}
	if ((by > 0 && v > LLONG_MAX - by) || (by < 0 && v < LLONG_MIN - by)) {
		kv_out_lit(c->out, "-ERR increment or decrement would overflow\r\n");
		return;
	}
	v += by;
	char num[24];
	int n = sprintf(num, "%lld", v);
	/* The key keeps its deadline, as in redis. */
	if (!kv_store_set(c->store, key, (struct kv_str){num, (size_t)n})) {
		kv_out_lit(c->out, "-ERR out of memory\r\n");
		return;
	}
	kv_out_num(c->out, ':', v);
}

static void cmd_incr(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argc;
	incr_by(c, argv[1], 1);
}

static void cmd_decr(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argc;
	incr_by(c, argv[1], -1);
}

static void cmd_mget(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	kv_out_num(c->out, '*', (long long)argc - 1);
	for (size_t i = 1; i < argc; i++)
		cmd_get(c, argv + i - 1, 2);
}

static void cmd_mset(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	if (argc % 2 == 0) {
		kv_out_lit(c->out, "-ERR wrong number of arguments for 'mset' command\r\n");
		return;
	}
	for (size_t i = 1; i < argc; i += 2) {
		struct kv_entry *e = kv_store_set(c->store, argv[i], argv[i + 1]);
		if (!e) {
			kv_out_lit(c->out, "-ERR out of memory\r\n");
			return;
		}
		kv_store_expire_at(c->store, e, 0);
	}
	kv_out_lit(c->out, "+OK\r\n");
}

static void cmd_expire(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argc;
	int64_t when;
	if (!deadline_of(c, argv[2], true, "expire", &when))
		return;
	struct kv_entry *e = kv_store_get(c->store, argv[1]);
	if (!e) {
		kv_out_lit(c->out, ":0\r\n");
		return;
	}
	if (when <= kv_now_ms())
		kv_store_unlink(c->store, e); /* a deadline in the past deletes the key */
	else if (kv_store_expire_at(c->store, e, when) < 0) {
		kv_out_lit(c->out, "-ERR out of memory\r\n");
		return;
	}
	kv_out_lit(c->out, ":1\r\n");
}

static void cmd_ttl(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argc;
	struct kv_entry *e = kv_store_get(c->store, argv[1]);
	if (!e) {
		kv_out_lit(c->out, ":-2\r\n");
	} else if (!e->expire_ms) {
		kv_out_lit(c->out, ":-1\r\n");
	} else {
		int64_t left = e->expire_ms - kv_now_ms(); /* rounded, as redis does */
		kv_out_num(c->out, ':', left / 1000 + (left % 1000 >= 500));
	}
}

static void cmd_dbsize(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	kv_out_num(c->out, ':', (long long)c->store->count);
}

static void cmd_flushdb(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	if (argc > 2 || (argc == 2 && !kv_is(argv[1], "sync") && !kv_is(argv[1], "async"))) {
		kv_out_lit(c->out, "-ERR syntax error\r\n");
		return;
	}
	kv_store_flush(c->store);
	kv_out_lit(c->out, "+OK\r\n");
}

static void cmd_quit(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	kv_out_lit(c->out, "+OK\r\n");
	c->quit = true;
}

/* COMMAND: what redis-cli asks at start (COMMAND DOCS, for its hints). No
 * documentation is served: empty arrays are valid answers. */
static void cmd_command(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	if (argc == 1 || kv_is(argv[1], "docs") || kv_is(argv[1], "info"))
		kv_out_lit(c->out, "*0\r\n");
	else if (kv_is(argv[1], "count"))
		kv_out_num(c->out, ':', (long long)kv_command_count());
	else
		kv_out_error(c->out, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			  (int)(argv[1].n > 128 ? 128 : argv[1].n), argv[1].p);
}

/* CONFIG GET: what redis-benchmark asks at start (save, appendonly). Each
 * parameter named that the server has is answered with its value (no
 * glob patterns). */
static void cmd_config(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	static const char *const params[][2] = {
		{"save", ""}, {"appendonly", "no"}, {"databases", "1"},
	};
	if (!kv_is(argv[1], "get")) {
		kv_out_error(c->out, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			  (int)(argv[1].n > 128 ? 128 : argv[1].n), argv[1].p);
		return;
	}
	if (argc < 3) {
		kv_out_lit(c->out, "-ERR wrong number of arguments for 'config|get' command\r\n");
		return;
	}
	size_t found = 0;
	bool hit[sizeof(params) / sizeof(params[0])] = {0};
	for (size_t i = 2; i < argc; i++)
		for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++)
			if (!hit[k] && kv_is(argv[i], params[k][0]))
				hit[k] = true, found++;
	kv_out_num(c->out, '*', (long long)found * 2);
	for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
		if (hit[k]) {
			kv_out_bulk(c->out, params[k][0], strlen(params[k][0]));
			kv_out_bulk(c->out, params[k][1], strlen(params[k][1]));
		}
	}
}

/* The most frequent first: the table is searched in order. Keys: argv
 * positions first..last (-1: the last argument) by step, as redis's key
 * specs; 0 0 0: none. */
static const struct kv_command commands[] = {
	{"get", 2, 1, 1, 1, 0, KV_MERGE_NONE, cmd_get},
	{"set", -3, 1, 1, 1, 0, KV_MERGE_NONE, cmd_set},
	{"ping", -1, 0, 0, 0, 0, KV_MERGE_NONE, cmd_ping},
	{"incr", 2, 1, 1, 1, 0, KV_MERGE_NONE, cmd_incr},
	{"decr", 2, 1, 1, 1, 0, KV_MERGE_NONE, cmd_decr},
	{"mget", -2, 1, -1, 1, 0, KV_MERGE_ARRAY, cmd_mget},
	{"mset", -3, 1, -1, 2, 0, KV_MERGE_OK, cmd_mset},
	{"del", -2, 1, -1, 1, 0, KV_MERGE_SUM, cmd_del},
	{"exists", -2, 1, -1, 1, 0, KV_MERGE_SUM, cmd_exists},
	{"expire", 3, 1, 1, 1, 0, KV_MERGE_NONE, cmd_expire},
	{"ttl", 2, 1, 1, 1, 0, KV_MERGE_NONE, cmd_ttl},
	{"echo", 2, 0, 0, 0, 0, KV_MERGE_NONE, cmd_echo},
	{"dbsize", 1, 0, 0, 0, KV_CMD_ALL_KEYS, KV_MERGE_SUM, cmd_dbsize},
	{"flushdb", -1, 0, 0, 0, KV_CMD_ALL_KEYS, KV_MERGE_OK, cmd_flushdb},
	{"quit", -1, 0, 0, 0, KV_CMD_CONNECTION, KV_MERGE_NONE, cmd_quit},
	{"command", -1, 0, 0, 0, 0, KV_MERGE_NONE, cmd_command},
	{"config", -2, 0, 0, 0, 0, KV_MERGE_NONE, cmd_config},
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

size_t kv_command_count(void)
{
	return ncommands;
}

/* redis's reply to an unknown command: its name and the start of its
 * arguments, each quoted, 128 bytes at most of each. */
static void reply_unknown(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	char args[256];
	size_t len = 0;
	for (size_t i = 1; i < argc && len < 128; i++) {
		size_t n = strnlen(argv[i].p, argv[i].n);
		if (n > 128 - len)
			n = 128 - len;
		len += (size_t)snprintf(args + len, sizeof(args) - len, "'%.*s' ", (int)n,
					argv[i].p);
	}
	args[len] = 0;
	int nlen = (int)strnlen(argv[0].p, argv[0].n > 128 ? 128 : argv[0].n);
	kv_out_error(c->out, "ERR unknown command '%.*s', with args beginning with: %s", nlen,
		  argv[0].p, args);
}

const struct kv_command *kv_command_find(struct kv_str name)
{
	for (size_t i = 0; i < ncommands; i++)
		if (kv_is(name, commands[i].name))
			return &commands[i];
	return NULL;
}

bool kv_command_arity_ok(const struct kv_command *cmd, size_t argc)
{
	return !((cmd->arity > 0 && argc != (size_t)cmd->arity) ||
		 (cmd->arity < 0 && argc < (size_t)-cmd->arity) ||
		 (cmd->run == cmd_ping && argc > 2));
}

void kv_command_run(const struct kv_command *cmd, struct kv_ctx *c, const struct kv_str *argv,
		    size_t argc)
{
	if (!kv_command_arity_ok(cmd, argc))
		kv_out_error(c->out, "ERR wrong number of arguments for '%s' command", cmd->name);
	else
		cmd->run(c, argv, argc);
}

void kv_execute(struct kv_ctx *c, const struct kv_str *argv, size_t argc)
{
	if (argc == 0)
		return;
	const struct kv_command *cmd = kv_command_find(argv[0]);
	if (cmd)
		kv_command_run(cmd, c, argv, argc);
	else
		reply_unknown(c, argv, argc);
}

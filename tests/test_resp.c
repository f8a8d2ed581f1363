/* SPDX-License-Identifier: MIT */
/* The KV demo's units on their own, without a server: the RESP parser
 * (demos/kv/resp.c) on whole, split and malformed input, kv_is on names
 * with a NUL or a different length (issue 11 item 7), and commands run
 * against a store with their exact replies (demos/kv/command.c). */
#include "harness.h"

#include <string.h>

#include "kv/command.h"
#include "kv/resp.h"

/* Parses the one command in p[0..n) and checks its arguments (a
 * NULL-terminated list) and length. */
static void expect_command(const char *p, size_t n, const char *const *args)
{
	struct kv_request q = {0};
	kv_request_reset(&q);
	assert_int_equal(kv_parse_request(&q, p, n), KV_PARSE_DONE);
	assert_int_equal(q.pos, n);
	size_t argc = 0;
	while (args[argc])
		argc++;
	assert_int_equal(q.argc, argc);
	for (size_t i = 0; i < argc; i++) {
		assert_int_equal(q.argv[i].n, strlen(args[i]));
		assert_memory_equal(q.argv[i].p, args[i], q.argv[i].n);
	}
	kv_request_free(&q);
}

static void test_parse(void **state)
{
	(void)state;
	static const char *const get_k[] = {"GET", "k", NULL};
	expect_command("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 20, get_k);
	expect_command("GET k\r\n", 7, get_k);
	expect_command("  GET   k  \n", 12, get_k);
	static const char *const quoted[] = {"SET", "a b", "it's", "x\r\n\x01", NULL};
	expect_command("SET \"a b\" 'it\\'s' \"x\\r\\n\\x01\"\r\n", 31, quoted);
	static const char *const none[] = {NULL};
	expect_command("*0\r\n", 4, none);
	expect_command("\r\n", 2, none);
}

/* Fed a byte at a time, the parse resumes and ends where the whole one
 * does. */
static void test_split(void **state)
{
	(void)state;
	static const char p[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva\0ue\r\nPING\r\n";
	size_t n = sizeof(p) - 1; /* 31 bytes of SET, 6 of PING */
	struct kv_request q = {0};
	kv_request_reset(&q);
	size_t avail = 0;
	enum kv_parse_result r;
	do
		r = kv_parse_request(&q, p, ++avail);
	while (r == KV_PARSE_MORE && avail < n);
	assert_int_equal(r, KV_PARSE_DONE);
	assert_int_equal(avail, 31);
	assert_int_equal(q.pos, 31);
	assert_int_equal(q.argc, 3);
	assert_int_equal(q.argv[2].n, 5);
	assert_memory_equal(q.argv[2].p, "va\0ue", 5);
	kv_request_reset(&q);
	assert_int_equal(kv_parse_request(&q, p + 31, 0), KV_PARSE_MORE);
	assert_int_equal(kv_parse_request(&q, p + 31, n - 31), KV_PARSE_DONE);
	assert_int_equal(q.argc, 1);
	kv_request_free(&q);
}

static void expect_error(const char *p, size_t n, const char *err)
{
	struct kv_request q = {0};
	kv_request_reset(&q);
	assert_int_equal(kv_parse_request(&q, p, n), KV_PARSE_ERROR);
	assert_string_equal(q.err, err);
	kv_request_free(&q);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("*abc\r\n", 6, "invalid multibulk length");
	expect_error("*1\r\nfoo\r\n", 9, "expected '$', got 'f'");
	expect_error("*1\r\n$x\r\n", 8, "invalid bulk length");
	expect_error("*1\r\n$4\r\nPINGxx\r\n", 16, "expected CRLF after bulk string");
	expect_error("\"PING\r\n", 7, "unbalanced quotes in request");
	/* a bare CR or a NUL inside an inline line (the sibling of item 10) */
	expect_error("GET a\rSET a b\r\n", 15, "CR or NUL inside an inline request");
	expect_error("GET a\0b\r\n", 9, "CR or NUL inside an inline request");
}

static void test_is(void **state)
{
	(void)state;
	assert_true(kv_is((struct kv_str){"GeT", 3}, "get"));
	assert_false(kv_is((struct kv_str){"get\0", 4}, "get"));
	assert_false(kv_is((struct kv_str){"ge", 2}, "get"));
	assert_false(kv_is((struct kv_str){"gets", 4}, "get"));
	assert_false(kv_is((struct kv_str){"", 0}, "get"));
	assert_true(kv_is((struct kv_str){"", 0}, ""));
	assert_false(kv_is((struct kv_str){"\0", 1}, ""));
}

/* Runs one inline command line against st and checks the exact reply. */
static void run(struct kv_store *st, const char *line, const char *reply)
{
	struct kv_request q = {0};
	kv_request_reset(&q);
	assert_int_equal(kv_parse_request(&q, line, strlen(line)), KV_PARSE_DONE);
	struct kv_out out = {0};
	struct kv_ctx c = {.store = st, .out = &out};
	kv_execute(&c, q.argv, q.argc);
	assert_int_equal(out.err, 0);
	assert_int_equal(out.len, strlen(reply));
	assert_memory_equal(out.buf, reply, out.len);
	kv_out_free(&out);
	kv_request_free(&q);
}

static void test_commands(void **state)
{
	(void)state;
	struct kv_store st = {0};
	assert_int_equal(kv_store_init(&st), 0);
	run(&st, "SET k v\r\n", "+OK\r\n");
	run(&st, "GET k\r\n", "$1\r\nv\r\n");
	run(&st, "MSET a 1 b 2\r\n", "+OK\r\n");
	run(&st, "MGET a b c\r\n", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
	run(&st, "INCR a\r\n", ":2\r\n");
	run(&st, "DEL a b c\r\n", ":2\r\n");
	run(&st, "DBSIZE\r\n", ":1\r\n");
	run(&st, "EXPIRE k 100\r\n", ":1\r\n");
	run(&st, "TTL k\r\n", ":100\r\n");
	run(&st, "SET k v nx\r\n", "$-1\r\n");
	run(&st, "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n");
	run(&st, "\"get\\x00\" k\r\n", "-ERR unknown command 'get', with args beginning with: 'k' \r\n");
	run(&st, "SET k v \"nx\\x00\"\r\n", "-ERR syntax error\r\n");
	run(&st, "FLUSHDB\r\n", "+OK\r\n");
	run(&st, "DBSIZE\r\n", ":0\r\n");
	/* the key specs a sharded server routes by */
	const struct kv_command *mset = kv_command_find((struct kv_str){"MSET", 4});
	assert_non_null(mset);
	assert_int_equal(mset->first_key, 1);
	assert_int_equal(mset->last_key, -1);
	assert_int_equal(mset->key_step, 2);
	const struct kv_command *dbsize = kv_command_find((struct kv_str){"dbsize", 6});
	assert_non_null(dbsize);
	assert_int_equal(dbsize->flags, KV_CMD_ALL_KEYS);
	assert_null(kv_command_find((struct kv_str){"dbsize\0", 7}));
	kv_store_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_is),
		cmocka_unit_test(test_commands),
	};
	return cmocka_run_group_tests_name("resp", tests, NULL, NULL);
}

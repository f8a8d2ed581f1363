/* SPDX-License-Identifier: MIT */
/* Built without OpenSSL: every TLS call says so with -EOPNOTSUPP, and
 * plain streams are untouched. */
#include "harness.h"

#include <ringo.h>

static void test_absent(void **state)
{
	(void)state;
	ringo_tls_opts o = { 0 };
	ringo_tls_context *ctx = NULL;
	assert_int_equal(ringo_tls_context_create(&o, &ctx), -EOPNOTSUPP);
	assert_null(ctx);
	assert_int_equal(ringo_tls_context_add_sni(NULL, "x", "a", "b"), -EOPNOTSUPP);
	ringo_tls_context_unref(NULL);
	assert_null(ringo_stream_tls_version(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

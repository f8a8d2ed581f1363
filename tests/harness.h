/* Shared helpers for the cmocka tests. */
#ifndef RINGO_TEST_HARNESS_H
#define RINGO_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cmocka.h>

/* Runs fn(arg) as the main task of a fresh loop; fails the test unless
 * ringo_run returns 0. Returns main's result. */
intptr_t harness_run(intptr_t (*fn)(void *), void *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t harness_now(void);

/* Runs child(arg) in a forked process with its stdout and stderr captured
 * into out (NUL-terminated, truncated to cap - 1). Returns the child's wait
 * status. The child exits 0 if child() returns. */
int harness_fork(void (*child)(void *), void *arg, char *out, size_t cap);

/* An event log: tests append short strings in the order things happen and
 * compare the whole log at the end. */
struct harness_log {
	char buf[4096];
	size_t len;
};
void harness_log(struct harness_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

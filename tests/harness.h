/* SPDX-License-Identifier: MIT */
/* Shared helpers for the cmocka tests. */
#ifndef RINGO_TEST_HARNESS_H
#define RINGO_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "demo_server.h"

/* Runs fn(arg) as the main task of a fresh loop; fails the test unless
 * ringo_run returns 0. Returns main's result. */
intptr_t harness_run(intptr_t (*fn)(void *), void *arg);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t harness_now(void);

/* How many file descriptors this process has open (from /proc/self/fd):
 * tests compare the count before and after to catch leaks. */
int harness_count_fds(void);

/* The most a TCP socket's send buffer grows to (the third figure of
 * /proc/sys/net/ipv4/tcp_wmem; 4 MiB if it cannot be read): tests that
 * must fill a peer's send buffer send more than this. */
size_t harness_tcp_wmem_max(void);

/* Runs child(arg) in a forked process with its stdout and stderr captured
 * into out (NUL-terminated, truncated to cap - 1). Returns the child's wait
 * status. The child exits 0 if child() returns. */
int harness_fork(void (*child)(void *), void *arg, char *out, size_t cap);

/* A connected TCP pair on the loopback (fd[0] the accepted end), made with
 * plain system calls; fails the test if it cannot. */
void harness_tcp_pair(int fd[2]);

/* A TCP connection to 127.0.0.1:port (TCP_NODELAY set: each write goes
 * out at once), made with plain system calls; fails the test if it cannot.
 * Returns the fd. */
int harness_connect(int port);

/* Whether a program called name is on PATH (tests that drive redis-cli,
 * curl, socat... skip without it). */
bool harness_have_program(const char *name);

/* An event log: tests append short strings in the order things happen and
 * compare the whole log at the end. */
struct harness_log {
	char buf[4096];
	size_t len;
};
void harness_log(struct harness_log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

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

/* A demo server run for a test: started with `--port 0`, its stdout a pipe
 * kept open until it is stopped, and killed if the test process dies. */
struct harness_server {
	pid_t pid;
	int port;
	int out;   /* the server's stdout */
};

/* Starts path --port 0 and reads the port from its first line, "listening
 * on 127.0.0.1:PORT" (10 s at most). Returns 0, or -1 (the server is then
 * killed and what it said is printed). */
int harness_server_start(struct harness_server *s, const char *path);
/* The same with more arguments after "--port 0" (args: NULL-terminated,
 * 28 at most; NULL for none). */
int harness_server_start_args(struct harness_server *s, const char *path,
			      const char *const *args);
/* Sends sig (0: none) and waits up to 10 s for the server to exit. Returns
 * its wait status, or -1 if it had to be killed. */
int harness_server_stop(struct harness_server *s, int sig);

#endif

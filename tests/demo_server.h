/* SPDX-License-Identifier: MIT */
/* Starting and stopping a demo server from a test (through harness.h) or a
 * benchmark (bench/soak.c): plain system calls, no cmocka. */
#ifndef RINGO_TEST_DEMO_SERVER_H
#define RINGO_TEST_DEMO_SERVER_H

#include <sys/types.h>

/* A demo server run for a test or a benchmark: started with `--port 0`, its stdout a pipe
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

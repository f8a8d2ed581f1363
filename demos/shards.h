/* SPDX-License-Identifier: MIT */
/* --threads N for the server demos: N loops (ringo_run_threads), one per
 * thread, serving one port. Loop 0 serves a socket bound before the loops
 * start (so --port 0 gives every loop the same port); the others bind that
 * port with SO_REUSEPORT (ringo_server_opts.reuse_port), and the kernel
 * spreads the connections. "listening on HOST:PORT" is printed once every
 * loop listens. SIGINT and SIGTERM must be blocked by the caller; loop 0
 * takes them and tells the other loops to stop. */
#ifndef DEMOS_SHARDS_H
#define DEMOS_SHARDS_H

#include <signal.h>
#include <stdbool.h>

#include <ringo.h>

#define SHARDS_MAX 256

struct shards {
	const char *prog, *host;
	uint16_t port;
	unsigned n;                     /* loops; 0: one per CPU, resolved by shards_bind */
	unsigned run_flags;             /* ringo_run_opts.flags (RINGO_RUN_PIN_CPUS) */
	const ringo_stream_opts *stream; /* every connection's; NULL: defaults */
	int fd0;                        /* loop 0's socket */
	_Atomic unsigned listening;
	ringo_tls_context *tls;         /* issue 13: TLS on every connection, or NULL */
	int64_t handshake_timeout;      /* 0: the server's default */
	ringo_event *stop[SHARDS_MAX];  /* loop i's, on its thread only */
	bool stopped[SHARDS_MAX];       /* loop i has had loop 0's word */
};

/* Parses a --threads argument (0 .. SHARDS_MAX). */
bool shards_parse(const char *arg, unsigned *n);
/* Before the loops: binds loop 0's socket on host:port and learns the
 * port. Returns 0 or a negative errno (said on stderr). */
int shards_bind(struct shards *sh);
/* Runs main(arg) on the sh->n loops: with one, ringo_run on this thread,
 * as a server without --threads always did. Returns 0 if every main ran
 * and returned >= 0, else 1 (an exit status). */
int shards_run(struct shards *sh, ringo_task_fn main, void *arg);
/* In each loop's main: starts this loop's server with handler(arg).
 * Returns 0 or a negative errno (said on stderr). A loop that cannot
 * serve stops them all: it raises SIGTERM, waits until loop 0 has passed
 * the word on (as shards_wait does), and returns its error, so the
 * process ends instead of serving with a loop short. */
int shards_start_server(struct shards *sh, ringo_conn_fn handler, void *arg, ringo_server **out);
/* Waits for the end: in loop 0 for SIGINT or SIGTERM (returns it, after
 * telling the other loops), in the others for loop 0's word (returns 0). */
int shards_wait(struct shards *sh, const sigset_t *stop);

#endif

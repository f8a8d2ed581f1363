/* SPDX-License-Identifier: MIT */
/* kv_server --threads 2 (issue 10, the sharded store) beside --threads 1,
 * redis-server and redis-server --io-threads 2, one after the other, under
 * the same redis-benchmark runs, keys spread over a million names so that
 * they spread over the shards:
 *
 *	redis-benchmark -p P -t set,get -c 50 -n 200000 -r 1000000 -q [-P 16]
 *
 * Prints each server's requests per second for SET and GET, without and
 * with pipelining (best of two runs), and its CPU time per request (user +
 * system of all its threads, from /proc, over every run of that mode).
 *
 * Pinning, as far as two CPUs allow: a one-threaded server runs on CPU 0
 * and redis-benchmark on CPU 1, as bench/kv.c does; a two-threaded server
 * has both CPUs (kv_server --pin-cpus puts loop i on CPU i; redis-server
 * is confined to CPUs 0-1 with taskset and places its threads itself), and
 * redis-benchmark is not pinned: it shares the CPUs with the server, so
 * the two-threaded rows pay for the client on the same cores, and their
 * CPU per request is what tells the servers' costs apart. On a machine
 * with four CPUs or more the client gets CPUs 2-3 to itself.
 *
 * Usage: bench_kv_threads PATH-TO-kv_server (redis-server and
 * redis-benchmark are looked up in PATH; Debian: redis-server,
 * redis-tools; a server that is missing is skipped with a message). */
#include <math.h>
#include <stdbool.h>

#include "serve.h"

#define ROUNDS 2
#define REQUESTS 200000

static long cpus;

/* Runs redis-benchmark against port (on client_cpus, if any); stores SET's
 * and GET's requests per second in rps[0], rps[1] (NAN if missing). */
static void run_benchmark(int port, int pipeline, const char *client_cpus, double rps[2])
{
	char cmd[320];
	char pin[64] = "";
	if (client_cpus)
		snprintf(pin, sizeof(pin), "taskset -c %s ", client_cpus);
	snprintf(cmd, sizeof(cmd),
		 "%sredis-benchmark -p %d -t set,get -c 50 -n %d -r 1000000 -q -P %d 2>/dev/null",
		 pin, port, REQUESTS, pipeline);
	bench_redis_benchmark(cmd, rps);
}

enum server { KV1, KV2, REDIS, REDIS_IO2, NSERVERS };

static const char *const names[NSERVERS] = {
	"kv_server --threads 1", "kv_server --threads 2", "redis-server",
	"redis-server --io-threads 2"};

/* The best of ROUNDS runs against a freshly started server; also its CPU
 * time per request over all of them, in microseconds. Returns -1 if the
 * server would not start. */
static int measure(enum server which, const char *kv_path, int pipeline, double best[2],
		   double *cpu_us)
{
	struct bench_server s;
	int port = bench_free_port();
	char port_arg[16];
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	bool two = which == KV2 || which == REDIS_IO2;
	/* one thread: server on CPU 0, client on CPU 1; two: the server on
	 * 0-1, the client beside it (or on 2-3 when there are four CPUs) */
	const char *server_cpus = two ? "0,1" : "0";
	const char *client_cpus = cpus >= 4 ? "2,3" : two ? NULL : "1";
	char *argv[24];
	int n = 0;
	argv[n++] = "taskset";
	argv[n++] = "-c";
	argv[n++] = (char *)server_cpus;
	if (which == KV1 || which == KV2) {
		argv[n++] = (char *)kv_path;
		argv[n++] = "--port";
		argv[n++] = port_arg;
		if (which == KV2) {
			argv[n++] = "--threads";
			argv[n++] = "2";
			argv[n++] = "--pin-cpus";
		}
	} else {
		argv[n++] = "redis-server";
		argv[n++] = "--port";
		argv[n++] = port_arg;
		argv[n++] = "--save";
		argv[n++] = "";
		argv[n++] = "--appendonly";
		argv[n++] = "no";
		if (which == REDIS_IO2) {
			argv[n++] = "--io-threads";
			argv[n++] = "2";
			argv[n++] = "--io-threads-do-reads";
			argv[n++] = "yes";
		}
	}
	argv[n] = NULL;
	if (bench_server_start(&s, argv, port) < 0) {
		fprintf(stderr, "bench_kv_threads: cannot start %s\n", names[which]);
		return -1;
	}
	best[0] = best[1] = 0;
	double cpu0 = bench_cpu_seconds(s.pid);
	for (int i = 0; i < ROUNDS; i++) {
		double rps[2];
		run_benchmark(port, pipeline, client_cpus, rps);
		for (int k = 0; k < 2; k++)
			best[k] = isnan(rps[k]) || isnan(best[k]) ? NAN : fmax(best[k], rps[k]);
	}
	/* each round: REQUESTS SETs and REQUESTS GETs */
	*cpu_us = (bench_cpu_seconds(s.pid) - cpu0) * 1e6 / (ROUNDS * 2.0 * REQUESTS);
	int status = bench_server_stop(&s);
	if (which <= KV2 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		fprintf(stderr, "bench_kv_threads: %s did not exit cleanly (status %d)\n",
			names[which], status);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-kv_server\n", argv[0]);
		return 2;
	}
	if (!bench_have("redis-benchmark") || !bench_have("taskset")) {
		printf("kv_threads: redis-benchmark or taskset not installed (Debian: redis-tools, "
		       "util-linux): not run\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 2) {
		printf("kv_threads: one CPU: two threads have nothing to scale to: not run\n");
		return 0;
	}
	bool redis = bench_have("redis-server");
	if (!redis)
		printf("kv_threads: redis-server not installed (Debian: redis-server): its rows "
		       "are skipped\n");
	printf("redis-benchmark -t set,get -c 50 -n %d -r 1000000 -q [-P 16], best of %d; "
	       "%ld CPUs (%s)\n",
	       REQUESTS, ROUNDS, cpus,
	       cpus >= 4 ? "servers on CPUs 0-1, client on 2-3"
			 : "one-threaded servers on CPU 0 and the client on CPU 1; two-threaded "
			   "servers on CPUs 0-1 with the client beside them");
	fflush(stdout); /* before the servers fork */
	int failed = 0;
	for (int pipeline = 1; pipeline <= 16; pipeline *= 16) {
		double rps[NSERVERS][2], cpu[NSERVERS];
		for (int w = 0; w < NSERVERS; w++) {
			rps[w][0] = rps[w][1] = cpu[w] = NAN;
			if (w >= REDIS && !redis)
				continue;
			if (measure((enum server)w, argv[1], pipeline, rps[w], &cpu[w]) < 0)
				failed = 1;
		}
		printf("-P %-2d %-28s %12s %12s %14s\n", pipeline, "", "SET req/s", "GET req/s",
		       "server us/req");
		for (int w = 0; w < NSERVERS; w++) {
			if (w >= REDIS && !redis) {
				printf("      %-28s (not run)\n", names[w]);
				continue;
			}
			printf("      %-28s %12.0f %12.0f %14.2f", names[w], rps[w][0], rps[w][1],
			       cpu[w]);
			if (w == KV2)
				printf("   %.2fx / %.2fx --threads 1", rps[w][0] / rps[KV1][0],
				       rps[w][1] / rps[KV1][1]);
			if (w >= REDIS)
				printf("   kv --threads 2: %.2fx / %.2fx, %.2fx less CPU",
				       rps[KV2][0] / rps[w][0], rps[KV2][1] / rps[w][1],
				       cpu[w] / cpu[KV2]);
			printf("\n");
			failed |= w <= KV2 && (isnan(rps[w][0]) || isnan(rps[w][1]));
		}
		fflush(stdout);
	}
	return failed;
}

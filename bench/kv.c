/* SPDX-License-Identifier: MIT */
/* kv_server against redis-server (persistence off), one after the other,
 * under the same redis-benchmark runs:
 *
 *	redis-benchmark -p P -t set,get -c 50 -n 200000 -q [-P 16]
 *
 * Prints each server's requests per second for SET and GET, without and
 * with pipelining, and kv_server's ratio to redis-server (targets: >= 1.5x
 * without pipelining, >= 1.0x with it); each figure is the best of two runs.
 * With two CPUs, the server is pinned to CPU 0 and the client to CPU 1.
 * Then each server's CPU time per request (user + system, from /proc): on a
 * small machine the one-threaded redis-benchmark is often the bottleneck,
 * and then the rates are the client's, not the servers'.
 *
 * Usage: bench_kv PATH-TO-kv_server (redis-server and redis-benchmark are
 * looked up in PATH; Debian: redis-server, redis-tools). */
#include <math.h>
#include <stdbool.h>

#include "serve.h"

#define ROUNDS 2

/* Two CPUs or more: the server runs on CPU 0 and redis-benchmark on CPU 1,
 * as the other server benchmarks do, so neither pushes the other around. */
static bool pin;

/* Runs redis-benchmark against port; stores SET's and GET's requests per
 * second in rps[0], rps[1] (NAN if missing). */
static void run_benchmark(int port, int pipeline, double rps[2])
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "%s redis-benchmark -p %d -t set,get -c 50 -n 200000 -q -P %d 2>/dev/null",
		 pin ? "taskset -c 1" : "", port, pipeline);
	bench_redis_benchmark(cmd, rps);
}

/* The best of ROUNDS runs against a freshly started server; also the
 * server's CPU time per request over all of them, in microseconds. */
static int measure(bool kv, const char *kv_path, int pipeline, double best[2], double *cpu_us)
{
	struct bench_server s;
	int port = bench_free_port();
	char port_arg[16];
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	char *kv_argv[] = {"taskset", "-c", "0", (char *)kv_path, "--port", port_arg, NULL};
	char *redis_argv[] = {"taskset", "-c", "0", "redis-server", "--port", port_arg,
			      "--save", "", "--appendonly", "no", NULL};
	char **argv = kv ? kv_argv : redis_argv;
	if (bench_server_start(&s, pin ? argv : argv + 3, port) < 0) {
		fprintf(stderr, "bench_kv: cannot start %s\n", kv ? kv_path : "redis-server");
		return -1;
	}
	best[0] = best[1] = 0;
	double cpu0 = bench_cpu_seconds(s.pid);
	for (int i = 0; i < ROUNDS; i++) {
		double rps[2];
		run_benchmark(port, pipeline, rps);
		for (int k = 0; k < 2; k++)
			best[k] = isnan(rps[k]) || isnan(best[k]) ? NAN : fmax(best[k], rps[k]);
	}
	/* each round: 200,000 SETs and 200,000 GETs */
	*cpu_us = (bench_cpu_seconds(s.pid) - cpu0) * 1e6 / (ROUNDS * 400000.0);
	int status = bench_server_stop(&s);
	if (kv && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		fprintf(stderr, "bench_kv: kv_server did not exit cleanly (status %d)\n", status);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-kv_server\n", argv[0]);
		return 2;
	}
	if (!bench_have("redis-benchmark") || !bench_have("redis-server")) {
		printf("kv: redis-server or redis-benchmark not installed (Debian: redis-server, "
		       "redis-tools): not run\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && bench_have("taskset");
	static const struct {
		int pipeline;
		double target;
	} modes[] = {{1, 1.5}, {16, 1.0}};
	int failed = 0;
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		double kv[2], redis[2], kv_cpu, redis_cpu;
		if (measure(true, argv[1], modes[m].pipeline, kv, &kv_cpu) < 0 ||
		    measure(false, argv[1], modes[m].pipeline, redis, &redis_cpu) < 0)
			return 1;
		for (int k = 0; k < 2; k++) {
			char name[32];
			snprintf(name, sizeof(name), "%s -c 50 -P %d", k ? "GET" : "SET",
				 modes[m].pipeline);
			double ratio = kv[k] / redis[k];
			printf("%-20s kv_server %10.0f req/s | redis-server %10.0f req/s | %5.2fx"
			       " | target >= %.1fx: %s\n",
			       name, kv[k], redis[k], ratio, modes[m].target,
			       ratio >= modes[m].target ? "met" : "MISSED");
			fflush(stdout);
			failed |= isnan(ratio);
		}
		/* When redis-benchmark (one thread) saturates its core, both
		 * servers show its rate; what each spends per request still
		 * tells them apart. */
		char name[32];
		snprintf(name, sizeof(name), "server CPU -P %d", modes[m].pipeline);
		printf("%-20s kv_server %8.2f us/req | redis-server %8.2f us/req | %5.2fx less\n",
		       name, kv_cpu, redis_cpu, redis_cpu / kv_cpu);
		fflush(stdout);
	}
	return failed;
}

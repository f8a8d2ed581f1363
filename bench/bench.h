/* SPDX-License-Identifier: MIT */
/* Shared by the benchmark programs: timing, the Python asyncio twin run in
 * the same process tree, and the report line. */
#ifndef RINGO_BENCH_H
#define RINGO_BENCH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall time; with RINGO_BENCH_CLOCK=cpu in the environment, the process's
 * CPU time instead (user and system, every thread): a figure that other
 * programs sharing the machine disturb much less, for comparing two
 * builds of ringo on a busy machine (the peers still report wall time). */
static inline int64_t bench_now(void)
{
	static int clk = -1;
	if (clk < 0) {
		const char *c = getenv("RINGO_BENCH_CLOCK");
		clk = c && strcmp(c, "cpu") == 0 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
	}
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs workload (which returns the nanoseconds it took, or a negative
 * errno) in rounds inside one loop, as a long-running service runs: the
 * first warms the stack and task caches (and the kernel's); the best of the
 * next five is returned. Call it from the loop's main task. */
static inline intptr_t bench_best_of(intptr_t (*workload)(void *), void *arg)
{
	intptr_t best = workload(arg);
	for (int i = 0; i < 5 && best >= 0; i++) {
		intptr_t ns = workload(arg);
		if (ns < 0)
			return ns;
		if (i == 0 || ns < best)
			best = ns;
	}
	return best;
}

/* Runs bench/py/<script> with args and returns the value of its one
 * "<metric> <value>" line, or NAN if python3 or the script failed. */
static inline double bench_python(const char *script, const char *args)
{
	if (getenv("RINGO_BENCH_NO_PYTHON"))
		return NAN;
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 %s/%s %s", RINGO_BENCH_PY_DIR, script, args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NAN;
	char metric[64];
	double value = NAN;
	if (fscanf(p, "%63s %lf", metric, &value) != 2)
		value = NAN;
	if (pclose(p) != 0)
		value = NAN;
	return value;
}

/* Runs the Go or tokio twin of a core benchmark through bench/peers.sh
 * (built at benchmark time into the build dir) and returns the value of its
 * first "<metric> <value>" line, the second's in *second if not NULL; NAN
 * when the peer is not installed (peers.sh says so on stderr) or
 * RINGO_BENCH_NO_PEERS is set. */
static inline double bench_peer(const char *peer, const char *bench, double *second)
{
	if (second)
		*second = NAN;
	if (getenv("RINGO_BENCH_NO_PEERS"))
		return NAN;
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "sh %s/peers.sh %s %s %s", RINGO_BENCH_SRC_DIR,
		 RINGO_BENCH_BUILD_DIR, peer, bench);
	fflush(stdout);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NAN;
	char metric[64];
	double value = NAN, v2 = NAN;
	if (fscanf(p, "%63s %lf", metric, &value) != 2)
		value = NAN;
	else if (fscanf(p, "%63s %lf", metric, &v2) != 2)
		v2 = NAN;
	if (pclose(p) != 0)
		value = v2 = NAN;
	if (second)
		*second = v2;
	return value;
}

/* One line: ringo, then asyncio, Go and tokio with how many times ringo's
 * figure beats theirs (theirs / ringo's: above 1 is ringo ahead), then the
 * target. A peer not run says so. */
static inline void bench_report_peers(const char *name, double ringo, double asyncio,
				      double go, double tokio, const char *unit, double target)
{
	const char *names[] = { "asyncio", "Go", "tokio" };
	double vals[] = { asyncio, go, tokio };
	printf("%-26s ringo %9.1f %-3s", name, ringo, unit);
	for (int i = 0; i < 3; i++) {
		if (isnan(vals[i]))
			printf(" | %-7s (not run)          ", names[i]);
		else
			printf(" | %-7s %9.1f %5.2fx", names[i], vals[i], vals[i] / ringo);
	}
	if (target > 0)
		printf(" | target <= %g %s: %s", target, unit, ringo <= target ? "met" : "MISSED");
	printf("\n");
	fflush(stdout);
}

/* One line: the ringo figure, the asyncio figure, the ratio, the target. */
static inline void bench_report(const char *name, double ringo, double asyncio,
				const char *unit, double target)
{
	printf("%-28s ringo %12.1f %-6s", name, ringo, unit);
	if (isnan(asyncio))
		printf(" | asyncio     (not run)       ");
	else
		printf(" | asyncio %12.1f %-6s | %7.1fx", asyncio, unit, asyncio / ringo);
	if (target > 0)
		printf(" | target <= %g %s: %s", target, unit, ringo <= target ? "met" : "MISSED");
	printf("\n");
	fflush(stdout);
}

#endif

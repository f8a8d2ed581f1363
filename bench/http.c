/* SPDX-License-Identifier: MIT */
/* HTTP server throughput: demos/http_server (one thread) against nginx (one
 * worker, `return 200 "Hello, World!"`) and the same server written with
 * Python asyncio streams, each driven by `wrk -t1 -c64` in the same run.
 *
 *	bench_http HTTP_SERVER_BINARY [SECONDS]
 *
 * Each server is pinned to CPU 0 and wrk to CPU 1 (where there are two), so
 * that neither competes with the other for a CPU.
 *
 * Target: ringo >= 1.5x nginx's requests per second.
 *
 * Then, unpinned, under `wrk -t2 -c64`: http_server --threads 1 and
 * --threads 2 beside nginx with 1 and 2 workers (issue 10), with each
 * server's CPU time per request (its threads and worker processes, from
 * /proc) and wrk's. On a 2-CPU machine wrk takes a large share of the two
 * CPUs, so a second server thread cannot double the rate: the CPU per
 * request says whether the server itself scales. */
#include <dirent.h>
#include <sys/resource.h>

#include "bench.h"
#include "serve.h"

static int secs = 5;
static bool pin;  /* two CPUs or more: the server on 0, wrk on 1 */

/* Requests per second under wrk, best of two runs. */
static double drive(int port)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s wrk -t1 -c64 -d%ds http://127.0.0.1:%d/ 2>&1",
		 pin ? "taskset -c 1" : "", secs, port);
	double best = -1;
	for (int i = 0; i < 2; i++) {
		double rps = bench_command_value(cmd, "Requests/sec:");
		if (rps > best)
			best = rps;
	}
	return best;
}

static double run_server(char *const argv[], int port)
{
	struct bench_server s;
	char *pinned[16] = { "taskset", "-c", "0" };
	if (pin) {
		for (int i = 0; argv[i] && i < 12; i++)
			pinned[3 + i] = argv[i];
		argv = pinned;
	}
	if (bench_server_start(&s, argv, port) < 0) {
		fprintf(stderr, "bench_http: %s did not start\n", argv[0]);
		return -1;
	}
	double rps = drive(port);
	bench_server_stop(&s);
	return rps;
}

/* ---- the threads section ---- */

/* A process's user + system time in seconds, with its live children's
 * (nginx's workers). */
static double cpu_tree(pid_t pid)
{
	char path[96];
	double cpu = bench_cpu_seconds(pid);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	if (f) {
		int child;
		while (fscanf(f, "%d", &child) == 1)
			cpu += cpu_tree(child);
		fclose(f);
	}
	return cpu;
}

static double children_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

struct threaded {
	double rps, server_us, wrk_us;  /* CPU microseconds per request */
};

/* argv unpinned under wrk -t2 -c64; the better of two runs. */
static struct threaded run_threaded(char *const argv[], int port)
{
	struct threaded best = { -1, 0, 0 };
	struct bench_server s;
	if (bench_server_start(&s, argv, port) < 0) {
		fprintf(stderr, "bench_http: %s did not start\n", argv[0]);
		return best;
	}
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "wrk -t2 -c64 -d%ds http://127.0.0.1:%d/ 2>&1", secs, port);
	for (int i = 0; i < 2; i++) {
		double c0 = cpu_tree(s.pid), w0 = children_cpu();
		double rps = bench_command_value(cmd, "Requests/sec:");
		double c1 = cpu_tree(s.pid), w1 = children_cpu();
		if (rps > best.rps) {
			double reqs = rps * secs;
			best = (struct threaded){ rps, (c1 - c0) * 1e6 / reqs, (w1 - w0) * 1e6 / reqs };
		}
	}
	bench_server_stop(&s);
	return best;
}

static void threaded_line(const char *name, struct threaded t, double base)
{
	printf("http, wrk -t2 -c64: %-22s ", name);
	if (t.rps <= 0) {
		printf("(not run)\n");
		return;
	}
	printf("%9.0f req/s (%4.2fx) | server %5.1f us CPU/req | wrk %5.1f us CPU/req\n", t.rps,
	       t.rps / base, t.server_us, t.wrk_us);
}

/* nginx with `workers` worker processes (0: one process, no master),
 * answering every request with the same 13 bytes as http_server; its
 * port in *port, argv (6 slots) to run it. Returns 0 or -1. */
static int nginx_hello(int workers, int *port, char *conf, size_t conf_cap, char *argv[6])
{
	*port = bench_free_port();
	return bench_nginx_config("/tmp/ringo-bench-nginx", workers, *port, "",
				  "    location / { default_type text/plain; return 200 \"Hello, World!\"; }\n",
				  conf, conf_cap, argv);
}

static struct threaded run_nginx_threaded(int workers)
{
	struct threaded none = { -1, 0, 0 };
	char conf[512], *argv[6];
	int port;
	if (nginx_hello(workers, &port, conf, sizeof(conf), argv) < 0)
		return none;
	return run_threaded(argv, port);
}

static void threads_section(const char *server)
{
	struct threaded r[2];
	for (int n = 1; n <= 2; n++) {
		int port = bench_free_port();
		char portstr[16], nstr[4];
		snprintf(portstr, sizeof(portstr), "%d", port);
		snprintf(nstr, sizeof(nstr), "%d", n);
		char *argv[] = { (char *)server, "--port", portstr, "--threads", nstr, NULL };
		r[n - 1] = run_threaded(argv, port);
	}
	struct threaded ng1 = run_nginx_threaded(1), ng2 = run_nginx_threaded(2);
	double base = r[0].rps;
	printf("http, unpinned, wrk -t2 -c64 sharing the %ld CPUs (ratios to ringo --threads 1):\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	threaded_line("ringo --threads 1", r[0], base);
	threaded_line("ringo --threads 2", r[1], base);
	threaded_line("nginx, 1 worker", ng1, base);
	threaded_line("nginx, 2 workers", ng2, base);
	if (r[1].rps > 0 && ng2.rps > 0)
		printf("http --threads 2 / nginx 2 workers: %.2fx the rate, %.2fx the CPU per "
		       "request\n", r[1].rps / ng2.rps, r[1].server_us / ng2.server_us);
}

static double run_nginx(void)
{
	char conf[512], *argv[6];
	int port;
	if (nginx_hello(1, &port, conf, sizeof(conf), argv) < 0)
		return -1;
	return run_server(argv, port);
}

static void line(const char *name, double ringo, double other)
{
	printf("http, wrk -t1 -c64: ringo %10.0f req/s | %-22s ", ringo, name);
	if (other <= 0)
		printf("(not run)\n");
	else
		printf("%10.0f req/s | %5.2fx\n", other, ringo / other);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_http HTTP_SERVER_BINARY [SECONDS]\n");
		return 2;
	}
	if (argc > 2)
		secs = atoi(argv[2]);
	pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && bench_have("taskset");
	if (!bench_have("wrk")) {
		printf("http: wrk is not installed (apt-get install wrk); skipped\n");
		return 0;
	}
	int port = bench_free_port();
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	char *ringo_argv[] = { argv[1], "--port", portstr, NULL };
	double ringo = run_server(ringo_argv, port);
	if (ringo <= 0) {
		fprintf(stderr, "bench_http: no figure for ringo\n");
		return 1;
	}
	double nginx = run_nginx();
	double py = -1;
	if (!getenv("RINGO_BENCH_NO_PYTHON")) {
		int pport = bench_free_port();
		char pportstr[16], script[512];
		snprintf(pportstr, sizeof(pportstr), "%d", pport);
		snprintf(script, sizeof(script), "%s/http_server.py", RINGO_BENCH_PY_DIR);
		char *py_argv[] = { "python3", script, "--port", pportstr, NULL };
		py = run_server(py_argv, pport);
	}
	line("nginx (1 worker)", ringo, nginx);
	line("asyncio streams", ringo, py);
	if (nginx > 0)
		printf("http target >= 1.5x nginx: %s\n", ringo >= 1.5 * nginx ? "met" : "MISSED");
	fflush(stdout);  /* before the next servers fork */
	threads_section(argv[1]);
	return 0;
}

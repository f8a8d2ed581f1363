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
 * Target: ringo >= 1.5x nginx's requests per second. */
#include <sys/stat.h>

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

static double run_nginx(void)
{
	if (!bench_have("nginx"))
		return -1;
	const char *dir = "/tmp/ringo-bench-nginx";
	mkdir(dir, 0755);
	char conf[512];
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	int port = bench_free_port();
	fprintf(f,
		"worker_processes 1;\n"
		"daemon off;\n"
		"pid %s/nginx.pid;\n"
		"error_log %s/error.log;\n"
		"events { worker_connections 4096; }\n"
		"http {\n"
		"  access_log off;\n"
		"  client_body_temp_path %s/body;\n"
		"  proxy_temp_path %s/proxy;\n"
		"  fastcgi_temp_path %s/fastcgi;\n"
		"  uwsgi_temp_path %s/uwsgi;\n"
		"  scgi_temp_path %s/scgi;\n"
		"  keepalive_requests 1000000;\n"
		"  server {\n"
		"    listen 127.0.0.1:%d;\n"
		"    location / { default_type text/plain; return 200 \"Hello, World!\"; }\n"
		"  }\n"
		"}\n",
		dir, dir, dir, dir, dir, dir, dir, port);
	fclose(f);
	char *argv[] = { "nginx", "-p", (char *)dir, "-c", conf, NULL };
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
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Shared by the server benchmarks (http, echo, kv): start a server program,
 * wait until it listens, drive it with a load generator, stop it. */
#ifndef RINGO_BENCH_SERVE_H
#define RINGO_BENCH_SERVE_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Pins the calling thread to CPU cpu, where the machine has two or more
 * (the server on one, its load on the other). */
static inline void bench_pin(int cpu)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A process's user + system time so far, in seconds, from /proc/PID/stat
 * (all its threads); 0 if it cannot be read. */
static inline double bench_cpu_seconds(pid_t pid)
{
	char path[64], line[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long ut = 0, st = 0;
	if (fgets(line, sizeof(line), f)) {
		/* after "pid (comm) ": state, then fields 4..13, then utime, stime */
		char *p = strrchr(line, ')');
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut,
				 &st) != 2)
			ut = st = 0;
	}
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Runs a redis-benchmark command line (-q, -t set,get) and stores the SET
 * and GET rates in rps[0] and rps[1] (NaN where absent). */
static inline void bench_redis_benchmark(const char *cmd, double rps[2])
{
	rps[0] = rps[1] = 0.0 / 0.0;
	FILE *p = popen(cmd, "r");
	if (!p)
		return;
	/* Progress lines end in '\r', results in '\n': "SET: 123.45 requests
	 * per second, p50=..." */
	char line[512];
	size_t len = 0;
	int c;
	while ((c = fgetc(p)) != EOF) {
		if (c != '\r' && c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = (char)c;
			continue;
		}
		line[len] = 0;
		len = 0;
		char name[8];
		double v;
		if (sscanf(line, "%7[A-Z]: %lf requests per second", name, &v) == 2 &&
		    strstr(line, "requests per second")) {
			if (strcmp(name, "SET") == 0)
				rps[0] = v;
			else if (strcmp(name, "GET") == 0)
				rps[1] = v;
		}
	}
	pclose(p);
}

struct bench_server {
	pid_t pid;
	int port;
};

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static inline int bench_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("bench: free port");
		exit(1);
	}
	close(fd);
	return ntohs(a.sin_port);
}

/* Whether something accepts connections on 127.0.0.1:port. */
static inline int bench_port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Starts argv (a NULL-terminated list; its output goes to /dev/null) and
 * waits up to 5 s until port accepts connections. Returns 0, or -1 if the
 * program could not start or never listened. */
static inline int bench_server_start(struct bench_server *s, char *const argv[], int port)
{
	s->port = port;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (bench_port_open(port))
			return 0;
		int status;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return -1;
		}
		usleep(10000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
	return -1;
}

/* Stops the server with SIGTERM (SIGKILL after 5 s). Returns its exit
 * status as waitpid reports it. */
static inline int bench_server_stop(struct bench_server *s)
{
	int status = 0;
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = -1;
			return status;
		}
		usleep(10000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = -1;
	return status;
}

/* Runs a shell command and returns the first number that follows key in
 * its output (e.g. "Requests/sec:"), or -1. */
static inline double bench_command_value(const char *cmd, const char *key)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[1024];
	double value = -1;
	while (fgets(line, sizeof(line), p)) {
		char *at = strstr(line, key);
		if (at && value < 0)
			value = strtod(at + strlen(key), NULL);
	}
	pclose(p);
	return value;
}

/* Whether a program is on PATH. */
static inline int bench_have(const char *prog)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* Writes DIR/nginx.conf for nginx listening on 127.0.0.1:port, with
 * `server` (directives for the server block, e.g. a location) and
 * `listen_extra` ("ssl" or ""), and fills argv (6 slots) to run it.
 * workers == 0: one process, no master (its CPU time is the server's);
 * otherwise a master and that many workers. Returns 0, or -1 if nginx is
 * missing or the file cannot be written. */
static inline int bench_nginx_config(const char *dir, int workers, int port,
				     const char *listen_extra, const char *server, char *conf,
				     size_t conf_cap, char *argv[6])
{
	if (!bench_have("nginx"))
		return -1;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(conf, conf_cap, "%s/nginx.conf", dir);
	FILE *f = fopen(conf, "w");
	if (!f)
		return -1;
	if (workers == 0)
		fprintf(f, "worker_processes 1;\nmaster_process off;\n");
	else
		fprintf(f, "worker_processes %d;\n", workers);
	fprintf(f,
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
		"    listen 127.0.0.1:%d %s;\n"
		"%s"
		"  }\n"
		"}\n",
		dir, dir, dir, dir, dir, dir, dir, port, listen_extra, server);
	fclose(f);
	argv[0] = "nginx";
	argv[1] = "-p";
	argv[2] = (char *)dir;
	argv[3] = "-c";
	argv[4] = conf;
	argv[5] = NULL;
	return 0;
}

#endif

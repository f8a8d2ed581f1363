/* SPDX-License-Identifier: MIT */
#include "demo_server.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int harness_server_start(struct harness_server *s, const char *path)
{
	return harness_server_start_args(s, path, NULL);
}

int harness_server_start_args(struct harness_server *s, const char *path,
			      const char *const *args)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		/* No server outlives a test that crashed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		const char *argv[32] = {path, "--port", "0"};
		for (int i = 0; args && args[i] && i < 28; i++)
			argv[3 + i] = args[i];
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	s->out = fds[0];
	char line[128];
	size_t len = 0;
	struct pollfd p = { .fd = s->out, .events = POLLIN };
	/* One byte at a time: what follows the first line stays in the pipe. */
	while (len < sizeof(line) - 1 && (len == 0 || line[len - 1] != '\n')) {
		if (poll(&p, 1, 10000) <= 0 || read(s->out, line + len, 1) != 1)
			break;
		len++;
	}
	line[len] = '\0';
	if (sscanf(line, "listening on 127.0.0.1:%d", &s->port) != 1 || s->port <= 0 ||
	    s->port > 65535) {
		fprintf(stderr, "%s said: '%s'\n", path, line);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		close(s->out);
		return -1;
	}
	return 0;
}

int harness_server_stop(struct harness_server *s, int sig)
{
	if (sig)
		kill(s->pid, sig);
	int status = -1;
	for (int i = 0; i < 1000; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			break;
		status = -1;
		usleep(10000);
	}
	if (status == -1) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	close(s->out);
	return status;
}

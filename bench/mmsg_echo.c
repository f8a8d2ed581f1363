/* SPDX-License-Identifier: MIT */
/* A plain UDP echo server in C for bench/udp.c to compare with: one
 * blocking socket, recvmmsg of up to 64 datagrams, sendmmsg of them back.
 *
 *   mmsg_echo --port N      (SIGTERM/SIGINT end it) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BATCH = 64, SIZE = 2048 };

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--port") != 0) {
		fprintf(stderr, "usage: %s --port N\n", argv[0]);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("mmsg_echo");
		return 1;
	}
	static char bufs[BATCH][SIZE];
	static struct sockaddr_storage addrs[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr m[BATCH];
	printf("listening on 127.0.0.1:%s\n", argv[2]);
	fflush(stdout);
	while (!stop) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], SIZE };
			m[i].msg_hdr = (struct msghdr){ .msg_name = &addrs[i],
							.msg_namelen = sizeof(addrs[i]),
							.msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		/* Blocks for the first, takes what else is there. */
		int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		int off = 0;
		while (off < n) {
			int s = sendmmsg(fd, m + off, (unsigned)(n - off), 0);
			if (s <= 0)
				break;
			off += s;
		}
	}
	close(fd);
	return 0;
}

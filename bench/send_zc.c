/* SPDX-License-Identifier: MIT */
/* IORING_OP_SEND_ZC against IORING_OP_SEND (issue 9: zero-copy sends for
 * large writes, only if they measure faster). 1 GiB over one TCP loopback
 * connection, sent by a ring in 64 KiB, 256 KiB and 1 MiB pieces, two in
 * flight (a SEND_ZC's buffer is reused only after its notification CQE);
 * a plain thread on the other CPU receives and drops it. Best of 3
 * alternating rounds; MB/s and the sender's CPU per MB (its thread's
 * time and the kernel's workers'). Skips (exit 77) where the kernel has no
 * SEND_ZC. */
#include "bench.h"
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define TOTAL ((size_t)1 << 30)
enum { ROUNDS = 3, DEPTH = 2 };

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	bench_pin(1);
	static char buf[1 << 20];
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	return NULL;
}

static int tcp_pair(int fd[2])
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		return -1;
	fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd[1] < 0 || connect(fd[1], (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	fd[0] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	return fd[0] < 0 ? -1 : 0;
}

static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Sends TOTAL bytes in pieces of `piece`; returns ns or -1. *cpu: the
 * process's CPU seconds meanwhile (the drain thread's included: the same
 * for both kinds). */
static int64_t run(struct io_uring *ring, bool zc, size_t piece, char *bufs, double *cpu)
{
	int fd[2];
	if (tcp_pair(fd) < 0)
		return -1;
	pthread_t th;
	pthread_create(&th, NULL, drain, &fd[1]);
	double c0 = cpu_now();
	int64_t t0 = bench_now();
	size_t queued = 0, sent = 0;
	int inflight = 0;           /* buffers not yet free */
	bool busy[DEPTH] = { false };
	int err = 0;
	while ((sent < TOTAL || inflight) && !err) {
		for (int b = 0; b < DEPTH && queued < TOTAL; b++) {
			if (busy[b])
				continue;
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			size_t n = TOTAL - queued < piece ? TOTAL - queued : piece;
			if (zc)
				io_uring_prep_send_zc(sqe, fd[0], bufs + (size_t)b * piece, n, MSG_WAITALL, 0);
			else
				io_uring_prep_send(sqe, fd[0], bufs + (size_t)b * piece, n, MSG_WAITALL);
			sqe->user_data = (uint64_t)b;
			busy[b] = true;
			inflight++;
			queued += n;
		}
		io_uring_submit_and_wait(ring, 1);
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(ring, head, cqe) {
			seen++;
			int b = (int)cqe->user_data;
			if (cqe->flags & IORING_CQE_F_NOTIF) {
				busy[b] = false; /* the kernel is done with the buffer */
				inflight--;
				continue;
			}
			if (cqe->res < 0) {
				err = cqe->res;
				break;
			}
			sent += (size_t)cqe->res;
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				busy[b] = false;
				inflight--;
			}
		}
		io_uring_cq_advance(ring, seen);
	}
	int64_t ns = bench_now() - t0;
	shutdown(fd[0], SHUT_WR);
	pthread_join(th, NULL);
	*cpu = cpu_now() - c0;
	close(fd[0]);
	close(fd[1]);
	if (err) {
		fprintf(stderr, "send_zc: %s\n", strerror(-err));
		return -1;
	}
	return ns;
}

int main(void)
{
	bench_pin(0);
	struct io_uring ring;
	if (io_uring_queue_init(64, &ring, 0) < 0)
		return 1;
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_SEND_ZC)) {
		printf("send_zc: the kernel has no IORING_OP_SEND_ZC; skipped\n");
		return 77;
	}
	io_uring_free_probe(probe);
	const size_t pieces[] = { 64 << 10, 256 << 10, 1 << 20 };
	char *bufs = malloc(DEPTH * ((size_t)1 << 20));
	memset(bufs, 'x', DEPTH * ((size_t)1 << 20));
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		int64_t best[2] = { -1, -1 };
		double cpu[2] = { 0, 0 };
		for (int r = 0; r <= ROUNDS; r++) {
			for (int zc = 0; zc < 2; zc++) {
				double c;
				int64_t ns = run(&ring, zc, pieces[k], bufs, &c);
				if (ns < 0)
					return 1;
				if (r > 0 && (best[zc] < 0 || ns < best[zc])) {
					best[zc] = ns;
					cpu[zc] = c;
				}
			}
		}
		double mb = (double)TOTAL / 1e6;
		double send = mb / ((double)best[0] / 1e9), zc = mb / ((double)best[1] / 1e9);
		printf("1 GiB over TCP loopback in %4zu KiB sends: SEND %6.0f MB/s (%.0f us CPU/MB) | "
		       "SEND_ZC %6.0f MB/s (%.0f us CPU/MB) | SEND_ZC/SEND %.2fx\n",
		       pieces[k] >> 10, send, cpu[0] / mb * 1e6, zc, cpu[1] / mb * 1e6, zc / send);
		fflush(stdout);
	}
	free(bufs);
	io_uring_queue_exit(&ring);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Files: each call one SQE (lib/io/io.c), the io_uring counterpart of the
 * system call it is named after; read_all/write_all resubmit after short
 * transfers. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

/* The most one read or write moves: a CQE's res is an int, and the kernel
 * caps a transfer at MAX_RW_COUNT (INT_MAX rounded down to a page) anyway.
 * Larger requests become short transfers. */
#define RW_MAX ((size_t)INT_MAX & ~(size_t)4095)

/* The kernel's "current position" offset, for offset -1. */
static uint64_t kernel_offset(int64_t offset)
{
	return offset < 0 ? (uint64_t)-1 : (uint64_t)offset;
}

int ringo_openat(int dirfd, const char *path, int flags, mode_t mode, ringo_deadline deadline)
{
	if (!path)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_OPENAT, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_openat(io.sqe, dirfd, path, flags, mode);
	return (int)ringo__io_await(&io);
}

int ringo_openat2(int dirfd, const char *path, struct open_how *how, ringo_deadline deadline)
{
	if (!path || !how)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_OPENAT2, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_openat2(io.sqe, dirfd, path, how);
	return (int)ringo__io_await(&io);
}

int ringo_open(const char *path, int flags, mode_t mode, ringo_deadline deadline)
{
	return ringo_openat(AT_FDCWD, path, flags, mode, deadline);
}

ssize_t ringo_read(int fd, void *buf, size_t n, int64_t offset, ringo_deadline deadline)
{
	if ((!buf && n) || offset < -1)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_READ, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_read(io.sqe, fd, buf, (unsigned)(n < RW_MAX ? n : RW_MAX),
			   kernel_offset(offset));
	return ringo__io_await(&io);
}

ssize_t ringo_write(int fd, const void *buf, size_t n, int64_t offset, ringo_deadline deadline)
{
	if ((!buf && n) || offset < -1)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_WRITE, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_write(io.sqe, fd, buf, (unsigned)(n < RW_MAX ? n : RW_MAX),
			    kernel_offset(offset));
	io.sqe->rw_flags = ringo__io_rwf_nosignal();
	return ringo__io_await(&io);
}

ssize_t ringo_readv(int fd, const struct iovec *iov, int iovcnt, int64_t offset,
		    ringo_deadline deadline)
{
	if (iovcnt < 0 || (!iov && iovcnt) || offset < -1)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_READV, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_readv(io.sqe, fd, iov, (unsigned)iovcnt, kernel_offset(offset));
	return ringo__io_await(&io);
}

ssize_t ringo_writev(int fd, const struct iovec *iov, int iovcnt, int64_t offset,
		     ringo_deadline deadline)
{
	if (iovcnt < 0 || (!iov && iovcnt) || offset < -1)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_WRITEV, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_writev(io.sqe, fd, iov, (unsigned)iovcnt, kernel_offset(offset));
	io.sqe->rw_flags = ringo__io_rwf_nosignal();
	return ringo__io_await(&io);
}

/* One loop for read_all and write_all: at least one op (so that -EPERM and
 * a pending cancellation are reported even for n == 0), then more until n
 * bytes have moved, an error, or a read reaches the end of the file. */
static ssize_t transfer_all(bool writing, int fd, void *buf, size_t n, int64_t offset,
			    size_t *done, ringo_deadline deadline)
{
	size_t total = 0;
	ssize_t err = 0;
	if ((!buf && n) || offset < -1) {
		err = -EINVAL;
		goto out;
	}
	do {
		char *p = (char *)buf + total;
		int64_t at = offset < 0 ? -1 : offset + (int64_t)total;
		ssize_t r = writing ? ringo_write(fd, p, n - total, at, deadline)
				    : ringo_read(fd, p, n - total, at, deadline);
		if (r < 0) {
			err = r;
			break;
		}
		if (r == 0 && n > total) {
			/* A read's end of file; a write that moves nothing
			 * would never finish. */
			if (writing)
				err = -EIO;
			break;
		}
		total += (size_t)r;
	} while (total < n);
out:
	if (done)
		*done = total;
	return err < 0 ? err : (ssize_t)total;
}

ssize_t ringo_read_all(int fd, void *buf, size_t n, int64_t offset, size_t *done,
		       ringo_deadline deadline)
{
	return transfer_all(false, fd, buf, n, offset, done, deadline);
}

ssize_t ringo_write_all(int fd, const void *buf, size_t n, int64_t offset, size_t *done,
			ringo_deadline deadline)
{
	return transfer_all(true, fd, (void *)buf, n, offset, done, deadline);
}

static int fsync_op(int fd, unsigned flags, ringo_deadline deadline)
{
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_FSYNC, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_fsync(io.sqe, fd, flags);
	return (int)ringo__io_await(&io);
}

int ringo_fsync(int fd, ringo_deadline deadline)
{
	return fsync_op(fd, 0, deadline);
}

int ringo_fdatasync(int fd, ringo_deadline deadline)
{
	return fsync_op(fd, IORING_FSYNC_DATASYNC, deadline);
}

int ringo_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *out,
		ringo_deadline deadline)
{
	if (!path || !out)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_STATX, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_statx(io.sqe, dirfd, path, flags, mask, out);
	return (int)ringo__io_await(&io);
}

int ringo_close(int fd, ringo_deadline deadline)
{
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_CLOSE, deadline);
	if (ret == 0) {
		io_uring_prep_close(io.sqe, fd);
		ret = (int)ringo__io_await(&io);
		if (ret != -ECANCELED && ret != -ETIMEDOUT)
			return ret;
	}
	/* Not submitted, or cancelled before it ran: the contract is that
	 * the fd is gone whatever the call returns. */
	int err = close(fd) < 0 ? -errno : 0;
	return ret == -EOPNOTSUPP ? err : ret;
}

int ringo_unlink(const char *path, int flags, ringo_deadline deadline)
{
	if (!path)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_UNLINKAT, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_unlinkat(io.sqe, AT_FDCWD, path, flags);
	return (int)ringo__io_await(&io);
}

int ringo_rename(const char *from, const char *to, ringo_deadline deadline)
{
	if (!from || !to)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_RENAMEAT, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_renameat(io.sqe, AT_FDCWD, from, AT_FDCWD, to, 0);
	return (int)ringo__io_await(&io);
}

int ringo_mkdir(const char *path, mode_t mode, ringo_deadline deadline)
{
	if (!path)
		return -EINVAL;
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_MKDIRAT, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_mkdirat(io.sqe, AT_FDCWD, path, mode);
	return (int)ringo__io_await(&io);
}

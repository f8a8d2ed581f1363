/* SPDX-License-Identifier: MIT */
/* libFuzzer target: ringo_addr_parse (lib/io/socket.c). The input's first two
 * bytes are the port, the rest the host (up to its first NUL). Checks that
 * an address is returned only as the header promises: its family, length
 * and port. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <ringo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint16_t port = (uint16_t)(data[0] << 8 | data[1]);
	char *host = malloc(size - 1); /* exact size: ASan sees reads past its NUL */
	if (!host)
		return 0;
	memcpy(host, data + 2, size - 2);
	host[size - 2] = '\0';
	struct sockaddr_storage addr;
	socklen_t len = 0;
	int r = ringo_addr_parse(host, port, &addr, &len);
	if (r == 0) {
		if (len == 0 || len > sizeof(addr))
			abort();
		if (addr.ss_family == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)&addr;
			if (len != sizeof(*in) || ntohs(in->sin_port) != port)
				abort();
		} else if (addr.ss_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&addr;
			if (len != sizeof(*in6) || ntohs(in6->sin6_port) != port)
				abort();
		} else if (addr.ss_family == AF_UNIX) {
			const struct sockaddr_un *un = (const struct sockaddr_un *)&addr;
			if (strnlen(un->sun_path, sizeof(un->sun_path)) == sizeof(un->sun_path))
				abort();
		} else {
			abort();
		}
	} else if (r != -EINVAL && r != -ENAMETOOLONG) {
		abort();
	}
	/* NULL out-parameters are refused, not written through */
	if (ringo_addr_parse(host, port, NULL, &len) != -EINVAL ||
	    ringo_addr_parse(host, port, &addr, NULL) != -EINVAL)
		abort();
	free(host);
	return 0;
}

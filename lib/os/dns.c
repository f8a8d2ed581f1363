/* SPDX-License-Identifier: MIT */
/* Name resolution: getaddrinfo(3) run on the executor, its EAI_* codes
 * turned into negative errnos, and host names for ringo's socket calls.
 *
 * The request lives on the heap and owns copies of its strings: a task
 * cancelled during a lookup returns at once, while the lookup runs on; the
 * executor's cleanup then frees the request and what it found. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

struct lookup {
	char *host, *service;
	struct addrinfo hints;
	bool has_hints;
	struct addrinfo *res;
	int err;       /* getaddrinfo's return */
	int sys_errno; /* errno with EAI_SYSTEM, read on the worker's thread */
};

static intptr_t lookup_run(void *arg)
{
	struct lookup *l = arg;
	l->err = getaddrinfo(l->host, l->service, l->has_hints ? &l->hints : NULL, &l->res);
	if (l->err == EAI_SYSTEM)
		l->sys_errno = errno;
	return 0;
}

static void lookup_free(struct lookup *l)
{
	if (l->res)
		freeaddrinfo(l->res);
	free(l->host);
	free(l->service);
	free(l);
}

static void lookup_cleanup(void *arg, intptr_t result)
{
	(void)result;
	lookup_free(arg);
}

static int gai_errno(int err, int sys_errno)
{
	switch (err) {
	case EAI_NONAME:
	case EAI_SERVICE:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_FAMILY:
		return -EAFNOSUPPORT;
	case EAI_SOCKTYPE:
		return -ESOCKTNOSUPPORT;
	case EAI_BADFLAGS:
		return -EINVAL;
	case EAI_OVERFLOW:
		return -EOVERFLOW;
	case EAI_SYSTEM:
		return sys_errno > 0 ? -sys_errno : -EIO;
	default: /* EAI_FAIL and anything newer */
		return -EIO;
	}
}

static char *dup_or_null(const char *s, bool *failed)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

int ringo_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
		      struct addrinfo **res)
{
	if (!res)
		return -EINVAL;
	struct lookup *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	bool failed = false;
	l->host = dup_or_null(host, &failed);
	l->service = dup_or_null(service, &failed);
	if (failed) {
		lookup_free(l);
		return -ENOMEM;
	}
	if (hints) {
		/* Only the fields getaddrinfo reads from hints. */
		l->hints.ai_flags = hints->ai_flags;
		l->hints.ai_family = hints->ai_family;
		l->hints.ai_socktype = hints->ai_socktype;
		l->hints.ai_protocol = hints->ai_protocol;
		l->has_hints = true;
	}
	int ret = ringo_run_in_executor_cleanup(lookup_run, l, lookup_cleanup, NULL);
	if (ret == -ECANCELED)
		return ret; /* l is the cleanup's now */
	if (ret == 0 && l->err != 0)
		ret = gai_errno(l->err, l->sys_errno);
	if (ret == 0) {
		*res = l->res;
		l->res = NULL;
	}
	lookup_free(l);
	return ret;
}

static bool is_unix_path(const char *host)
{
	return host[0] == '/' || strncmp(host, "./", 2) == 0 || strncmp(host, "unix:", 5) == 0;
}

int ringo_resolve(const char *host, uint16_t port, struct sockaddr_storage *addr,
		  socklen_t *len, ringo_deadline deadline)
{
	if (!addr || !len)
		return -EINVAL;
	int ret = ringo_addr_parse(host, port, addr, len);
	if (ret != -EINVAL || !host || !*host || is_unix_path(host))
		return ret;
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	char service[8];
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	struct addrinfo *res;
	if (!ringo_deadline_none(deadline)) {
		/* The deadline cancels the wait; the scope makes that a timeout. */
		ringo_timeout *to;
		ret = ringo_timeout_enter_at(&to, deadline.ns);
		if (ret < 0)
			return ret;
		ret = (int)ringo_timeout_exit(to, ringo_getaddrinfo(host, service, &hints, &res));
		ringo_timeout_destroy(to);
	} else {
		ret = ringo_getaddrinfo(host, service, &hints, &res);
	}
	if (ret < 0)
		return ret;
	if (res->ai_addrlen > sizeof(*addr)) {
		freeaddrinfo(res);
		return -EAFNOSUPPORT;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

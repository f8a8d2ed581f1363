/* SPDX-License-Identifier: MIT */
/* A key-value server that speaks the Redis protocol (RESP2), on ringo's
 * streams: one task per connection, one task expiring keys on time.
 *
 *	kv_server [--host H] [--port N]     (default 127.0.0.1:6380; 0 picks one)
 *
 * Commands: PING, ECHO, GET, SET (EX, PX, NX, XX, KEEPTTL, GET), DEL,
 * EXISTS, INCR, DECR, MGET, MSET, EXPIRE, TTL, DBSIZE, FLUSHDB, QUIT, and
 * the COMMAND and CONFIG GET replies that redis-cli and redis-benchmark ask
 * for at start. Replies and error messages are byte for byte those of
 * redis 7.
 *
 * Requests are parsed in place in the stream's buffer (peek, consume): a
 * command's arguments point into it, and a command that has not fully
 * arrived is resumed where its parse stopped once more bytes come (fill).
 * Every complete command in the buffer is answered before the replies of
 * the batch are handed to the stream in one write and drained once, which
 * is what makes pipelining cheap. A malformed or oversized request gets
 * "-ERR Protocol error: ..." and its connection is closed; an unknown
 * command gets redis's error and the connection stays usable.
 *
 * Keys expire on time: lazily, when a command touches an expired key, and
 * actively, by a task that sleeps until the earliest deadline of a heap of
 * deadlines (as `async with timeout_at(next): await wake.wait()`; a new key
 * that expires sooner wakes it).
 *
 * Prints "listening on HOST:PORT" once ready; SIGINT or SIGTERM closes the
 * server, cancels the connections' tasks and exits 0. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <ringo.h>

#define MAX_BULK (512u << 20)        /* redis's proto-max-bulk-len */
#define MAX_ARGS (1 << 20)           /* arguments of one command */
#define MAX_INLINE (64u << 10)       /* an inline command, or a '*'/'$' line */
#define OUT_FLUSH (64u << 10)        /* replies past which a batch is drained */
#define BIG_VALUE (4u << 10)         /* written straight from the store */

/* A byte string that points into someone else's memory. */
struct str {
	const char *p;
	size_t n;
};

static int64_t now_ms(void)
{
	return ringo_time() / 1000000;
}

/* redis's string-to-integer rule: optional '-', no leading zeros, no
 * spaces or '+', fits in int64_t. */
static bool parse_int(const char *p, size_t n, long long *out)
{
	if (n == 0 || n > 20)
		return false;
	if (n == 1 && p[0] == '0') {
		*out = 0;
		return true;
	}
	bool neg = p[0] == '-';
	size_t i = neg;
	if (i == n || p[i] < '1' || p[i] > '9')
		return false;
	unsigned long long v = 0;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > (unsigned long long)LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Replies: built in a connection's own buffer, handed to the stream once
 * per batch of commands.
 * ------------------------------------------------------------------------ */

struct out {
	char *buf;
	size_t len, cap;
	ringo_stream *s;
	size_t handed;        /* given to the stream since the last drain */
	int err;              /* the first write error: the connection is done */
};

static char *out_room(struct out *o, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n)
			cap *= 2;
		char *buf = realloc(o->buf, cap);
		if (!buf) {
			o->err = -ENOMEM;
			return NULL;
		}
		o->buf = buf;
		o->cap = cap;
	}
	return o->buf + o->len;
}

static void out_add(struct out *o, const void *p, size_t n)
{
	char *dst = out_room(o, n);
	if (dst) {
		memcpy(dst, p, n);
		o->len += n;
	}
}

#define out_lit(o, s) out_add((o), s, sizeof(s) - 1)

/* Hands what is buffered to the stream (which sends it in the background). */
static void out_write(struct out *o, const void *p, size_t n)
{
	if (n && !o->err)
		o->err = ringo_stream_write(o->s, p, n);
	o->handed += n;
}

static void out_flush(struct out *o)
{
	out_write(o, o->buf, o->len);
	o->len = 0;
}

/* A ':' integer, '*' array or '$' bulk header: the prefix, n, CRLF. */
static void out_num(struct out *o, char prefix, long long n)
{
	char digits[20], *dst = out_room(o, 24);
	if (!dst)
		return;
	unsigned long long v = n < 0 ? 0 - (unsigned long long)n : (unsigned long long)n;
	size_t k = 0;
	do
		digits[k++] = (char)('0' + v % 10);
	while (v /= 10);
	*dst++ = prefix;
	if (n < 0)
		*dst++ = '-';
	while (k)
		*dst++ = digits[--k];
	*dst++ = '\r';
	*dst++ = '\n';
	o->len = (size_t)(dst - o->buf);
}

static void out_bulk(struct out *o, const char *p, size_t n)
{
	out_num(o, '$', (long long)n);
	if (n >= BIG_VALUE) {
		out_flush(o);
		out_write(o, p, n);
	} else {
		out_add(o, p, n);
	}
	out_lit(o, "\r\n");
}

static void out_error(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "-ERR ...\r\n", with CR and LF in the message (from arguments quoted in
 * it) turned into spaces, as redis does, so the reply stays one line. */
static void out_error(struct out *o, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	for (int i = 0; i < n; i++)
		if (msg[i] == '\r' || msg[i] == '\n')
			msg[i] = ' ';
	out_lit(o, "-");
	out_add(o, msg, (size_t)n);
	out_lit(o, "\r\n");
}

/* ------------------------------------------------------------------------
 * The store: a chained hash table of keys, and a min-heap of the keys that
 * have a deadline.
 * ------------------------------------------------------------------------ */

struct entry {
	struct entry *next;   /* in its bucket */
	uint64_t hash;
	int64_t expire_ms;    /* monotonic ms; 0: never */
	size_t heap_at;       /* index in the heap while expire_ms */
	char *val;
	size_t vlen, vcap;
	size_t klen;
	char key[];
};

struct store {
	struct entry **buckets;
	size_t mask;          /* buckets - 1, a power of two minus one */
	size_t count;
	uint64_t seed;        /* random, against collision flooding */
	struct entry **heap;  /* keys with a deadline, soonest first */
	size_t nheap, heap_cap;
	int64_t wake_ms;      /* when the expiry task means to wake; 0: never */
	ringo_event *wake;    /* set to wake it sooner */
};

static struct store db;

static uint64_t hash_key(const char *p, size_t n)
{
	uint64_t h = db.seed ^ (n * 0x9e3779b97f4a7c15ull);
	uint64_t w;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static int store_init(void)
{
	if (getrandom(&db.seed, sizeof(db.seed), 0) != sizeof(db.seed))
		db.seed = (uint64_t)ringo_time();
	db.mask = 1023;
	db.buckets = calloc(db.mask + 1, sizeof(*db.buckets));
	if (!db.buckets)
		return -ENOMEM;
	return ringo_event_create(&db.wake);
}

/* ---- the deadline heap ---- */

static void heap_put(size_t i, struct entry *e)
{
	db.heap[i] = e;
	e->heap_at = i;
}

static void heap_up(size_t i)
{
	struct entry *e = db.heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (db.heap[parent]->expire_ms <= e->expire_ms)
			break;
		heap_put(i, db.heap[parent]);
		i = parent;
	}
	heap_put(i, e);
}

static void heap_down(size_t i)
{
	struct entry *e = db.heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= db.nheap)
			break;
		if (c + 1 < db.nheap && db.heap[c + 1]->expire_ms < db.heap[c]->expire_ms)
			c++;
		if (e->expire_ms <= db.heap[c]->expire_ms)
			break;
		heap_put(i, db.heap[c]);
		i = c;
	}
	heap_put(i, e);
}

static void heap_remove(struct entry *e)
{
	size_t i = e->heap_at;
	struct entry *last = db.heap[--db.nheap];
	if (last == e)
		return;
	heap_put(i, last);
	heap_up(i);
	heap_down(last->heap_at);
}

/* Gives e a deadline (when_ms > 0) or takes it away (0). */
static int store_expire_at(struct entry *e, int64_t when_ms)
{
	if (!when_ms) {
		if (e->expire_ms)
			heap_remove(e);
		e->expire_ms = 0;
		return 0;
	}
	if (e->expire_ms) {
		e->expire_ms = when_ms;
		heap_up(e->heap_at);
		heap_down(e->heap_at);
	} else {
		if (db.nheap == db.heap_cap) {
			size_t cap = db.heap_cap ? db.heap_cap * 2 : 64;
			struct entry **heap = realloc(db.heap, cap * sizeof(*heap));
			if (!heap)
				return -ENOMEM;
			db.heap = heap;
			db.heap_cap = cap;
		}
		e->expire_ms = when_ms;
		heap_put(db.nheap++, e);
		heap_up(e->heap_at);
	}
	if (!db.wake_ms || when_ms < db.wake_ms) {
		db.wake_ms = when_ms;
		ringo_event_set(db.wake);
	}
	return 0;
}

/* ---- keys ---- */

static struct entry **bucket_of(uint64_t hash)
{
	return &db.buckets[hash & db.mask];
}

static void store_unlink(struct entry *e)
{
	struct entry **pp = bucket_of(e->hash);
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	if (e->expire_ms)
		heap_remove(e);
	db.count--;
	free(e->val);
	free(e);
}

/* The live entry for key, or NULL; an expired one found on the way is
 * deleted (lazy expiry). */
static struct entry *store_get(struct str key)
{
	uint64_t h = hash_key(key.p, key.n);
	for (struct entry *e = *bucket_of(h); e; e = e->next) {
		if (e->hash != h || e->klen != key.n || memcmp(e->key, key.p, key.n))
			continue;
		if (e->expire_ms && now_ms() >= e->expire_ms) {
			store_unlink(e);
			return NULL;
		}
		return e;
	}
	return NULL;
}

static void store_grow(void)
{
	size_t n = (db.mask + 1) * 2;
	struct entry **buckets = calloc(n, sizeof(*buckets));
	if (!buckets)
		return; /* longer chains, still correct */
	for (size_t i = 0; i <= db.mask; i++) {
		struct entry *e = db.buckets[i];
		while (e) {
			struct entry *next = e->next;
			struct entry **b = &buckets[e->hash & (n - 1)];
			e->next = *b;
			*b = e;
			e = next;
		}
	}
	free(db.buckets);
	db.buckets = buckets;
	db.mask = n - 1;
}

/* Sets key's value (the deadline is the caller's business); creates the
 * key if needed. Returns the entry, or NULL without memory. */
static struct entry *store_set(struct str key, struct str val)
{
	struct entry *e = store_get(key);
	if (!e) {
		e = malloc(sizeof(*e) + key.n);
		if (!e)
			return NULL;
		*e = (struct entry){.hash = hash_key(key.p, key.n), .klen = key.n};
		memcpy(e->key, key.p, key.n);
		struct entry **b = bucket_of(e->hash);
		e->next = *b;
		*b = e;
		if (++db.count > db.mask + 1)
			store_grow();
	}
	if (!e->val || val.n > e->vcap || (e->vcap > 4096 && val.n < e->vcap / 4)) {
		char *v = malloc(val.n ? val.n : 1);
		if (!v)
			return NULL;
		free(e->val);
		e->val = v;
		e->vcap = val.n;
	}
	memcpy(e->val, val.p, val.n);
	e->vlen = val.n;
	return e;
}

static void store_flush(void)
{
	for (size_t i = 0; i <= db.mask; i++) {
		for (struct entry *e = db.buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->val);
			free(e);
		}
		db.buckets[i] = NULL;
	}
	db.count = 0;
	db.nheap = 0;
}

static void store_free(void)
{
	store_flush();
	free(db.buckets);
	free(db.heap);
	ringo_event_destroy(db.wake);
}

/* The active expiry task: deletes keys whose deadline has passed (a bounded
 * number per turn, so clients are not kept waiting), then waits until the
 * next deadline or until a sooner one is set. */
static intptr_t expire_keys(void *arg)
{
	(void)arg;
	for (;;) {
		int64_t now = now_ms();
		int budget = 1000;
		while (db.nheap && now >= db.heap[0]->expire_ms && budget--)
			store_unlink(db.heap[0]);
		int r;
		if (budget < 0) {
			r = ringo_sleep(0);
		} else {
			db.wake_ms = db.nheap ? db.heap[0]->expire_ms : 0;
			ringo_event_clear(db.wake);
			if (db.wake_ms && db.wake_ms < INT64_MAX / 1000000) {
				ringo_timeout *to;
				r = ringo_timeout_enter_at(&to, db.wake_ms * 1000000);
				if (r < 0)
					return r;
				r = (int)ringo_timeout_exit(to, ringo_event_wait(db.wake));
				ringo_timeout_destroy(to);
				if (r == -ETIMEDOUT)
					r = 0;
			} else {
				r = ringo_event_wait(db.wake);
			}
		}
		if (r < 0)
			return r; /* cancelled: the server is shutting down */
	}
}

/* ------------------------------------------------------------------------
 * The protocol: arrays of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
 * and inline commands ("GET k\r\n"), parsed where they lie.
 * ------------------------------------------------------------------------ */

/* One command being parsed. Positions are offsets from the start of the
 * command, so the parse survives the stream moving its buffer between
 * fills. */
struct request {
	size_t pos;           /* parsed up to here */
	long long want;       /* arguments announced by '*'; -1: not read yet */
	long long bulk;       /* length of the argument being read; -1: not read yet */
	size_t argc, cap;
	size_t *off, *len;    /* the arguments */
	struct str *argv;     /* built once the command is complete */
	char *scratch;        /* inline arguments, unquoted */
	size_t scratch_cap;
	char err[64];
};

enum { PARSE_MORE, PARSE_DONE, PARSE_ERROR };

static void request_reset(struct request *q)
{
	q->pos = 0;
	q->want = -1;
	q->bulk = -1;
	q->argc = 0;
}

static bool request_grow(struct request *q)
{
	size_t cap = q->cap ? q->cap * 2 : 16;
	size_t *o = realloc(q->off, cap * sizeof(*o));
	if (o)
		q->off = o;
	size_t *l = realloc(q->len, cap * sizeof(*l));
	if (l)
		q->len = l;
	struct str *v = realloc(q->argv, cap * sizeof(*v));
	if (v)
		q->argv = v;
	if (!o || !l || !v)
		return false;
	q->cap = cap;
	return true;
}

static bool request_push(struct request *q, size_t off, size_t len)
{
	if (q->argc == q->cap && !request_grow(q))
		return false;
	q->off[q->argc] = off;
	q->len[q->argc] = len;
	q->argc++;
	return true;
}

static int parse_error(struct request *q, const char *msg)
{
	snprintf(q->err, sizeof(q->err), "%s", msg);
	return PARSE_ERROR;
}

/* A "<c><integer>\r\n" line at q->pos: PARSE_DONE with *v and q->pos past
 * it, PARSE_MORE, or PARSE_ERROR with toobig/bad as the message. */
static int parse_line_int(struct request *q, const char *p, size_t n, long long *v,
			  const char *toobig, const char *bad)
{
	const char *line = p + q->pos, *cr = memchr(line, '\r', n - q->pos);
	if (!cr || (size_t)(cr - p) + 1 == n) {
		if (n - q->pos > MAX_INLINE)
			return parse_error(q, toobig);
		return PARSE_MORE;
	}
	if (cr[1] != '\n' || !parse_int(line + 1, (size_t)(cr - line - 1), v))
		return parse_error(q, bad);
	q->pos = (size_t)(cr - p) + 2;
	return PARSE_DONE;
}

/* "*<n>\r\n" then n times "$<len>\r\n<len bytes>\r\n". */
static int parse_multibulk(struct request *q, const char *p, size_t n)
{
	int r;
	if (q->want < 0) {
		r = parse_line_int(q, p, n, &q->want, "too big mbulk count string",
				   "invalid multibulk length");
		if (r != PARSE_DONE)
			return r;
		if (q->want > MAX_ARGS)
			return parse_error(q, "invalid multibulk length");
		if (q->want < 0)
			q->want = 0; /* "*-1": an empty command, as in redis */
	}
	while (q->argc < (size_t)q->want) {
		if (q->bulk < 0) {
			if (q->pos == n)
				return PARSE_MORE;
			if (p[q->pos] != '$') {
				snprintf(q->err, sizeof(q->err), "expected '$', got '%c'",
					 p[q->pos]);
				return PARSE_ERROR;
			}
			r = parse_line_int(q, p, n, &q->bulk, "too big bulk count string",
					   "invalid bulk length");
			if (r != PARSE_DONE)
				return r;
			if (q->bulk < 0 || q->bulk > MAX_BULK)
				return parse_error(q, "invalid bulk length");
		}
		size_t len = (size_t)q->bulk;
		if (n - q->pos < len + 2)
			return PARSE_MORE;
		if (p[q->pos + len] != '\r' || p[q->pos + len + 1] != '\n')
			return parse_error(q, "expected CRLF after bulk string");
		if (!request_push(q, q->pos, len))
			return parse_error(q, "out of memory");
		q->pos += len + 2;
		q->bulk = -1;
	}
	return PARSE_DONE;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* One inline argument at *pp (not a space): copied into dst unquoted.
 * "..." knows \n \r \t \b \a \xHH and escapes anything else; '...' only \'.
 * A closing quote must be followed by a space or the end. Returns the
 * length, or -1 for unbalanced quotes. */
static long inline_arg(const char **pp, const char *end, char *dst)
{
	const char *p = *pp;
	char quote = *p == '"' || *p == '\'' ? *p++ : 0;
	char *d = dst;
	for (;;) {
		if (p == end) {
			if (quote)
				return -1;
			break;
		}
		if (!quote) {
			if (isspace((unsigned char)*p))
				break;
			*d++ = *p++;
			continue;
		}
		if (*p == quote) {
			p++;
			if (p != end && !isspace((unsigned char)*p))
				return -1;
			break;
		}
		if (*p == '\\' && p + 1 < end) {
			char c = p[1];
			if (quote == '"' && c == 'x' && p + 3 < end && hex_digit(p[2]) >= 0 &&
			    hex_digit(p[3]) >= 0) {
				*d++ = (char)(hex_digit(p[2]) * 16 + hex_digit(p[3]));
				p += 4;
				continue;
			}
			if (quote == '"') {
				const char *from = "nrtba", *to = "\n\r\t\b\a";
				const char *k = strchr(from, c);
				*d++ = c && k ? to[k - from] : c;
				p += 2;
				continue;
			}
			if (c == '\'') {
				*d++ = '\'';
				p += 2;
				continue;
			}
		}
		*d++ = *p++;
	}
	*pp = p;
	return d - dst;
}

/* A line of space-separated, optionally quoted arguments up to "\n". */
static int parse_inline(struct request *q, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	if (!nl) {
		if (n > MAX_INLINE)
			return parse_error(q, "too big inline request");
		return PARSE_MORE;
	}
	size_t len = (size_t)(nl - p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > q->scratch_cap) {
		char *s = realloc(q->scratch, len);
		if (!s)
			return parse_error(q, "out of memory");
		q->scratch = s;
		q->scratch_cap = len;
	}
	const char *at = p, *end = p + len;
	size_t used = 0;
	for (;;) {
		while (at < end && isspace((unsigned char)*at))
			at++;
		if (at == end)
			break;
		long l = inline_arg(&at, end, q->scratch + used);
		if (l < 0)
			return parse_error(q, "unbalanced quotes in request");
		if (!request_push(q, used, (size_t)l))
			return parse_error(q, "out of memory");
		used += (size_t)l;
	}
	q->pos = (size_t)(nl - p) + 1;
	return PARSE_DONE;
}

/* Parses the command at the start of p[0..n). PARSE_DONE: q->argv[0..argc)
 * point into p (or into q->scratch) and q->pos bytes make the command (argc
 * 0: an empty one, to skip); PARSE_MORE: p holds only part of it, and the
 * next call, with p extended, resumes; PARSE_ERROR: q->err says why. */
static int parse_request(struct request *q, const char *p, size_t n)
{
	bool is_inline = p[0] != '*';
	int r = is_inline ? parse_inline(q, p, n) : parse_multibulk(q, p, n);
	if (r == PARSE_DONE) {
		const char *base = is_inline ? q->scratch : p;
		for (size_t i = 0; i < q->argc; i++)
			q->argv[i] = (struct str){base + q->off[i], q->len[i]};
	}
	return r;
}

static void request_free(struct request *q)
{
	free(q->off);
	free(q->len);
	free(q->argv);
	free(q->scratch);
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

struct conn {
	struct out out;
	bool quit;            /* QUIT: close once its reply is sent */
};

struct command {
	const char *name;     /* lower case, as in redis's errors */
	int arity;            /* argc including the name; -n: at least n */
	void (*run)(struct conn *c, const struct str *argv, size_t argc);
};

/* Whether s is word (lower case), ignoring case. */
static bool is(struct str s, const char *word)
{
	size_t i = 0;
	for (; i < s.n; i++)
		if (word[i] != (char)tolower((unsigned char)s.p[i]))
			return false;
	return word[i] == 0;
}

static void reply_not_integer(struct out *o)
{
	out_lit(o, "-ERR value is not an integer or out of range\r\n");
}

static void cmd_ping(struct conn *c, const struct str *argv, size_t argc)
{
	if (argc == 1)
		out_lit(&c->out, "+PONG\r\n");
	else
		out_bulk(&c->out, argv[1].p, argv[1].n);
}

static void cmd_echo(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argc;
	out_bulk(&c->out, argv[1].p, argv[1].n);
}

static void cmd_get(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argc;
	struct entry *e = store_get(argv[1]);
	if (e)
		out_bulk(&c->out, e->val, e->vlen);
	else
		out_lit(&c->out, "$-1\r\n");
}

/* A relative expiry time (EX, PX, EXPIRE) as an absolute deadline in ms,
 * checked as redis checks it. SET wants a positive time; EXPIRE takes any
 * (one in the past deletes the key). Returns true, or false after replying
 * with redis's error. */
static bool deadline_of(struct conn *c, struct str arg, bool seconds, const char *cmd,
			int64_t *when)
{
	long long v;
	if (!parse_int(arg.p, arg.n, &v)) {
		reply_not_integer(&c->out);
		return false;
	}
	int64_t now = now_ms();
	bool is_set = strcmp(cmd, "set") == 0;
	if ((is_set && v <= 0) ||
	    (seconds && (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000)) ||
	    (seconds ? v * 1000 : v) > INT64_MAX - now) {
		out_error(&c->out, "ERR invalid expire time in '%s' command", cmd);
		return false;
	}
	*when = now + (seconds ? v * 1000 : v);
	return true;
}

static void cmd_set(struct conn *c, const struct str *argv, size_t argc)
{
	enum { NX = 1, XX = 2, EX = 4, PX = 8, KEEPTTL = 16, GET = 32 };
	unsigned flags = 0;
	struct str ttl = {0};
	for (size_t i = 3; i < argc; i++) {
		struct str a = argv[i];
		bool has_next = i + 1 < argc;
		if (is(a, "nx") && !(flags & XX)) {
			flags |= NX;
		} else if (is(a, "xx") && !(flags & NX)) {
			flags |= XX;
		} else if (is(a, "get")) {
			flags |= GET;
		} else if (is(a, "keepttl") && !(flags & (EX | PX))) {
			flags |= KEEPTTL;
		} else if ((is(a, "ex") || is(a, "px")) && !(flags & (EX | PX | KEEPTTL)) &&
			   has_next) {
			flags |= is(a, "ex") ? EX : PX;
			ttl = argv[++i];
		} else {
			out_lit(&c->out, "-ERR syntax error\r\n");
			return;
		}
	}
	int64_t when = 0;
	if ((flags & (EX | PX)) && !deadline_of(c, ttl, flags & EX, "set", &when))
		return;
	struct entry *e = store_get(argv[1]);
	if (flags & GET) {
		if (e)
			out_bulk(&c->out, e->val, e->vlen);
		else
			out_lit(&c->out, "$-1\r\n");
	}
	if ((flags & NX && e) || (flags & XX && !e)) {
		if (!(flags & GET))
			out_lit(&c->out, "$-1\r\n");
		return;
	}
	e = store_set(argv[1], argv[2]);
	if (!e || (!(flags & KEEPTTL) && store_expire_at(e, when) < 0)) {
		out_lit(&c->out, "-ERR out of memory\r\n");
		return;
	}
	if (!(flags & GET))
		out_lit(&c->out, "+OK\r\n");
}

static void cmd_del(struct conn *c, const struct str *argv, size_t argc)
{
	long long n = 0;
	for (size_t i = 1; i < argc; i++) {
		struct entry *e = store_get(argv[i]);
		if (e) {
			store_unlink(e);
			n++;
		}
	}
	out_num(&c->out, ':', n);
}

static void cmd_exists(struct conn *c, const struct str *argv, size_t argc)
{
	long long n = 0;
	for (size_t i = 1; i < argc; i++)
		n += store_get(argv[i]) != NULL;
	out_num(&c->out, ':', n);
}

static void incr_by(struct conn *c, struct str key, long long by)
{
	struct entry *e = store_get(key);
	long long v = 0;
	if (e && !parse_int(e->val, e->vlen, &v)) {
		reply_not_integer(&c->out);
		return;
	}
	if ((by > 0 && v > LLONG_MAX - by) || (by < 0 && v < LLONG_MIN - by)) {
		out_lit(&c->out, "-ERR increment or decrement would overflow\r\n");
		return;
	}
	v += by;
	char num[24];
	int n = sprintf(num, "%lld", v);
	/* The key keeps its deadline, as in redis. */
	if (!store_set(key, (struct str){num, (size_t)n})) {
		out_lit(&c->out, "-ERR out of memory\r\n");
		return;
	}
	out_num(&c->out, ':', v);
}

static void cmd_incr(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argc;
	incr_by(c, argv[1], 1);
}

static void cmd_decr(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argc;
	incr_by(c, argv[1], -1);
}

static void cmd_mget(struct conn *c, const struct str *argv, size_t argc)
{
	out_num(&c->out, '*', (long long)argc - 1);
	for (size_t i = 1; i < argc; i++)
		cmd_get(c, argv + i - 1, 2);
}

static void cmd_mset(struct conn *c, const struct str *argv, size_t argc)
{
	if (argc % 2 == 0) {
		out_lit(&c->out, "-ERR wrong number of arguments for 'mset' command\r\n");
		return;
	}
	for (size_t i = 1; i < argc; i += 2) {
		struct entry *e = store_set(argv[i], argv[i + 1]);
		if (!e) {
			out_lit(&c->out, "-ERR out of memory\r\n");
			return;
		}
		store_expire_at(e, 0);
	}
	out_lit(&c->out, "+OK\r\n");
}

static void cmd_expire(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argc;
	int64_t when;
	if (!deadline_of(c, argv[2], true, "expire", &when))
		return;
	struct entry *e = store_get(argv[1]);
	if (!e) {
		out_lit(&c->out, ":0\r\n");
		return;
	}
	if (when <= now_ms())
		store_unlink(e); /* a deadline in the past deletes the key */
	else if (store_expire_at(e, when) < 0) {
		out_lit(&c->out, "-ERR out of memory\r\n");
		return;
	}
	out_lit(&c->out, ":1\r\n");
}

static void cmd_ttl(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argc;
	struct entry *e = store_get(argv[1]);
	if (!e) {
		out_lit(&c->out, ":-2\r\n");
	} else if (!e->expire_ms) {
		out_lit(&c->out, ":-1\r\n");
	} else {
		int64_t left = e->expire_ms - now_ms(); /* rounded, as redis does */
		out_num(&c->out, ':', left / 1000 + (left % 1000 >= 500));
	}
}

static void cmd_dbsize(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	out_num(&c->out, ':', (long long)db.count);
}

static void cmd_flushdb(struct conn *c, const struct str *argv, size_t argc)
{
	if (argc > 2 || (argc == 2 && !is(argv[1], "sync") && !is(argv[1], "async"))) {
		out_lit(&c->out, "-ERR syntax error\r\n");
		return;
	}
	store_flush();
	out_lit(&c->out, "+OK\r\n");
}

static void cmd_quit(struct conn *c, const struct str *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	out_lit(&c->out, "+OK\r\n");
	c->quit = true;
}

static size_t command_count(void);

/* COMMAND: what redis-cli asks at start (COMMAND DOCS, for its hints). No
 * documentation is served: empty arrays are valid answers. */
static void cmd_command(struct conn *c, const struct str *argv, size_t argc)
{
	if (argc == 1 || is(argv[1], "docs") || is(argv[1], "info"))
		out_lit(&c->out, "*0\r\n");
	else if (is(argv[1], "count"))
		out_num(&c->out, ':', (long long)command_count());
	else
		out_error(&c->out, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			  (int)(argv[1].n > 128 ? 128 : argv[1].n), argv[1].p);
}

/* CONFIG GET: what redis-benchmark asks at start (save, appendonly). Each
 * parameter named that the server has is answered with its value (no
 * glob patterns). */
static void cmd_config(struct conn *c, const struct str *argv, size_t argc)
{
	static const char *const params[][2] = {
		{"save", ""}, {"appendonly", "no"}, {"databases", "1"},
	};
	if (!is(argv[1], "get")) {
		out_error(&c->out, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			  (int)(argv[1].n > 128 ? 128 : argv[1].n), argv[1].p);
		return;
	}
	if (argc < 3) {
		out_lit(&c->out, "-ERR wrong number of arguments for 'config|get' command\r\n");
		return;
	}
	size_t found = 0;
	bool hit[sizeof(params) / sizeof(params[0])] = {0};
	for (size_t i = 2; i < argc; i++)
		for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++)
			if (!hit[k] && is(argv[i], params[k][0]))
				hit[k] = true, found++;
	out_num(&c->out, '*', (long long)found * 2);
	for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
		if (hit[k]) {
			out_bulk(&c->out, params[k][0], strlen(params[k][0]));
			out_bulk(&c->out, params[k][1], strlen(params[k][1]));
		}
	}
}

/* The most frequent first: the table is searched in order. */
static const struct command commands[] = {
	{"get", 2, cmd_get},         {"set", -3, cmd_set},       {"ping", -1, cmd_ping},
	{"incr", 2, cmd_incr},       {"decr", 2, cmd_decr},      {"mget", -2, cmd_mget},
	{"mset", -3, cmd_mset},      {"del", -2, cmd_del},       {"exists", -2, cmd_exists},
	{"expire", 3, cmd_expire},   {"ttl", 2, cmd_ttl},        {"echo", 2, cmd_echo},
	{"dbsize", 1, cmd_dbsize},   {"flushdb", -1, cmd_flushdb}, {"quit", -1, cmd_quit},
	{"command", -1, cmd_command}, {"config", -2, cmd_config},
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

static size_t command_count(void)
{
	return ncommands;
}

/* redis's reply to an unknown command: its name and the start of its
 * arguments, each quoted, 128 bytes at most of each. */
static void reply_unknown(struct conn *c, const struct str *argv, size_t argc)
{
	char args[256];
	size_t len = 0;
	for (size_t i = 1; i < argc && len < 128; i++) {
		size_t n = strnlen(argv[i].p, argv[i].n);
		if (n > 128 - len)
			n = 128 - len;
		len += (size_t)snprintf(args + len, sizeof(args) - len, "'%.*s' ", (int)n,
					argv[i].p);
	}
	args[len] = 0;
	int nlen = (int)strnlen(argv[0].p, argv[0].n > 128 ? 128 : argv[0].n);
	out_error(&c->out, "ERR unknown command '%.*s', with args beginning with: %s", nlen,
		  argv[0].p, args);
}

static void execute(struct conn *c, const struct str *argv, size_t argc)
{
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];
		if (!is(argv[0], cmd->name))
			continue;
		if ((cmd->arity > 0 && argc != (size_t)cmd->arity) ||
		    (cmd->arity < 0 && argc < (size_t)-cmd->arity) ||
		    (cmd->run == cmd_ping && argc > 2))
			out_error(&c->out, "ERR wrong number of arguments for '%s' command",
				  cmd->name);
		else
			cmd->run(c, argv, argc);
		return;
	}
	reply_unknown(c, argv, argc);
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

/* Serves one connection: answers every complete command buffered, hands
 * the batch's replies to the stream, drains once, waits for more. When it
 * returns, the server sends what is still buffered and closes the stream. A batch
 * whose replies grow large (many GETs of big values, say) is cut short and
 * drained before the rest is answered, so a client that does not read
 * cannot make the server buffer without bound. */
static intptr_t serve(ringo_stream *s, void *arg)
{
	(void)arg;
	struct conn c = {.out = {.s = s}};
	struct request q = {0};
	request_reset(&q);
	intptr_t ret = 0;
	for (;;) {
		const void *data;
		size_t n = ringo_stream_peek(s, &data);
		size_t used = 0;
		bool full = false;
		while (used < n && !c.quit && !full) {
			int r = parse_request(&q, (const char *)data + used, n - used);
			if (r == PARSE_MORE)
				break;
			if (r == PARSE_ERROR) {
				out_error(&c.out, "ERR Protocol error: %s", q.err);
				c.quit = true;
				break;
			}
			if (q.argc)
				execute(&c, q.argv, q.argc);
			used += q.pos;
			request_reset(&q);
			full = c.out.len + c.out.handed >= OUT_FLUSH;
		}
		/* data is valid only until the stream next suspends */
		ringo_stream_consume(s, used);
		out_flush(&c.out);
		if (c.out.err) {
			ret = c.out.err;
			break;
		}
		if (c.quit)
			break; /* the server sends what is buffered, then closes */
		ret = ringo_stream_drain(s);
		if (ret < 0)
			break;
		c.out.handed = 0;
		if (full)
			continue; /* the rest of the batch, already buffered */
		ret = ringo_stream_fill(s);
		if (ret <= 0)
			break; /* the peer is done, the stream failed, or shutdown */
	}
	request_free(&q);
	free(c.out.buf);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------------------------
 * main: the server until SIGINT or SIGTERM
 * ------------------------------------------------------------------------ */

struct config {
	const char *host;
	uint16_t port;
};

static void signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

static intptr_t run_server(void *arg)
{
	const struct config *cfg = arg;
	int r = store_init();
	if (r < 0)
		return r;
	ringo_task *expiry;
	r = ringo_task_create(expire_keys, NULL, NULL, &expiry);
	if (r < 0) {
		store_free();
		return r;
	}
	ringo_server *srv;
	r = ringo_start_server(cfg->host, cfg->port, serve, NULL, NULL, &srv);
	if (r < 0) {
		fprintf(stderr, "kv_server: cannot listen on %s:%u: %s\n", cfg->host,
			cfg->port, strerror(-r));
	} else {
		printf("listening on %s:%u\n", cfg->host, ringo_server_port(srv));
		fflush(stdout);
		sigset_t set;
		signals(&set);
		r = ringo_signal_wait(&set, RINGO_NO_DEADLINE);
		if (r > 0) {
			printf("%s: closing\n", r == SIGINT ? "SIGINT" : "SIGTERM");
			fflush(stdout);
			r = 0;
		}
		ringo_server_close(srv, true);
	}
	ringo_task_cancel(expiry);
	ringo_task_await(expiry);
	ringo_task_unref(expiry);
	store_free();
	return r;
}

static int usage(void)
{
	fprintf(stderr, "usage: kv_server [--host H] [--port N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct config cfg = {.host = "127.0.0.1", .port = 6380};
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--host") == 0) {
			cfg.host = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*end || p < 0 || p > 65535)
				return usage();
			cfg.port = (uint16_t)p;
		} else {
			return usage();
		}
	}
	/* Blocked from the start, so that one sent as soon as the server says
	 * it listens is not lost: ringo_signal_wait takes it. */
	sigset_t set;
	signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	intptr_t result;
	int r = ringo_run(run_server, &cfg, &result);
	return r == 0 && result == 0 ? 0 : 1;
}

/* The outer sockets' kernel filter: a classic BPF program over the
 * outer IP source address.
 *
 * The addresses are sorted and the program is a binary search tree of
 * comparisons whose leaves compare up to LEAF_MAX addresses one by one:
 * a packet costs about 2 log2(n / LEAF_MAX) + LEAF_MAX comparisons, and
 * the program some 1.3 instructions per IPv4 address and 9 per IPv6 one,
 * so that a few thousand IPv4 peers (a few hundred IPv6 ones) fit in
 * the kernel's 4096 instructions.
 *
 * The source is read through SKF_NET_OFF, which points at the IP header
 * whatever the socket: UDP sockets see the UDP header at offset 0, raw
 * IPv4 ones the IP header and raw IPv6 ones the ESP header. IPv4 keeps
 * its one word in A; IPv6 copies its four words to the scratch memory
 * M[0..3] once, since an absolute load with a negative offset is a call
 * in the kernel and a scratch load is not. Loads are in network byte
 * order turned to host order, so the sort and the JGT comparisons agree
 * on host-order words. */
#include "src/net/sock_filter.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LEAF_MAX        16
#define ACCEPT_ALL      0xffffffffu         /* keep the whole datagram */
#define IP4_SRC_OFF     12
#define IP6_SRC_OFF     8

struct key {
	uint32_t w[4];                          /* host order */
};

struct builder {
	struct sock_filter *prog;
	size_t              len, cap;
	unsigned            words;              /* 1 (IPv4) or 4 (IPv6) */
	const struct key   *keys;
	bool                full;
};

static size_t
emit(struct builder *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (b->len >= b->cap) {
		b->full = true;
		return b->len;
	}
	b->prog[b->len].code = code;
	b->prog[b->len].jt = jt;
	b->prog[b->len].jf = jf;
	b->prog[b->len].k = k;
	return b->len++;
}

/* A = word w of the source (IPv6 only: IPv4 keeps it in A). */
static void
load_word(struct builder *b, unsigned w)
{
	if (b->words > 1)
		emit(b, BPF_LD | BPF_MEM, 0, 0, w);
}

/* Instructions load_word and one comparison take per word. */
static unsigned
word_cost(const struct builder *b)
{
	return b->words > 1 ? 2 : 1;
}

/* Keys [lo, hi) compared one by one, each word by word; ends in its own
 * pair of returns, so that every jump stays short (jt and jf are 8-bit). */
static void
leaf(struct builder *b, size_t lo, size_t hi)
{
	unsigned per_key = b->words * word_cost(b), w;
	size_t m = hi - lo, i, pos, accept;

	accept = b->len + m * per_key + 1;
	for (i = 0; i < m; i++) {
		for (w = 0; w < b->words; w++) {
			load_word(b, w);
			/* A mismatch goes to the next key (or the drop);
			 * the last word's match to the accept. */
			pos = b->len;
			emit(b, BPF_JMP | BPF_JEQ | BPF_K,
			    w + 1 == b->words ? (uint8_t)(accept - pos - 1) : 0,
			    (uint8_t)((b->words - w - 1) * word_cost(b)),
			    b->keys[lo + i].w[w]);
		}
	}
	emit(b, BPF_RET | BPF_K, 0, 0, 0);
	emit(b, BPF_RET | BPF_K, 0, 0, ACCEPT_ALL);
}

static void tree(struct builder *, size_t, size_t);

/* Source > pivot (lexicographically, word by word) goes right, to the
 * upper half; the rest falls into the lower half, which follows. */
static void
node(struct builder *b, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2, start = b->len, gt, ja;
	const struct key *pivot = &b->keys[mid - 1];
	unsigned w;

	/* Per word but the last: load, JGT, JEQ; the last: load, JGT. */
	gt = start + (b->words - 1) * (word_cost(b) + 1) + word_cost(b);
	for (w = 0; w < b->words; w++) {
		load_word(b, w);
		if (w + 1 < b->words) {
			emit(b, BPF_JMP | BPF_JGT | BPF_K,
			    (uint8_t)(gt - b->len - 1), 0, pivot->w[w]);
			/* Below in this word: the lower half (gt + 1). */
			emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0,
			    (uint8_t)(gt - b->len), pivot->w[w]);
		} else {
			emit(b, BPF_JMP | BPF_JGT | BPF_K, 0, 1, pivot->w[w]);
		}
	}
	/* The upper half lies beyond the lower: a long jump. */
	ja = emit(b, BPF_JMP | BPF_JA, 0, 0, 0);
	tree(b, lo, mid);
	if (!b->full)
		b->prog[ja].k = (uint32_t)(b->len - ja - 1);
	tree(b, mid, hi);
}

static void
tree(struct builder *b, size_t lo, size_t hi)
{
	if (b->full)
		return;
	if (hi - lo <= LEAF_MAX)
		leaf(b, lo, hi);
	else
		node(b, lo, hi);
}

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	unsigned w;

	for (w = 0; w < 4; w++)
		if (x->w[w] != y->w[w])
			return x->w[w] < y->w[w] ? -1 : 1;
	return 0;
}

/* The distinct source addresses of family af in addrs, sorted. */
static struct key *
collect(sa_family_t af, const struct sockaddr_storage *addrs, size_t n,
    size_t *nkeys)
{
	struct key *keys;
	uint32_t raw[4];
	size_t i, k = 0, d;
	unsigned w;

	if ((keys = calloc(n > 0 ? n : 1, sizeof(*keys))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (addrs[i].ss_family != af)
			continue;
		if (af == AF_INET) {
			memcpy(raw, &((const struct sockaddr_in *)&addrs[i])->
			    sin_addr, 4);
			keys[k].w[0] = ntohl(raw[0]);
		} else {
			memcpy(raw, &((const struct sockaddr_in6 *)&addrs[i])->
			    sin6_addr, 16);
			for (w = 0; w < 4; w++)
				keys[k].w[w] = ntohl(raw[w]);
		}
		k++;
	}
	qsort(keys, k, sizeof(*keys), key_cmp);
	for (i = 0, d = 0; i < k; i++)
		if (d == 0 || key_cmp(&keys[d - 1], &keys[i]) != 0)
			keys[d++] = keys[i];
	*nkeys = d;
	return keys;
}

int
sock_filter_build(sa_family_t af, const struct sockaddr_storage *addrs,
    size_t n, struct sock_filter *prog, size_t cap, size_t *naddrs)
{
	struct builder b = { .prog = prog, .cap = cap };
	struct key *keys;
	size_t nkeys;
	unsigned w;

	if (af != AF_INET && af != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if ((keys = collect(af, addrs, n, &nkeys)) == NULL)
		return -1;
	b.keys = keys;
	b.words = af == AF_INET ? 1 : 4;
	if (af == AF_INET) {
		emit(&b, BPF_LD | BPF_W | BPF_ABS, 0, 0,
		    (uint32_t)(SKF_NET_OFF + IP4_SRC_OFF));
	} else {
		for (w = 0; w < 4; w++) {
			emit(&b, BPF_LD | BPF_W | BPF_ABS, 0, 0,
			    (uint32_t)(SKF_NET_OFF + IP6_SRC_OFF + 4 * (int)w));
			emit(&b, BPF_ST, 0, 0, w);
		}
	}
	if (nkeys == 0)
		emit(&b, BPF_RET | BPF_K, 0, 0, 0);
	else
		tree(&b, 0, nkeys);
	free(keys);
	if (b.full) {
		errno = E2BIG;
		return -1;
	}
	if (naddrs != NULL)
		*naddrs = nkeys;
	return (int)b.len;
}

int
sock_filter_attach(int fd, sa_family_t af,
    const struct sockaddr_storage *addrs, size_t n, size_t *naddrs)
{
	struct sock_fprog fprog;
	struct sock_filter *prog;
	int len, saved;

	if ((prog = calloc(SOCK_FILTER_MAX, sizeof(*prog))) == NULL)
		return -1;
	len = sock_filter_build(af, addrs, n, prog, SOCK_FILTER_MAX, naddrs);
	if (len == -1) {
		saved = errno;
		free(prog);
		errno = saved;
		return -1;
	}
	fprog.len = (unsigned short)len;
	fprog.filter = prog;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof(fprog)) == -1) {
		saved = errno;
		free(prog);
		errno = saved;
		return -1;
	}
	free(prog);
	return 0;
}

int
sock_filter_detach(int fd)
{
	int dummy = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
	    sizeof(dummy)) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
sock_kernel_drops(int fd, uint32_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	memset(mem, 0, sizeof(mem));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == -1)
		return -1;
	if (len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
		errno = EPROTO;
		return -1;
	}
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
}

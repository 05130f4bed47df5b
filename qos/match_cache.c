/* The flow cache (match_cache.h): 8-way set associative. A set is one
 * 64-byte line of eight 32-bit hash tags and eight answers; the keys live
 * in a parallel array, one 64-byte line each. A hit reads the set's line
 * and the line of the one key whose tag is equal: two lines, whatever the
 * number of rules. Eight ways keep a set from thrashing: at 1024 flows in
 * the engine's 512 sets a set holds two on average, and overflows (more
 * than eight) about once in 4,000 sets.
 *
 * The key is every field of struct match_pkt that a rule can look at,
 * packed into six words (addresses zero-padded beyond 4 bytes for IPv4,
 * which is all the matcher reads of them), so a hit is exactly the packet
 * matcher_lookup() answered for. Tag 0 marks an empty way; real tags
 * have their low bit set.
 *
 * The hash is NH (UMAC's universal hash, RFC 4418 section 5.2) widened to
 * 64-bit words and 128-bit products, then a multiply whose top bits give
 * the set; its keys are random per cache. It is not a MAC: an attacker who
 * learns which packets collide can fill a set with them. That costs only
 * evictions, i.e. the compiled tree's lookup per packet that the cache
 * would have saved, never a wrong answer: the full key is compared on
 * every hit. */
#include "qos/match_cache.h"

#include <sys/random.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KW              6               /* key words */
#define WAYS            8
#define ENTRIES_MIN     (2 * WAYS)
#define ENTRIES_MAX     ((size_t)1 << 24)

#define KEY_INET6       UINT64_C(1)
#define KEY_FRAGMENT    UINT64_C(2)

__extension__ typedef unsigned __int128 u128;

struct mc_set {
	_Alignas(64) uint32_t tag[WAYS];        /* 0: empty */
	int32_t  res[WAYS];
};

struct mc_key {
	_Alignas(64) uint64_t k[KW];
};

struct match_cache {
	struct mc_set        *set;
	struct mc_key        *key;          /* nsets * WAYS */
	size_t                nsets;
	unsigned              shift;        /* 64 - log2(nsets) */
	unsigned              victim;       /* round robin over the ways */
	uint64_t              seed[KW + 1];
	const struct matcher *m;
	uint64_t              hits, misses;
};

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Random hash keys. Without getrandom() (an old kernel, a seccomp
 * filter) the clock and an address still differ per cache and per run:
 * weaker against aimed collisions, which cost only evictions. */
static void
seed_keys(struct match_cache *c)
{
	struct timespec ts;
	uint64_t s;
	size_t i;

	if (getrandom(c->seed, sizeof(c->seed), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(c->seed))
		goto odd;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^
	    (uint64_t)(uintptr_t)c;
	for (i = 0; i < KW + 1; i++)
		c->seed[i] = splitmix(&s);
odd:
	c->seed[KW] |= 1;               /* the final multiply must be odd */
}

struct match_cache *
match_cache_new(size_t entries)
{
	struct match_cache *c;
	size_t n = ENTRIES_MIN;
	unsigned bits = 1;              /* log2(n / WAYS) */

	while (n < entries && n < ENTRIES_MAX) {
		n <<= 1;
		bits++;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->nsets = n / WAYS;
	c->set = aligned_alloc(_Alignof(struct mc_set),
	    c->nsets * sizeof(*c->set));
	c->key = aligned_alloc(_Alignof(struct mc_key), n * sizeof(*c->key));
	if (c->set == NULL || c->key == NULL) {
		match_cache_free(c);
		return NULL;
	}
	memset(c->set, 0, c->nsets * sizeof(*c->set));
	memset(c->key, 0, n * sizeof(*c->key));
	c->shift = 64 - bits;
	seed_keys(c);
	return c;
}

void
match_cache_free(struct match_cache *c)
{
	if (c == NULL)
		return;
	free(c->set);
	free(c->key);
	free(c);
}

void
match_cache_clear(struct match_cache *c)
{
	memset(c->set, 0, c->nsets * sizeof(*c->set));
	c->m = NULL;
}

void
match_cache_stats(const struct match_cache *c, struct match_cache_stats *st)
{
	st->hits = c->hits;
	st->misses = c->misses;
	st->entries = c->nsets * WAYS;
	st->bytes = sizeof(*c) + c->nsets * sizeof(*c->set) +
	    st->entries * sizeof(*c->key);
}

/* Branch-free: IPv4 and IPv6 packets alternate unpredictably. */
static void
key_of(const struct match_pkt *p, uint64_t k[KW])
{
	static const uint8_t lo4[8] = { 0xff, 0xff, 0xff, 0xff };
	uint64_t v6 = -(uint64_t)(p->af == AF_INET6), m0;

	memcpy(&m0, lo4, sizeof(m0));   /* the first 4 bytes, any byte order */
	m0 |= v6;
	memcpy(k, p->src, 16);
	memcpy(k + 2, p->dst, 16);
	k[0] &= m0;
	k[1] &= v6;
	k[2] &= m0;
	k[3] &= v6;
	k[4] = (v6 & KEY_INET6) |
	    (p->fragment ? KEY_FRAGMENT : 0) | (uint64_t)p->proto << 8 |
	    (uint64_t)p->tos << 16 | (uint64_t)p->sport << 32 |
	    (uint64_t)p->dport << 48;
	k[5] = (uint64_t)(uint32_t)p->icmp_type |
	    (uint64_t)(uint32_t)p->iface << 32;
}

/* The set's index in the top bits of *x, the tag (never 0) in h. */
static uint32_t
hash_of(const struct match_cache *c, const uint64_t k[KW], size_t *set)
{
	const uint64_t *s = c->seed;
	u128 a;
	uint64_t h;

	a = (u128)(k[0] + s[0]) * (k[1] + s[1]) +
	    (u128)(k[2] + s[2]) * (k[3] + s[3]) +
	    (u128)(k[4] + s[4]) * (k[5] + s[5]);
	h = (uint64_t)(a >> 64) ^ (uint64_t)a;
	*set = (size_t)((h * s[KW]) >> c->shift);
	return (uint32_t)(h >> 32) | 1;
}

static bool
key_eq(const uint64_t a[KW], const uint64_t b[KW])
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) |
	    (a[3] ^ b[3]) | (a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
}

long
match_cache_lookup(struct match_cache *c, const struct matcher *m,
    const struct match_pkt *p)
{
	uint64_t k[KW];
	struct mc_set *set;
	struct mc_key *key;
	size_t si;
	uint32_t tag;
	unsigned w, match;
	long r;

	if (c->m != m) {
		/* Answers of another matcher would be wrong here. */
		match_cache_clear(c);
		c->m = m;
	}
	if (p->af != AF_INET && p->af != AF_INET6) {
		c->misses++;            /* never matches; not worth a way */
		return matcher_lookup(m, p);
	}
	key_of(p, k);
	tag = hash_of(c, k, &si);
	set = &c->set[si];
	key = &c->key[si * WAYS];
	/* All eight tags at once (the compiler makes it a vector compare),
	 * then the keys of the ways whose tag is equal, usually one. */
	for (match = 0, w = 0; w < WAYS; w++)
		match |= (unsigned)(set->tag[w] == tag) << w;
	while (match != 0) {
		w = (unsigned)__builtin_ctz(match);
		match &= match - 1;
		if (key_eq(key[w].k, k)) {
			c->hits++;
			return set->res[w];
		}
	}
	c->misses++;
	r = matcher_lookup(m, p);
	/* An empty way, else round robin: with eight ways a full set is
	 * rare, and which flow then goes matters little. */
	for (w = 0; w < WAYS && set->tag[w] != 0; w++)
		;
	if (w == WAYS)
		w = c->victim++ % WAYS;
	set->tag[w] = tag;
	set->res[w] = (int32_t)r;       /* rule indices fit in 31 bits */
	memcpy(key[w].k, k, sizeof(key[w].k));
	return r;
}

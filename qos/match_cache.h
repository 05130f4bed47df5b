/* An exact-match flow cache in front of the compiled matcher (Open
 * vSwitch's microflow cache, a firewall's state table): traffic is flows,
 * so after a flow's first packet its answer costs one hash probe, however
 * many rules there are. The answer is always matcher_lookup()'s: a hit
 * needs the whole key to be equal, and a collision only evicts. */
#ifndef VPNTUND_MATCH_CACHE_H
#define VPNTUND_MATCH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "qos/match.h"

struct match_cache;

/* The engine's size per matcher: 4096 flows in 288 KiB. */
#define MATCH_CACHE_ENTRIES     4096

struct match_cache_stats {
	uint64_t hits;
	uint64_t misses;        /* each one a matcher_lookup() and an insert */
	size_t   entries;
	size_t   bytes;
};

/* A cache of `entries` answers (rounded up to a power of two, at least
 * 16), allocated once: 72 bytes an entry. NULL on allocation failure. */
struct match_cache *match_cache_new(size_t entries);
void match_cache_free(struct match_cache *c);

/* matcher_lookup(m, p), from the cache when p's key is there. The cache
 * belongs to one matcher: the first lookup binds it, and a lookup with
 * another one clears it first. A matcher freed and compiled again (a
 * reload) may come back at the same address: call match_cache_clear()
 * then. No allocation. */
long match_cache_lookup(struct match_cache *c, const struct matcher *m,
    const struct match_pkt *p);
/* Forgets every answer and the matcher; the counters stay. */
void match_cache_clear(struct match_cache *c);
void match_cache_stats(const struct match_cache *c,
    struct match_cache_stats *st);

#endif

/* Shape tables: the compiled matcher's hash tables for rules that share a
 * shape (their layout is in match_tree.h; built in match_hash.c, probed in
 * match.c, which explains where they fit). Internal to qos/.
 *
 * A rule's shape is, per dimension, how many leading bits its range
 * fixes: the common prefix of its lowest and highest key (all 32 bits of
 * an exact value, 24 of a /24 in that word, the upper bits of a port
 * range). Every key inside the rule's box has those bits, so the rules of
 * one shape can be found by hashing a packet's key with the same bits
 * kept: tuple space search (Srinivasan, Suri and Varghese, 1999), the
 * classifier of Open vSwitch. A hit in the hash is only a candidate; the
 * rule's box decides, as in a tree's leaf. */
#ifndef VPNTUND_MATCH_HASH_H
#define VPNTUND_MATCH_HASH_H

#include <stdint.h>

#include "qos/match_tree.h"

/* NH (the hash of UMAC, Black et al., 1999): products of key words plus
 * fixed random words, independent of each other so that they are
 * computed side by side, then mixed. The key is the packet's (or a
 * rule's lowest) key with the shape's bits kept; lanes is D_V4 or
 * LANES. Rules, not packets, fill the buckets, and a bucket holds at most
 * SLOTS of them: a packet chosen to collide costs one bucket. */
static inline __attribute__((always_inline)) uint64_t
shape_hash(const uint32_t *mask, const uint32_t *k, unsigned lanes)
{
	static const uint32_t add[LANES] = {
		0x8a5cd789, 0x635d2dff, 0x1e51d3b4, 0x6b3f3c6e,
		0xc2b2ae35, 0x27d4eb2f, 0x165667b1, 0xd3a2646c,
		0xfd7046c5, 0xb55a4f09, 0x85ebca6b, 0x9e3779b9,
		0x7feb352d, 0x846ca68b, 0xed5ad4bb, 0xac4c1b51,
	};
	uint64_t h = 0;
	unsigned i;

	for (i = 0; i < lanes; i += 2)
		h += (uint64_t)((k[i] & mask[i]) + add[i]) *
		    ((k[i + 1] & mask[i + 1]) + add[i + 1]);
	h ^= h >> 31;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ h >> 29;
}

static inline const struct bucket *
shape_bucket(const struct shape_table *t, uint64_t h)
{
	return &t->bucket[(uint32_t)(h >> 32) & t->nbmask];
}

static inline uint32_t
shape_tag(uint64_t h)
{
	return (uint32_t)h;
}

/* Moves the family's rules of the shapes that earn a table into m->tab[f]
 * (at most TABLES shapes, the largest; each of at least TABLE_MIN rules
 * and 1/TABLE_SHARE of the family, with keys mostly their own), out of
 * list, whose order is kept. Rules a full bucket leaves out stay in list.
 * 0, or -1 when out of memory. */
int match_tables_build(struct matcher *m, int f, const struct box *box,
    const uint8_t *exact, uint32_t *list, size_t *n);

#endif

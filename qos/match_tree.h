/* The compiled matcher's data, shared by its builder (match_build.c),
 * its boxes (match_box.c) and its lookup (match.c, which also explains
 * the design). Internal to qos/. */
#ifndef VPNTUND_MATCH_TREE_H
#define VPNTUND_MATCH_TREE_H

#include <stdint.h>

#include "qos/match_int.h"

enum { D_SRC_HI, D_SRC_LO, D_DST_HI, D_DST_LO, D_SPORT, D_DPORT, D_PROTO,
	D_TOS, D_ICMP, D_IF, D_N };

#define GROUPS          4       /* trees per family, by address "size" */

/* A child is a node's offset in m->tree, or a leaf: LEAF | n << 32 | first,
 * its n rules at m->refs[first], so a lookup needs no leaf table. */
#define LEAF            (UINT64_C(1) << 63)
#define LEAF_CODE(first, n)     (LEAF | (uint64_t)(n) << 32 | (first))
#define NO_PORT         65536   /* port "value" of a packet without ports */
#define NO_ICMP         256
#define IF_OTHER        3

/* lo and hi of a dimension side by side: a check touches one line. */
struct box {
	struct {
		uint64_t lo, hi;
	} r[D_N];
};

/* An inner node is one block of m->tree, so that a step down touches
 * neighbouring cache lines only: a header word (dimension | number of cut
 * points << 8), the ncut ascending cut points, then the ncut + 1 children
 * (see LEAF). A key goes to child i, the number of cut points <= key. */
#define NODE_WORDS(ncut)        (1 + 2 * (size_t)(ncut) + 1)

/* A rule of a leaf, and the dimensions to check for it there. */
struct lref {
	uint32_t rule;
	uint16_t mask;
};

struct matcher {
	struct match_rule *rules;
	struct box        *box;
	uint8_t           *exact;
	size_t             nrules;
	uint64_t           root[2][GROUPS];     /* IPv4, IPv6 trees */
	uint32_t           root_min[2][GROUPS]; /* lowest rule in each */
	unsigned           nroot[2];
	uint64_t          *tree;        /* inner nodes of all trees */
	size_t             ntree, captree;
	size_t             nleaves;
	struct lref       *refs;
	size_t             nrefs, caprefs;
	struct matcher_stats st;
};

/* The child a key goes to: the number of cut points <= v. */
static inline uint32_t
child_of(const uint64_t *cut, uint32_t ncut, uint64_t v)
{
	const uint64_t *b = cut;
	uint32_t half;

	if (ncut == 0)
		return 0;
	/* Branch-free (a conditional move per step): the branches of a
	 * binary search mispredict half of the time, on every packet. */
	while (ncut > 1) {
		half = ncut / 2;
		b = b[half] <= v ? b + half : b;
		ncut -= half;
	}
	return (uint32_t)(b - cut) + (*b <= v);
}

/* The box of r. False if r can match no packet at all. */
bool match_rule_box(const struct match_rule *r, struct box *b,
    uint8_t *exact);
/* The point of a packet. */
void match_pkt_keys(const struct match_pkt *p, uint64_t k[D_N]);

#endif

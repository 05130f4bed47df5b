/* The compiled matcher's data, shared by its builders (match_build.c for
 * the trees, match_hash.c for the shape tables), its boxes (match_box.c)
 * and its lookup (match.c, which also explains the design). Internal to
 * qos/. */
#ifndef VPNTUND_MATCH_TREE_H
#define VPNTUND_MATCH_TREE_H

#include <stdint.h>

#include "qos/match_int.h"

/* Dimensions, each a 32-bit word: an IPv6 address is four of them, so
 * that every cut point and every key fits 32 bits. IPv4 uses the first
 * D_V4 only. */
enum { D_SRC0, D_DST0, D_SPORT, D_DPORT, D_PROTO, D_TOS, D_ICMP, D_IF,
	D_SRC1, D_SRC2, D_SRC3, D_DST1, D_DST2, D_DST3, D_N };
#define D_V4            8
#define LANES           16      /* a key: D_N dimensions, padded */

#define GROUPS          4       /* trees per family, by address "size" */
#define NO_PORT         65536   /* port "value" of a packet without ports */
#define NO_ICMP         256
#define IF_OTHER        3

/* A rule's ranges while building: per dimension, inclusive. */
struct box {
	uint32_t lo[D_N], hi[D_N];
};

/* A rule as a lookup checks it: k is inside when (k - lo) <= w in every
 * lane, w = hi - lo (a branch-free, vectorizable test). One cache line
 * for IPv4, two for IPv6; unused lanes are lo 0, w UINT32_MAX. */
struct box4 {
	uint32_t lo[D_V4], w[D_V4];
} __attribute__((aligned(64)));

struct box6 {
	uint32_t lo[LANES], w[LANES];
} __attribute__((aligned(64)));

/* An inner node is one or two cache lines (LINE_WORDS words each) of
 * m->node: the last key of each child but the last (UINT32_MAX past the
 * node's cuts, so a key never counts them), then the children. A big
 * node has up to FANOUT children, 16 last keys in one line and the
 * children in the next; a small one up to FANOUT_SMALL, 8 last keys and
 * 8 children in one line. A key goes to child i, the number of last keys
 * below it: a few vector compares and no branch. */
#define LINE_WORDS      16
#define FANOUT          16
#define FANOUT_SMALL    8

/* A child (or root) is a leaf, REF_LEAF | its offset in m->leaf, where
 * the leaf's count is followed by its rules; or a node, its first line in
 * m->node, whether it is small and the dimension it cuts. A leaf's rule
 * has RULE_INEXACT when its box is larger than its packets (match.c). */
#define REF_LEAF        (UINT32_C(1) << 31)
#define REF_DSHIFT      27
#define REF_SMALL       (UINT32_C(1) << 26)
#define REF_IDX_MAX     (REF_SMALL - 1)
#define REF_NODE(i, d, small)   ((uint32_t)(d) << REF_DSHIFT | \
	((small) ? REF_SMALL : 0) | (uint32_t)(i))
#define REF_DIM(r)      ((r) >> REF_DSHIFT & 15)
#define REF_IDX(r)      ((r) & REF_IDX_MAX)
#define RULE_INEXACT    (UINT32_C(1) << 31)

/* Shape tables (match_hash.h): rules that share a shape, found by hashing
 * the packet's key with the bits the shape fixes. */
#define TABLES          4       /* shape tables per family, at most */
#define TABLE_MIN       32      /* rules of one shape that earn a table, */
#define TABLE_SHARE     8       /* and at least 1/TABLE_SHARE of the family's */
#define SLOTS           8       /* rules per bucket */
#define SLOT_EMPTY      UINT32_MAX

/* One cache line: the rules whose masked key hashes here, ascending (so
 * the first that matches is the first rule), each with the low half of
 * its hash so that most other keys are passed over without touching
 * their boxes. Unused slots hold SLOT_EMPTY, after the used ones. A rule
 * has RULE_INEXACT as in a leaf. */
struct bucket {
	uint32_t tag[SLOTS];
	uint32_t rule[SLOTS];
} __attribute__((aligned(64)));

struct shape_table {
	uint32_t       mask[LANES];     /* the bits the shape fixes */
	struct bucket *bucket;
	uint32_t       nbmask;          /* buckets - 1 (a power of two) */
};

struct class_map;

struct matcher {
	/* What every lookup reads, together. */
	struct box4       *box4;        /* by rule index */
	struct box6       *box6;
	uint32_t          *node;        /* inner nodes of all trees */
	uint32_t          *leaf;        /* leaves: count, then rules */
	struct match_rule *rules;
	uint32_t           root[2][GROUPS];     /* IPv4, IPv6 trees */
	uint32_t           root_min[2][GROUPS]; /* lowest rule in each */
	unsigned           nroot[2];
	unsigned           ntab[2];
	struct shape_table tab[2][TABLES];
	struct class_map  *cls;         /* IPv4's address classes, or NULL
	                                   (match_class.h) */
	/* Building and freeing. */
	char              *arena;       /* node, box4, box6 and leaf, once
	                                   compiled (match_build.c) */
	size_t             nrules;
	size_t             nnode, capnode;      /* in lines */
	size_t             nleaf, capleaf;
	size_t             nleaves;
	struct matcher_stats st;
};

#define HUGE_PAGE       ((size_t)2 << 20)
#define HUGE_MIN        ((size_t)1 << 20)  /* smaller: 4 KiB pages do */

/* Grows the array *p of *cap elements of elt bytes to hold need of them,
 * doubling from 64 (match_build.c; compile time only). 0, or -1 with *p
 * as it was. */
int match_grow(void **p, size_t *cap, size_t need, size_t elt);

/* A block for lookups to read (match_build.c): huge pages when large.
 * *size is rounded up to what was allocated. */
void *match_block_alloc(size_t *size);

/* The box of r. False if r can match no packet at all. */
bool match_rule_box(const struct match_rule *r, struct box *b,
    uint8_t *exact);
/* The point of a packet, LANES words (the unused ones 0). */
void match_pkt_keys(const struct match_pkt *p, uint32_t k[LANES]);

#endif

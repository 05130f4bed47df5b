/* The compiled matcher: address classes (RFC's equivalence classes,
 * match_class.h) for IPv4 rule sets whose rules name their addresses;
 * for other rule sets, and IPv6, shape tables (tuple space search,
 * match_hash.h) for the many rules that share a shape, and decision trees
 * in the manner of HiCuts (Gupta and McKeown, 1999), with the cut points
 * of HyperSplit (Qi et al., 2009) and the separable trees of EffiCuts
 * (Vamanan et al., 2010), for the rest.
 *
 * Each rule becomes a box: one inclusive range per dimension (src and dst
 * address as 32-bit words, one for IPv4 and four for IPv6, sport, dport,
 * protocol, TOS, ICMP type, interface). A prefix is a box this way too
 * (exact words, a range in one, any in the rest), and every key and cut
 * point fits 32 bits. A packet becomes a point in the same space. Packets
 * without ports get port 65536 and non-ICMP packets ICMP type 256, so
 * "a port condition never holds for a packet without ports" is plain
 * geometry. For almost every rule the box is exactly its set of packets
 * ("exact"); only a TOS mask with holes (e.g. 0x0f) or an interface value
 * outside the enum gives a larger box, and those rules are also checked
 * with match_rule_matches. Rules that can match nothing are left out.
 *
 * A node cuts its region along one dimension into up to 16 children at
 * rule boundaries (where some rule's range starts or ends), spread evenly
 * over the boundaries. It is one cache line (up to 8 children) or two
 * neighbouring ones, and a lookup counts the cut points below its key
 * with a few vector compares: a binary search of 64 cut points, as
 * before, waited on six dependent loads and guessed branches per node.
 * HiCuts' equal-size cuts were tried first:
 * ranges that are not aligned (ports 1000-2999) made them cut the same
 * boundary bit by bit, 30 levels deep. A rule goes into every child its
 * box meets; lists stay sorted by rule index, so a leaf is scanned in
 * order and its first hit is the first matching rule. The tree stays
 * small because of
 *  - first-match pruning: once an exact rule covers a node's whole region,
 *    no later rule in that node can ever be first, and they are dropped
 *    (overlapping rules, a catch-all or duplicates cost nothing);
 *  - the choice of cut (dimension and fan-out) by counting the children's
 *    lists after that pruning: the smallest largest child wins, then the
 *    fewest stored indices, and a count stops as soon as it passes SPFAC
 *    times the node's rules (HiCuts' space measure);
 *  - separable trees (build_family): rules wide in the source address and
 *    rules wide in the destination are not cut across each other.
 * A node becomes a leaf at BINTH rules, at DEPTH_MAX, or when the whole
 * matcher reaches its memory budget: worst cases get long leaves (a linear
 * scan of part of the rules), never a wrong answer. A leaf lists its
 * rules; a rule is checked in every dimension at once against its box,
 * stored as lo and hi - lo per lane (one cache line for IPv4, two for
 * IPv6) so that the test is a vector subtract and compare, no branch.
 * Adjacent equal leaves are stored once.
 *
 * Rules of one shape (the bits each range fixes: a /32 source, a /24
 * destination, one protocol and port) by the hundred or thousand, as a
 * site's host rules or a blocklist come, would be replicated across the
 * trees' cuts; a shape table finds them with one hash of the packet's key
 * and one cache-line bucket, whatever their number. A family has at most
 * TABLES of them, for shapes holding TABLE_MIN rules and 1/TABLE_SHARE of
 * the family with keys mostly their own; the trees take every other rule.
 *
 * A lookup hashes its key for each table and prefetches the bucket, walks
 * its family's (at most four) trees side by side, a level at a time, so
 * that their cache misses overlap, and prefetches the leaves. It scans
 * the buckets, then the leaves in the order of their trees' first rules,
 * the best answer so far cutting each scan short: the answer is the
 * lowest rule any of them holds. Nodes, leaves and boxes are one block,
 * on huge pages when large. Nothing is allocated per packet.
 *
 * The address classes are tried first for the IPv4 family: a lookup is a
 * fixed chain of table loads and a short list, and the goal
 * (10,000 rules at most twice the cost of 10) holds on bench/classify's
 * access lists and site rules (1.4-1.9x). Broad, overlapping rules make
 * the classes' tables and lists too big; the build gives up within a
 * budget and the family goes to the tables and trees, where the goal is
 * not met: at 10,000 random rules the trees hold about 9 MB, replicated
 * rules in four trees per family, and a lookup's ~15 node steps and ~10
 * box checks, missing L2, cost 6-9 times a 10-rule lookup (docs/qos.md
 * has the tables and what was tried). The engine
 * therefore asks through a flow cache (match_cache.c), as Open vSwitch's
 * microflow cache or a firewall's state table do: the answer for every
 * field a rule can test, keyed exactly, 8-way set associative, 4096
 * entries per matcher. A flow's first packet pays the compiled lookup
 * (plus a probe and an insert); the next ones pay one probe, two cache
 * lines, the same at 10 or 10,000 rules. Traffic without flows (a scan, a
 * flood of random addresses) gets the compiled lookup's cost, never a
 * wrong answer: a colliding key only evicts. */
#include <stdlib.h>
#include <string.h>

#include "qos/match_class.h"
#include "qos/match_hash.h"

/* Vectors of GCC and Clang: SSE2 on x86-64, NEON on arm64, plain words
 * elsewhere. A compare gives -1 (true) or 0 per lane. */
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static bool
none_set(i32x4 v)
{
	u64x2 x = (u64x2)v;

	return (x[0] | x[1]) == 0;
}

/* Is k inside the box: (k - lo) <= w in every lane? */
static bool
box4_has(const struct box4 *b, const u32x4 *k)
{
	const u32x4 *lo = (const u32x4 *)b->lo, *w = (const u32x4 *)b->w;

	return none_set((k[0] - lo[0] > w[0]) | (k[1] - lo[1] > w[1]));
}

static bool
box6_has(const struct box6 *b, const u32x4 *k)
{
	const u32x4 *lo = (const u32x4 *)b->lo, *w = (const u32x4 *)b->w;

	return none_set((k[0] - lo[0] > w[0]) | (k[1] - lo[1] > w[1]) |
	    (k[2] - lo[2] > w[2]) | (k[3] - lo[3] > w[3]));
}

/* The child a key goes to: the number of last keys below it, over 8
 * lanes for a small node, 16 for a big one (match_tree.h). */
static uint32_t
node_child(const uint32_t *nw, uint32_t ref, uint32_t v)
{
	const u32x4 *l = (const u32x4 *)nw;
	u32x4 vv = { v, v, v, v };
	i32x4 s = (l[0] < vv) + (l[1] < vv), hi;
	bool small = (ref & REF_SMALL) != 0;

	/* A small node's upper half is its children: not counted. */
	hi = ((l[2] < vv) + (l[3] < vv)) & (small ? 0 : -1);
	s += hi;
	return nw[(small ? FANOUT_SMALL : LINE_WORDS) -
	    (s[0] + s[1] + s[2] + s[3])];
}

void
matcher_free(struct matcher *m)
{
	unsigned f, t;

	if (m == NULL)
		return;
	for (f = 0; f < 2; f++)
		for (t = 0; t < m->ntab[f]; t++)
			free(m->tab[f][t].bucket);
	match_classes_free(m->cls);
	free(m->rules);
	if (m->arena != NULL)
		free(m->arena);
	else {
		free(m->box4);
		free(m->box6);
		free(m->node);
		free(m->leaf);
	}
	free(m);
}

void
matcher_stats(const struct matcher *m, struct matcher_stats *st)
{
	if (m == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = m->st;
}

/* Does the packet match rule r of a leaf or a bucket (entry: r, with
 * RULE_INEXACT when its box is larger than its packets)? */
static inline __attribute__((always_inline)) bool
entry_matches(const struct matcher *m, unsigned f, uint32_t entry,
    uint32_t r, const u32x4 *k, const struct match_pkt *pkt)
{
	bool in = f == 0 ? box4_has(&m->box4[r], k) :
	    box6_has(&m->box6[r], k);

	return in && (!(entry & RULE_INEXACT) ||
	    match_rule_matches(&m->rules[r], pkt));
}

/* The first rule of a leaf that matches, if below best. (Inlined: its
 * calls know the family, and a call would cost the 10-rule lookup a
 * sixth of its time.) */
static inline __attribute__((always_inline)) uint32_t
leaf_lookup(const struct matcher *m, unsigned f, uint32_t ref,
    const u32x4 *k, const struct match_pkt *pkt, uint32_t best)
{
	const uint32_t *l = m->leaf + (ref & ~REF_LEAF);
	uint32_t i, n = l[0], r;

	for (i = 1; i <= n; i++) {
		r = l[i] & ~RULE_INEXACT;
		if (r >= best)
			break;
		if (entry_matches(m, f, l[i], r, k, pkt))
			return r;
	}
	return best;
}

/* The first rule of a shape table's bucket that matches, if below best:
 * only rules with the packet's tag are checked. */
static uint32_t
bucket_lookup(const struct matcher *m, unsigned f, const struct bucket *b,
    uint32_t tag, const u32x4 *k, const struct match_pkt *pkt, uint32_t best)
{
	uint32_t r;
	unsigned s;

	for (s = 0; s < SLOTS && b->rule[s] != SLOT_EMPTY; s++) {
		r = b->rule[s] & ~RULE_INEXACT;
		if (r >= best)
			break;
		if (b->tag[s] == tag &&
		    entry_matches(m, f, b->rule[s], r, k, pkt))
			return r;
	}
	return best;
}

/* The first rule of the packet's address class that matches. */
static long
class_lookup(const struct matcher *m, const u32x4 *k, const uint32_t *kw,
    const struct match_pkt *pkt)
{
	const uint32_t *l = m->cls->rule + class_of(m->cls, kw);
	uint32_t i, r;

	for (i = 1; i <= l[0]; i++) {
		r = l[i] & ~RULE_INEXACT;
		if (entry_matches(m, 0, l[i], r, k, pkt))
			return (long)r;
	}
	return -1;
}

long
matcher_lookup(const struct matcher *m, const struct match_pkt *pkt)
{
	union {
		u32x4    v[LANES / 4];
		uint32_t w[LANES];
	} k;
	uint32_t ref[GROUPS], tag[TABLES], best = UINT32_MAX;
	const struct bucket *bk[TABLES];
	unsigned f, t, nt, inner;
	uint64_t h;

	if (m == NULL)
		return -1;
	if (pkt->af == AF_INET)
		f = 0;
	else if (pkt->af == AF_INET6)
		f = 1;
	else
		return -1;
	match_pkt_keys(pkt, k.w);
	if (f == 0 && m->cls != NULL)
		return class_lookup(m, k.v, k.w, pkt);
	/* The shape tables' buckets first: their loads overlap the walk. */
	for (t = 0; t < m->ntab[f]; t++) {
		/* (Constant lanes: the loop is unrolled for each family.) */
		h = f == 0 ? shape_hash(m->tab[f][t].mask, k.w, D_V4) :
		    shape_hash(m->tab[f][t].mask, k.w, LANES);
		bk[t] = shape_bucket(&m->tab[f][t], h);
		tag[t] = shape_tag(h);
		__builtin_prefetch(bk[t]);
	}
	nt = m->nroot[f];
	memcpy(ref, m->root[f], sizeof(ref));
	/* The trees one level at a time, side by side: their cache misses
	 * are independent, so the CPU waits for them together. */
	do {
		inner = 0;
		for (t = 0; t < nt; t++) {
			if (ref[t] & REF_LEAF)
				continue;
			ref[t] = node_child(m->node + (size_t)REF_IDX(ref[t]) *
			    LINE_WORDS, ref[t],
			    k.w[REF_DIM(ref[t])]);
			inner = 1;
		}
	} while (inner);
	/* The leaves are fetched all at once: one wait rather than one per
	 * tree. (Their rules' boxes are not: prefetching them all, up to 64
	 * lines, cost a quarter of a lookup's time at 10,000 rules, more than
	 * the misses it hid.) */
	for (t = 0; t < nt; t++)
		__builtin_prefetch(m->leaf + (ref[t] & ~REF_LEAF));
	/* The tables first: a hit there is cheap, and any hit ends each
	 * scan after it sooner. The answer is the lowest of all. */
	for (t = 0; t < m->ntab[f]; t++)
		best = bucket_lookup(m, f, bk[t], tag[t], k.v, pkt, best);
	for (t = 0; t < nt && m->root_min[f][t] < best; t++)
		best = leaf_lookup(m, f, ref[t], k.v, pkt, best);
	return best == UINT32_MAX ? -1 : (long)best;
}

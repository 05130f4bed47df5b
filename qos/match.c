/* The compiled matcher: decision trees in the manner of HiCuts (Gupta and
 * McKeown, 1999), with the cut points of HyperSplit (Qi et al., 2009) and
 * the separable trees of EffiCuts (Vamanan et al., 2010).
 *
 * Each rule becomes a box: one inclusive range per dimension (src and dst
 * address as two 64-bit halves for IPv6, sport, dport, protocol, TOS, ICMP
 * type, interface). A packet becomes a point in the same space. Packets
 * without ports get port 65536 and non-ICMP packets ICMP type 256, so
 * "a port condition never holds for a packet without ports" is plain
 * geometry. For almost every rule the box is exactly its set of packets
 * ("exact"); only a TOS mask with holes (e.g. 0x0f) or an interface value
 * outside the enum gives a larger box, and those rules are also checked
 * with match_rule_matches. Rules that can match nothing are left out.
 *
 * A node cuts its region along one dimension into up to FANOUT_MAX
 * children at rule boundaries (where some rule's range starts or ends),
 * spread evenly over the boundaries; a lookup finds its child by a binary
 * search of the cut points. HiCuts' equal-size cuts were tried first:
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
 * scan of part of the rules), never a wrong answer. A leaf stores for each
 * rule the dimensions in which it does not cover the leaf's region, and
 * checks only those. Adjacent equal leaves are stored once.
 *
 * A lookup walks its family's (at most four) trees side by side, a level
 * at a time, so that their cache misses overlap, then scans the leaves in
 * the order of their trees' first rules, the best answer so far cutting
 * each scan short. Nothing is allocated per packet.
 *
 * The tree alone does not meet issue 3's goal: at 10,000 rules it holds
 * about 10 MB, and a lookup's few dependent cache misses cost ~7 times
 * the 10-rule lookup that stays in L1 (bench/classify). The engine
 * therefore asks through a flow cache (match_cache.c), as Open vSwitch's
 * microflow cache or a firewall's state table do: the answer for every
 * field a rule can test, keyed exactly, 8-way set associative, 4096
 * entries per matcher. A flow's first packet pays the tree (plus a
 * probe and an insert); the next ones pay one probe, two cache lines,
 * the same at 10 or 10,000 rules. Traffic without flows (a scan, a
 * flood of random addresses) gets the tree's cost, never a wrong answer:
 * a colliding key only evicts. */
#include <stdlib.h>
#include <string.h>

#include "qos/match_tree.h"

/* Is k inside b in the dimensions of mask (the others are known)? */
static bool
box_has(const struct box *b, unsigned mask, const uint64_t k[D_N])
{
	unsigned out = 0;
	int d;

	while (mask != 0) {
		d = __builtin_ctz(mask);
		mask &= mask - 1;
		out |= (k[d] < b->r[d].lo) | (k[d] > b->r[d].hi);
	}
	return out == 0;
}

void
matcher_free(struct matcher *m)
{
	if (m == NULL)
		return;
	free(m->rules);
	free(m->box);
	free(m->exact);
	free(m->tree);
	free(m->refs);
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

/* The first rule of a leaf that matches, if below best. */
static uint32_t
leaf_lookup(const struct matcher *m, uint64_t ref, const uint64_t k[D_N],
    const struct match_pkt *pkt, uint32_t best)
{
	const struct lref *lr = m->refs + (uint32_t)ref;
	uint32_t i, n = (uint32_t)((ref & ~LEAF) >> 32), r;

	for (i = 0; i < n; i++) {
		r = lr[i].rule;
		if (r >= best)
			break;
		if (box_has(&m->box[r], lr[i].mask, k) &&
		    (m->exact[r] || match_rule_matches(&m->rules[r], pkt)))
			return r;
	}
	return best;
}

long
matcher_lookup(const struct matcher *m, const struct match_pkt *pkt)
{
	uint64_t k[D_N], h, ref[GROUPS];
	uint32_t best = UINT32_MAX, ncut;
	const uint64_t *cut;
	unsigned f, t, nt, inner;

	if (m == NULL)
		return -1;
	if (pkt->af == AF_INET)
		f = 0;
	else if (pkt->af == AF_INET6)
		f = 1;
	else
		return -1;
	match_pkt_keys(pkt, k);
	nt = m->nroot[f];
	for (t = 0; t < nt; t++)
		ref[t] = m->root[f][t];
	/* The trees one level at a time, side by side: their cache misses
	 * are independent, so the CPU waits for them together. */
	do {
		inner = 0;
		for (t = 0; t < nt; t++) {
			if (ref[t] & LEAF)
				continue;
			h = m->tree[ref[t]];
			ncut = (uint32_t)(h >> 8);
			cut = m->tree + ref[t] + 1;
			ref[t] = cut[ncut + child_of(cut, ncut, k[h & 0xff])];
			inner = 1;
		}
	} while (inner);
	for (t = 0; t < nt && m->root_min[f][t] < best; t++)
		best = leaf_lookup(m, ref[t], k, pkt, best);
	return best == UINT32_MAX ? -1 : (long)best;
}

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
 * each scan short. Nothing is allocated per packet. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qos/match_int.h"

enum { D_SRC_HI, D_SRC_LO, D_DST_HI, D_DST_LO, D_SPORT, D_DPORT, D_PROTO,
	D_TOS, D_ICMP, D_IF, D_N };

#define BINTH           8
#define SPFAC           4
#define FANOUT_MAX      64      /* children per node */
#define GROUPS          4       /* trees per family, by address "size" */
#define GROUP_MIN       32      /* a smaller group joins the last one */
#define DEPTH_MAX       32
#define BUDGET(n)       (128 * (n) + 65536)    /* refs + tree words */
#define TRY_BUDGET(n)   (32 * (n) + 4096)      /* the same, for one family
                                                  in fewer than four trees */
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

/* A node's region: per dimension, the keys [lo, hi] that reach it. */
struct region {
	uint64_t lo[D_N];
	uint64_t hi[D_N];
};

struct bctx {
	struct matcher *m;
	size_t          budget, budget_all;
	size_t          big;            /* leaves above BINTH */
	bool            trial;          /* give up at the first big leaf */
	uint32_t       *nxt;            /* union-find over children */
	uint32_t       *cnt;            /* rules per child */
	uint64_t       *bnd;            /* a dimension's rule boundaries */
	uint64_t        cut[FANOUT_MAX - 1], best[FANOUT_MAX - 1];
	uint8_t        *nfail;          /* per rule, per node: dims not covered */
	uint8_t        *faild;
	uint8_t        *grp;            /* per rule: its separable tree */
	int             err;
};

static uint64_t
rd_be(const uint8_t *p, unsigned n)
{
	uint64_t v;
	uint32_t w;

	if (n == 4) {
		memcpy(&w, p, 4);
		return be32toh(w);
	}
	memcpy(&v, p, 8);
	return be64toh(v);
}

/* Mask of the top len bits of a 64-bit word (len 0..64). */
static uint64_t
top_mask(unsigned len, unsigned width)
{
	uint64_t all = width == 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;

	if (len == 0)
		return 0;
	return all & ~((UINT64_C(1) << (width - len)) - 1);
}

static void
range_prefix(uint64_t v, unsigned len, unsigned width, uint64_t *lo,
    uint64_t *hi)
{
	uint64_t all = width == 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
	uint64_t mk = len >= width ? all : top_mask(len, width);

	*lo = v & mk;
	*hi = (v & mk) | (all & ~mk);
}

/* The address dimensions of one prefix (len > 0, family checked). */
static void
box_prefix(struct box *b, int dhi, const struct prefix *p)
{
	b->r[dhi].lo = b->r[dhi + 1].lo = 0;
	b->r[dhi].hi = b->r[dhi + 1].hi = UINT64_MAX;
	if (p->len == 0)
		return;
	if (p->af == AF_INET) {
		range_prefix(rd_be(p->addr.b, 4), p->len, 32, &b->r[dhi].lo,
		    &b->r[dhi].hi);
	} else if (p->len <= 64) {
		range_prefix(rd_be(p->addr.b, 8), p->len, 64, &b->r[dhi].lo,
		    &b->r[dhi].hi);
	} else {
		b->r[dhi].lo = b->r[dhi].hi = rd_be(p->addr.b, 8);
		range_prefix(rd_be(p->addr.b + 8, 8), p->len - 64u, 64,
		    &b->r[dhi + 1].lo, &b->r[dhi + 1].hi);
	}
}

static bool
prefix_fits(const struct prefix *p, sa_family_t af)
{
	return p->len == 0 ||
	    (p->af == af && p->len <= (af == AF_INET ? 32 : 128));
}

/* Can r match some packet of family af? (The same tests as
 * match_rule_matches makes on the family and the prefixes.) */
static bool
rule_in_family(const struct match_rule *r, sa_family_t af)
{
	return (r->af == AF_UNSPEC || r->af == af) &&
	    prefix_fits(&r->src, af) && prefix_fits(&r->dst, af);
}

static void
set_range(struct box *b, int d, uint64_t lo, uint64_t hi)
{
	b->r[d].lo = lo;
	b->r[d].hi = hi;
}

/* The box of r. False if r can match no packet at all. */
static bool
rule_box(const struct match_rule *r, struct box *b, uint8_t *exact)
{
	bool sany = MATCH_PORT_ANY(r->sport_lo, r->sport_hi);
	bool dany = MATCH_PORT_ANY(r->dport_lo, r->dport_hi);
	unsigned free_bits = ~r->tos_mask & 0xffu;

	*exact = 1;
	box_prefix(b, D_SRC_HI, &r->src);
	box_prefix(b, D_DST_HI, &r->dst);
	if (sany && dany) {
		set_range(b, D_SPORT, 0, NO_PORT);
		set_range(b, D_DPORT, 0, NO_PORT);
	} else {
		if (r->sport_lo > r->sport_hi || r->dport_lo > r->dport_hi)
			return false;
		set_range(b, D_SPORT, r->sport_lo, r->sport_hi);
		set_range(b, D_DPORT, r->dport_lo, r->dport_hi);
	}
	if (r->proto == -1)
		set_range(b, D_PROTO, 0, 255);
	else if (r->proto >= 0 && r->proto <= 255)
		set_range(b, D_PROTO, (uint64_t)r->proto, (uint64_t)r->proto);
	else
		return false;
	/* {t : (t & mask) == value} is an interval when the mask's zero bits
	 * are the low ones (0, 0xfc, 0xff); otherwise the box is larger. */
	if ((r->tos_value & ~r->tos_mask) != 0)
		return false;
	set_range(b, D_TOS, r->tos_value, r->tos_value | free_bits);
	if ((free_bits & (free_bits + 1)) != 0)
		*exact = 0;
	if (r->icmp_type == -1)
		set_range(b, D_ICMP, 0, NO_ICMP);
	else if (r->icmp_type >= 0 && r->icmp_type <= 255)
		set_range(b, D_ICMP, (uint64_t)r->icmp_type,
		    (uint64_t)r->icmp_type);
	else
		return false;
	if (r->iface == MATCH_IF_ANY)
		set_range(b, D_IF, 0, IF_OTHER);
	else if (r->iface == MATCH_IF_TUN || r->iface == MATCH_IF_TAP)
		set_range(b, D_IF, r->iface, r->iface);
	else {
		set_range(b, D_IF, IF_OTHER, IF_OTHER);
		*exact = 0;
	}
	return true;
}

static void
pkt_keys(const struct match_pkt *p, uint64_t k[D_N])
{
	if (p->af == AF_INET) {
		k[D_SRC_HI] = rd_be(p->src, 4);
		k[D_DST_HI] = rd_be(p->dst, 4);
		k[D_SRC_LO] = k[D_DST_LO] = 0;
	} else {
		k[D_SRC_HI] = rd_be(p->src, 8);
		k[D_SRC_LO] = rd_be(p->src + 8, 8);
		k[D_DST_HI] = rd_be(p->dst, 8);
		k[D_DST_LO] = rd_be(p->dst + 8, 8);
	}
	if (match_pkt_has_ports(p)) {
		k[D_SPORT] = p->sport;
		k[D_DPORT] = p->dport;
	} else
		k[D_SPORT] = k[D_DPORT] = NO_PORT;
	k[D_PROTO] = p->proto;
	k[D_TOS] = p->tos;
	k[D_ICMP] = match_pkt_is_icmp(p) ? (uint64_t)p->icmp_type : NO_ICMP;
	k[D_IF] = p->iface == MATCH_IF_TUN || p->iface == MATCH_IF_TAP ||
	    p->iface == MATCH_IF_ANY ? (uint64_t)p->iface : IF_OTHER;
}

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

/* Growable arrays of the tree (compile time only). */
static int
grow(void **p, size_t *cap, size_t need, size_t elt)
{
	size_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((np = realloc(*p, ncap * elt)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Marks in mask[i] the dimensions in which rule list[i] does not cover
 * the region: only those need checking in a leaf for that region. */
static void
leaf_masks(const struct matcher *m, size_t n, const struct region *rg,
    struct lref *lr)
{
	const struct box *bx;
	size_t i;
	int d;

	for (i = 0; i < n; i++) {
		bx = &m->box[lr[i].rule];
		for (d = 0; d < D_N; d++)
			if (bx->r[d].lo > rg->lo[d] || bx->r[d].hi < rg->hi[d])
				lr[i].mask |= (uint16_t)(1u << d);
	}
}

static uint64_t
add_leaf(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg)
{
	struct matcher *m = c->m;
	size_t i, first = m->nrefs;

	if (n == 0)
		return LEAF_CODE(0, 0);
	if (first + n > UINT32_MAX || grow((void **)&m->refs, &m->caprefs,
	    first + n, sizeof(*m->refs)) == -1) {
		c->err = -1;
		return LEAF_CODE(0, 0);
	}
	for (i = 0; i < n; i++) {
		m->refs[first + i].rule = list[i];
		m->refs[first + i].mask = 0;
	}
	leaf_masks(m, n, rg, m->refs + first);
	m->nrefs += n;
	m->nleaves++;
	if (n > BINTH)
		c->big++;
	if (n > m->st.max_leaf)
		m->st.max_leaf = n;
	return LEAF_CODE(first, n);
}

/* Is the leaf ref the same list? If so it will serve the region rg too,
 * checking the dimensions either region needs. */
static bool
leaf_share(struct matcher *m, uint64_t ref, const uint32_t *list, size_t n,
    const struct region *rg)
{
	uint32_t first = (uint32_t)ref, i;

	if (!(ref & LEAF) || ((ref & ~LEAF) >> 32) != n)
		return false;
	for (i = 0; i < n; i++)
		if (m->refs[first + i].rule != list[i])
			return false;
	leaf_masks(m, n, rg, m->refs + first);
	return true;
}

static uint32_t
uf_find(uint32_t *nxt, uint32_t j)
{
	while (nxt[j] != j) {
		nxt[j] = nxt[nxt[j]];
		j = nxt[j];
	}
	return j;
}

/* The child a key goes to: the number of cut points <= v. */
static uint32_t
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

/* Splits list along d at ncut cut points, dropping from each child the
 * rules behind the first exact rule that covers it. Counts into c->cnt
 * (out == NULL; fails once the total passes limit) or writes the
 * children's lists at out + pos[j]. */
static int
partition(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg, int d, const uint64_t *cut, uint32_t ncut,
    size_t limit, uint32_t *out, uint32_t *pos, size_t *smp)
{
	const struct matcher *m = c->m;
	uint32_t nc = ncut + 1, j, a, b;
	uint64_t rlo = rg->lo[d], rhi = rg->hi[d], lo, hi, slo, shi;
	size_t i, sm = nc;
	bool cov;

	for (j = 0; j <= nc; j++)
		c->nxt[j] = j;
	if (out == NULL)
		memset(c->cnt, 0, nc * sizeof(*c->cnt));
	for (i = 0; i < n; i++) {
		const struct box *bx = &m->box[list[i]];

		if (bx->r[d].hi < rlo || bx->r[d].lo > rhi)
			continue;       /* not in this node (cannot happen) */
		lo = bx->r[d].lo > rlo ? bx->r[d].lo : rlo;
		hi = bx->r[d].hi < rhi ? bx->r[d].hi : rhi;
		a = child_of(cut, ncut, lo);
		b = child_of(cut, ncut, hi);
		/* Does the rule cover all other dimensions of the region? */
		cov = m->exact[list[i]] && (c->nfail[list[i]] == 0 ||
		    (c->nfail[list[i]] == 1 && c->faild[list[i]] == d));
		for (j = uf_find(c->nxt, a); j <= b; j = uf_find(c->nxt, j + 1)) {
			if (out == NULL) {
				c->cnt[j]++;
				if (++sm > limit)
					return -1;
			} else
				out[pos[j]++] = list[i];
			if (!cov)
				continue;
			slo = j == 0 ? rlo : cut[j - 1];
			shi = j == ncut ? rhi : cut[j] - 1;
			/* Child j is covered: nothing after this rule in it. */
			if (bx->r[d].lo <= slo && bx->r[d].hi >= shi)
				c->nxt[j] = j + 1;
		}
	}
	*smp = sm;
	return 0;
}

/* Drops the rules behind the first exact rule that covers the region, and
 * notes for each rule in how many dimensions it does not cover it. */
static size_t
prune(struct bctx *c, const uint32_t *list, size_t n, const struct region *rg,
    bool useful[D_N])
{
	const struct matcher *m = c->m;
	size_t i;
	int d;

	memset(useful, 0, D_N * sizeof(bool));
	for (i = 0; i < n; i++) {
		const struct box *bx = &m->box[list[i]];
		uint8_t nf = 0;

		for (d = 0; d < D_N; d++) {
			if (bx->r[d].lo <= rg->lo[d] && bx->r[d].hi >= rg->hi[d])
				continue;
			nf++;
			c->faild[list[i]] = (uint8_t)d;
			useful[d] = true;
		}
		c->nfail[list[i]] = nf;
		if (nf == 0 && m->exact[list[i]])
			return i + 1;
	}
	return n;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The distinct places inside the region where some rule starts or ends
 * (as the first key past its end) along d, sorted. */
static size_t
boundaries(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg, int d)
{
	const struct box *bx;
	size_t i, nb = 0, u;

	for (i = 0; i < n; i++) {
		bx = &c->m->box[list[i]];
		if (bx->r[d].lo > rg->lo[d] && bx->r[d].lo <= rg->hi[d])
			c->bnd[nb++] = bx->r[d].lo;
		if (bx->r[d].hi >= rg->lo[d] && bx->r[d].hi < rg->hi[d])
			c->bnd[nb++] = bx->r[d].hi + 1;
	}
	qsort(c->bnd, nb, sizeof(*c->bnd), cmp_u64);
	for (u = 0, i = 0; i < nb; i++)
		if (u == 0 || c->bnd[i] != c->bnd[u - 1])
			c->bnd[u++] = c->bnd[i];
	return u;
}

/* The cut with the smallest largest child, then the fewest indices. Cut
 * points are rule boundaries, spread evenly over them, so a child is most
 * often wholly inside or outside a rule's range: no child is spent on a
 * boundary that an aligned cut would only approach bit by bit. */
static uint32_t
choose_cut(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg, const bool useful[D_N], int *bd)
{
	size_t sm, best_sm = 0, best_max = n + 1, mx, nb, limit = SPFAC * n + 64;
	uint32_t f, j, ncut, bcut = 0;
	int d;

	*bd = -1;
	for (d = 0; d < D_N; d++) {
		if (!useful[d] || (nb = boundaries(c, list, n, rg, d)) == 0)
			continue;
		for (f = 2; f <= FANOUT_MAX; f *= 2) {
			if (nb < f) {
				memcpy(c->cut, c->bnd, nb * sizeof(*c->bnd));
				ncut = (uint32_t)nb;
			} else {
				for (j = 0; j < f - 1; j++)
					c->cut[j] = c->bnd[(j + 1) * nb / f];
				ncut = f - 1;
			}
			if (partition(c, list, n, rg, d, c->cut, ncut, limit,
			    NULL, NULL, &sm) == -1)
				break;
			for (mx = 0, j = 0; j <= ncut; j++)
				if (c->cnt[j] > mx)
					mx = c->cnt[j];
			if (mx < best_max || (mx == best_max && sm < best_sm)) {
				best_max = mx;
				best_sm = sm;
				*bd = d;
				bcut = ncut;
				memcpy(c->best, c->cut, ncut * sizeof(*c->cut));
			}
			if (nb < f)
				break;
		}
	}
	/* A cut where every child keeps every rule gains nothing. */
	if (*bd == -1 || best_sm - (bcut + 1) >= n * (bcut + 1))
		return 0;
	return bcut;
}

static uint64_t
build(struct bctx *c, uint32_t *list, size_t n, const struct region *rg,
    unsigned depth)
{
	struct matcher *m = c->m;
	struct region crg;
	bool useful[D_N];
	uint32_t *buf = NULL, *pos = NULL, nc, ncut = 0, j, id, kbase;
	uint64_t ref, prev = 0;
	size_t sm, off;
	int d = -1;

	if (depth > m->st.max_depth)
		m->st.max_depth = depth;
	if (c->trial && c->big > 0)
		return LEAF_CODE(0, 0);         /* the plan is lost anyway */
	n = prune(c, list, n, rg, useful);
	if (n <= BINTH || depth >= DEPTH_MAX || c->err ||
	    m->nrefs + m->ntree + n > c->budget ||
	    (ncut = choose_cut(c, list, n, rg, useful, &d)) == 0)
		return add_leaf(c, list, n, rg);

	nc = ncut + 1;
	/* Count again for the chosen cut, then fill the children's lists. */
	if (partition(c, list, n, rg, d, c->best, ncut, SIZE_MAX, NULL, NULL,
	    &sm) == -1 ||
	    (buf = malloc((sm - nc + 1) * sizeof(*buf))) == NULL ||
	    (pos = malloc((nc + 1) * sizeof(*pos))) == NULL)
		goto fail;
	for (off = 0, j = 0; j < nc; j++) {
		pos[j] = (uint32_t)off;
		off += c->cnt[j];
	}
	pos[nc] = (uint32_t)off;
	partition(c, list, n, rg, d, c->best, ncut, SIZE_MAX, buf, pos, &sm);
	/* pos[j] is now the end of child j's list, the start of j + 1's. */

	if (m->ntree + NODE_WORDS(ncut) >= UINT32_MAX ||
	    grow((void **)&m->tree, &m->captree, m->ntree + NODE_WORDS(ncut),
	    sizeof(*m->tree)) == -1)
		goto fail;
	id = (uint32_t)m->ntree;
	m->ntree += NODE_WORDS(ncut);
	m->tree[id] = (uint64_t)d | (uint64_t)ncut << 8;
	memcpy(m->tree + id + 1, c->best, ncut * sizeof(*c->best));
	kbase = id + 1 + ncut;

	crg = *rg;
	for (j = 0; j < nc; j++) {
		uint32_t first = j == 0 ? 0 : pos[j - 1];
		size_t cn = pos[j] - first;

		/* (c->best is overwritten below us, and m->tree may move.) */
		crg.lo[d] = j == 0 ? rg->lo[d] : m->tree[id + j];
		crg.hi[d] = j == ncut ? rg->hi[d] : m->tree[id + 1 + j] - 1;
		if (cn == 0)
			ref = LEAF_CODE(0, 0);
		else if (j > 0 && cn <= BINTH && leaf_share(m, prev, buf + first,
		    cn, &crg))
			ref = prev;
		else
			ref = build(c, buf + first, cn, &crg, depth + 1);
		m->tree[kbase + j] = ref;
		prev = ref;
	}
	m->st.nodes++;
	free(buf);
	free(pos);
	return id;
fail:
	free(buf);
	free(pos);
	c->err = -1;
	return LEAF_CODE(0, 0);
}

static void
root_region(struct region *rg, sa_family_t af)
{
	int d;

	for (d = 0; d < D_N; d++) {
		rg->lo[d] = 0;
		rg->hi[d] = UINT64_MAX;
	}
	if (af == AF_INET) {
		rg->hi[D_SRC_HI] = rg->hi[D_DST_HI] = UINT32_MAX;
		rg->hi[D_SRC_LO] = rg->hi[D_DST_LO] = 0;
	}
	rg->hi[D_SPORT] = rg->hi[D_DPORT] = NO_PORT;
	rg->hi[D_ICMP] = NO_ICMP;
	rg->hi[D_PROTO] = rg->hi[D_TOS] = 255;
	rg->hi[D_IF] = IF_OTHER;
}

/* EffiCuts' separable trees (Vamanan et al., 2010): rules whose source
 * prefix is short and rules whose destination prefix is short would
 * otherwise be cut across each other, and the tree would hold their cross
 * product. A family's rules may be split by which of the two addresses is
 * "large" (a prefix shorter than /16 for IPv4, /32 for IPv6), and a lookup
 * takes the lowest answer of the trees. Fewer trees are faster, so the
 * plans are tried in order (one tree; two by the source's size; two by
 * the destination's; four, small groups joining the both-large one), and
 * the first that fits in TRY_BUDGET without a leaf above BINTH is kept. */
static int
addr_large(const struct box *b, int dhi, sa_family_t af)
{
	uint64_t w = b->r[dhi].hi - b->r[dhi].lo;

	return af == AF_INET ? w >= UINT64_C(1) << 16 : w >= UINT64_C(1) << 32;
}

static int
plan_group(int plan, const struct box *b, sa_family_t af)
{
	int sl = addr_large(b, D_SRC_HI, af), dl = addr_large(b, D_DST_HI, af);

	switch (plan) {
	case 0:
		return GROUPS - 1;
	case 1:
		return sl ? GROUPS - 1 : 0;
	case 2:
		return dl ? GROUPS - 1 : 0;
	default:
		return sl << 1 | dl;
	}
}

/* How many trees plan makes of the family's rules. */
static int
plan_trees(const struct matcher *m, int f, int plan, const uint32_t *list,
    size_t n)
{
	static const sa_family_t fams[2] = { AF_INET, AF_INET6 };
	size_t cnt[GROUPS], i, rest;
	int g, nt = 0;

	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		cnt[plan_group(plan, &m->box[list[i]], fams[f])]++;
	rest = cnt[GROUPS - 1];
	for (g = 0; g < GROUPS - 1; g++) {
		if (cnt[g] >= GROUP_MIN)
			nt++;
		else
			rest += cnt[g];
	}
	return nt + (rest > 0);
}

static int
build_plan(struct bctx *c, int f, int plan, const uint32_t *list, size_t n,
    uint32_t *tmp)
{
	static const sa_family_t fams[2] = { AF_INET, AF_INET6 };
	struct matcher *m = c->m;
	struct region rg;
	size_t cnt[GROUPS], i, nt;
	uint8_t *grp = c->grp;
	int g, t, u;

	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++) {
		g = plan_group(plan, &m->box[list[i]], fams[f]);
		grp[list[i]] = (uint8_t)g;
		cnt[g]++;
	}
	for (g = 0; g < GROUPS - 1; g++)
		if (cnt[g] > 0 && cnt[g] < GROUP_MIN) {
			cnt[GROUPS - 1] += cnt[g];
			cnt[g] = 0;
		}
	m->nroot[f] = 0;
	for (g = 0; g < GROUPS; g++) {
		if (cnt[g] == 0)
			continue;
		for (nt = 0, i = 0; i < n; i++) {
			u = grp[list[i]];
			if (u == g || (g == GROUPS - 1 && cnt[u] == 0))
				tmp[nt++] = list[i];
		}
		t = (int)m->nroot[f]++;
		m->root_min[f][t] = tmp[0];
		root_region(&rg, fams[f]);
		m->root[f][t] = build(c, tmp, nt, &rg, 0);
		if (c->err)
			return -1;
	}
	return 0;
}

static int
build_family(struct bctx *c, int f, const uint32_t *list, size_t n,
    uint32_t *tmp)
{
	struct matcher *m = c->m;
	struct matcher_stats st;
	size_t ntree, nrefs, nleaves, used;
	int plan, t, u;

	for (plan = 0; plan < 4; plan++) {
		/* A two-tree plan that makes one tree is plan 0 again. */
		if ((plan == 1 || plan == 2) &&
		    plan_trees(m, f, plan, list, n) < 2)
			continue;
		ntree = m->ntree;
		nrefs = m->nrefs;
		nleaves = m->nleaves;
		st = m->st;
		used = ntree + nrefs;
		c->big = 0;
		c->trial = plan < 3;
		c->budget = plan == 3 ? c->budget_all : used + TRY_BUDGET(n);
		if (c->budget > c->budget_all)
			c->budget = c->budget_all;
		if (build_plan(c, f, plan, list, n, tmp) == -1)
			return -1;
		if (plan == 3 || c->big == 0)
			break;
		/* Roll back: the arrays only ever grow at their ends. */
		m->ntree = ntree;
		m->nrefs = nrefs;
		m->nleaves = nleaves;
		m->st = st;
	}
	/* Trees in order of their first rule: an early hit skips the rest. */
	for (t = 1; t < (int)m->nroot[f]; t++)
		for (u = t; u > 0 && m->root_min[f][u - 1] > m->root_min[f][u];
		    u--) {
			uint32_t x = m->root_min[f][u];
			uint64_t y = m->root[f][u];

			m->root_min[f][u] = m->root_min[f][u - 1];
			m->root[f][u] = m->root[f][u - 1];
			m->root_min[f][u - 1] = x;
			m->root[f][u - 1] = y;
		}
	return 0;
}

struct matcher *
matcher_compile(const struct match_rule *rules, size_t n)
{
	static const sa_family_t fams[2] = { AF_INET, AF_INET6 };
	struct matcher *m;
	struct bctx c;
	uint32_t *list = NULL, *tmp = NULL;
	uint8_t *valid = NULL;
	size_t i, nl;
	int f;

	memset(&c, 0, sizeof(c));
	/* Rule indices must fit the 31 bits of a leaf's count (LEAF_CODE). */
	if (n > INT32_MAX || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->nrules = n;
	m->rules = malloc((n ? n : 1) * sizeof(*m->rules));
	m->box = malloc((n ? n : 1) * sizeof(*m->box));
	m->exact = malloc(n ? n : 1);
	list = malloc((n ? n : 1) * sizeof(*list));
	tmp = malloc((n ? n : 1) * sizeof(*tmp));
	valid = malloc(n ? n : 1);
	c.m = m;
	c.budget_all = BUDGET(n);
	c.nxt = malloc((FANOUT_MAX + 1) * sizeof(*c.nxt));
	c.cnt = malloc(FANOUT_MAX * sizeof(*c.cnt));
	c.bnd = malloc((n ? 2 * n : 1) * sizeof(*c.bnd));
	c.nfail = malloc(n ? n : 1);
	c.faild = malloc(n ? n : 1);
	c.grp = malloc(n ? n : 1);
	if (m->rules == NULL || m->box == NULL || m->exact == NULL ||
	    list == NULL || tmp == NULL || valid == NULL || c.nxt == NULL ||
	    c.cnt == NULL || c.bnd == NULL ||
	    c.nfail == NULL || c.faild == NULL || c.grp == NULL)
		goto fail;
	if (n > 0)
		memcpy(m->rules, rules, n * sizeof(*rules));
	for (i = 0; i < n; i++)
		valid[i] = rule_box(&rules[i], &m->box[i], &m->exact[i]);
	for (f = 0; f < 2; f++) {
		for (nl = 0, i = 0; i < n; i++)
			if (valid[i] && rule_in_family(&rules[i], fams[f]))
				list[nl++] = (uint32_t)i;
		m->st.rules += nl;
		if (build_family(&c, f, list, nl, tmp) == -1)
			goto fail;
	}
	if (c.err)
		goto fail;
	m->st.leaves = m->nleaves;
	m->st.refs = m->nrefs;
	m->st.bytes = sizeof(*m) + n * (sizeof(*m->rules) + sizeof(*m->box) +
	    1) + m->captree * sizeof(*m->tree) +
	    m->caprefs * sizeof(*m->refs);
	free(list);
	free(tmp);
	free(valid);
	free(c.nxt);
	free(c.cnt);
	free(c.bnd);
	free(c.nfail);
	free(c.faild);
	free(c.grp);
	return m;
fail:
	free(list);
	free(tmp);
	free(valid);
	free(c.nxt);
	free(c.cnt);
	free(c.bnd);
	free(c.nfail);
	free(c.faild);
	free(c.grp);
	matcher_free(m);
	return NULL;
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
	pkt_keys(pkt, k);
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

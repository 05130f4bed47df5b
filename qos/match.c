/* The compiled matcher: a decision tree in the manner of HiCuts (Gupta and
 * McKeown, 1999), one per address family.
 *
 * Each rule becomes a box: one inclusive range per dimension (src and dst
 * address as two 64-bit halves for IPv6, sport, dport, protocol, TOS, ICMP
 * type, interface). A packet becomes a point in the same space. Packets
 * without ports get port 65536 and non-ICMP packets ICMP type 256, so
 * "a port condition never holds for a packet without ports" is plain
 * geometry. For almost every rule the box is exactly its set of packets
 * ("exact"); only a TOS mask with holes (e.g. 0x0f) or an interface value
 * outside the enum gives a larger box, and those rules are also checked
 * with match_rule_matches.
 *
 * A node cuts its region along one dimension into 2^k equal, aligned
 * slices, so a lookup steps down with a shift and a mask. A rule goes into
 * every slice its box meets; rule lists stay sorted by index, so a leaf
 * is scanned in order and the first hit is the first matching rule. Two
 * things keep the tree small where plain HiCuts replicates wildcards:
 *  - first-match pruning: once an exact rule covers a node's whole region,
 *    no later rule in that node can ever be first, and they are dropped
 *    (this is what makes overlapping rules, a catch-all, or duplicates
 *    cheap);
 *  - the cut (dimension and k) is chosen by counting the children's lists
 *    after that pruning: the smallest largest child wins, then the fewest
 *    stored indices, and the count stops as soon as it exceeds SPFAC times
 *    the node's rules (HiCuts' space measure).
 * A node becomes a leaf at BINTH rules, at DEPTH_MAX, or when the whole
 * tree reaches its memory budget: worst cases get long leaves (a linear
 * scan of part of the rules) but never a wrong answer. Adjacent equal
 * leaves are stored once. */
#include <stdlib.h>
#include <string.h>

#include "qos/match_int.h"

enum { D_SRC_HI, D_SRC_LO, D_DST_HI, D_DST_LO, D_SPORT, D_DPORT, D_PROTO,
	D_TOS, D_ICMP, D_IF, D_N };

#define BINTH           8
#define SPFAC           4
#define KMAX            12      /* at most 4096 children per node */
#define DEPTH_MAX       32
#define BUDGET(n)       (128 * (n) + 65536)    /* refs + child slots */
#define LEAF            0x80000000u
#define NO_PORT         65536   /* port "value" of a packet without ports */
#define NO_ICMP         256
#define IF_OTHER        3

struct box {
	uint64_t lo[D_N];
	uint64_t hi[D_N];
};

struct mnode {
	uint8_t  dim;
	uint8_t  shift;
	uint32_t mask;
	uint32_t kids;          /* first of mask + 1 slots in m->kids */
};

struct mleaf {
	uint32_t first;         /* in m->refs */
	uint32_t n;
};

struct matcher {
	struct match_rule *rules;
	struct box        *box;
	uint8_t           *exact;
	size_t             nrules;
	uint32_t           root[2];     /* IPv4, IPv6 */
	struct mnode      *nodes;
	size_t             nnodes, capnodes;
	uint32_t          *kids;
	size_t             nkids, capkids;
	struct mleaf      *leaves;
	size_t             nleaves, capleaves;
	uint32_t          *refs;
	size_t             nrefs, caprefs;
	struct matcher_stats st;
};

/* A node's region: per dimension [lo, hi] (hi clipped to the values keys
 * can take) inside an aligned slice of 2^bits values starting at lo. */
struct region {
	uint64_t lo[D_N];
	uint64_t hi[D_N];
	uint8_t  bits[D_N];
};

struct bctx {
	struct matcher *m;
	size_t          budget;
	uint32_t       *nxt;            /* union-find over children, KMAX */
	uint32_t       *cnt;
	uint8_t        *nfail;          /* per rule, per node: dims not covered */
	uint8_t        *faild;
	int             err;
};

static const uint8_t dom_bits[2][D_N] = {
	{ 32, 0, 32, 0, 17, 17, 8, 8, 9, 2 },
	{ 64, 64, 64, 64, 17, 17, 8, 8, 9, 2 },
};

static uint64_t
rd_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
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
	b->lo[dhi] = b->lo[dhi + 1] = 0;
	b->hi[dhi] = b->hi[dhi + 1] = UINT64_MAX;
	if (p->len == 0)
		return;
	if (p->af == AF_INET) {
		range_prefix(rd_be(p->addr.b, 4), p->len, 32, &b->lo[dhi],
		    &b->hi[dhi]);
	} else if (p->len <= 64) {
		range_prefix(rd_be(p->addr.b, 8), p->len, 64, &b->lo[dhi],
		    &b->hi[dhi]);
	} else {
		b->lo[dhi] = b->hi[dhi] = rd_be(p->addr.b, 8);
		range_prefix(rd_be(p->addr.b + 8, 8), p->len - 64u, 64,
		    &b->lo[dhi + 1], &b->hi[dhi + 1]);
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
	b->lo[d] = lo;
	b->hi[d] = hi;
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

static bool
box_has(const struct box *b, const uint64_t k[D_N])
{
	int d;

	for (d = 0; d < D_N; d++)
		if (k[d] < b->lo[d] || k[d] > b->hi[d])
			return false;
	return true;
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

static uint32_t
add_leaf(struct bctx *c, const uint32_t *list, size_t n)
{
	struct matcher *m = c->m;

	if (grow((void **)&m->leaves, &m->capleaves, m->nleaves + 1,
	    sizeof(*m->leaves)) == -1 ||
	    grow((void **)&m->refs, &m->caprefs, m->nrefs + n,
	    sizeof(*m->refs)) == -1) {
		c->err = -1;
		return LEAF;    /* leaf 0, empty: unused once err is set */
	}
	if (n > 0)
		memcpy(m->refs + m->nrefs, list, n * sizeof(*list));
	m->leaves[m->nleaves].first = (uint32_t)m->nrefs;
	m->leaves[m->nleaves].n = (uint32_t)n;
	m->nrefs += n;
	if (n > m->st.max_leaf)
		m->st.max_leaf = n;
	return LEAF | (uint32_t)m->nleaves++;
}

static bool
leaf_equal(const struct matcher *m, uint32_t ref, const uint32_t *list,
    size_t n)
{
	const struct mleaf *l;

	if (!(ref & LEAF))
		return false;
	l = &m->leaves[ref & ~LEAF];
	return l->n == n && memcmp(m->refs + l->first, list,
	    n * sizeof(*list)) == 0;
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

/* Splits list along d into 2^k slices, dropping from each slice the rules
 * behind the first exact rule that covers it. Counts into c->cnt (out ==
 * NULL; fails once the total passes limit) or writes the slices' lists at
 * out + pos[j]. */
static int
partition(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg, int d, unsigned k, size_t limit, uint32_t *out,
    uint32_t *pos, size_t *smp)
{
	const struct matcher *m = c->m;
	uint32_t nc = UINT32_C(1) << k, j, a, b;
	unsigned shift = rg->bits[d] - k;
	uint64_t rlo = rg->lo[d], rhi = rg->hi[d], lo, hi, slo, shi;
	size_t i, sm = nc;
	bool cov;

	for (j = 0; j <= nc; j++)
		c->nxt[j] = j;
	if (out == NULL)
		memset(c->cnt, 0, nc * sizeof(*c->cnt));
	for (i = 0; i < n; i++) {
		const struct box *bx = &m->box[list[i]];

		if (bx->hi[d] < rlo || bx->lo[d] > rhi)
			continue;       /* not in this node (cannot happen) */
		lo = bx->lo[d] > rlo ? bx->lo[d] : rlo;
		hi = bx->hi[d] < rhi ? bx->hi[d] : rhi;
		a = (uint32_t)((lo - rlo) >> shift);
		b = (uint32_t)((hi - rlo) >> shift);
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
			slo = rlo + ((uint64_t)j << shift);
			shi = slo + ((UINT64_C(1) << shift) - 1);
			if (shi > rhi)
				shi = rhi;
			/* Slice j is covered: nothing after this rule in it. */
			if (bx->lo[d] <= slo && bx->hi[d] >= shi)
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
			if (bx->lo[d] <= rg->lo[d] && bx->hi[d] >= rg->hi[d])
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

static uint32_t build(struct bctx *, uint32_t *, size_t, const struct region *,
    unsigned);

/* The cut with the smallest largest child, then the fewest indices. */
static int
choose_cut(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg, const bool useful[D_N], int *bd, unsigned *bk)
{
	size_t sm, best_sm = 0, best_max = n + 1, mx, limit = SPFAC * n + 64;
	unsigned k, kmax;
	uint32_t j;
	int d;

	*bd = -1;
	for (d = 0; d < D_N; d++) {
		if (!useful[d] || rg->bits[d] == 0)
			continue;
		kmax = rg->bits[d] < KMAX ? rg->bits[d] : KMAX;
		for (k = 1; k <= kmax; k++) {
			if (partition(c, list, n, rg, d, k, limit, NULL, NULL,
			    &sm) == -1)
				break;
			for (mx = 0, j = 0; j < (UINT32_C(1) << k); j++)
				if (c->cnt[j] > mx)
					mx = c->cnt[j];
			if (mx < best_max || (mx == best_max && sm < best_sm)) {
				best_max = mx;
				best_sm = sm;
				*bd = d;
				*bk = k;
			}
		}
	}
	/* A cut where every child keeps every rule gains nothing. */
	if (*bd == -1 || best_sm - (UINT32_C(1) << *bk) >= n << *bk)
		return -1;
	return 0;
}

static uint32_t
build(struct bctx *c, uint32_t *list, size_t n, const struct region *rg,
    unsigned depth)
{
	struct matcher *m = c->m;
	struct region crg;
	bool useful[D_N];
	uint32_t *buf = NULL, *pos = NULL, nc, j, id, kbase, ref, prev = 0;
	size_t sm, off;
	unsigned k = 0, shift;
	int d = -1;

	if (depth > m->st.max_depth)
		m->st.max_depth = depth;
	n = prune(c, list, n, rg, useful);
	if (n <= BINTH || depth >= DEPTH_MAX || c->err ||
	    m->nrefs + m->nkids + n > c->budget ||
	    choose_cut(c, list, n, rg, useful, &d, &k) == -1)
		return add_leaf(c, list, n);

	nc = UINT32_C(1) << k;
	shift = rg->bits[d] - k;
	/* Count again for the chosen cut, then fill the slices' lists. */
	if (partition(c, list, n, rg, d, k, SIZE_MAX, NULL, NULL, &sm) == -1 ||
	    (buf = malloc((sm - nc + 1) * sizeof(*buf))) == NULL ||
	    (pos = malloc((nc + 1) * sizeof(*pos))) == NULL)
		goto fail;
	for (off = 0, j = 0; j < nc; j++) {
		pos[j] = (uint32_t)off;
		off += c->cnt[j];
	}
	pos[nc] = (uint32_t)off;
	partition(c, list, n, rg, d, k, SIZE_MAX, buf, pos, &sm);
	/* pos[j] is now the end of slice j, i.e. the start of slice j + 1. */

	if (grow((void **)&m->nodes, &m->capnodes, m->nnodes + 1,
	    sizeof(*m->nodes)) == -1 ||
	    grow((void **)&m->kids, &m->capkids, m->nkids + nc,
	    sizeof(*m->kids)) == -1)
		goto fail;
	id = (uint32_t)m->nnodes++;
	kbase = (uint32_t)m->nkids;
	m->nkids += nc;
	m->nodes[id].dim = (uint8_t)d;
	m->nodes[id].shift = (uint8_t)shift;
	m->nodes[id].mask = nc - 1;
	m->nodes[id].kids = kbase;

	crg = *rg;
	crg.bits[d] = (uint8_t)shift;
	for (j = 0; j < nc; j++) {
		uint32_t first = j == 0 ? 0 : pos[j - 1];
		size_t cn = pos[j] - first;

		crg.lo[d] = rg->lo[d] + ((uint64_t)j << shift);
		crg.hi[d] = crg.lo[d] + ((UINT64_C(1) << shift) - 1);
		if (crg.hi[d] > rg->hi[d])
			crg.hi[d] = rg->hi[d];
		if (cn == 0 || crg.lo[d] > rg->hi[d])
			ref = LEAF;     /* leaf 0, the empty one */
		else if (j > 0 && cn <= BINTH && leaf_equal(m, prev, buf + first,
		    cn))
			ref = prev;
		else
			ref = build(c, buf + first, cn, &crg, depth + 1);
		m->kids[kbase + j] = ref;
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
	return LEAF;
}

static void
root_region(struct region *rg, int fam)
{
	int d;

	for (d = 0; d < D_N; d++) {
		rg->bits[d] = dom_bits[fam][d];
		rg->lo[d] = 0;
		rg->hi[d] = rg->bits[d] == 64 ? UINT64_MAX :
		    (UINT64_C(1) << rg->bits[d]) - 1;
	}
	rg->hi[D_SPORT] = rg->hi[D_DPORT] = NO_PORT;
	rg->hi[D_ICMP] = NO_ICMP;
	rg->hi[D_PROTO] = rg->hi[D_TOS] = 255;
	rg->hi[D_IF] = IF_OTHER;
}

struct matcher *
matcher_compile(const struct match_rule *rules, size_t n)
{
	static const sa_family_t fams[2] = { AF_INET, AF_INET6 };
	struct matcher *m;
	struct bctx c;
	struct region rg;
	uint32_t *list = NULL;
	size_t i, nl;
	int f;

	memset(&c, 0, sizeof(c));
	if (n >= LEAF || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->nrules = n;
	m->rules = malloc((n ? n : 1) * sizeof(*m->rules));
	m->box = malloc((n ? n : 1) * sizeof(*m->box));
	m->exact = malloc(n ? n : 1);
	list = malloc((n ? n : 1) * sizeof(*list));
	c.m = m;
	c.budget = BUDGET(n);
	c.nxt = malloc(((UINT32_C(1) << KMAX) + 1) * sizeof(*c.nxt));
	c.cnt = malloc((UINT32_C(1) << KMAX) * sizeof(*c.cnt));
	c.nfail = malloc(n ? n : 1);
	c.faild = malloc(n ? n : 1);
	if (m->rules == NULL || m->box == NULL || m->exact == NULL ||
	    list == NULL || c.nxt == NULL || c.cnt == NULL ||
	    c.nfail == NULL || c.faild == NULL)
		goto fail;
	if (n > 0)
		memcpy(m->rules, rules, n * sizeof(*rules));
	add_leaf(&c, NULL, 0);          /* leaf 0: the shared empty leaf */
	for (f = 0; f < 2; f++) {
		for (nl = 0, i = 0; i < n; i++)
			if (rule_box(&rules[i], &m->box[i], &m->exact[i]) &&
			    rule_in_family(&rules[i], fams[f]))
				list[nl++] = (uint32_t)i;
		root_region(&rg, f);
		m->root[f] = build(&c, list, nl, &rg, 0);
		m->st.rules += nl;
	}
	if (c.err)
		goto fail;
	m->st.leaves = m->nleaves;
	m->st.refs = m->nrefs;
	m->st.bytes = sizeof(*m) + n * (sizeof(*m->rules) + sizeof(*m->box) +
	    1) + m->capnodes * sizeof(*m->nodes) + m->capkids *
	    sizeof(*m->kids) + m->capleaves * sizeof(*m->leaves) +
	    m->caprefs * sizeof(*m->refs);
	free(list);
	free(c.nxt);
	free(c.cnt);
	free(c.nfail);
	free(c.faild);
	return m;
fail:
	free(list);
	free(c.nxt);
	free(c.cnt);
	free(c.nfail);
	free(c.faild);
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
	free(m->nodes);
	free(m->kids);
	free(m->leaves);
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

long
matcher_lookup(const struct matcher *m, const struct match_pkt *pkt)
{
	uint64_t k[D_N];
	const struct mnode *nd;
	const struct mleaf *l;
	uint32_t ref, i, r;

	if (m == NULL)
		return -1;
	if (pkt->af == AF_INET)
		ref = m->root[0];
	else if (pkt->af == AF_INET6)
		ref = m->root[1];
	else
		return -1;
	pkt_keys(pkt, k);
	while (!(ref & LEAF)) {
		nd = &m->nodes[ref];
		ref = m->kids[nd->kids + ((k[nd->dim] >> nd->shift) & nd->mask)];
	}
	l = &m->leaves[ref & ~LEAF];
	for (i = 0; i < l->n; i++) {
		r = m->refs[l->first + i];
		if (box_has(&m->box[r], k) &&
		    (m->exact[r] || match_rule_matches(&m->rules[r], pkt)))
			return (long)r;
	}
	return -1;
}

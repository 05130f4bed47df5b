/* Building the compiled matcher's trees (the design is in match.c). */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "qos/match_class.h"
#include "qos/match_hash.h"

#define BINTH           8
#define SPFAC           4
#define FANOUT_MAX      FANOUT  /* children per node */
#define GROUP_MIN       32      /* a smaller group joins the last one */
#define DEPTH_MAX       32
#define NODE_W(m, i)    ((m)->node + (size_t)(i) * LINE_WORDS)
#define BUDGET(n)       (256 * (n) + 131072)   /* leaf + node words */
#define TRY_BUDGET(n)   (64 * (n) + 8192)      /* the same, for one family
                                                  in fewer than four trees */

/* A node's region: per dimension, the keys [lo, hi] that reach it. */
struct region {
	uint32_t lo[D_N];
	uint32_t hi[D_N];
};

struct bctx {
	struct matcher *m;
	struct box     *box;            /* by rule index */
	uint8_t        *exact;
	int             nd;             /* dimensions of the family */
	size_t          budget, budget_all;
	size_t          big;            /* leaves above BINTH */
	size_t          nrefs;          /* rules stored in leaves */
	bool            trial;          /* give up at the first big leaf */
	uint32_t       *nxt;            /* union-find over children */
	uint32_t       *cnt;            /* rules per child */
	uint32_t       *bnd;            /* a dimension's rule boundaries */
	uint32_t        cut[FANOUT_MAX - 1], best[FANOUT_MAX - 1];
	uint8_t        *nfail;          /* per rule, per node: dims not covered */
	uint8_t        *faild;
	uint8_t        *grp;            /* per rule: its separable tree */
	int             err;
};

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


int
match_grow(void **p, size_t *cap, size_t need, size_t elt)
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

/* The same for the nodes, which must stay aligned to their size. */
static int
grow_nodes(struct matcher *m, size_t need)
{
	size_t ncap = m->capnode ? m->capnode : 64;
	size_t line = LINE_WORDS * sizeof(uint32_t);     /* a cache line */
	uint32_t *np;

	if (need <= m->capnode)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if ((np = aligned_alloc(line, ncap * line)) == NULL)
		return -1;
	if (m->nnode > 0)
		memcpy(np, m->node, m->nnode * line);
	free(m->node);
	m->node = np;
	m->capnode = ncap;
	return 0;
}

/* The leaf of the n rules of list: its count, then the rules, each
 * flagged if its box is larger than its packets. */
static uint32_t
add_leaf(struct bctx *c, const uint32_t *list, size_t n)
{
	struct matcher *m = c->m;
	size_t i, first = m->nleaf;

	if (n == 0)
		return REF_LEAF;        /* m->leaf[0], the empty leaf */
	if (first + n + 1 >= REF_LEAF || match_grow((void **)&m->leaf,
	    &m->capleaf, first + n + 1, sizeof(*m->leaf)) == -1) {
		c->err = -1;
		return REF_LEAF;
	}
	m->leaf[first] = (uint32_t)n;
	for (i = 0; i < n; i++)
		m->leaf[first + 1 + i] = list[i] |
		    (c->exact[list[i]] ? 0 : RULE_INEXACT);
	m->nleaf += n + 1;
	m->nleaves++;
	c->nrefs += n;
	if (n > BINTH)
		c->big++;
	if (n > m->st.max_leaf)
		m->st.max_leaf = n;
	return REF_LEAF | (uint32_t)first;
}

/* Is the leaf ref the same list? If so it serves this region too. */
static bool
leaf_share(const struct matcher *m, uint32_t ref, const uint32_t *list,
    size_t n)
{
	const uint32_t *l = m->leaf + (ref & ~REF_LEAF);
	size_t i;

	if (!(ref & REF_LEAF) || l[0] != n)
		return false;
	for (i = 0; i < n; i++)
		if ((l[1 + i] & ~RULE_INEXACT) != list[i])
			return false;
	return true;
}

/* The child of a cut a key goes to: the number of cut points <= v. */
static uint32_t
cut_child(const uint32_t *cut, uint32_t ncut, uint32_t v)
{
	uint32_t lo = 0, hi = ncut, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (cut[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
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

/* Splits list along d at ncut cut points, dropping from each child the
 * rules behind the first exact rule that covers it. Counts into c->cnt
 * (out == NULL; fails once the total passes limit) or writes the
 * children's lists at out + pos[j]. */
static int
partition(struct bctx *c, const uint32_t *list, size_t n,
    const struct region *rg, int d, const uint32_t *cut, uint32_t ncut,
    size_t limit, uint32_t *out, uint32_t *pos, size_t *smp)
{
	uint32_t nc = ncut + 1, j, a, b;
	uint32_t rlo = rg->lo[d], rhi = rg->hi[d], lo, hi, slo, shi;
	size_t i, sm = nc;
	bool cov;

	for (j = 0; j <= nc; j++)
		c->nxt[j] = j;
	if (out == NULL)
		memset(c->cnt, 0, nc * sizeof(*c->cnt));
	for (i = 0; i < n; i++) {
		const struct box *bx = &c->box[list[i]];

		if (bx->hi[d] < rlo || bx->lo[d] > rhi)
			continue;       /* not in this node (cannot happen) */
		lo = bx->lo[d] > rlo ? bx->lo[d] : rlo;
		hi = bx->hi[d] < rhi ? bx->hi[d] : rhi;
		a = cut_child(cut, ncut, lo);
		b = cut_child(cut, ncut, hi);
		/* Does the rule cover all other dimensions of the region? */
		cov = c->exact[list[i]] && (c->nfail[list[i]] == 0 ||
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
	size_t i;
	int d;

	memset(useful, 0, D_N * sizeof(bool));
	for (i = 0; i < n; i++) {
		const struct box *bx = &c->box[list[i]];
		uint8_t nf = 0;

		for (d = 0; d < c->nd; d++) {
			if (bx->lo[d] <= rg->lo[d] && bx->hi[d] >= rg->hi[d])
				continue;
			nf++;
			c->faild[list[i]] = (uint8_t)d;
			useful[d] = true;
		}
		c->nfail[list[i]] = nf;
		if (nf == 0 && c->exact[list[i]])
			return i + 1;
	}
	return n;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

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
		bx = &c->box[list[i]];
		if (bx->lo[d] > rg->lo[d] && bx->lo[d] <= rg->hi[d])
			c->bnd[nb++] = bx->lo[d];
		if (bx->hi[d] >= rg->lo[d] && bx->hi[d] < rg->hi[d])
			c->bnd[nb++] = bx->hi[d] + 1;
	}
	qsort(c->bnd, nb, sizeof(*c->bnd), cmp_u32);
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
	for (d = 0; d < c->nd; d++) {
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

static uint32_t
build(struct bctx *c, uint32_t *list, size_t n, const struct region *rg,
    unsigned depth)
{
	struct matcher *m = c->m;
	struct region crg;
	bool useful[D_N];
	uint32_t *buf = NULL, *pos = NULL, nc, ncut = 0, j, ref, prev = 0, kbase;
	size_t sm, off, id;
	bool small;
	int d = -1;

	if (depth > m->st.max_depth)
		m->st.max_depth = depth;
	if (c->trial && c->big > 0)
		return REF_LEAF;                /* the plan is lost anyway */
	n = prune(c, list, n, rg, useful);
	if (n <= BINTH || depth >= DEPTH_MAX || c->err ||
	    m->nleaf + m->nnode * LINE_WORDS + n > c->budget ||
	    (ncut = choose_cut(c, list, n, rg, useful, &d)) == 0)
		return add_leaf(c, list, n);

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

	small = nc <= FANOUT_SMALL;
	if (m->nnode + 2 >= REF_IDX_MAX || grow_nodes(m, m->nnode + 2) == -1)
		goto fail;
	id = m->nnode;
	m->nnode += small ? 1 : 2;
	/* A child's last key is its cut point - 1; the unused ones can
	 * never be below a key, so no key counts them. */
	kbase = small ? FANOUT_SMALL : LINE_WORDS;
	for (j = 0; j < kbase; j++) {
		NODE_W(m, id)[j] = j < ncut ? c->best[j] - 1 : UINT32_MAX;
		NODE_W(m, id)[kbase + j] = REF_LEAF;
	}

	crg = *rg;
	for (j = 0; j < nc; j++) {
		uint32_t first = j == 0 ? 0 : pos[j - 1];
		size_t cn = pos[j] - first;

		/* (c->best is overwritten below us, and m->node may move.) */
		crg.lo[d] = j == 0 ? rg->lo[d] : NODE_W(m, id)[j - 1] + 1;
		crg.hi[d] = j == ncut ? rg->hi[d] : NODE_W(m, id)[j];
		if (cn == 0)
			ref = REF_LEAF;
		else if (j > 0 && cn <= BINTH && leaf_share(m, prev, buf + first,
		    cn))
			ref = prev;
		else
			ref = build(c, buf + first, cn, &crg, depth + 1);
		NODE_W(m, id)[kbase + j] = ref;
		prev = ref;
	}
	m->st.nodes++;
	free(buf);
	free(pos);
	return REF_NODE(id, d, small);
fail:
	free(buf);
	free(pos);
	c->err = -1;
	return REF_LEAF;
}

static void
root_region(struct region *rg)
{
	int d;

	for (d = 0; d < D_N; d++) {
		rg->lo[d] = 0;
		rg->hi[d] = UINT32_MAX;
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
addr_large(const struct box *b, int d, sa_family_t af)
{
	uint32_t w = b->hi[d] - b->lo[d];

	return af == AF_INET ? w >= UINT32_C(1) << 16 : w > 0;
}

static int
plan_group(int plan, const struct box *b, sa_family_t af)
{
	int sl = addr_large(b, D_SRC0, af), dl = addr_large(b, D_DST0, af);

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
plan_trees(const struct bctx *c, int f, int plan, const uint32_t *list,
    size_t n)
{
	static const sa_family_t fams[2] = { AF_INET, AF_INET6 };
	size_t cnt[GROUPS], i, rest;
	int g, nt = 0;

	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		cnt[plan_group(plan, &c->box[list[i]], fams[f])]++;
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
		g = plan_group(plan, &c->box[list[i]], fams[f]);
		grp[list[i]] = (uint8_t)g;
		cnt[g]++;
	}
	for (g = 0; g < GROUPS - 1; g++)
		if (cnt[g] > 0 && cnt[g] < GROUP_MIN) {
			cnt[GROUPS - 1] += cnt[g];
			cnt[g] = 0;
		}
	/* Missing trees are empty leaves, never scanned (match.c). */
	m->nroot[f] = 0;
	for (t = 0; t < GROUPS; t++) {
		m->root[f][t] = REF_LEAF;
		m->root_min[f][t] = UINT32_MAX;
	}
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
		root_region(&rg);
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
	size_t nnode, nleaf, nleaves, nrefs;
	int plan, t, u;

	c->nd = f == 0 ? D_V4 : D_N;
	for (plan = 0; plan < 4; plan++) {
		/* A two-tree plan that makes one tree is plan 0 again. */
		if ((plan == 1 || plan == 2) &&
		    plan_trees(c, f, plan, list, n) < 2)
			continue;
		nnode = m->nnode;
		nleaf = m->nleaf;
		nleaves = m->nleaves;
		nrefs = c->nrefs;
		st = m->st;
		c->big = 0;
		c->trial = plan < 3;
		c->budget = plan == 3 ? c->budget_all :
		    nleaf + nnode * LINE_WORDS + TRY_BUDGET(n);
		if (c->budget > c->budget_all)
			c->budget = c->budget_all;
		if (build_plan(c, f, plan, list, n, tmp) == -1)
			return -1;
		if (plan == 3 || c->big == 0)
			break;
		/* Roll back: the arrays only ever grow at their ends. */
		m->nnode = nnode;
		m->nleaf = nleaf;
		m->nleaves = nleaves;
		c->nrefs = nrefs;
		m->st = st;
	}
	/* Trees in order of their first rule: an early hit skips the rest. */
	for (t = 1; t < (int)m->nroot[f]; t++)
		for (u = t; u > 0 && m->root_min[f][u - 1] > m->root_min[f][u];
		    u--) {
			uint32_t x = m->root_min[f][u];
			uint32_t y = m->root[f][u];

			m->root_min[f][u] = m->root_min[f][u - 1];
			m->root[f][u] = m->root[f][u - 1];
			m->root_min[f][u - 1] = x;
			m->root[f][u - 1] = y;
		}
	return 0;
}

/* The boxes as a lookup reads them (struct box4, box6). */
static void
pack_boxes(struct matcher *m, const struct box *bx, size_t n)
{
	size_t i;
	int d;

	for (i = 0; i < n; i++) {
		for (d = 0; d < D_V4; d++) {
			m->box4[i].lo[d] = bx[i].lo[d];
			m->box4[i].w[d] = bx[i].hi[d] - bx[i].lo[d];
		}
		for (d = 0; d < LANES; d++) {
			m->box6[i].lo[d] = d < D_N ? bx[i].lo[d] : 0;
			m->box6[i].w[d] = d < D_N ? bx[i].hi[d] - bx[i].lo[d] :
			    UINT32_MAX;
		}
	}
}

/* A block of at least *size bytes, aligned to 128, which the kernel is
 * asked to back with huge pages when it is large: a lookup touches a few
 * lines scattered over megabytes, and with 4 KiB pages most of them would
 * also miss the TLB. *size becomes what was allocated. */
void *
match_block_alloc(size_t *size)
{
	size_t align = *size >= HUGE_MIN ? HUGE_PAGE : 128;
	void *a;

	*size = (*size + align - 1) / align * align;
	if ((a = aligned_alloc(align, *size)) == NULL)
		return NULL;
	if (align == HUGE_PAGE)
		(void)madvise(a, *size, MADV_HUGEPAGE);  /* a hint only */
	return a;
}

/* Moves the nodes, leaves and boxes into one block, exactly sized. */
static int
pack_arena(struct matcher *m, size_t n)
{
	size_t onode = 0, obox4, obox6, oleaf, size;
	char *a;

	obox4 = onode + m->nnode * LINE_WORDS * sizeof(*m->node);
	obox6 = obox4 + n * sizeof(*m->box4);
	oleaf = obox6 + n * sizeof(*m->box6);
	size = oleaf + m->nleaf * sizeof(*m->leaf);
	if ((a = match_block_alloc(&size)) == NULL)
		return -1;
	if (m->nnode > 0)       /* (m->node is NULL without nodes) */
		memcpy(a + onode, m->node,
		    m->nnode * LINE_WORDS * sizeof(*m->node));
	if (n > 0) {
		memcpy(a + obox4, m->box4, n * sizeof(*m->box4));
		memcpy(a + obox6, m->box6, n * sizeof(*m->box6));
	}
	memcpy(a + oleaf, m->leaf, m->nleaf * sizeof(*m->leaf));
	free(m->node);
	free(m->box4);
	free(m->box6);
	free(m->leaf);
	m->arena = a;
	m->node = (uint32_t *)(a + onode);
	m->box4 = (struct box4 *)(a + obox4);
	m->box6 = (struct box6 *)(a + obox6);
	m->leaf = (uint32_t *)(a + oleaf);
	m->st.bytes += sizeof(*m) + n * sizeof(*m->rules) + size;
	return 0;
}

static int
compile(struct matcher *m, struct bctx *c, const struct match_rule *rules,
    size_t n, unsigned how)
{
	static const sa_family_t fams[2] = { AF_INET, AF_INET6 };
	size_t i, nl, na = n ? n : 1;
	uint32_t *list = NULL, *tmp = NULL;
	uint8_t *valid = NULL;
	int f, rv = -1;

	m->nrules = n;
	m->rules = malloc(na * sizeof(*m->rules));
	m->box4 = aligned_alloc(sizeof(*m->box4), na * sizeof(*m->box4));
	m->box6 = aligned_alloc(sizeof(*m->box6), na * sizeof(*m->box6));
	c->m = m;
	c->box = malloc(na * sizeof(*c->box));
	c->exact = malloc(na);
	c->budget_all = BUDGET(n);
	c->nxt = malloc((FANOUT_MAX + 1) * sizeof(*c->nxt));
	c->cnt = malloc(FANOUT_MAX * sizeof(*c->cnt));
	c->bnd = malloc(2 * na * sizeof(*c->bnd));
	c->nfail = malloc(na);
	c->faild = malloc(na);
	c->grp = malloc(na);
	list = malloc(na * sizeof(*list));
	tmp = malloc(na * sizeof(*tmp));
	valid = malloc(na);
	if (m->rules == NULL || m->box4 == NULL || m->box6 == NULL ||
	    c->box == NULL || c->exact == NULL || c->nxt == NULL ||
	    c->cnt == NULL || c->bnd == NULL || c->nfail == NULL ||
	    c->faild == NULL || c->grp == NULL || list == NULL ||
	    tmp == NULL || valid == NULL)
		goto out;
	/* m->leaf[0] is the empty leaf. */
	if (match_grow((void **)&m->leaf, &m->capleaf, 1, sizeof(*m->leaf)) == -1)
		goto out;
	m->leaf[0] = 0;
	m->nleaf = 1;
	if (n > 0)
		memcpy(m->rules, rules, n * sizeof(*rules));
	for (i = 0; i < n; i++)
		valid[i] = match_rule_box(&rules[i], &c->box[i], &c->exact[i]);
	for (f = 0; f < 2; f++) {
		for (nl = 0, i = 0; i < n; i++)
			if (valid[i] && rule_in_family(&rules[i], fams[f]))
				list[nl++] = (uint32_t)i;
		m->st.rules += nl;
		/* IPv4 rules that name their addresses, as access lists do,
		 * go to the address classes; other rule sets make those too
		 * big, and go to the tables and trees. */
		if (f == 0 && !(how & MATCH_NO_CLASSES)) {
			int built = match_classes_build(m, c->box, c->exact,
			    list, nl);

			if (built == -1)
				goto out;
			if (built == 1)
				continue;
		}
		if (match_tables_build(m, f, c->box, c->exact, list, &nl) ==
		    -1 || build_family(c, f, list, nl, tmp) == -1 || c->err)
			goto out;
	}
	pack_boxes(m, c->box, n);
	m->st.leaves = m->nleaves;
	m->st.refs = c->nrefs;
	rv = pack_arena(m, n);
out:
	free(c->box);
	free(c->exact);
	free(c->nxt);
	free(c->cnt);
	free(c->bnd);
	free(c->nfail);
	free(c->faild);
	free(c->grp);
	free(list);
	free(tmp);
	free(valid);
	return rv;
}

struct matcher *
matcher_compile_how(const struct match_rule *rules, size_t n, unsigned how)
{
	struct matcher *m;
	struct bctx c;

	memset(&c, 0, sizeof(c));
	/* Rule indices must leave a leaf's top bit to RULE_INEXACT. */
	if (n > INT32_MAX || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (compile(m, &c, rules, n, how) == -1) {
		matcher_free(m);
		return NULL;
	}
	return m;
}

struct matcher *
matcher_compile(const struct match_rule *rules, size_t n)
{
	return matcher_compile_how(rules, n, 0);
}

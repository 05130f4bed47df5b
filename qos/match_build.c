/* Building the compiled matcher's trees (the design is in match.c). */
#include <stdlib.h>
#include <string.h>

#include "qos/match_tree.h"

#define BINTH           8
#define SPFAC           4
#define FANOUT_MAX      64      /* children per node */
#define GROUP_MIN       32      /* a smaller group joins the last one */
#define DEPTH_MAX       32
#define BUDGET(n)       (128 * (n) + 65536)    /* refs + tree words */
#define TRY_BUDGET(n)   (32 * (n) + 4096)      /* the same, for one family
                                                  in fewer than four trees */

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
		valid[i] = match_rule_box(&rules[i], &m->box[i], &m->exact[i]);
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


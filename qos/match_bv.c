/* The bit-vector matcher for large rule sets (Lakshman and Stiliadis,
 * SIGCOMM 1998), used instead of the trees from BV_MIN rules (match.c
 * says why).
 *
 * Per family, each dimension's rule boundaries cut it into elementary
 * intervals, and each interval keeps a bitmap of the rules whose range
 * covers it, bit j for the family's j-th rule in index order. A lookup
 * finds its interval in every dimension (independent searches, which the
 * CPU overlaps), ANDs the bitmaps a word at a time from rule 0 and stops
 * at the first set bit that is really a match: the first matching rule,
 * after reading only the words below it. Nothing is replicated, so the
 * size grows with (intervals x rules) and not with the rules' cross
 * product, and BV_BUDGET bounds it (past it the trees are used).
 *
 * Dimensions: source, destination (one 32-bit word for IPv4, all 128 bits
 * for IPv6, compared as one number: a prefix is one range of them), the
 * two ports, and protocol, TOS, ICMP type and interface, whose keys are
 * below 257 and index a table. The 32-bit searches read 16 boundaries a
 * level with vector compares, as the trees' nodes do; the 128-bit ones are
 * a branch-free binary search. A dimension no rule narrows is skipped. */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "qos/match_tree.h"

#define BV_DIMS         8
#define BV_LEVELS       8       /* 16^8 boundaries: more than 2 * 2^31 */
#define BV_SMALL_KEYS   (NO_ICMP + 1)   /* keys of the table dimensions */
#define HUGE_PAGE       ((size_t)2 << 20)
#define HUGE_MIN        ((size_t)1 << 20)  /* smaller: 4 KiB pages do */

typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
typedef unsigned __int128 u128;

static const int bv_dim[BV_DIMS] = { D_SRC0, D_DST0, D_SPORT, D_DPORT,
	D_PROTO, D_TOS, D_ICMP, D_IF };

struct bv_dim {
	uint32_t   nb;                  /* intervals */
	int        nlev;                /* levels of lev (32-bit dimensions) */
	uint32_t  *lev[BV_LEVELS];      /* lev[0]: the interval starts, padded
	                                   to 16 with UINT32_MAX; lev[i + 1]:
	                                   every 16th of lev[i] */
	uint32_t   nlv[BV_LEVELS];      /* real entries of each level */
	u128      *wide;                /* IPv6 addresses: the starts */
	uint16_t  *tab;                 /* small dimensions: key -> interval */
	uint64_t  *bits;                /* nb bitmaps of nw words, in arena */
};

struct bv_fam {
	size_t         nl, nw;          /* rules, words per bitmap */
	uint32_t      *map;             /* bit -> rule index */
	uint8_t       *exact;           /* by bit */
	int            nact;
	struct bv_dim *act[BV_DIMS];    /* the dimensions a lookup reads */
	struct bv_dim  d[BV_DIMS];
};

struct match_bv {
	struct bv_fam f[2];
	uint64_t     *arena;            /* all bitmaps */
	size_t        used;             /* words of it given out */
	size_t        bytes;
};

static int
cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* The number of the 16 words at a that are <= v. */
static uint32_t
count16(const uint32_t *a, uint32_t v)
{
	const u32x4 *l = (const u32x4 *)a;
	u32x4 vv = { v, v, v, v };
	i32x4 s = (l[0] <= vv) + (l[1] <= vv) + (l[2] <= vv) + (l[3] <= vv);

	return (uint32_t)-(s[0] + s[1] + s[2] + s[3]);
}

/* The interval of v: the last start <= v (the first start is 0). A key
 * of UINT32_MAX also counts the padding, hence the clamp. */
static uint32_t
search32(const struct bv_dim *d, uint32_t v)
{
	uint32_t i = 0, last;
	int l;

	for (l = d->nlev - 1; l >= 0; l--) {
		i = i * 16 + count16(d->lev[l] + (size_t)i * 16, v) - 1;
		last = d->nlv[l] - 1;
		i = i < last ? i : last;
	}
	return i;
}

static uint32_t
search128(const u128 *b, uint32_t n, u128 v)
{
	const u128 *p = b;
	uint32_t h;

	while (n > 1) {
		h = n / 2;
		p = p[h] <= v ? p + h : p;
		n -= h;
	}
	return (uint32_t)(p - b);
}

/* A range of a rule's box in dimension k (bv_dim[k]), as numbers of the
 * dimension: 128-bit for an IPv6 address. */
static void
box_range(const struct box *b, int f, int k, u128 *lo, u128 *hi)
{
	static const int w[2][4] = {
		{ D_SRC0, D_SRC1, D_SRC2, D_SRC3 },
		{ D_DST0, D_DST1, D_DST2, D_DST3 },
	};
	int i;

	if (f == 0 || k > 1) {
		*lo = b->lo[bv_dim[k]];
		*hi = b->hi[bv_dim[k]];
		return;
	}
	*lo = *hi = 0;
	for (i = 0; i < 4; i++) {
		*lo = *lo << 32 | b->lo[w[k][i]];
		*hi = *hi << 32 | b->hi[w[k][i]];
	}
}

static bool
is_wide(int f, int k)
{
	return f == 1 && k < 2;
}

/* The interval starts of dimension k, sorted and distinct, into s (room
 * for 2 * nl + 1); their number. */
static size_t
starts(const struct box *bx, const struct bv_fam *fm, int f, int k,
    u128 *s)
{
	u128 lo, hi, top = is_wide(f, k) ? ~(u128)0 : UINT32_MAX;
	size_t i, n = 0, u;

	s[n++] = 0;
	for (i = 0; i < fm->nl; i++) {
		box_range(&bx[fm->map[i]], f, k, &lo, &hi);
		s[n++] = lo;
		if (hi != top)
			s[n++] = hi + 1;
	}
	qsort(s, n, sizeof(*s), cmp_u128);
	for (u = 0, i = 0; i < n; i++)
		if (u == 0 || s[i] != s[u - 1])
			s[u++] = s[i];
	return u;
}

static uint32_t
interval_of(const u128 *s, size_t n, u128 v)
{
	return search128(s, (uint32_t)n, v);
}

static int
make_levels(struct bv_dim *d, const u128 *s)
{
	size_t n = d->nb, pn, i;
	uint32_t *a;
	int l;

	for (l = 0; l < BV_LEVELS; l++) {
		pn = (n + 15) / 16 * 16;
		if ((a = aligned_alloc(64, (pn * sizeof(*a) + 63) / 64 * 64)) ==
		    NULL)
			return -1;
		for (i = 0; i < pn; i++)
			a[i] = i >= n ? UINT32_MAX : l == 0 ? (uint32_t)s[i] :
			    d->lev[l - 1][16 * i];
		d->lev[l] = a;
		d->nlv[l] = (uint32_t)n;
		d->nlev = l + 1;
		if (n <= 16)
			return 0;
		n = (n + 15) / 16;
	}
	return -1;
}

static int
build_dim(struct match_bv *bv, const struct box *bx, int f, int k,
    u128 *s)
{
	struct bv_fam *fm = &bv->f[f];
	struct bv_dim *d = &fm->d[k];
	size_t n = starts(bx, fm, f, k, s), i, j, a, b;
	u128 lo, hi;
	uint32_t v;

	d->nb = (uint32_t)n;
	d->bits = bv->arena + bv->used;
	bv->used += n * fm->nw;
	if (is_wide(f, k)) {
		if ((d->wide = malloc(n * sizeof(*d->wide))) == NULL)
			return -1;
		memcpy(d->wide, s, n * sizeof(*d->wide));
		bv->bytes += n * sizeof(*d->wide);
	} else if (bv_dim[k] >= D_PROTO) {
		if ((d->tab = malloc(BV_SMALL_KEYS * sizeof(*d->tab))) == NULL)
			return -1;
		for (v = 0; v < BV_SMALL_KEYS; v++)
			d->tab[v] = (uint16_t)interval_of(s, n, v);
		bv->bytes += BV_SMALL_KEYS * sizeof(*d->tab);
	} else {
		if (make_levels(d, s) == -1)
			return -1;
		bv->bytes += n * sizeof(uint32_t) * 17 / 15;
	}
	for (j = 0; j < fm->nl; j++) {
		box_range(&bx[fm->map[j]], f, k, &lo, &hi);
		a = interval_of(s, n, lo);
		b = interval_of(s, n, hi);
		for (i = a; i <= b; i++)
			d->bits[i * fm->nw + j / 64] |= UINT64_C(1) << j % 64;
	}
	if (n > 1)
		fm->act[fm->nact++] = d;
	return 0;
}

/* The bytes the bitmaps of a family will take: known before any is
 * made, from the number of intervals of each dimension. */
static size_t
fam_size(const struct box *bx, const struct bv_fam *fm, int f, u128 *s)
{
	size_t sz = 0;
	int k;

	for (k = 0; k < BV_DIMS; k++)
		sz += starts(bx, fm, f, k, s) * fm->nw * sizeof(uint64_t);
	return sz;
}

void
match_bv_free(struct match_bv *bv)
{
	int f, k, l;

	if (bv == NULL)
		return;
	for (f = 0; f < 2; f++) {
		free(bv->f[f].map);
		free(bv->f[f].exact);
		for (k = 0; k < BV_DIMS; k++) {
			for (l = 0; l < BV_LEVELS; l++)
				free(bv->f[f].d[k].lev[l]);
			free(bv->f[f].d[k].wide);
			free(bv->f[f].d[k].tab);
		}
	}
	free(bv->arena);
	free(bv);
}

struct match_bv *
match_bv_build(const struct box *bx, const uint8_t *exact,
    const uint32_t *const list[2], const size_t nl[2], size_t budget)
{
	struct match_bv *bv = calloc(1, sizeof(*bv));
	size_t i, sz = 0, most = nl[0] > nl[1] ? nl[0] : nl[1];
	u128 *s = malloc((2 * most + 1) * sizeof(*s));
	int f, k;

	if (bv == NULL || s == NULL)
		goto fail;
	for (f = 0; f < 2; f++) {
		struct bv_fam *fm = &bv->f[f];

		fm->nl = nl[f];
		fm->nw = nl[f] == 0 ? 1 : (nl[f] + 63) / 64;
		fm->map = malloc((nl[f] + 1) * sizeof(*fm->map));
		fm->exact = malloc(nl[f] + 1);
		if (fm->map == NULL || fm->exact == NULL)
			goto fail;
		for (i = 0; i < nl[f]; i++) {
			fm->map[i] = list[f][i];
			fm->exact[i] = exact[list[f][i]];
		}
		bv->bytes += (nl[f] + 1) * (sizeof(*fm->map) + 1);
		sz += fam_size(bx, fm, f, s);
	}
	if (sz > budget)
		goto fail;
	/* One block, on huge pages when large: a lookup reads a few lines
	 * scattered over megabytes, which with 4 KiB pages would mostly
	 * miss the TLB too. */
	if (sz >= HUGE_MIN) {
		sz = (sz + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
		if ((bv->arena = aligned_alloc(HUGE_PAGE, sz)) == NULL)
			goto fail;
		(void)madvise(bv->arena, sz, MADV_HUGEPAGE);    /* a hint */
	} else if ((bv->arena = malloc(sz)) == NULL)
		goto fail;
	memset(bv->arena, 0, sz);
	bv->bytes += sz;
	for (f = 0; f < 2; f++) {
		for (k = 0; k < BV_DIMS; k++)
			if (build_dim(bv, bx, f, k, s) == -1)
				goto fail;
		/* No dimension narrows anything: the bitmaps of any one. */
		if (bv->f[f].nact == 0)
			bv->f[f].act[bv->f[f].nact++] = &bv->f[f].d[0];
	}
	free(s);
	bv->bytes += sizeof(*bv);
	return bv;
fail:
	free(s);
	match_bv_free(bv);
	return NULL;
}

size_t
match_bv_bytes(const struct match_bv *bv)
{
	return bv->bytes;
}

long
match_bv_lookup(const struct match_bv *bv, const struct match_rule *rules,
    const struct match_pkt *pkt, const uint32_t k[LANES])
{
	const struct bv_fam *fm = &bv->f[pkt->af == AF_INET6];
	const uint64_t *bm[BV_DIMS];
	const struct bv_dim *d;
	size_t w;
	uint64_t x;
	uint32_t iv, j;
	int i;

	for (i = 0; i < fm->nact; i++) {
		d = fm->act[i];
		if (d->tab != NULL)
			iv = d->tab[k[bv_dim[d - fm->d]]];
		else if (d->wide != NULL)
			iv = search128(d->wide, d->nb, d == &fm->d[0] ?
			    (u128)k[D_SRC0] << 96 | (u128)k[D_SRC1] << 64 |
			    (u128)k[D_SRC2] << 32 | k[D_SRC3] :
			    (u128)k[D_DST0] << 96 | (u128)k[D_DST1] << 64 |
			    (u128)k[D_DST2] << 32 | k[D_DST3]);
		else
			iv = search32(d, k[bv_dim[d - fm->d]]);
		bm[i] = d->bits + (size_t)iv * fm->nw;
		__builtin_prefetch(bm[i]);
	}
	for (w = 0; w < fm->nw; w++) {
		x = bm[0][w];
		for (i = 1; i < fm->nact; i++)
			x &= bm[i][w];
		for (; x != 0; x &= x - 1) {
			j = (uint32_t)(w * 64) + (uint32_t)__builtin_ctzll(x);
			if (fm->exact[j] ||
			    match_rule_matches(&rules[fm->map[j]], pkt))
				return (long)fm->map[j];
		}
	}
	return -1;
}

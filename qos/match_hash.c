/* Building the shape tables (match_hash.h says what they are). */
#include <stdlib.h>
#include <string.h>

#include "qos/match_hash.h"

#define FILL            4       /* rules per bucket aimed at, of SLOTS */
#define RESIZES         3       /* doublings tried against overflow */

/* A rule and its shape, for sorting the family's rules into shapes. */
struct shaped {
	uint8_t  len[D_N];      /* fixed leading bits per dimension */
	uint32_t rule;
};

static int
cmp_shaped(const void *a, const void *b)
{
	const struct shaped *x = a, *y = b;
	int c = memcmp(x->len, y->len, sizeof(x->len));

	if (c != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static uint8_t
fixed_bits(uint32_t lo, uint32_t hi)
{
	return lo == hi ? 32 : (uint8_t)__builtin_clz(lo ^ hi);
}

static void
shape_of(const struct box *b, int nd, struct shaped *s)
{
	int d;

	memset(s->len, 0, sizeof(s->len));
	for (d = 0; d < nd; d++)
		s->len[d] = fixed_bits(b->lo[d], b->hi[d]);
}

static void
shape_mask(const struct shaped *s, uint32_t mask[LANES])
{
	int d;

	memset(mask, 0, LANES * sizeof(*mask));
	for (d = 0; d < D_N; d++)
		mask[d] = s->len[d] == 0 ? 0 : UINT32_MAX << (32 - s->len[d]);
}

/* The hash of a rule's fixed bits: its lowest key, masked. */
static uint64_t
rule_hash(const uint32_t mask[LANES], const struct box *b, unsigned lanes)
{
	uint32_t k[LANES];
	int d;

	memset(k, 0, sizeof(k));
	for (d = 0; d < D_N; d++)
		k[d] = b->lo[d];
	return shape_hash(mask, k, lanes);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Does a table suit the shape's n rules? Only if they fix different
 * bits: rules wide in the addresses (any source to any destination, TCP)
 * share a few keys, so a table would put them in a few full buckets, and
 * they are the rules whose cover keeps a tree small (first-match
 * pruning, match.c). Half the rules with keys of their own, at least. */
static int
shape_suits(const struct shaped *g, size_t n, const struct box *box,
    unsigned lanes, uint64_t *hs)
{
	uint32_t mask[LANES];
	size_t i, distinct;

	shape_mask(&g[0], mask);
	for (i = 0; i < n; i++)
		hs[i] = rule_hash(mask, &box[g[i].rule], lanes);
	qsort(hs, n, sizeof(*hs), cmp_u64);
	for (distinct = 1, i = 1; i < n; i++)
		distinct += hs[i] != hs[i - 1];
	return 2 * distinct >= n;
}

static struct bucket *
buckets_new(size_t nb)
{
	size_t size = nb * sizeof(struct bucket);
	struct bucket *b;
	size_t i;

	if ((b = match_block_alloc(&size)) == NULL)
		return NULL;
	for (i = 0; i < nb; i++) {
		memset(b[i].tag, 0, sizeof(b[i].tag));
		memset(b[i].rule, 0xff, sizeof(b[i].rule));     /* SLOT_EMPTY */
	}
	return b;
}

/* Puts the group's rules (ascending) into nb buckets; a rule whose bucket
 * is full is flagged in out (it stays in the trees). The number left out. */
static size_t
fill(struct shape_table *t, size_t nb, const struct shaped *g, size_t n,
    const struct box *box, const uint8_t *exact, unsigned lanes,
    uint8_t *out)
{
	struct bucket *b;
	uint64_t h;
	size_t i, nout = 0;
	unsigned s;

	t->nbmask = (uint32_t)(nb - 1);
	for (i = 0; i < n; i++) {
		h = rule_hash(t->mask, &box[g[i].rule], lanes);
		b = (struct bucket *)shape_bucket(t, h);
		for (s = 0; s < SLOTS && b->rule[s] != SLOT_EMPTY; s++)
			;
		out[i] = s == SLOTS;
		if (out[i]) {
			nout++;
			continue;
		}
		b->tag[s] = shape_tag(h);
		b->rule[s] = g[i].rule | (exact[g[i].rule] ? 0 : RULE_INEXACT);
	}
	return nout;
}

/* The table of one shape's n rules, at FILL rules per bucket, doubled
 * while that leaves fewer rules out. Many rules with the same fixed bits
 * land in one bucket whatever its size: past SLOTS they stay in the
 * trees, and so do a few unlucky ones when doubling does not help. */
static int
table_build(struct matcher *m, int f, const struct shaped *g, size_t n,
    const struct box *box, const uint8_t *exact, uint8_t *out)
{
	struct shape_table *t = &m->tab[f][m->ntab[f]];
	unsigned lanes = f == 0 ? D_V4 : LANES, r;
	size_t nb = 1, best_nb = 0, best_out = SIZE_MAX, nout;

	memset(t, 0, sizeof(*t));
	shape_mask(&g[0], t->mask);
	while (nb * FILL < n)
		nb *= 2;
	for (r = 0; r <= RESIZES && best_out > 0; r++, nb *= 2) {
		if ((t->bucket = buckets_new(nb)) == NULL)
			return -1;
		nout = fill(t, nb, g, n, box, exact, lanes, out);
		free(t->bucket);
		t->bucket = NULL;
		if (nout >= best_out)
			break;  /* no better: copies of one key, not crowding */
		best_out = nout;
		best_nb = nb;
	}
	if ((t->bucket = buckets_new(best_nb)) == NULL)
		return -1;
	fill(t, best_nb, g, n, box, exact, lanes, out);
	m->ntab[f]++;
	m->st.tables++;
	m->st.hashed += n - best_out;
	m->st.bytes += best_nb * sizeof(struct bucket);
	return 0;
}

int
match_tables_build(struct matcher *m, int f, const struct box *box,
    const uint8_t *exact, uint32_t *list, size_t *n)
{
	struct shaped *s;
	size_t i, j, k, start[TABLES], len[TABLES], ng = 0, g, keep, min;
	uint8_t *gone, *out;
	uint64_t *hs;
	unsigned lanes = f == 0 ? D_V4 : LANES;
	int nd = f == 0 ? D_V4 : D_N, rv = -1;

	if (*n < TABLE_MIN)
		return 0;
	/* Every lookup of the family probes every table, about the cost of
	 * a tree's level: a table pays when it takes a large share of the
	 * rules out of the trees, not for a few dozen rules of 10,000. */
	min = *n / TABLE_SHARE > TABLE_MIN ? *n / TABLE_SHARE : TABLE_MIN;
	s = malloc(*n * sizeof(*s));
	out = malloc(*n);
	hs = malloc(*n * sizeof(*hs));
	gone = calloc(m->nrules ? m->nrules : 1, 1);
	if (s == NULL || out == NULL || hs == NULL || gone == NULL)
		goto done;
	for (i = 0; i < *n; i++) {
		shape_of(&box[list[i]], nd, &s[i]);
		s[i].rule = list[i];
	}
	qsort(s, *n, sizeof(*s), cmp_shaped);
	/* The TABLES largest shapes of at least TABLE_MIN rules. */
	for (i = 0; i < *n; i = j) {
		for (j = i + 1; j < *n && memcmp(s[j].len, s[i].len,
		    sizeof(s[i].len)) == 0; j++)
			;
		if (j - i < min || !shape_suits(s + i, j - i, box, lanes,
		    hs))
			continue;
		for (g = ng; g > 0 && len[g - 1] < j - i; g--)
			if (g < TABLES) {
				start[g] = start[g - 1];
				len[g] = len[g - 1];
			}
		if (g < TABLES) {
			start[g] = i;
			len[g] = j - i;
			ng += ng < TABLES;
		}
	}
	for (g = 0; g < ng; g++) {
		if (table_build(m, f, s + start[g], len[g], box, exact,
		    out) == -1)
			goto done;
		for (k = 0; k < len[g]; k++)
			if (!out[k])
				gone[s[start[g] + k].rule] = 1;
	}
	for (keep = 0, i = 0; i < *n; i++)
		if (!gone[list[i]])
			list[keep++] = list[i];
	*n = keep;
	rv = 0;
done:
	free(s);
	free(out);
	free(hs);
	free(gone);
	return rv;
}

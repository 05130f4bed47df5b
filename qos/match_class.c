/* Building the address classes (match_class.h says what they are). */
#include <stdlib.h>
#include <string.h>

#include "qos/match_class.h"

/* The dimensions a class leaves to its rules' boxes. */
static const int rest_dims[] = { D_SPORT, D_DPORT, D_TOS, D_ICMP, D_IF };

/* Classes being found: sets of rule positions (0..n-1 in the family's
 * list, so that ascending positions are rule order), each kept once. */
struct cset {
	uint32_t *mem;          /* members of every class, back to back */
	size_t    nmem, capmem;
	uint32_t *off;          /* class i: mem[off[i]..off[i + 1]) */
	size_t    capoff;
	uint64_t *hash;         /* class i's */
	size_t    caphash;
	size_t    n;
	uint32_t *slot;         /* open addressing over the classes */
	size_t    slotmask;
};

/* What a build shares: scratch the size of the family, and the work
 * done so far. */
struct cbuild {
	const struct box *box;
	const uint8_t    *exact;
	const uint32_t   *list;
	size_t            n;
	uint64_t         *bits;         /* a set of positions, n bits */
	uint32_t         *tmp;          /* positions, n */
	uint64_t         *ev;           /* a chunk's range ends, 2n */
	uint64_t          work;
};

#define SLOT_FREE       UINT32_MAX

static int
cset_init(struct cset *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->slotmask = 255;
	cs->slot = malloc((cs->slotmask + 1) * sizeof(*cs->slot));
	if (cs->slot == NULL ||
	    match_grow((void **)&cs->mem, &cs->capmem, 1, sizeof(*cs->mem)) ||
	    match_grow((void **)&cs->off, &cs->capoff, 1, sizeof(*cs->off)))
		return -1;
	memset(cs->slot, 0xff, (cs->slotmask + 1) * sizeof(*cs->slot));
	cs->off[0] = 0;
	return 0;
}

static void
cset_free(struct cset *cs)
{
	free(cs->mem);
	free(cs->off);
	free(cs->hash);
	free(cs->slot);
	memset(cs, 0, sizeof(*cs));
}

static size_t
cset_len(const struct cset *cs, size_t i)
{
	return cs->off[i + 1] - cs->off[i];
}

static const uint32_t *
cset_members(const struct cset *cs, size_t i)
{
	return cs->mem + cs->off[i];
}

static uint64_t
members_hash(const uint32_t *v, size_t len)
{
	uint64_t h = len;
	size_t i;

	for (i = 0; i < len; i++) {
		h = (h ^ v[i]) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	return h;
}

static int
cset_rehash(struct cset *cs)
{
	size_t mask = 2 * (cs->slotmask + 1) - 1, i, j;
	uint32_t *slot = malloc((mask + 1) * sizeof(*slot));

	if (slot == NULL)
		return -1;
	memset(slot, 0xff, (mask + 1) * sizeof(*slot));
	for (i = 0; i < cs->n; i++) {
		for (j = cs->hash[i] & mask; slot[j] != SLOT_FREE;
		    j = (j + 1) & mask)
			;
		slot[j] = (uint32_t)i;
	}
	free(cs->slot);
	cs->slot = slot;
	cs->slotmask = mask;
	return 0;
}

/* The class of the set v (len positions, ascending) into *id, new or
 * found. 1, 0 past CLASS_MAX classes, -1 out of memory. */
static int
cset_add(struct cset *cs, const uint32_t *v, size_t len, uint32_t *id)
{
	uint64_t h = members_hash(v, len);
	size_t j;
	uint32_t c;

	for (j = h & cs->slotmask; (c = cs->slot[j]) != SLOT_FREE;
	    j = (j + 1) & cs->slotmask)
		if (cs->hash[c] == h && cset_len(cs, c) == len &&
		    memcmp(cset_members(cs, c), v, len * sizeof(*v)) == 0) {
			*id = c;
			return 1;
		}
	if (cs->n == CLASS_MAX)
		return 0;
	if (match_grow((void **)&cs->mem, &cs->capmem, cs->nmem + len,
	    sizeof(*cs->mem)) == -1 ||
	    match_grow((void **)&cs->off, &cs->capoff, cs->n + 2,
	    sizeof(*cs->off)) == -1 ||
	    match_grow((void **)&cs->hash, &cs->caphash, cs->n + 1,
	    sizeof(*cs->hash)) == -1)
		return -1;
	memcpy(cs->mem + cs->nmem, v, len * sizeof(*v));
	cs->nmem += len;
	cs->hash[cs->n] = h;
	cs->slot[j] = (uint32_t)cs->n;
	*id = (uint32_t)cs->n++;
	cs->off[cs->n] = (uint32_t)cs->nmem;
	if (2 * cs->n > cs->slotmask + 1 && cset_rehash(cs) == -1)
		return -1;
	return 1;
}

static void
bit_set(uint64_t *b, uint32_t p)
{
	b[p / 64] |= UINT64_C(1) << (p % 64);
}

static void
bit_clear(uint64_t *b, uint32_t p)
{
	b[p / 64] &= ~(UINT64_C(1) << (p % 64));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#define EV_END          (UINT64_C(1) << 31)

/* The first tables: a chunk's values (0..size-1) by the set of rules
 * whose range holds them, lo[p]..hi[p] for position p. A sweep over the
 * ranges' ends: between two ends the set does not change. */
static int
chunk_build(struct cbuild *b, struct cset *cs, uint32_t *tab, size_t size,
    const uint32_t *lo, const uint32_t *hi)
{
	size_t nev = 0, e = 0, p, w, len, nw = (b->n + 63) / 64;
	uint64_t x, pos = 0, next;
	uint32_t id;
	int rc;

	for (p = 0; p < b->n; p++) {
		b->ev[nev++] = (uint64_t)lo[p] << 32 | p;
		if (hi[p] + 1 < size)
			b->ev[nev++] = (uint64_t)(hi[p] + 1) << 32 | EV_END | p;
	}
	qsort(b->ev, nev, sizeof(*b->ev), cmp_u64);
	memset(b->bits, 0, nw * sizeof(*b->bits));
	while (pos < size) {
		for (; e < nev && b->ev[e] >> 32 == pos; e++) {
			p = (uint32_t)b->ev[e] & ~(uint32_t)EV_END;
			if (b->ev[e] & EV_END)
				bit_clear(b->bits, (uint32_t)p);
			else
				bit_set(b->bits, (uint32_t)p);
		}
		next = e < nev ? b->ev[e] >> 32 : size;
		for (len = 0, w = 0; w < nw; w++)
			for (x = b->bits[w]; x != 0; x &= x - 1)
				b->tmp[len++] = (uint32_t)(64 * w +
				    (size_t)__builtin_ctzll(x));
		b->work += nw + len;
		if ((rc = cset_add(cs, b->tmp, len, &id)) != 1)
			return rc;
		for (; pos < next; pos++)
			tab[pos] = id;
	}
	return 1;
}

/* A crossing table: tab[i * b->n + j] is the class of a's class i and
 * b's class j together, the rules in both. A rule in da of a's classes
 * and db of b's is in da * db of the pairs: for each class of a, its
 * rules are dealt to the classes of b that hold them (inv, built here),
 * and the pairs no rule reaches get the empty class. The work is the
 * size of what comes out, known before it starts. */
static int
cross_build(struct cbuild *cb, struct cset *out, uint32_t **tab,
    const struct cset *a, const struct cset *b)
{
	uint32_t *deg = NULL, *inv = NULL, *cnt = NULL, *pos = NULL;
	uint32_t *touched = NULL, *deal = NULL, empty, id;
	const uint32_t none = 0;        /* the empty class's (unread) rules */
	size_t i, j, k, t, ntouched, ndeal, p;
	uint64_t work = 0;
	const uint32_t *v;
	int rv = -1, rc;

	if ((uint64_t)a->n * b->n > CLASS_TABLE_MAX)
		return 0;
	deg = calloc(cb->n + 1, sizeof(*deg));
	cnt = calloc(b->n, sizeof(*cnt));
	pos = malloc(b->n * sizeof(*pos));
	touched = malloc(b->n * sizeof(*touched));
	inv = malloc((b->nmem + 1) * sizeof(*inv));
	if (deg == NULL || cnt == NULL || pos == NULL || touched == NULL ||
	    inv == NULL)
		goto done;
	/* inv: for rule position p, b's classes holding it, at deg[p]. */
	for (k = 0; k < b->nmem; k++)
		deg[b->mem[k] + 1]++;
	for (k = 0; k < a->nmem; k++)
		work += deg[a->mem[k] + 1];
	cb->work += work + (uint64_t)a->n * b->n;
	if (cb->work > CLASS_WORK) {
		rv = 0;
		goto done;
	}
	for (p = 0; p < cb->n; p++)
		deg[p + 1] += deg[p];
	for (j = 0; j < b->n; j++) {
		v = cset_members(b, j);
		for (k = 0; k < cset_len(b, j); k++)
			inv[deg[v[k]]++] = (uint32_t)j;
	}
	for (p = cb->n; p > 0; p--)     /* back to the starts */
		deg[p] = deg[p - 1];
	deg[0] = 0;
	if ((deal = malloc((work + 1) * sizeof(*deal))) == NULL ||
	    (*tab = malloc(a->n * b->n * sizeof(**tab))) == NULL)
		goto done;
	if ((rc = cset_add(out, &none, 0, &empty)) != 1) {
		rv = rc;
		goto done;
	}
	for (i = 0; i < a->n; i++) {
		v = cset_members(a, i);
		/* Count per class of b, then deal in rule order, so that
		 * each pair's rules come out ascending. */
		for (ntouched = 0, k = 0; k < cset_len(a, i); k++)
			for (t = deg[v[k]]; t < deg[v[k] + 1]; t++)
				if (cnt[inv[t]]++ == 0)
					touched[ntouched++] = inv[t];
		for (ndeal = 0, t = 0; t < ntouched; t++) {
			pos[touched[t]] = (uint32_t)ndeal;
			ndeal += cnt[touched[t]];
		}
		for (k = 0; k < cset_len(a, i); k++)
			for (t = deg[v[k]]; t < deg[v[k] + 1]; t++)
				deal[pos[inv[t]]++] = v[k];
		for (j = 0; j < b->n; j++)
			(*tab)[i * b->n + j] = empty;
		for (t = 0; t < ntouched; t++) {
			j = touched[t];
			if ((rc = cset_add(out, deal + pos[j] - cnt[j], cnt[j],
			    &id)) != 1) {
				rv = rc;
				goto done;
			}
			(*tab)[i * b->n + j] = id;
			cnt[j] = 0;
		}
	}
	rv = 1;
done:
	free(deg);
	free(inv);
	free(cnt);
	free(pos);
	free(touched);
	free(deal);
	return rv;
}

/* Does rule x's box hold rule y's in the dimensions a class leaves? */
static bool
covers(const struct box *x, const struct box *y)
{
	size_t i;
	int d;

	for (i = 0; i < sizeof(rest_dims) / sizeof(rest_dims[0]); i++) {
		d = rest_dims[i];
		if (x->lo[d] > y->lo[d] || x->hi[d] < y->hi[d])
			return false;
	}
	return true;
}

/* The rules class c leaves to their boxes, into lst (growing), those an
 * earlier exact rule of the class covers left out: it matches wherever
 * they do, and comes first. 1, 0 past CLASS_LIST_MAX rules, -1. */
static int
class_list(struct cbuild *cb, const struct cset *fin, size_t c,
    uint32_t **lst, size_t *nlst, size_t *cap)
{
	const uint32_t *v = cset_members(fin, c);
	size_t k, q, start = *nlst, len = cset_len(fin, c);
	uint32_t r, kept;
	bool covered;

	for (k = 0; k < len; k++) {
		r = cb->list[v[k]];
		covered = false;
		for (q = start; q < *nlst && !covered; q++) {
			kept = (*lst)[q] & ~RULE_INEXACT;
			covered = cb->exact[kept] &&
			    covers(&cb->box[kept], &cb->box[r]);
		}
		cb->work += *nlst - start + 1;
		if (covered)
			continue;
		if (*nlst - start == CLASS_LIST_MAX)
			return 0;
		if (match_grow((void **)lst, cap, *nlst + 1, sizeof(**lst)) ==
		    -1)
			return -1;
		(*lst)[(*nlst)++] = r | (cb->exact[r] ? 0 : RULE_INEXACT);
	}
	return cb->work > CLASS_WORK ? 0 : 1;
}

/* Can the addresses be cut in 16-bit halves? A range whose high halves
 * differ must take every low half, as a prefix of /16 or shorter does. */
static bool
halves_fit(uint32_t lo, uint32_t hi)
{
	return lo >> 16 == hi >> 16 ||
	    ((lo & 0xffff) == 0 && (hi & 0xffff) == 0xffff);
}

static void
half_ranges(uint32_t lo, uint32_t hi, uint32_t *hlo, uint32_t *hhi,
    uint32_t *llo, uint32_t *lhi)
{
	*hlo = lo >> 16;
	*hhi = hi >> 16;
	*llo = *hlo == *hhi ? lo & 0xffff : 0;
	*lhi = *hlo == *hhi ? hi & 0xffff : 0xffff;
}

static void *
carve(char **p, size_t bytes)
{
	void *q = *p;

	*p += (bytes + 63) / 64 * 64;
	return q;
}

/* A table into the block, at the map's width. */
static union class_tab
put_table(char **p, const uint32_t *t, size_t n, bool wide)
{
	union class_tab out;
	size_t i;

	if (wide) {
		out.w = carve(p, n * sizeof(*out.w));
		memcpy(out.w, t, n * sizeof(*out.w));
	} else {
		out.n = carve(p, n * sizeof(*out.n));
		for (i = 0; i < n; i++)
			out.n[i] = (uint16_t)t[i];
	}
	return out;
}

/* Moves the tables and lists into one block (huge pages when large),
 * with 16-bit entries unless some phase has more classes than they can
 * name. The last table becomes where each class's list starts, a count
 * before its rules. */
static int
pack(struct matcher *m, struct class_map *c, uint32_t *const chunk[CHUNKS],
    const size_t csize[CHUNKS], uint32_t *const tab[TABS],
    const size_t tsize[TABS], size_t most, const struct cset *fin,
    const uint32_t *lst, size_t nlst, const uint32_t *lstart)
{
	size_t size = 0, i, ew, at;
	uint32_t *start;
	char *p;

	c->wide = most > CLASS_NARROW;
	ew = c->wide ? sizeof(uint32_t) : sizeof(uint16_t);
	for (i = 0; i < CHUNKS; i++)
		size += (csize[i] * ew + 63) / 64 * 64;
	for (i = 0; i < TAB_LAST; i++)
		size += (tsize[i] * ew + 63) / 64 * 64;
	size += (tsize[TAB_LAST] * 4 + 63) / 64 * 64;
	size += ((fin->n + nlst) * 4 + 63) / 64 * 64;
	if ((start = malloc(fin->n * sizeof(*start))) == NULL)
		return -1;
	if ((c->block = match_block_alloc(&size)) == NULL) {
		free(start);
		return -1;
	}
	p = c->block;
	for (i = 0; i < CHUNKS; i++)
		c->chunk[i] = put_table(&p, chunk[i], csize[i], c->wide);
	for (i = 0; i < TAB_LAST; i++)
		c->tab[i] = put_table(&p, tab[i], tsize[i], c->wide);
	c->last = carve(&p, tsize[TAB_LAST] * 4);
	c->rule = carve(&p, (fin->n + nlst) * 4);
	for (at = 0, i = 0; i < fin->n; i++) {
		start[i] = (uint32_t)at;
		c->rule[at++] = lstart[i + 1] - lstart[i];
		memcpy(c->rule + at, lst + lstart[i],
		    (lstart[i + 1] - lstart[i]) * 4);
		at += lstart[i + 1] - lstart[i];
	}
	for (i = 0; i < tsize[TAB_LAST]; i++)
		c->last[i] = start[tab[TAB_LAST][i]];
	free(start);
	c->classes = fin->n;
	c->refs = nlst;
	m->st.classes = fin->n;
	m->st.class_refs = nlst;
	m->st.bytes += sizeof(*c) + size;
	return 0;
}

int
match_classes_build(struct matcher *m, const struct box *box,
    const uint8_t *exact, const uint32_t *list, size_t n)
{
	static const size_t csize[CHUNKS] = { 65536, 65536, 65536, 65536,
		256 };
	struct cbuild cb;
	struct cset ch[CHUNKS], src, dst, addr, fin;
	uint32_t *chunk[CHUNKS] = { NULL }, *tab[TABS] = { NULL };
	size_t tsize[TABS], i, nlst = 0, caplst = 64, most = 0;
	uint32_t *lo[CHUNKS] = { NULL }, *hi[CHUNKS] = { NULL };
	uint32_t *lst = NULL, *lstart = NULL, r;
	struct class_map *c = NULL;
	int rv = -1, rc = 1, k;

	/* Without rules the trees cost nothing; these tables would still
	 * take half a megabyte. */
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!halves_fit(box[list[i]].lo[D_SRC0],
		    box[list[i]].hi[D_SRC0]) ||
		    !halves_fit(box[list[i]].lo[D_DST0],
		    box[list[i]].hi[D_DST0]))
			return 0;
	memset(&cb, 0, sizeof(cb));
	memset(ch, 0, sizeof(ch));
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	memset(&addr, 0, sizeof(addr));
	memset(&fin, 0, sizeof(fin));
	cb.box = box;
	cb.exact = exact;
	cb.list = list;
	cb.n = n;
	cb.bits = calloc((n + 63) / 64, sizeof(*cb.bits));
	cb.tmp = malloc(n * sizeof(*cb.tmp));
	cb.ev = malloc(2 * n * sizeof(*cb.ev));
	lst = malloc(caplst * sizeof(*lst));
	c = calloc(1, sizeof(*c));
	if (cb.bits == NULL || cb.tmp == NULL || cb.ev == NULL ||
	    lst == NULL || c == NULL)
		goto done;
	for (k = 0; k < CHUNKS; k++) {
		lo[k] = malloc(n * sizeof(*lo[k]));
		hi[k] = malloc(n * sizeof(*hi[k]));
		chunk[k] = malloc(csize[k] * sizeof(*chunk[k]));
		if (lo[k] == NULL || hi[k] == NULL || chunk[k] == NULL ||
		    cset_init(&ch[k]) == -1)
			goto done;
	}
	for (i = 0; i < n; i++) {
		const struct box *b = &box[list[i]];

		half_ranges(b->lo[D_SRC0], b->hi[D_SRC0], &lo[CH_SRC_HI][i],
		    &hi[CH_SRC_HI][i], &lo[CH_SRC_LO][i], &hi[CH_SRC_LO][i]);
		half_ranges(b->lo[D_DST0], b->hi[D_DST0], &lo[CH_DST_HI][i],
		    &hi[CH_DST_HI][i], &lo[CH_DST_LO][i], &hi[CH_DST_LO][i]);
		lo[CH_PROTO][i] = b->lo[D_PROTO];
		hi[CH_PROTO][i] = b->hi[D_PROTO];
	}
	for (k = 0; k < CHUNKS && rc == 1; k++)
		rc = chunk_build(&cb, &ch[k], chunk[k], csize[k], lo[k], hi[k]);
	if (rc == 1 && (cset_init(&src) == -1 || cset_init(&dst) == -1 ||
	    cset_init(&addr) == -1 || cset_init(&fin) == -1))
		rc = -1;
	if (rc == 1)
		rc = cross_build(&cb, &src, &tab[TAB_SRC], &ch[CH_SRC_HI],
		    &ch[CH_SRC_LO]);
	if (rc == 1)
		rc = cross_build(&cb, &dst, &tab[TAB_DST], &ch[CH_DST_HI],
		    &ch[CH_DST_LO]);
	if (rc == 1)
		rc = cross_build(&cb, &addr, &tab[TAB_ADDR], &src, &dst);
	if (rc == 1)
		rc = cross_build(&cb, &fin, &tab[TAB_LAST], &addr,
		    &ch[CH_PROTO]);
	if (rc == 1 && (lstart = malloc((fin.n + 1) * sizeof(*lstart))) ==
	    NULL)
		rc = -1;
	for (r = 0; rc == 1 && r < fin.n; r++) {
		lstart[r] = (uint32_t)nlst;
		rc = class_list(&cb, &fin, r, &lst, &nlst, &caplst);
	}
	if (rc != 1) {
		rv = rc;
		goto done;
	}
	lstart[fin.n] = (uint32_t)nlst;
	c->nsrc_lo = (uint32_t)ch[CH_SRC_LO].n;
	c->ndst_lo = (uint32_t)ch[CH_DST_LO].n;
	c->ndst = (uint32_t)dst.n;
	c->nproto = (uint32_t)ch[CH_PROTO].n;
	tsize[TAB_SRC] = ch[CH_SRC_HI].n * ch[CH_SRC_LO].n;
	tsize[TAB_DST] = ch[CH_DST_HI].n * ch[CH_DST_LO].n;
	tsize[TAB_ADDR] = src.n * dst.n;
	tsize[TAB_LAST] = addr.n * ch[CH_PROTO].n;
	for (k = 0; k < CHUNKS; k++)
		most = ch[k].n > most ? ch[k].n : most;
	most = src.n > most ? src.n : most;
	most = dst.n > most ? dst.n : most;
	most = addr.n > most ? addr.n : most;
	most = fin.n > most ? fin.n : most;
	if (pack(m, c, chunk, csize, tab, tsize, most, &fin, lst, nlst,
	    lstart) == -1)
		goto done;
	m->cls = c;
	c = NULL;
	rv = 1;
done:
	for (k = 0; k < CHUNKS; k++) {
		free(lo[k]);
		free(hi[k]);
		free(chunk[k]);
		cset_free(&ch[k]);
	}
	for (k = 0; k < TABS; k++)
		free(tab[k]);
	cset_free(&src);
	cset_free(&dst);
	cset_free(&addr);
	cset_free(&fin);
	free(cb.bits);
	free(cb.tmp);
	free(cb.ev);
	free(lst);
	free(lstart);
	free(c);
	return rv;
}

void
match_classes_free(struct class_map *c)
{
	if (c == NULL)
		return;
	free(c->block);
	free(c);
}

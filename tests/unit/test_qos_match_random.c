/* The compiled matcher against the linear reference: on random rule sets
 * (fixed seeds) and random packets, matcher_lookup must give exactly the
 * index match_linear gives, for every packet. Plus the edge cases. Each
 * set is compiled twice, as it comes (address classes for IPv4 where
 * they suit the rules) and with the shape tables and trees only, and
 * both must agree with the linear scan. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qos/match.h"
#include "tests/unit/qos_match_gen.h"

#define NPKTS 20000

typedef void draw_pkt_fn(struct qmg *, const struct match_rule *, size_t,
    unsigned, struct match_pkt *);

static const unsigned hows[2] = { 0, MATCH_NO_CLASSES };
static const char *const how_names[2] = { "compiled", "trees only" };

/* Compiles rules both ways, then compares on npkts packets of draw's
 * traffic; returns the number of packets that hit a rule, so callers can
 * check the test means something. */
static size_t
compare_drawn(const struct match_rule *rules, size_t n, uint64_t seed,
    size_t npkts, unsigned hit_pct, draw_pkt_fn *draw)
{
	struct qmg g;
	struct matcher *m;
	struct match_pkt p;
	size_t i, hits = 0;
	long want, got;
	int h;

	for (h = 0; h < 2; h++) {
		g.s = seed;
		hits = 0;
		m = matcher_compile_how(rules, n, hows[h]);
		assert_non_null(m);
		for (i = 0; i < npkts; i++) {
			draw(&g, rules, n, hit_pct, &p);
			want = match_linear(rules, n, &p);
			got = matcher_lookup(m, &p);
			if (want != got)
				fail_msg("rules %zu seed %llu packet %zu: "
				    "linear %ld, %s %ld", n,
				    (unsigned long long)seed, i, want,
				    how_names[h], got);
			if (want >= 0)
				hits++;
		}
		matcher_free(m);
	}
	return hits;
}

static size_t
compare(const struct match_rule *rules, size_t n, uint64_t seed,
    size_t npkts, unsigned hit_pct)
{
	return compare_drawn(rules, n, seed, npkts, hit_pct, qmg_pkt);
}

static void
random_set(size_t n, uint64_t seed)
{
	struct qmg g = { seed };
	struct match_rule *rules = calloc(n, sizeof(*rules));
	struct matcher *m;
	struct matcher_stats st;
	size_t hits;

	assert_non_null(rules);
	qmg_rules(&g, rules, n);
	hits = compare(rules, n, seed ^ 0x5eed, NPKTS, 70);
	/* Enough hits to mean something. */
	assert_true(hits > NPKTS / 4);
	m = matcher_compile(rules, n);
	assert_non_null(m);
	matcher_stats(m, &st);
	print_message("%5zu rules: %zu hits, %zu address classes, %zu nodes, "
	    "%zu leaves, %zu refs, max leaf %zu, depth %u, %zu KiB\n", n, hits,
	    st.classes, st.nodes, st.leaves, st.refs, st.max_leaf,
	    st.max_depth, st.bytes / 1024);
	matcher_free(m);
	free(rules);
}

static void
test_random_1(void **state)
{
	(void)state;
	random_set(1, 1);
	random_set(1, 2);
	random_set(1, 3);
}

static void
test_random_10(void **state)
{
	(void)state;
	random_set(10, 10);
	random_set(10, 11);
}

static void
test_random_100(void **state)
{
	(void)state;
	random_set(100, 100);
	random_set(100, 101);
}

static void
test_random_1000(void **state)
{
	(void)state;
	random_set(1000, 1000);
}

/* Broad, overlapping rules leave the address classes long lists: by a
 * thousand of them the classes give up and the trees take the family. */
static void
test_random_no_classes(void **state)
{
	struct qmg g = { 1000 };
	struct match_rule *rules = calloc(1000, sizeof(*rules));
	struct matcher_stats st;
	struct matcher *m;

	(void)state;
	assert_non_null(rules);
	qmg_rules(&g, rules, 1000);
	m = matcher_compile(rules, 1000);
	assert_non_null(m);
	matcher_stats(m, &st);
	assert_int_equal(st.classes, 0);
	assert_true(st.nodes > 0);
	matcher_free(m);
	free(rules);
}

static void
test_random_5000(void **state)
{
	(void)state;
	random_set(5000, 5000);
}

/* Access lists (bench/classify's "acl" set): shared prefixes, port
 * ranges such as 1024-65535, one family. Most packets hit a rule, not
 * all. */
static size_t
acl_set(size_t n, uint64_t seed)
{
	struct qmg g = { seed };
	struct match_rule *rules = calloc(n, sizeof(*rules));
	struct matcher_stats st;
	struct matcher *m;
	size_t hits;

	assert_non_null(rules);
	qmg_acl_rules(&g, rules, n);
	hits = compare_drawn(rules, n, seed ^ 0xac1, NPKTS, 80, qmg_acl_pkt);
	m = matcher_compile(rules, n);
	assert_non_null(m);
	matcher_stats(m, &st);
	print_message("%5zu acl rules: %zu hits, %zu address classes, %zu "
	    "rules in their lists\n", n, hits, st.classes, st.class_refs);
	/* Access lists are what the classes are for: no tree is built. */
	assert_true(st.classes > 0);
	assert_int_equal(st.nodes, 0);
	assert_int_equal(st.tables, 0);
	matcher_free(m);
	assert_true(hits > NPKTS / 2);
	assert_true(hits < NPKTS);
	free(rules);
	return st.classes;
}

static void
test_acl(void **state)
{
	(void)state;
	acl_set(10, 10);
	acl_set(300, 300);
	acl_set(3000, 3000);
}

/* Past 65,536 classes in a phase the tables' entries are 32 bits. */
static void
test_acl_wide(void **state)
{
	(void)state;
	assert_true(acl_set(12000, 12000) > 65536);
}

static struct match_rule
any_rule(void)
{
	struct match_rule r;

	memset(&r, 0, sizeof(r));
	r.af = AF_UNSPEC;
	r.proto = -1;
	r.sport_hi = r.dport_hi = 65535;
	r.icmp_type = -1;
	return r;
}

static void
test_no_rules(void **state)
{
	struct matcher *m = matcher_compile(NULL, 0);
	struct qmg g = { 7 };
	struct match_pkt p;
	int i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 100; i++) {
		qmg_pkt(&g, NULL, 0, 0, &p);
		assert_int_equal(matcher_lookup(m, &p), -1);
	}
	matcher_free(m);
	matcher_free(NULL);
	assert_int_equal(matcher_lookup(NULL, &p), -1);
}

static void
test_all_wildcard(void **state)
{
	struct match_rule r[3];
	struct matcher *m;
	struct qmg g = { 8 };
	struct match_pkt p;
	int i;

	(void)state;
	r[0] = any_rule();
	r[0].proto = 6;
	r[0].dport_lo = r[0].dport_hi = 80;
	r[1] = any_rule();
	r[2] = any_rule();      /* shadowed by r[1] everywhere */
	m = matcher_compile(r, 3);
	assert_non_null(m);
	for (i = 0; i < 2000; i++) {
		qmg_pkt(&g, r, 3, 50, &p);
		assert_int_equal(matcher_lookup(m, &p), match_linear(r, 3, &p));
		assert_int_not_equal(matcher_lookup(m, &p), 2);
	}
	/* Not an IP packet: no rule, not even the catch-all. */
	p.af = AF_UNSPEC;
	assert_int_equal(matcher_lookup(m, &p), -1);
	matcher_free(m);
	assert_int_equal(compare(r + 1, 1, 9, 2000, 0), 2000);
}

/* Many copies of a few rules: the first copy wins every time. */
static void
test_duplicates(void **state)
{
	struct qmg g = { 11 };
	struct match_rule base[5], *r;
	size_t i, n = 2000;

	(void)state;
	qmg_rules(&g, base, 5);
	r = calloc(n, sizeof(*r));
	assert_non_null(r);
	for (i = 0; i < n; i++)
		r[i] = base[i % 5];
	assert_true(compare(r, n, 12, 5000, 90) > 1000);
	free(r);
}

/* One family's rules, then the other's, then both interleaved. */
static void
test_mixed_families(void **state)
{
	struct qmg g = { 13 };
	struct match_rule *r = calloc(600, sizeof(*r)), *four, *six;
	size_t n4 = 0, n6 = 0, i;

	(void)state;
	four = calloc(600, sizeof(*r));
	six = calloc(600, sizeof(*r));
	assert_non_null(r);
	assert_non_null(four);
	assert_non_null(six);
	while (n4 < 300 || n6 < 300) {
		struct match_rule x;

		qmg_rule(&g, &x, 0);
		if (x.af == AF_INET && n4 < 300)
			four[n4++] = x;
		else if (x.af == AF_INET6 && n6 < 300)
			six[n6++] = x;
	}
	memcpy(r, four, 300 * sizeof(*r));
	memcpy(r + 300, six, 300 * sizeof(*r));
	assert_true(compare(r, 600, 14, NPKTS, 70) > 0);
	memcpy(r, six, 300 * sizeof(*r));
	memcpy(r + 300, four, 300 * sizeof(*r));
	assert_true(compare(r, 600, 15, NPKTS, 70) > 0);
	for (i = 0; i < 300; i++) {
		r[2 * i] = four[i];
		r[2 * i + 1] = six[i];
	}
	assert_true(compare(r, 600, 16, NPKTS, 70) > 0);
	free(r);
	free(four);
	free(six);
}

/* Rules that can match nothing, or that the tree cannot place exactly. */
static void
test_odd_rules(void **state)
{
	struct match_rule r[9];
	size_t i;

	(void)state;
	for (i = 0; i < 9; i++)
		r[i] = any_rule();
	r[0].sport_lo = 10;             /* empty range */
	r[0].sport_hi = 9;
	r[1].tos_mask = 0xf0;           /* value outside the mask */
	r[1].tos_value = 0x01;
	r[2].af = AF_INET;              /* v4 rule, v6 prefix */
	r[2].src.af = AF_INET6;
	r[2].src.len = 8;
	r[3].proto = 300;
	r[4].icmp_type = 300;
	r[5].tos_mask = 0x0f;           /* holes: checked by hand */
	r[5].tos_value = 0x05;
	r[6].iface = (enum match_iface)7;
	r[7].dst.af = AF_INET;          /* AF_UNSPEC, v4 /33 */
	r[7].dst.len = 33;
	r[8].src.af = AF_INET6;         /* AF_UNSPEC, v6 /1 */
	r[8].src.len = 1;
	r[8].src.addr.b[0] = 0x80;
	assert_true(compare(r, 9, 17, 5000, 0) > 0);
}

/* Rules wide in sport and narrow in dport, and the other way round, with
 * nothing else to tell them apart: their cross product would not fit, so
 * the matcher must stop at its memory budget and stay right. A TOS
 * condition of one of eight masks splits each kind into eight shapes, too
 * small for shape tables: the trees must take them all. */

static void
test_cross_product(void **state)
{
	struct qmg g = { 19 };
	size_t i, n = 4000;
	struct match_rule *r = calloc(n, sizeof(*r));
	struct matcher *m;
	struct matcher_stats st;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < n; i++) {
		r[i] = any_rule();
		r[i].af = AF_INET;
		r[i].proto = 17;
		r[i].tos_mask = (uint8_t)(0xff00 >> qmg_below(&g, 8));
		if (i % 2 == 0)
			r[i].sport_lo = r[i].sport_hi =
			    (uint16_t)qmg_below(&g, 65536);
		else
			r[i].dport_lo = r[i].dport_hi =
			    (uint16_t)qmg_below(&g, 65536);
	}
	m = matcher_compile_how(r, n, MATCH_NO_CLASSES);
	assert_non_null(m);
	matcher_stats(m, &st);
	print_message("cross product: %zu nodes, %zu refs, max leaf %zu, "
	    "%zu KiB\n", st.nodes, st.refs, st.max_leaf, st.bytes / 1024);
	assert_true(st.bytes < (size_t)64 << 20);
	assert_int_equal(st.tables, 0);
	/* The budget was reached: some leaf is a long scan. */
	assert_true(st.max_leaf > 8);
	matcher_free(m);
	/* Packets aimed at the rules' ports. */
	assert_true(compare(r, n, 20, NPKTS, 100) > NPKTS / 2);
	free(r);
}

/* A small set with a catch-all near the front, a larger one with several:
 * pruning does most of the work there. */
static void
test_catch_alls(void **state)
{
	struct qmg g = { 21 };
	size_t i, n = 3000;
	struct match_rule *r = calloc(n, sizeof(*r));

	(void)state;
	assert_non_null(r);
	qmg_rules(&g, r, n);
	for (i = 0; i < n; i += 1 + qmg_below(&g, 600)) {
		r[i] = any_rule();
		r[i].af = qmg_pct(&g, 50) ? AF_INET : AF_INET6;
	}
	assert_true(compare(r, n, 22, NPKTS, 70) > NPKTS / 2);
	r[3] = any_rule();
	assert_true(compare(r, 40, 23, NPKTS, 70) == NPKTS);
	free(r);
}

/* Every prefix length of the all-ones and all-zero addresses, in random
 * order, against packets one bit away from them: prefixes ending in each
 * 32-bit word and at its edges, keys of UINT32_MAX (which a node's unused
 * cut slots must never count), ports at 65535. Many rules differing in one
 * dimension make nodes of every fan-out. */
static void
word_edges_rule(struct qmg *g, struct match_rule *r, sa_family_t af)
{
	unsigned alen = af == AF_INET ? 4 : 16;
	struct prefix *p = qmg_pct(g, 50) ? &r->src : &r->dst;

	*r = any_rule();
	r->af = af;
	p->af = af;
	p->len = (uint8_t)(1 + qmg_below(g, alen * 8));
	memset(p->addr.b, qmg_pct(g, 50) ? 0xff : 0, alen);
	if (qmg_pct(g, 30)) {
		r->proto = 6;
		r->dport_lo = (uint16_t)(65535 - qmg_below(g, 3));
		r->dport_hi = 65535;
	}
}

static void
test_word_edges(void **state)
{
	struct qmg g = { 31 };
	size_t i, n = 600, npk = 0, hits = 0;
	struct match_rule *r = calloc(n, sizeof(*r));
	struct match_pkt *pk = calloc(4 * 2 * 129, sizeof(*pk));
	struct matcher *m;
	unsigned alen, bit, f, fill;
	int h;

	(void)state;
	assert_non_null(r);
	assert_non_null(pk);
	for (i = 0; i < n; i++)
		word_edges_rule(&g, &r[i], i % 2 ? AF_INET : AF_INET6);
	for (f = 0; f < 2; f++)
		for (fill = 0; fill < 2; fill++) {
			alen = f ? 16 : 4;
			for (bit = 0; bit <= alen * 8; bit++) {
				struct match_pkt *p = &pk[npk++];

				p->af = f ? AF_INET6 : AF_INET;
				p->proto = 6;
				p->dport = bit % 2 ? 65535 : 65534;
				p->icmp_type = -1;
				memset(p->src, fill ? 0xff : 0, alen);
				memset(p->dst, fill ? 0 : 0xff, alen);
				if (bit < alen * 8) {
					p->src[bit / 8] ^= (uint8_t)(0x80 >> bit % 8);
					p->dst[bit / 8] ^= (uint8_t)(0x80 >> bit % 8);
				}
			}
		}
	for (h = 0; h < 2; h++) {
		m = matcher_compile_how(r, n, hows[h]);
		assert_non_null(m);
		for (hits = 0, i = 0; i < npk; i++) {
			if (matcher_lookup(m, &pk[i]) !=
			    match_linear(r, n, &pk[i]))
				fail_msg("word edges: packet %zu: linear %ld, "
				    "%s %ld", i, match_linear(r, n, &pk[i]),
				    how_names[h], matcher_lookup(m, &pk[i]));
			hits += match_linear(r, n, &pk[i]) >= 0;
		}
		assert_true(hits > npk / 2);
		matcher_free(m);
	}
	free(pk);
	free(r);
}

/* A site's kind of rule: one host, a /24 (a /64), TCP or UDP, one port;
 * tos_holes adds a TOS mask with holes, whose box is larger than its
 * packets. Hosts come from one /16 (/112), so some repeat. */
static void
host_rule(struct qmg *g, struct match_rule *r, sa_family_t af,
    bool tos_holes)
{
	unsigned alen = af == AF_INET ? 4 : 16;

	*r = any_rule();
	r->af = af;
	r->src.af = r->dst.af = af;
	r->src.len = (uint8_t)(alen * 8);
	r->dst.len = af == AF_INET ? 24 : 64;
	if (af == AF_INET) {
		r->src.addr.b[0] = 10;
		r->dst.addr.b[0] = 172;
		r->dst.addr.b[1] = 16;
		r->dst.addr.b[2] = (uint8_t)qmg_below(g, 16);
	} else {
		r->src.addr.b[0] = 0xfd;
		r->dst.addr.b[0] = 0x20;
		r->dst.addr.b[1] = 0x01;
		r->dst.addr.b[7] = (uint8_t)qmg_below(g, 16);
	}
	r->src.addr.b[alen - 2] = (uint8_t)qmg_next(g);
	r->src.addr.b[alen - 1] = (uint8_t)qmg_next(g);
	r->proto = qmg_pct(g, 50) ? 6 : 17;
	r->dport_lo = r->dport_hi = qmg_ports[qmg_below(g, 10)];
	if (tos_holes) {
		r->tos_mask = 0x0f;
		r->tos_value = (uint8_t)qmg_below(g, 16);
	}
}

/* Thousands of rules of a few shapes go to shape tables, broad random
 * rules between them to the trees, and the first match must win across
 * the two. One key is repeated past what a bucket holds (SLOTS, 8): the
 * rules that do not fit stay in the trees. */
static void
test_shape_tables(void **state)
{
	struct qmg g = { 41 };
	size_t i, n = 6000, nhost = 0;
	struct match_rule *r = calloc(n, sizeof(*r));
	bool *host = calloc(n, sizeof(*host));
	struct matcher *m;
	struct matcher_stats st;
	unsigned x;

	(void)state;
	assert_non_null(r);
	assert_non_null(host);
	for (i = 0; i < n; i++) {
		x = qmg_below(&g, 100);
		if (x < 15) {
			qmg_rule(&g, &r[i], (uint32_t)i);
			continue;
		}
		/* The TOS holes do not change the shape (the box's
		 * TOS range is as wide as "any"), only the exactness. */
		host_rule(&g, &r[i], x < 75 ? AF_INET : AF_INET6,
		    x >= 60 && x < 75);
		host[i] = true;
	}
	/* Rules 2000-2019: twenty copies of one host rule. */
	host_rule(&g, &r[2000], AF_INET, false);
	for (i = 2000; i < 2020; i++) {
		r[i] = r[2000];
		host[i] = true;
	}
	for (i = 0; i < n; i++)
		nhost += host[i];
	m = matcher_compile_how(r, n, MATCH_NO_CLASSES);
	assert_non_null(m);
	matcher_stats(m, &st);
	print_message("shape tables: %zu tables, %zu of %zu host rules "
	    "hashed, %zu nodes, %zu KiB\n", st.tables, st.hashed, nhost,
	    st.nodes, st.bytes / 1024);
	/* One table per family; the 12 copies past a bucket's 8 (and a
	 * few unlucky neighbours) stay in the trees. (A few random rules
	 * happen to have the hosts' shape, and are hashed too: 2 here.) */
	assert_int_equal(st.tables, 2);
	assert_true(st.hashed <= nhost + 2 - 12);
	assert_true(st.hashed >= nhost - 40);
	matcher_free(m);
	assert_true(compare(r, n, 42, NPKTS, 90) > NPKTS / 2);
	free(host);
	free(r);
}

/* The address classes' own cases, on IPv4 rules written out. */
static struct match_rule
v4_rule(const char *src, unsigned slen, const char *dst, unsigned dlen,
    int proto, uint16_t dport)
{
	struct match_rule r = any_rule();

	r.af = AF_INET;
	r.src.af = r.dst.af = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, r.src.addr.b), 1);
	assert_int_equal(inet_pton(AF_INET, dst, r.dst.addr.b), 1);
	r.src.len = (uint8_t)slen;
	r.dst.len = (uint8_t)dlen;
	r.proto = proto;
	if (dport != 0)
		r.dport_lo = r.dport_hi = dport;
	return r;
}

static struct match_pkt
v4_pkt(const char *src, const char *dst, uint8_t proto, uint16_t dport,
    uint8_t tos)
{
	struct match_pkt p;

	memset(&p, 0, sizeof(p));
	p.af = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, p.src), 1);
	assert_int_equal(inet_pton(AF_INET, dst, p.dst), 1);
	p.proto = proto;
	p.sport = 40000;
	p.dport = dport;
	p.tos = tos;
	p.icmp_type = -1;
	p.iface = MATCH_IF_TUN;
	return p;
}

/* A rule that covers a later one in every dimension a class leaves to
 * the boxes hides it from the class's list, but only if its box is
 * exactly its packets: rule 0's TOS mask has holes, so it must not hide
 * rule 1. Prefixes of /15 and /16 meet the 16-bit seam the addresses are
 * cut at. */
static void
test_address_classes(void **state)
{
	static const struct {
		const char *src, *dst;
		uint8_t     proto;
		uint16_t    dport;
		uint8_t     tos;
		long        want;
	} c[] = {
		{ "10.1.2.3", "192.0.2.7", 17, 53, 0x11, 0 },
		{ "10.1.2.3", "192.0.2.7", 17, 53, 0x10, 1 },
		{ "10.1.2.3", "192.0.2.7", 17, 123, 0x10, 2 },
		{ "10.1.255.255", "198.51.100.1", 6, 80, 0, 4 },
		{ "10.2.0.0", "198.51.100.1", 6, 80, 0, 5 },
		{ "10.2.0.0", "198.51.100.1", 17, 80, 0, 6 },
		{ "9.255.255.255", "192.0.2.7", 17, 53, 0x10, 6 },
		{ "10.0.0.0", "192.0.2.255", 1, 0, 0x01, 0 },
	};
	struct match_rule r[7];
	struct matcher_stats st;
	struct match_pkt p;
	struct matcher *m;
	size_t i;

	(void)state;
	r[0] = v4_rule("10.0.0.0", 8, "192.0.2.0", 24, -1, 0);
	r[0].tos_mask = 0x0f;
	r[0].tos_value = 0x01;
	r[1] = v4_rule("10.1.2.3", 32, "192.0.2.7", 32, 17, 53);
	r[1].tos_mask = 0xfc;
	r[1].tos_value = 0x10;
	r[2] = v4_rule("10.1.2.3", 32, "192.0.2.7", 32, 17, 0);
	r[3] = v4_rule("10.1.2.3", 32, "192.0.2.7", 32, 17, 123);
	r[4] = v4_rule("10.0.0.0", 15, "0.0.0.0", 0, -1, 0);
	r[5] = v4_rule("10.2.0.0", 16, "0.0.0.0", 0, 6, 0);
	r[6] = v4_rule("0.0.0.0", 0, "0.0.0.0", 0, -1, 0);
	m = matcher_compile(r, 7);
	assert_non_null(m);
	matcher_stats(m, &st);
	assert_true(st.classes > 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		p = v4_pkt(c[i].src, c[i].dst, c[i].proto, c[i].dport,
		    c[i].tos);
		assert_int_equal(match_linear(r, 7, &p), c[i].want);
		assert_int_equal(matcher_lookup(m, &p), c[i].want);
	}
	matcher_free(m);
}

/* One address pair with CLASS_LIST_MAX (16) rules that nothing hides
 * keeps the classes; one more sends the family to the trees. Both
 * answer every port right. */
static void
test_class_list_limit(void **state)
{
	struct match_rule r[17];
	struct matcher_stats st;
	struct match_pkt p;
	struct matcher *m;
	size_t i, n;
	uint16_t port;

	(void)state;
	for (i = 0; i < 17; i++)
		r[i] = v4_rule("10.1.2.3", 32, "192.0.2.7", 32, 17,
		    (uint16_t)(1000 + i));
	for (n = 16; n <= 17; n++) {
		m = matcher_compile(r, n);
		assert_non_null(m);
		matcher_stats(m, &st);
		if (n == 16)
			assert_true(st.classes > 0);
		else
			assert_int_equal(st.classes, 0);
		for (port = 990; port < 1030; port++) {
			p = v4_pkt("10.1.2.3", "192.0.2.7", 17, port, 0);
			assert_int_equal(matcher_lookup(m, &p),
			    port >= 1000 && port < 1000 + n ?
			    (long)(port - 1000) : -1);
		}
		matcher_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rules),
		cmocka_unit_test(test_all_wildcard),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_mixed_families),
		cmocka_unit_test(test_odd_rules),
		cmocka_unit_test(test_cross_product),
		cmocka_unit_test(test_catch_alls),
		cmocka_unit_test(test_word_edges),
		cmocka_unit_test(test_shape_tables),
		cmocka_unit_test(test_address_classes),
		cmocka_unit_test(test_class_list_limit),
		cmocka_unit_test(test_random_1),
		cmocka_unit_test(test_random_10),
		cmocka_unit_test(test_random_100),
		cmocka_unit_test(test_random_1000),
		cmocka_unit_test(test_random_no_classes),
		cmocka_unit_test(test_random_5000),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_acl_wide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

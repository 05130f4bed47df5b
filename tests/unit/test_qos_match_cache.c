/* The flow cache (qos/match_cache.h) against the linear reference: on
 * random rule sets and on streams that mix repeated flows with many
 * distinct packets (a small cache evicts all the time), every answer is
 * match_linear()'s; the counters add up; and packets whose keys differ in
 * one field never share an entry. */
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
#include "qos/match_cache.h"
#include "tests/unit/qos_match_gen.h"

#define NFLOWS  256
#define NPKTS   30000

/* flow_pct percent of the packets repeat one of NFLOWS flows, the rest
 * are new. Returns the hits, so callers can check the flows were seen. */
static uint64_t
stream(size_t nrules, uint64_t seed, size_t entries, unsigned flow_pct)
{
	struct qmg g = { seed };
	struct match_rule *rules = calloc(nrules, sizeof(*rules));
	struct match_pkt *flows = calloc(NFLOWS, sizeof(*flows)), p;
	struct matcher *m;
	struct match_cache *c;
	struct match_cache_stats st;
	size_t i;
	long want, got;

	assert_non_null(rules);
	assert_non_null(flows);
	qmg_rules(&g, rules, nrules);
	m = matcher_compile(rules, nrules);
	c = match_cache_new(entries);
	assert_non_null(m);
	assert_non_null(c);
	for (i = 0; i < NFLOWS; i++)
		qmg_pkt(&g, rules, nrules, 70, &flows[i]);
	for (i = 0; i < NPKTS; i++) {
		if (qmg_pct(&g, flow_pct))
			p = flows[qmg_below(&g, NFLOWS)];
		else
			qmg_pkt(&g, rules, nrules, 70, &p);
		want = match_linear(rules, nrules, &p);
		got = match_cache_lookup(c, m, &p);
		if (want != got)
			fail_msg("rules %zu seed %llu cache %zu packet %zu: "
			    "linear %ld, cached %ld", nrules,
			    (unsigned long long)seed, entries, i, want, got);
	}
	match_cache_stats(c, &st);
	assert_int_equal(st.hits + st.misses, NPKTS);
	print_message("%5zu rules, %5zu entries, %3u%% flows: %llu hits, "
	    "%llu misses\n", nrules, st.entries, flow_pct,
	    (unsigned long long)st.hits, (unsigned long long)st.misses);
	match_cache_free(c);
	matcher_free(m);
	free(flows);
	free(rules);
	return st.hits;
}

static void
test_random_streams(void **state)
{
	static const size_t sizes[] = { 1, 10, 100, 1000 };
	size_t i;
	uint64_t h;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* A big cache holds every flow: most repeats hit. */
		h = stream(sizes[i], 100 + i, 4096, 90);
		assert_true(h > NPKTS / 2);
		/* 64 entries for 256 flows and a stream of new packets:
		 * evictions all the time, answers still exact. */
		stream(sizes[i], 200 + i, 64, 90);
		stream(sizes[i], 300 + i, 64, 20);
		/* The smallest cache: two sets of eight. */
		stream(sizes[i], 400 + i, 1, 50);
	}
}

/* Rule 0 matches exactly the packet base (every field it can test), rule
 * 1 everything: a packet that differs from base in one field gets 1. */
static void
exact_rules(const struct match_pkt *b, struct match_rule r[2])
{
	memset(r, 0, 2 * sizeof(*r));
	r[0].af = b->af;
	r[0].src.af = r[0].dst.af = b->af;
	r[0].src.len = r[0].dst.len = b->af == AF_INET ? 32 : 128;
	memcpy(r[0].src.addr.b, b->src, b->af == AF_INET ? 4 : 16);
	memcpy(r[0].dst.addr.b, b->dst, b->af == AF_INET ? 4 : 16);
	r[0].proto = b->proto;
	r[0].sport_lo = r[0].sport_hi = b->sport;
	r[0].dport_lo = r[0].dport_hi = b->dport;
	r[0].tos_value = b->tos;
	r[0].tos_mask = 0xff;
	r[0].icmp_type = -1;
	r[0].iface = b->iface;
	r[1].af = AF_UNSPEC;
	r[1].proto = -1;
	r[1].sport_hi = r[1].dport_hi = 65535;
	r[1].icmp_type = -1;
	r[1].iface = MATCH_IF_ANY;
}

/* Looks up a then b, both fresh, in every order and in caches so small
 * that they often share a set: b must be a miss after a (never a's
 * answer), and both answers must be the reference's. */
static void
one_field(const struct match_rule *r, size_t nr, const struct match_pkt *a,
    const struct match_pkt *b, const char *what)
{
	const struct match_pkt *x, *y;
	struct match_cache *c;
	struct match_cache_stats st;
	struct matcher *m = matcher_compile(r, nr);
	int order, k;

	assert_non_null(m);
	for (k = 0; k < 16; k++) {
		for (order = 0; order < 2; order++) {
			x = order == 0 ? a : b;
			y = order == 0 ? b : a;
			c = match_cache_new(k < 8 ? 16 : 64);
			assert_non_null(c);
			assert_int_equal(match_cache_lookup(c, m, x),
			    match_linear(r, nr, x));
			assert_int_equal(match_cache_lookup(c, m, x),
			    match_linear(r, nr, x));
			if (match_cache_lookup(c, m, y) !=
			    match_linear(r, nr, y))
				fail_msg("%s: wrong answer", what);
			match_cache_stats(c, &st);
			if (st.misses != 2 || st.hits != 1)
				fail_msg("%s: %llu hits, %llu misses (want 1, "
				    "2)", what, (unsigned long long)st.hits,
				    (unsigned long long)st.misses);
			/* Both are kept (or one evicted), never confused. */
			assert_int_equal(match_cache_lookup(c, m, x),
			    match_linear(r, nr, x));
			assert_int_equal(match_cache_lookup(c, m, y),
			    match_linear(r, nr, y));
			match_cache_free(c);
		}
	}
	matcher_free(m);
}

static void
base_pkt(struct match_pkt *p, sa_family_t af)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	if (af == AF_INET) {
		inet_pton(AF_INET, "10.1.2.3", p->src);
		inet_pton(AF_INET, "192.168.1.9", p->dst);
	} else {
		inet_pton(AF_INET6, "2001:db8::1:2", p->src);
		inet_pton(AF_INET6, "fd00:0:0:1::9", p->dst);
	}
	p->proto = 17;
	p->sport = 5004;
	p->dport = 5060;
	p->tos = 46 << 2;
	p->icmp_type = -1;
	p->iface = MATCH_IF_TUN;
}

static void
test_one_field(void **state)
{
	static const sa_family_t afs[] = { AF_INET, AF_INET6 };
	struct match_rule r[2];
	struct match_pkt a, b;
	size_t i;
	unsigned byte;

	(void)state;
	for (i = 0; i < 2; i++) {
		base_pkt(&a, afs[i]);
		exact_rules(&a, r);
		assert_int_equal(match_linear(r, 2, &a), 0);
#define VARY(what, stmt) do { b = a; stmt; one_field(r, 2, &a, &b, what); \
	} while (0)
		VARY("af", b.af = afs[1 - i]);
		for (byte = 0; byte < (afs[i] == AF_INET ? 4u : 16u); byte++) {
			VARY("src", b.src[byte] ^= 0x80);
			VARY("dst", b.dst[byte] ^= 0x01);
		}
		VARY("proto", b.proto = 6);
		VARY("sport", b.sport++);
		VARY("dport", b.dport ^= 0x8000);
		VARY("tos", b.tos |= 1);
		VARY("icmp_type", b.icmp_type = 0);
		VARY("icmp_type", b.icmp_type = 0x7fffffff);
		VARY("iface", b.iface = MATCH_IF_TAP);
		VARY("iface", b.iface = MATCH_IF_ANY);
		VARY("iface", b.iface = (enum match_iface)7);
		VARY("fragment", b.fragment = true);
#undef VARY
	}
}

/* An IPv4 key is the 4 bytes the matcher reads: what lies behind them in
 * the 16-byte arrays is not part of it (and changes no answer). */
static void
test_v4_padding(void **state)
{
	struct match_rule r[2];
	struct match_pkt a, b;
	struct matcher *m;
	struct match_cache *c;
	struct match_cache_stats st;

	(void)state;
	base_pkt(&a, AF_INET);
	exact_rules(&a, r);
	b = a;
	memset(b.src + 4, 0xa5, 12);
	memset(b.dst + 4, 0x5a, 12);
	m = matcher_compile(r, 2);
	c = match_cache_new(64);
	assert_non_null(m);
	assert_non_null(c);
	assert_int_equal(match_cache_lookup(c, m, &a), 0);
	assert_int_equal(match_cache_lookup(c, m, &b), 0);
	assert_int_equal(matcher_lookup(m, &b), 0);
	match_cache_stats(c, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 1);
	match_cache_free(c);
	matcher_free(m);
}

/* Answers belong to one matcher: another one, or a clear, starts over. */
static void
test_other_matcher(void **state)
{
	struct match_rule r[2];
	struct match_pkt a;
	struct matcher *m1, *m2;
	struct match_cache *c;
	struct match_cache_stats st;

	(void)state;
	base_pkt(&a, AF_INET6);
	exact_rules(&a, r);
	m1 = matcher_compile(r, 2);             /* a -> 0 */
	m2 = matcher_compile(r + 1, 1);         /* a -> 0, the catch-all */
	c = match_cache_new(0);
	assert_non_null(m1);
	assert_non_null(m2);
	assert_non_null(c);
	assert_int_equal(match_cache_lookup(c, m1, &a), 0);
	assert_int_equal(match_cache_lookup(c, m1, &a), 0);
	a.sport++;
	assert_int_equal(match_cache_lookup(c, m1, &a), 1);
	assert_int_equal(match_cache_lookup(c, m2, &a), 0);
	assert_int_equal(match_cache_lookup(c, m1, &a), 1);
	assert_int_equal(match_cache_lookup(c, m1, &a), 1);
	match_cache_clear(c);
	assert_int_equal(match_cache_lookup(c, m1, &a), 1);
	assert_int_equal(match_cache_lookup(c, NULL, &a), -1);
	match_cache_stats(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 6);
	assert_int_equal(st.entries, 16);
	/* Not IP: no rule matches, and nothing is cached. */
	a.af = AF_UNSPEC;
	assert_int_equal(match_cache_lookup(c, m1, &a), -1);
	assert_int_equal(match_cache_lookup(c, m1, &a), -1);
	match_cache_free(c);
	match_cache_free(NULL);
	matcher_free(m1);
	matcher_free(m2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_streams),
		cmocka_unit_test(test_one_field),
		cmocka_unit_test(test_v4_padding),
		cmocka_unit_test(test_other_matcher),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

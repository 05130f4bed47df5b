/* Fuzzes the packet matcher (qos/match.h) against its own definition:
 * match_pkt_parse on raw packets, and the compiled matcher (address
 * classes where they suit the rules, shape tables and trees; and the
 * same rules compiled with tables and trees only) and the flow cache in
 * front of it against match_linear, on rule sets and packets the input
 * describes. The property test
 * (test_qos_match_random) draws both from one fixed generator; this lets
 * coverage find the corners it does not: ranges at 0 and 65535, empty
 * ranges, TOS masks with holes, interface values outside the enum,
 * fragments, rules of any family with a prefix of one.
 *
 * Input, every byte sequence valid (what runs out is left out):
 *
 *   byte 0          number of rule records (mod 33)
 *   rule record     REC_LEN bytes:
 *     [0]           bits 0-1 family (0 any, 1 IPv4, 2 IPv6, 3 IPv4),
 *                   bit 2 any protocol, bit 3 any ICMP type, bits 4-5
 *                   interface (3 is outside the enum), bit 6: a rule of
 *                   any family takes an IPv6 prefix, bit 7: copies step
 *                   the destination rather than the source
 *     [1] [2]       source and destination prefix lengths
 *     [3]           protocol
 *     [4..11]       sport lo, hi, dport lo, hi (big-endian; lo > hi is a
 *                   rule that matches nothing)
 *     [12] [13]     TOS value, mask
 *     [14]          ICMP type
 *     [15]          bits 0-5: how many copies follow the rule, each
 *                   with the stepped address one higher (enough of one
 *                   shape to earn a shape table); bit 6: the copies are
 *                   the same rule (one key, past a bucket's slots)
 *     [16..19]      source and destination address seeds (addr_of)
 *   packet records, to the end:
 *     kind % 3 == 0 raw packet: a length byte, then that many bytes,
 *                   parsed as from tun (kind bit 2) or tap
 *     kind % 3 == 1 fields: PKT_LEN bytes (pkt_of)
 *     kind % 3 == 2 a point at a corner of rule [1] (point_of), with
 *                   the corners chosen by [2] and [3]
 */
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qos/match.h"
#include "qos/match_cache.h"
#include "tests/fuzz/fuzz.h"

#define REC_LEN         20
#define PKT_LEN         12
#define RULES_MAX       1024    /* copies included: compile stays fast */
#define PKTS_MAX        256

static struct match_rule rules[RULES_MAX];
static size_t checked, hits;            /* for VPNTUND_FUZZ_VERBOSE */

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An address from a 16-bit seed: one of four networks (the top two bits)
 * and 14 low bits, so that rules and packets of different records land in
 * each other's prefixes often. */
static void
addr_of(uint8_t *a, sa_family_t af, uint16_t seed)
{
	static const uint8_t v4[4][4] = { { 10, 0, 0, 0 }, { 10, 1, 0, 0 },
		{ 192, 168, 1, 0 }, { 198, 51, 100, 0 } };
	static const uint8_t v6[4][4] = { { 0x20, 0x01, 0x0d, 0xb8 },
		{ 0x20, 0x01, 0x0d, 0xb9 }, { 0xfd, 0, 0, 0 },
		{ 0xfe, 0x80, 0, 0 } };

	memset(a, 0, 16);
	if (af == AF_INET) {
		memcpy(a, v4[seed >> 14], 4);
		a[2] |= (uint8_t)(seed >> 8 & 0x3f);
		a[3] = (uint8_t)seed;
	} else {
		memcpy(a, v6[seed >> 14], 4);
		a[7] = (uint8_t)(seed >> 12 & 3);
		a[14] = (uint8_t)(seed >> 8 & 0x3f);
		a[15] = (uint8_t)seed;
	}
}

static void
prefix_of(struct prefix *p, sa_family_t af, uint8_t len, uint16_t seed)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	p->len = (uint8_t)(len % ((af == AF_INET ? 32 : 128) + 1));
	addr_of(p->addr.b, af, seed);
}

static void
rule_of(struct match_rule *r, const uint8_t *b, uint32_t result)
{
	static const sa_family_t fams[4] = { AF_UNSPEC, AF_INET, AF_INET6,
		AF_INET };
	sa_family_t af = fams[b[0] & 3], paf;

	memset(r, 0, sizeof(*r));
	r->af = af;
	paf = af != AF_UNSPEC ? af : (b[0] & 0x40) ? AF_INET6 : AF_INET;
	prefix_of(&r->src, paf, b[1], rd16(b + 16));
	prefix_of(&r->dst, paf, b[2], rd16(b + 18));
	if (af == AF_UNSPEC) {
		/* Any family: at most one prefix, as site.conf allows. */
		if (b[1] & 1)
			r->src.len = 0;
		else
			r->dst.len = 0;
	}
	r->proto = (b[0] & 4) ? -1 : b[3];
	r->sport_lo = rd16(b + 4);
	r->sport_hi = rd16(b + 6);
	r->dport_lo = rd16(b + 8);
	r->dport_hi = rd16(b + 10);
	r->tos_value = (uint8_t)(b[12] & b[13]);
	r->tos_mask = b[13];
	r->icmp_type = (b[0] & 8) ? -1 : b[14];
	r->iface = (enum match_iface)(b[0] >> 4 & 3);
	r->result = result;
}

/* Copy i of r: its source (or destination) address i higher in the low
 * 16 bits, wrapping there. */
static void
step_copy(struct match_rule *r, bool dst, unsigned i)
{
	struct prefix *p = dst ? &r->dst : &r->src;
	unsigned at = p->af == AF_INET ? 2 : 14;
	uint16_t v = (uint16_t)(rd16(p->addr.b + at) + i);

	p->addr.b[at] = (uint8_t)(v >> 8);
	p->addr.b[at + 1] = (uint8_t)v;
}

static void
pkt_of(struct match_pkt *p, const uint8_t *b)
{
	static const sa_family_t fams[4] = { AF_INET, AF_INET6, AF_INET6,
		AF_UNSPEC };

	memset(p, 0, sizeof(*p));
	p->af = fams[b[0] & 3];
	addr_of(p->src, p->af == AF_INET ? AF_INET : AF_INET6, rd16(b + 1));
	addr_of(p->dst, p->af == AF_INET ? AF_INET : AF_INET6, rd16(b + 3));
	p->proto = b[5];
	p->sport = rd16(b + 6);
	p->dport = rd16(b + 8);
	p->tos = b[10];
	p->icmp_type = (b[0] & 4) ? -1 : b[11];
	p->iface = (enum match_iface)(b[0] >> 3 & 3);
	p->fragment = (b[0] & 0x20) != 0;
}

/* Per dimension, c picks lo, hi, just below lo or just above hi: the
 * points where an off-by-one in a cut or a box shows. */
static uint16_t
corner16(uint16_t lo, uint16_t hi, unsigned c)
{
	switch (c & 3) {
	case 0:
		return lo;
	case 1:
		return hi;
	case 2:
		return (uint16_t)(lo - 1);
	default:
		return (uint16_t)(hi + 1);
	}
}

static void
corner_addr(uint8_t *a, const struct prefix *p, unsigned alen, unsigned c)
{
	unsigned i;

	memcpy(a, p->addr.b, alen);
	/* The prefix's first or last address, or (c & 2) the same one in
	 * the neighbouring prefix: just outside. */
	for (i = p->len; i < alen * 8; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		if (c & 1)
			a[i / 8] |= bit;
		else
			a[i / 8] &= (uint8_t)~bit;
	}
	if ((c & 2) && p->len > 0) {
		i = p->len - 1;
		a[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	}
}

static void
point_of(struct match_pkt *p, const struct match_rule *r, const uint8_t *b)
{
	unsigned c = rd16(b), alen;

	memset(p, 0, sizeof(*p));
	p->af = r->af != AF_UNSPEC ? r->af : r->src.len > 0 ? r->src.af :
	    r->dst.len > 0 ? r->dst.af : (c & 1) ? AF_INET6 : AF_INET;
	alen = p->af == AF_INET ? 4 : 16;
	corner_addr(p->src, &r->src, alen, c >> 1);
	corner_addr(p->dst, &r->dst, alen, c >> 3);
	p->proto = r->proto >= 0 ? (uint8_t)r->proto : (uint8_t)(c >> 5);
	p->sport = corner16(r->sport_lo, r->sport_hi, c >> 7);
	p->dport = corner16(r->dport_lo, r->dport_hi, c >> 9);
	/* A TOS the mask accepts, or any: a mask with holes (0x0f) makes a
	 * box whose range holds TOS values the rule refuses. */
	p->tos = (c & 0x400) ? (uint8_t)(c >> 3) :
	    (uint8_t)(r->tos_value | (b[0] & ~r->tos_mask));
	p->icmp_type = r->icmp_type >= 0 && !(c & 0x800) ? r->icmp_type :
	    (c & 0x1000) ? -1 : (int)(uint8_t)(c >> 4);
	p->iface = (c & 0x2000) ? (enum match_iface)(c >> 14) : r->iface;
	p->fragment = (c & 0xc000) == 0xc000;
}

/* What match_pkt_parse promises of a packet it accepts or refuses. */
static void
check_parsed(const struct match_pkt *p, int rv, enum match_iface iface)
{
	bool ports = p->proto == 6 || p->proto == 17 || p->proto == 132 ||
	    p->proto == 136;
	bool icmp = (p->af == AF_INET && p->proto == 1) ||
	    (p->af == AF_INET6 && p->proto == 58);

	FUZZ_CHECK(p->iface == iface);
	if (rv == -1) {
		FUZZ_CHECK(p->af == AF_UNSPEC);
		return;
	}
	FUZZ_CHECK(rv == 0 && (p->af == AF_INET || p->af == AF_INET6));
	if (p->fragment || !ports)
		FUZZ_CHECK(p->sport == 0 && p->dport == 0);
	if (p->fragment || !icmp)
		FUZZ_CHECK(p->icmp_type == -1);
	else
		FUZZ_CHECK(p->icmp_type >= 0 && p->icmp_type <= 255);
}

static void
check_answer(const struct matcher *m, const struct matcher *trees,
    struct match_cache *c, size_t n, const struct match_pkt *p)
{
	long want = match_linear(rules, n, p);

	FUZZ_CHECK(want >= -1 && want < (long)n);
	checked++;
	hits += want >= 0;
	FUZZ_CHECK(matcher_lookup(m, p) == want);
	FUZZ_CHECK(matcher_lookup(trees, p) == want);
	/* A miss that inserts, then (unless evicted by nothing) a hit. */
	FUZZ_CHECK(match_cache_lookup(c, m, p) == want);
	FUZZ_CHECK(match_cache_lookup(c, m, p) == want);
	if (want >= 0)
		FUZZ_CHECK(match_rule_matches(&rules[want], p));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *b;
	struct matcher_stats st;
	struct match_cache *c;
	struct match_pkt p;
	struct matcher *m, *trees;
	size_t n = 0, np = 0, nrec, i, k, copies;
	enum match_iface iface;
	int rv;

	checked = hits = 0;
	if (size < 1)
		return 0;
	nrec = data[0] % 33;
	for (b = data + 1; nrec > 0 && end - b >= REC_LEN; nrec--,
	    b += REC_LEN) {
		copies = b[15] & 63;
		for (k = 0; k <= copies && n < RULES_MAX; k++, n++) {
			rule_of(&rules[n], b, (uint32_t)n);
			if (!(b[15] & 0x40))
				step_copy(&rules[n], (b[0] & 0x80) != 0,
				    (unsigned)k);
		}
	}
	m = matcher_compile(rules, n);
	trees = matcher_compile_how(rules, n, MATCH_NO_CLASSES);
	if (m == NULL || trees == NULL ||
	    (c = match_cache_new(16)) == NULL) {
		matcher_free(m);
		matcher_free(trees);
		return 0;       /* out of memory: not a finding */
	}
	matcher_stats(m, &st);
	/* Counted per family: a rule of either family counts twice. */
	FUZZ_CHECK(st.rules <= 2 * n && st.hashed <= st.rules);
	FUZZ_CHECK(st.max_leaf <= st.refs);
	while (b < end && np++ < PKTS_MAX) {
		switch (b[0] % 3) {
		case 0:
			iface = (b[0] & 4) ? MATCH_IF_TUN : MATCH_IF_TAP;
			if (end - b < 2)
				goto out;
			k = b[1] < end - b - 2 ? b[1] : (size_t)(end - b - 2);
			rv = match_pkt_parse(b + 2, k, iface, &p);
			check_parsed(&p, rv, iface);
			b += 2 + k;
			break;
		case 1:
			if (end - b < 1 + PKT_LEN)
				goto out;
			pkt_of(&p, b + 1);
			b += 1 + PKT_LEN;
			break;
		default:
			if (end - b < 4 || n == 0)
				goto out;
			point_of(&p, &rules[b[1] % n], b + 2);
			b += 4;
			break;
		}
		check_answer(m, trees, c, n, &p);
	}
out:
	/* Every rule's own corner, so that each input checks hits too. */
	for (i = 0; i < n; i++) {
		uint8_t corner[2] = { (uint8_t)i, (uint8_t)(i >> 8) };

		point_of(&p, &rules[i], corner);
		check_answer(m, trees, c, n, &p);
	}
	if (getenv("VPNTUND_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_match: %zu rules (%zu in %zu tables, "
		    "%zu address classes), %zu packets, %zu matched\n", n,
		    st.hashed, st.tables, st.classes, checked, hits);
	match_cache_free(c);
	matcher_free(m);
	matcher_free(trees);
	return 0;
}

/* The matcher's packet parser and the reference semantics of a rule:
 * packets are built here byte by byte, and every truncation of them must
 * be refused without a read past the end (ASan checks the "without"). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/prefix_testutil.h"

#include "qos/match.h"

#define BUF 512

static size_t
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* IPv4 header with optlen bytes of options (NOPs), then l4. */
static size_t
build_v4(uint8_t *b, uint8_t tos, uint8_t proto, const char *src,
    const char *dst, size_t optlen, uint16_t fragoff, const uint8_t *l4,
    size_t l4len)
{
	size_t hl = 20 + optlen;

	memset(b, 0, BUF);
	b[0] = (uint8_t)(0x40 | hl / 4);
	b[1] = tos;
	put16(b + 2, (uint16_t)(hl + l4len));
	put16(b + 6, fragoff);
	b[8] = 64;
	b[9] = proto;
	assert_int_equal(inet_pton(AF_INET, src, b + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, b + 16), 1);
	memset(b + 20, 1, optlen);
	memcpy(b + hl, l4, l4len);
	return hl + l4len;
}

/* IPv6 header; the payload (extension headers and l4) is given whole. */
static size_t
build_v6(uint8_t *b, uint8_t tc, uint8_t nh, const char *src,
    const char *dst, const uint8_t *pl, size_t pllen)
{
	memset(b, 0, BUF);
	b[0] = (uint8_t)(0x60 | tc >> 4);
	b[1] = (uint8_t)(tc << 4 | 0x0c);       /* some flow label bits */
	put16(b + 4, (uint16_t)pllen);
	b[6] = nh;
	b[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, b + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, b + 24), 1);
	memcpy(b + 40, pl, pllen);
	return 40 + pllen;
}

/* A transport header of hlen bytes with the given ports. */
static size_t
l4_ports(uint8_t *p, size_t hlen, uint16_t sport, uint16_t dport)
{
	memset(p, 0, hlen);
	put16(p, sport);
	put16(p + 2, dport);
	return hlen;
}

static void
assert_addr(const uint8_t *got, int af, const char *want)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(af, want, a), 1);
	assert_memory_equal(got, a, af == AF_INET ? 4 : 16);
}

/* Every proper prefix of a good packet is refused, read through a heap
 * copy of exactly that size so that ASan sees any overread. */
static void
assert_truncations_fail(const uint8_t *b, size_t len)
{
	struct match_pkt pkt;
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t *c = malloc(i > 0 ? i : 1);

		assert_non_null(c);
		memcpy(c, b, i);
		assert_int_equal(match_pkt_parse(c, i, MATCH_IF_TUN, &pkt), -1);
		assert_int_equal(pkt.af, AF_UNSPEC);
		free(c);
	}
}

static void
test_v4_tcp_udp(void **state)
{
	uint8_t b[BUF], l4[64];
	struct match_pkt pkt;
	size_t len;
	static const struct { uint8_t proto; size_t hlen; } t[] = {
		{ 6, 20 }, { 17, 8 }, { 132, 12 }, { 136, 8 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = build_v4(b, 0xb8, t[i].proto, "10.1.2.3", "192.168.7.9",
		    0, 0, l4, l4_ports(l4, t[i].hlen, 5060, 443));
		assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TAP, &pkt), 0);
		assert_int_equal(pkt.af, AF_INET);
		assert_addr(pkt.src, AF_INET, "10.1.2.3");
		assert_addr(pkt.dst, AF_INET, "192.168.7.9");
		assert_int_equal(pkt.proto, t[i].proto);
		assert_int_equal(pkt.sport, 5060);
		assert_int_equal(pkt.dport, 443);
		assert_int_equal(pkt.tos, 0xb8);
		assert_int_equal(pkt.icmp_type, -1);
		assert_int_equal(pkt.iface, MATCH_IF_TAP);
		assert_false(pkt.fragment);
		assert_truncations_fail(b, len);
		/* A header that claims a too-short transport header. */
		len = build_v4(b, 0, t[i].proto, "10.1.2.3", "10.1.2.4", 0, 0,
		    l4, t[i].hlen - 1);
		assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);
	}
}

static void
test_v4_options_trailer(void **state)
{
	uint8_t b[BUF], l4[64];
	struct match_pkt pkt;
	size_t len;

	(void)state;
	/* 40 bytes of options (IHL 15): ports come after them. */
	len = build_v4(b, 0x2e, 17, "10.0.0.1", "10.0.0.2", 40, 0, l4,
	    l4_ports(l4, 8, 1234, 53));
	assert_int_equal(len, 68);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.sport, 1234);
	assert_int_equal(pkt.dport, 53);
	assert_int_equal(pkt.tos, 0x2e);
	assert_truncations_fail(b, len);
	/* Bytes behind the total length (link padding) are ignored. */
	assert_int_equal(match_pkt_parse(b, len + 10, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.dport, 53);
	/* IHL below 5, and IHL beyond the total length. */
	b[0] = 0x44;
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);
	len = build_v4(b, 0, 17, "10.0.0.1", "10.0.0.2", 0, 0, l4, 8);
	b[0] = 0x4f;
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);
	/* Neither 4 nor 6. */
	b[0] = 0x55;
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);
	assert_int_equal(match_pkt_parse(NULL, 0, MATCH_IF_TUN, &pkt), -1);
}

static void
test_v4_icmp_fragments(void **state)
{
	uint8_t b[BUF], l4[64];
	struct match_pkt pkt;
	size_t len;

	(void)state;
	memset(l4, 0, sizeof(l4));
	l4[0] = 8;                      /* echo request */
	len = build_v4(b, 0, 1, "10.0.0.1", "10.0.0.2", 0, 0, l4, 8);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.proto, 1);
	assert_int_equal(pkt.icmp_type, 8);
	assert_int_equal(pkt.sport, 0);
	assert_truncations_fail(b, len);
	/* First fragment (MF, offset 0): ports are there. */
	len = build_v4(b, 0, 6, "10.0.0.1", "10.0.0.2", 0, 0x2000, l4,
	    l4_ports(l4, 20, 80, 8080));
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_false(pkt.fragment);
	assert_int_equal(pkt.dport, 8080);
	/* Later fragments: no ports, even with bytes where they would be;
	 * and a tiny later fragment is fine. */
	len = build_v4(b, 0, 6, "10.0.0.1", "10.0.0.2", 0, 0x2000 | 185, l4,
	    l4_ports(l4, 20, 80, 8080));
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_true(pkt.fragment);
	assert_int_equal(pkt.proto, 6);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.dport, 0);
	len = build_v4(b, 0, 1, "10.0.0.1", "10.0.0.2", 0, 3, l4, 1);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_true(pkt.fragment);
	assert_int_equal(pkt.icmp_type, -1);
	/* Other protocols have no ports and need no header. */
	len = build_v4(b, 0x03, 47, "10.0.0.1", "10.0.0.2", 0, 0, l4, 0);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.proto, 47);
	assert_int_equal(pkt.tos, 0x03);
	assert_int_equal(pkt.sport, 0);
}

/* Appends an extension header of 8 * (units) bytes. */
static size_t
ext(uint8_t *p, uint8_t nh, unsigned units)
{
	memset(p, 0, 8 * units);
	p[0] = nh;
	p[1] = (uint8_t)(units - 1);
	return 8 * units;
}

static size_t
frag_hdr(uint8_t *p, uint8_t nh, uint16_t off, bool more)
{
	memset(p, 0, 8);
	p[0] = nh;
	put16(p + 2, (uint16_t)(off << 3 | (more ? 1 : 0)));
	p[7] = 0x5a;                    /* identification */
	return 8;
}

static void
test_v6_plain(void **state)
{
	uint8_t b[BUF], pl[256];
	struct match_pkt pkt;
	size_t len, n;

	(void)state;
	n = l4_ports(pl, 8, 4500, 4501);
	len = build_v6(b, 0xb9, 17, "2001:db8::1", "fd00:1:2::42", pl, n);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.af, AF_INET6);
	assert_addr(pkt.src, AF_INET6, "2001:db8::1");
	assert_addr(pkt.dst, AF_INET6, "fd00:1:2::42");
	assert_int_equal(pkt.proto, 17);
	assert_int_equal(pkt.tos, 0xb9);
	assert_int_equal(pkt.sport, 4500);
	assert_int_equal(pkt.dport, 4501);
	assert_truncations_fail(b, len);

	memset(pl, 0, 8);
	pl[0] = 128;                    /* echo request */
	len = build_v6(b, 0, 58, "2001:db8::1", "2001:db8::2", pl, 8);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.proto, 58);
	assert_int_equal(pkt.icmp_type, 128);
	assert_truncations_fail(b, len);
	/* ICMP (v4's protocol number) in IPv6 is not ICMPv6. */
	len = build_v6(b, 0, 1, "2001:db8::1", "2001:db8::2", pl, 8);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.icmp_type, -1);
}

static void
test_v6_ext_headers(void **state)
{
	uint8_t b[BUF], pl[256];
	struct match_pkt pkt;
	size_t len, n;

	(void)state;
	/* HBH -> routing (24 bytes) -> dest opts -> fragment (first) -> TCP */
	n = ext(pl, 43, 1);
	n += ext(pl + n, 60, 3);
	n += ext(pl + n, 44, 2);
	n += frag_hdr(pl + n, 6, 0, true);
	n += l4_ports(pl + n, 20, 22, 40000);
	len = build_v6(b, 0x10, 0, "fd00::1", "fd00::2", pl, n);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.proto, 6);
	assert_false(pkt.fragment);
	assert_int_equal(pkt.sport, 22);
	assert_int_equal(pkt.dport, 40000);
	assert_int_equal(pkt.tos, 0x10);
	assert_truncations_fail(b, len);

	/* A later fragment: the protocol, but no ports. */
	n = ext(pl, 44, 1);
	n += frag_hdr(pl + n, 17, 100, false);
	n += 16;
	len = build_v6(b, 0, 60, "fd00::1", "fd00::2", pl, n);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_true(pkt.fragment);
	assert_int_equal(pkt.proto, 17);
	assert_int_equal(pkt.sport, 0);
	assert_int_equal(pkt.dport, 0);
	assert_truncations_fail(b, len);

	/* Hop-by-hop anywhere but first is malformed (RFC 8200 4.1). */
	n = ext(pl, 0, 1);
	n += ext(pl + n, 17, 1);
	n += l4_ports(pl + n, 8, 1, 2);
	len = build_v6(b, 0, 60, "fd00::1", "fd00::2", pl, n);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);

	/* An extension header longer than the payload. */
	n = ext(pl, 17, 1);
	pl[1] = 4;
	len = build_v6(b, 0, 60, "fd00::1", "fd00::2", pl, 16);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);

	/* The walk is bounded: 8 headers are fine, 9 are refused. */
	for (n = 0; n < 8 * 8; n += 8)
		ext(pl + n, n < 7 * 8 ? 60 : 59, 1);
	len = build_v6(b, 0, 60, "fd00::1", "fd00::2", pl, n);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), 0);
	assert_int_equal(pkt.proto, 59);
	pl[7 * 8] = 60;
	ext(pl + n, 59, 1);
	len = build_v6(b, 0, 60, "fd00::1", "fd00::2", pl, n + 8);
	assert_int_equal(match_pkt_parse(b, len, MATCH_IF_TUN, &pkt), -1);

	/* Payload length beyond the buffer. */
	n = l4_ports(pl, 8, 1, 2);
	len = build_v6(b, 0, 17, "fd00::1", "fd00::2", pl, n);
	assert_int_equal(match_pkt_parse(b, len - 1, MATCH_IF_TUN, &pkt), -1);
	assert_int_equal(match_pkt_parse(b, len + 5, MATCH_IF_TUN, &pkt), 0);
}

/* Random headers, mostly with consistent lengths so that the parser gets
 * past them: whatever it returns, ASan sees every read of an exact-size
 * heap copy, and what it fills in hangs together. */
static void
test_parse_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	struct match_pkt pkt;
	uint8_t *b;
	size_t len, i;
	int n, ok = 0;

	(void)state;
	for (n = 0; n < 200000; n++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = x % 128;
		b = malloc(len > 0 ? len : 1);
		assert_non_null(b);
		for (i = 0; i < len; i++)
			b[i] = (uint8_t)(x >> (i % 8 * 8)) ^ (uint8_t)(i * 37);
		if (len > 0)
			b[0] = (uint8_t)((x & 1 ? 0x40 : 0x60) |
			    (x & 2 ? 5 : b[0] & 15));
		if (len >= 42 && (b[0] >> 4) == 6) {
			put16(b + 4, (uint16_t)(len - 40));
			b[6] = (uint8_t[]){ 0, 6, 17, 43, 44, 58, 60, 132 }
			    [(x >> 20) % 8];
			b[40] = (uint8_t[]){ 6, 17, 44, 58, 60 }[(x >> 30) % 5];
			b[41] = (uint8_t)((x >> 40) % 3);
		} else if (len >= 20 && (b[0] >> 4) == 4) {
			put16(b + 2, (uint16_t)len);
			b[9] = (uint8_t[]){ 1, 6, 17, 132, 136 }[(x >> 20) % 5];
			if (x & 4)
				b[6] = b[7] = 0;
		}
		if (match_pkt_parse(b, len, MATCH_IF_TUN, &pkt) == 0) {
			ok++;
			assert_true(pkt.af == AF_INET || pkt.af == AF_INET6);
			if (pkt.fragment) {
				assert_int_equal(pkt.sport, 0);
				assert_int_equal(pkt.icmp_type, -1);
			}
		} else
			assert_int_equal(pkt.af, AF_UNSPEC);
		free(b);
	}
	/* Enough got through to exercise the upper layers. */
	assert_true(ok > 20000);
}

/* --- rule semantics --- */


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

static struct match_pkt
mkpkt(const char *src, const char *dst, int proto, uint16_t sport,
    uint16_t dport)
{
	struct match_pkt p;

	memset(&p, 0, sizeof(p));
	p.af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p.af, src, p.src), 1);
	assert_int_equal(inet_pton(p.af, dst, p.dst), 1);
	p.proto = (uint8_t)proto;
	p.sport = sport;
	p.dport = dport;
	p.icmp_type = -1;
	p.iface = MATCH_IF_TUN;
	return p;
}

static void
test_rule_family_prefix(void **state)
{
	struct match_rule r = any_rule();
	struct match_pkt p4 = mkpkt("10.1.2.3", "192.168.1.1", 6, 1, 2);
	struct match_pkt p6 = mkpkt("fd00::1", "2001:db8::1", 6, 1, 2);
	struct match_pkt junk = p4;

	(void)state;
	/* AF_UNSPEC with two /0: both families, but not a non-IP packet. */
	assert_true(match_rule_matches(&r, &p4));
	assert_true(match_rule_matches(&r, &p6));
	junk.af = AF_UNSPEC;
	assert_false(match_rule_matches(&r, &junk));
	/* A family alone. */
	r.af = AF_INET6;
	assert_false(match_rule_matches(&r, &p4));
	assert_true(match_rule_matches(&r, &p6));
	/* A /0 prefix of the other family is still "any". */
	r.af = AF_INET;
	r.src = pfx("::/0");
	assert_true(match_rule_matches(&r, &p4));
	/* Host bits as written do not matter. */
	r.src = pfx("10.1.255.255/16");
	assert_true(match_rule_matches(&r, &p4));
	r.src = pfx("10.2.0.0/16");
	assert_false(match_rule_matches(&r, &p4));
	r.src = pfx("10.1.2.3/32");
	r.dst = pfx("192.168.0.0/23");
	assert_true(match_rule_matches(&r, &p4));
	r.dst = pfx("192.168.2.0/23");
	assert_false(match_rule_matches(&r, &p4));
	/* AF_UNSPEC with a real prefix: that prefix's family only. */
	r = any_rule();
	r.dst = pfx("2001:db8::/32");
	assert_true(match_rule_matches(&r, &p6));
	assert_false(match_rule_matches(&r, &p4));
	r.dst = pfx("2001:db8::/33");
	assert_true(match_rule_matches(&r, &p6));
	r.dst = pfx("2001:db8:8000::/33");
	assert_false(match_rule_matches(&r, &p6));
	/* A v4 rule with a v6 prefix can match nothing. */
	r.af = AF_INET;
	r.dst = pfx("2001:db8::/32");
	assert_false(match_rule_matches(&r, &p4));
	assert_false(match_rule_matches(&r, &p6));
}

static void
test_rule_ports_proto(void **state)
{
	struct match_rule r = any_rule();
	struct match_pkt p = mkpkt("10.0.0.1", "10.0.0.2", 17, 5004, 5005);

	(void)state;
	r.proto = 17;
	assert_true(match_rule_matches(&r, &p));
	r.proto = 6;
	assert_false(match_rule_matches(&r, &p));
	r.proto = -1;
	/* Inclusive ranges, both ends. */
	r.dport_lo = 5005;
	r.dport_hi = 5010;
	assert_true(match_rule_matches(&r, &p));
	r.dport_lo = 5000;
	r.dport_hi = 5005;
	assert_true(match_rule_matches(&r, &p));
	r.dport_hi = 5004;
	assert_false(match_rule_matches(&r, &p));
	r.dport_hi = 65535;
	r.sport_lo = r.sport_hi = 5004;
	assert_true(match_rule_matches(&r, &p));
	r.sport_lo = r.sport_hi = 5005;
	assert_false(match_rule_matches(&r, &p));
	/* An empty range matches nothing. */
	r.sport_lo = 10;
	r.sport_hi = 9;
	assert_false(match_rule_matches(&r, &p));
	/* A port condition, even 0..0 which sport 0 would pass, never holds
	 * for packets without ports: GRE, and later fragments of UDP. */
	r.sport_lo = 0;
	r.sport_hi = 65535;
	r.dport_lo = 0;
	r.dport_hi = 0;
	p.dport = 0;
	assert_true(match_rule_matches(&r, &p));
	p.fragment = true;
	assert_false(match_rule_matches(&r, &p));
	p.fragment = false;
	p.proto = 47;
	assert_false(match_rule_matches(&r, &p));
	r.dport_hi = 65535;
	assert_true(match_rule_matches(&r, &p));
	/* Every port protocol counts. */
	r.dport_lo = 0;
	r.dport_hi = 100;
	p.proto = 132;
	assert_true(match_rule_matches(&r, &p));
	p.proto = 136;
	assert_true(match_rule_matches(&r, &p));
	p.proto = 6;
	assert_true(match_rule_matches(&r, &p));
}

static void
test_rule_tos_icmp_iface(void **state)
{
	struct match_rule r = any_rule();
	struct match_pkt p = mkpkt("10.0.0.1", "10.0.0.2", 17, 1, 2);

	(void)state;
	/* DSCP EF (46) with ECN bits set: the 0xfc mask ignores ECN. */
	p.tos = 46 << 2 | 1;
	r.tos_mask = 0xfc;
	r.tos_value = 46 << 2;
	assert_true(match_rule_matches(&r, &p));
	r.tos_mask = 0xff;
	assert_false(match_rule_matches(&r, &p));
	r.tos_value = 46 << 2 | 1;
	assert_true(match_rule_matches(&r, &p));
	/* A value with bits outside the mask can never match. */
	r.tos_mask = 0xf0;
	assert_false(match_rule_matches(&r, &p));
	r.tos_mask = 0;
	r.tos_value = 0;
	assert_true(match_rule_matches(&r, &p));

	/* ICMP type: only ICMP of that family, of that type. */
	r.icmp_type = 8;
	assert_false(match_rule_matches(&r, &p));
	p.proto = 1;
	p.icmp_type = 8;
	assert_true(match_rule_matches(&r, &p));
	p.icmp_type = 0;
	assert_false(match_rule_matches(&r, &p));
	p = mkpkt("fd00::1", "fd00::2", 1, 0, 0);
	p.icmp_type = 8;
	assert_false(match_rule_matches(&r, &p));
	p.proto = 58;
	assert_true(match_rule_matches(&r, &p));
	r.icmp_type = 0;        /* type 0 (echo reply) is a type, not "any" */
	assert_false(match_rule_matches(&r, &p));
	r.icmp_type = -1;

	r.iface = MATCH_IF_TAP;
	assert_false(match_rule_matches(&r, &p));
	p.iface = MATCH_IF_TAP;
	assert_true(match_rule_matches(&r, &p));
	r.iface = MATCH_IF_ANY;
	assert_true(match_rule_matches(&r, &p));
}

static void
test_linear_first_wins(void **state)
{
	struct match_rule r[3];
	struct match_pkt p = mkpkt("10.0.0.1", "10.0.0.2", 6, 1, 80);

	(void)state;
	r[0] = any_rule();
	r[0].proto = 17;
	r[1] = any_rule();
	r[1].dport_lo = r[1].dport_hi = 80;
	r[2] = any_rule();
	assert_int_equal(match_linear(r, 3, &p), 1);
	assert_int_equal(match_linear(r, 1, &p), -1);
	assert_int_equal(match_linear(r, 0, &p), -1);
	p.dport = 81;
	assert_int_equal(match_linear(r, 3, &p), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_tcp_udp),
		cmocka_unit_test(test_v4_options_trailer),
		cmocka_unit_test(test_v4_icmp_fragments),
		cmocka_unit_test(test_v6_plain),
		cmocka_unit_test(test_v6_ext_headers),
		cmocka_unit_test(test_parse_random),
		cmocka_unit_test(test_rule_family_prefix),
		cmocka_unit_test(test_rule_ports_proto),
		cmocka_unit_test(test_rule_tos_icmp_iface),
		cmocka_unit_test(test_linear_first_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

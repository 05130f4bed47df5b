/* Engine packet logic without devices: inner header parsing, the RFC 6040
 * decapsulation table, ICMP too-big generation (checksums verified with an
 * independent sum), policy longest match, and the SPI hash table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/prefix_testutil.h"

#include "src/datapath/icmp.h"
#include "src/datapath/inner.h"
#include "util/csum.h"
#include "src/datapath/policy.h"
#include "src/datapath/sa_table.h"

/* A plain RFC 1071 sum, written independently of csum_add(). */
static uint16_t
ref_sum(const uint8_t *d, size_t len, uint32_t start)
{
	uint64_t s = start;
	size_t i;

	for (i = 0; i < len; i++)
		s += (i & 1) ? d[i] : (uint32_t)d[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static size_t
make_v4(uint8_t *b, size_t total, const char *src, const char *dst,
    uint8_t proto, bool df, uint8_t tos)
{
	uint16_t ck;

	memset(b, 0, total);
	b[0] = 0x45;
	b[1] = tos;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[6] = df ? 0x40 : 0;
	b[8] = 64;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	ck = (uint16_t)~ref_sum(b, 20, 0);
	b[10] = (uint8_t)(ck >> 8);
	b[11] = (uint8_t)ck;
	for (size_t i = 20; i < total; i++)
		b[i] = (uint8_t)i;
	return total;
}

static size_t
make_v6(uint8_t *b, size_t total, const char *src, const char *dst,
    uint8_t nh, uint8_t tclass)
{
	memset(b, 0, total);
	b[0] = (uint8_t)(0x60 | tclass >> 4);
	b[1] = (uint8_t)(tclass << 4);
	b[4] = (uint8_t)((total - 40) >> 8);
	b[5] = (uint8_t)(total - 40);
	b[6] = nh;
	b[7] = 64;
	inet_pton(AF_INET6, src, b + 8);
	inet_pton(AF_INET6, dst, b + 24);
	for (size_t i = 40; i < total; i++)
		b[i] = (uint8_t)i;
	return total;
}

static void
test_parse_v4(void **unused)
{
	uint8_t b[100];
	struct pkt_meta h;
	const char *why;

	(void)unused;
	make_v4(b, 60, "10.1.1.1", "10.1.0.1", 1, true, 0xb8);
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), 0);
	assert_int_equal(h.af, AF_INET);
	assert_int_equal(h.hlen, 20);
	assert_int_equal(h.len, 60);
	assert_int_equal(h.tos, 0xb8);
	assert_true(h.df);
	assert_ptr_equal(pkt_ip_src(b, &h), b + 12);
	/* Trailing bytes (TFC padding) are allowed; len says where to cut. */
	assert_int_equal(pkt_parse_ip(b, 80, &h, &why), 0);
	assert_int_equal(h.len, 60);
	/* Total length beyond the bytes we have. */
	assert_int_equal(pkt_parse_ip(b, 59, &h, &why), -1);
	assert_non_null(why);
	/* Shorter than a header; header length below 20 or beyond. */
	assert_int_equal(pkt_parse_ip(b, 19, &h, &why), -1);
	b[0] = 0x44;
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), -1);
	b[0] = 0x4f;                    /* 60-byte header, 60 total: ok */
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), 0);
	b[3] = 50;                      /* total < header length */
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), -1);
	b[0] = 0x55;
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), -1);
	assert_int_equal(pkt_parse_ip(b, 0, &h, &why), -1);
}

static void
test_parse_v6(void **unused)
{
	uint8_t b[200];
	struct pkt_meta h;
	const char *why;

	(void)unused;
	make_v6(b, 100, "fd00:1::1", "fd00:2::1", 17, 0x2e);
	assert_int_equal(pkt_parse_ip(b, 100, &h, &why), 0);
	assert_int_equal(h.af, AF_INET6);
	assert_int_equal(h.len, 100);
	assert_int_equal(h.tos, 0x2e);
	assert_int_equal(h.hdr_proto, 17);
	assert_ptr_equal(pkt_ip_dst(b, &h), b + 24);
	assert_int_equal(pkt_parse_ip(b, 99, &h, &why), -1);
	assert_int_equal(pkt_parse_ip(b, 39, &h, &why), -1);
	assert_int_equal(pkt_parse_ip(b, 150, &h, &why), 0);
	assert_int_equal(h.len, 100);
}

/* RFC 6040 figure 4, rows inner Not-ECT, ECT(0), ECT(1), CE; columns
 * outer Not-ECT, ECT(0), ECT(1), CE; -1 = drop. */
static void
test_ecn_table(void **unused)
{
	static const uint8_t cp[4] = { ECN_NOT_ECT, ECN_ECT0, ECN_ECT1,
	    ECN_CE };
	static const int want[4][4] = {
		{ ECN_NOT_ECT, ECN_NOT_ECT, ECN_NOT_ECT, -1 },
		{ ECN_ECT0, ECN_ECT0, ECN_ECT1, ECN_CE },
		{ ECN_ECT1, ECN_ECT1, ECN_ECT1, ECN_CE },
		{ ECN_CE, ECN_CE, ECN_CE, ECN_CE },
	};
	int i, o;

	(void)unused;
	for (i = 0; i < 4; i++)
		for (o = 0; o < 4; o++)
			assert_int_equal(ecn_decap(cp[i], cp[o]), want[i][o]);
	/* DSCP bits around the ECN field are ignored. */
	assert_int_equal(ecn_decap(0xb8 | ECN_ECT0, 0x48 | ECN_CE), ECN_CE);
}

static void
test_set_ecn(void **unused)
{
	uint8_t b[64];
	struct pkt_meta h;
	const char *why;

	(void)unused;
	make_v4(b, 40, "10.1.1.1", "10.1.0.1", 6, true, 0xb8 | ECN_ECT0);
	assert_int_equal(pkt_parse_ip(b, 40, &h, &why), 0);
	inner_set_ecn(b, &h, ECN_CE);
	assert_int_equal(b[1], 0xb8 | ECN_CE);
	assert_int_equal(ref_sum(b, 20, 0), 0xffff);

	make_v6(b, 60, "fd00::1", "fd00::2", 6, 0xb8 | ECN_ECT1);
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), 0);
	inner_set_ecn(b, &h, ECN_CE);
	assert_int_equal(pkt_parse_ip(b, 60, &h, &why), 0);
	assert_int_equal(h.tos, 0xb8 | ECN_CE);
	assert_int_equal(b[0], 0x6b);   /* version and DSCP untouched */
}

static void
test_cksum_odd(void **unused)
{
	uint8_t d[7] = { 1, 2, 3, 4, 5, 6, 7 };

	(void)unused;
	assert_int_equal(csum_finish(csum_add(0, d, 7)),
	    (uint16_t)~ref_sum(d, 7, 0));
}

static void
test_icmp4(void **unused)
{
	uint8_t orig[1500], out[200], src[4];
	struct pkt_meta h, r;
	const char *why;
	size_t n;

	(void)unused;
	inet_pton(AF_INET, "10.1.1.1", src);
	make_v4(orig, 1400, "10.2.1.2", "172.16.0.2", 17, true, 0);
	assert_int_equal(pkt_parse_ip(orig, 1400, &h, &why), 0);
	n = icmp4_frag_needed(out, sizeof(out), orig, &h, src, 1380);
	assert_int_equal(n, 20 + 8 + 20 + 8);
	assert_int_equal(pkt_parse_ip(out, n, &r, &why), 0);
	assert_int_equal(r.len, n);
	assert_int_equal(r.proto, 1);
	assert_memory_equal(pkt_ip_src(out, &r), src, 4);
	assert_memory_equal(pkt_ip_dst(out, &r), orig + 12, 4);
	assert_int_equal(ref_sum(out, 20, 0), 0xffff);
	assert_int_equal(ref_sum(out + 20, n - 20, 0), 0xffff);
	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 4);
	assert_int_equal(out[26] << 8 | out[27], 1380);
	assert_memory_equal(out + 28, orig, 28);
	/* Too little room. */
	assert_int_equal(icmp4_frag_needed(out, 50, orig, &h, src, 1380), 0);

	/* Never about an ICMP error ... */
	make_v4(orig, 600, "10.2.1.2", "172.16.0.2", 1, true, 0);
	orig[20] = 3;
	assert_int_equal(pkt_parse_ip(orig, 600, &h, &why), 0);
	assert_int_equal(icmp4_frag_needed(out, sizeof(out), orig, &h, src,
	    576), 0);
	/* ... but an echo request gets one. */
	orig[20] = 8;
	assert_int_not_equal(icmp4_frag_needed(out, sizeof(out), orig, &h,
	    src, 576), 0);
	/* Not about non-first fragments or to multicast. */
	make_v4(orig, 600, "10.2.1.2", "172.16.0.2", 17, true, 0);
	orig[7] = 1;
	assert_int_equal(pkt_parse_ip(orig, 600, &h, &why), 0);
	assert_int_equal(icmp4_frag_needed(out, sizeof(out), orig, &h, src,
	    576), 0);
	make_v4(orig, 600, "10.2.1.2", "239.1.1.1", 17, true, 0);
	assert_int_equal(pkt_parse_ip(orig, 600, &h, &why), 0);
	assert_int_equal(icmp4_frag_needed(out, sizeof(out), orig, &h, src,
	    576), 0);
}

/* ICMPv6 checksum over the pseudo-header, independently. */
static uint16_t
ref_sum6(const uint8_t *ip6, size_t len)
{
	uint8_t ph[40];
	uint32_t s;

	memcpy(ph, ip6 + 8, 32);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 58;
	s = ref_sum(ph, 40, 0);
	return ref_sum(ip6 + 40, len, s);
}

static void
test_icmp6(void **unused)
{
	static uint8_t orig[3000], out[2000];
	uint8_t src[16];
	struct pkt_meta h, r;
	const char *why;
	size_t n;

	(void)unused;
	inet_pton(AF_INET6, "fd00:1::1", src);
	make_v6(orig, 3000, "fd00:2::5", "fd00:3::7", 17, 0);
	assert_int_equal(pkt_parse_ip(orig, 3000, &h, &why), 0);
	n = icmp6_packet_too_big(out, sizeof(out), orig, &h, src, 1400);
	assert_int_equal(n, IPV6_MIN_MTU);
	assert_int_equal(pkt_parse_ip(out, n, &r, &why), 0);
	assert_int_equal(r.len, n);
	assert_int_equal(r.proto, 58);
	assert_memory_equal(pkt_ip_src(out, &r), src, 16);
	assert_memory_equal(pkt_ip_dst(out, &r), orig + 8, 16);
	assert_int_equal(out[40], 2);
	assert_int_equal(out[41], 0);
	assert_int_equal((uint32_t)out[44] << 24 | out[45] << 16 |
	    out[46] << 8 | out[47], 1400);
	assert_memory_equal(out + 48, orig, n - 48);
	assert_int_equal(ref_sum6(out, n - 40), 0xffff);

	/* A small packet is quoted whole. */
	make_v6(orig, 101, "fd00:2::5", "fd00:3::7", 17, 0);
	assert_int_equal(pkt_parse_ip(orig, 101, &h, &why), 0);
	n = icmp6_packet_too_big(out, sizeof(out), orig, &h, src, 1280);
	assert_int_equal(n, 40 + 8 + 101);
	assert_int_equal(ref_sum6(out, n - 40), 0xffff);

	/* Not about ICMPv6 errors; yes about echo requests. */
	make_v6(orig, 200, "fd00:2::5", "fd00:3::7", 58, 0);
	orig[40] = 1;
	assert_int_equal(pkt_parse_ip(orig, 200, &h, &why), 0);
	assert_int_equal(icmp6_packet_too_big(out, sizeof(out), orig, &h, src,
	    1280), 0);
	orig[40] = 128;
	assert_int_not_equal(icmp6_packet_too_big(out, sizeof(out), orig, &h,
	    src, 1280), 0);
	/* Not to an unspecified source. */
	make_v6(orig, 200, "::", "fd00:3::7", 17, 0);
	assert_int_equal(pkt_parse_ip(orig, 200, &h, &why), 0);
	assert_int_equal(icmp6_packet_too_big(out, sizeof(out), orig, &h, src,
	    1280), 0);
}


static bool
out_is(const struct peer_conf *peers, size_t n, const char *src,
    const char *dst, long want)
{
	uint8_t s[16], d[16];
	sa_family_t af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;

	inet_pton(af, src, s);
	inet_pton(af, dst, d);
	return policy_lookup_out(peers, n, af, s, d) == want;
}

static void
test_policy(void **unused)
{
	struct policy_conf p0[2], p1[1], p2[1];
	struct peer_conf peers[3];
	struct site_conf site;
	uint8_t s[4], d[4];

	(void)unused;
	memset(peers, 0, sizeof(peers));
	/* Central router: physician0 funnels 10.2.0.0/16, physician1 owns
	 * the more specific 10.2.1.0/24; physician2 has fd00:2::/64. */
	p0[0].local = pfx("10.1.0.0/24");
	p0[0].remote = pfx("10.1.1.0/24");
	p0[1].local = pfx("172.16.0.0/16");
	p0[1].remote = pfx("10.2.0.0/16");
	p1[0].local = pfx("172.16.0.0/16");
	p1[0].remote = pfx("10.2.1.0/24");
	p2[0].local = pfx("fd00:1::/64");
	p2[0].remote = pfx("fd00:2::/64");
	peers[0].policies = p0;
	peers[0].npolicies = 2;
	peers[1].policies = p1;
	peers[1].npolicies = 1;
	peers[2].policies = p2;
	peers[2].npolicies = 1;

	assert_true(out_is(peers, 3, "10.1.0.1", "10.1.1.9", 0));
	assert_true(out_is(peers, 3, "172.16.3.4", "10.2.1.9", 1));
	assert_true(out_is(peers, 3, "172.16.3.4", "10.2.7.9", 0));
	/* The source must be in the local prefix too. */
	assert_true(out_is(peers, 3, "10.1.0.1", "10.2.1.9", -1));
	assert_true(out_is(peers, 3, "192.168.1.1", "10.1.1.9", -1));
	assert_true(out_is(peers, 3, "fd00:1::1", "fd00:2::1", 2));
	assert_true(out_is(peers, 3, "fd00:1::1", "fd00:3::1", -1));

	/* Inbound: remote -> local only, never the other way round. */
	inet_pton(AF_INET, "10.2.1.5", s);
	inet_pton(AF_INET, "172.16.0.2", d);
	assert_true(policy_allows_in(&peers[1], AF_INET, s, d));
	assert_false(policy_allows_in(&peers[1], AF_INET, d, s));
	inet_pton(AF_INET, "10.1.1.5", s);
	assert_false(policy_allows_in(&peers[1], AF_INET, s, d));

	memset(&site, 0, sizeof(site));
	site.excludes[0] = pfx("192.168.1.0/24");
	site.nexcludes = 1;
	inet_pton(AF_INET, "192.168.1.7", s);
	assert_true(policy_excluded(&site, AF_INET, s, d));
	assert_true(policy_excluded(&site, AF_INET, d, s));
	inet_pton(AF_INET, "192.168.2.7", s);
	assert_false(policy_excluded(&site, AF_INET, s, d));
}

static void
test_sa_table(void **unused)
{
	struct sa_table t;
	static int vals[1000];
	uint32_t i;

	(void)unused;
	assert_int_equal(sa_table_init(&t, 1000), 0);
	assert_int_equal(t.mask + 1, 2048);
	/* Sequential SPIs, as an explicit config might have them. */
	for (i = 0; i < 1000; i++)
		assert_int_equal(sa_table_insert(&t, 0x1000 + i, &vals[i]), 0);
	for (i = 0; i < 1000; i++)
		assert_ptr_equal(sa_table_lookup(&t, 0x1000 + i), &vals[i]);
	assert_null(sa_table_lookup(&t, 0x1000 + 1000));
	assert_null(sa_table_lookup(&t, 0));
	assert_int_equal(sa_table_insert(&t, 0x1000, &vals[0]), -1);
	assert_int_equal(sa_table_insert(&t, 0, &vals[0]), -1);
	sa_table_free(&t);

	assert_int_equal(sa_table_init(&t, 0), 0);
	assert_null(sa_table_lookup(&t, 0x12345678));
	assert_int_equal(sa_table_insert(&t, 0x12345678, &vals[1]), 0);
	assert_ptr_equal(sa_table_lookup(&t, 0x12345678), &vals[1]);
	sa_table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_ecn_table),
		cmocka_unit_test(test_set_ecn),
		cmocka_unit_test(test_cksum_odd),
		cmocka_unit_test(test_icmp4),
		cmocka_unit_test(test_icmp6),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_sa_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

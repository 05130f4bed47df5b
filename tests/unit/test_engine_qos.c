/* The engine's QoS packet rewrites and the compiled policy table: TCP MSS
 * clamping and DSCP re-marking (checksums checked against a full
 * recomputation written independently), and policy_table_lookup() against
 * the linear longest-prefix reference, on the fixed cases of
 * test_engine_packet.c and on random policy sets. */
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

#include "src/datapath/inner.h"
#include "src/datapath/policy.h"
#include "src/datapath/qos_pkt.h"

static uint32_t
sum16(const uint8_t *d, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i < len; i++)
		s += (i & 1) ? d[i] : (uint32_t)d[i] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* TCP checksum over the pseudo-header (RFC 9293 3.1, RFC 8200 8.1) and
 * the segment: 0xffff when the stored checksum is right. */
static uint16_t
tcp_verify(const uint8_t *ip, size_t len)
{
	uint32_t s;
	size_t hl;

	if ((ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		s = sum16(ip + 12, 8, 0);
	} else {
		hl = 40;
		s = sum16(ip + 8, 32, 0);
	}
	s += 6;
	s += (uint32_t)(len - hl);
	s = sum16(ip + hl, len - hl, s);
	return fold(s);
}

static void
tcp_fill_cksum(uint8_t *ip, size_t len)
{
	size_t hl = (ip[0] >> 4) == 4 ? (size_t)(ip[0] & 0xf) * 4 : 40;
	uint16_t ck;

	ip[hl + 16] = ip[hl + 17] = 0;
	ck = (uint16_t)~tcp_verify(ip, len);
	ip[hl + 16] = (uint8_t)(ck >> 8);
	ip[hl + 17] = (uint8_t)ck;
}

static void
ip4_fill_cksum(uint8_t *b)
{
	uint16_t ck;

	b[10] = b[11] = 0;
	ck = (uint16_t)~fold(sum16(b, 20, 0));
	b[10] = (uint8_t)(ck >> 8);
	b[11] = (uint8_t)ck;
}

/* A TCP segment with the given options (olen bytes, a multiple of 4). */
static size_t
make_tcp(uint8_t *b, bool v6, uint8_t flags, const uint8_t *opt,
    size_t olen, size_t payload)
{
	size_t hl = v6 ? 40 : 20, thl = 20 + olen, total = hl + thl + payload;
	uint8_t *th = b + hl;

	memset(b, 0, total);
	if (v6) {
		b[0] = 0x60;
		b[4] = (uint8_t)((total - 40) >> 8);
		b[5] = (uint8_t)(total - 40);
		b[6] = 6;
		b[7] = 64;
		inet_pton(AF_INET6, "fd00:2:1::10", b + 8);
		inet_pton(AF_INET6, "fd00:172:16::10", b + 24);
	} else {
		b[0] = 0x45;
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[6] = 0x40;
		b[8] = 64;
		b[9] = 6;
		inet_pton(AF_INET, "10.2.1.10", b + 12);
		inet_pton(AF_INET, "172.16.0.10", b + 16);
		ip4_fill_cksum(b);
	}
	th[0] = 0xc3;
	th[1] = 0x51;
	th[2] = 0x00;
	th[3] = 0x50;
	th[4] = 0x12;
	th[7] = 0x34;
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	th[14] = 0xfa;
	if (olen > 0)
		memcpy(th + 20, opt, olen);
	for (size_t i = 0; i < payload; i++)
		th[thl + i] = (uint8_t)(i * 7);
	tcp_fill_cksum(b, total);
	return total;
}

static uint16_t
mss_at(const uint8_t *b, size_t off)
{
	return (uint16_t)(b[off] << 8 | b[off + 1]);
}

static void
test_mss_clamp_v4(void **unused)
{
	/* MSS 1460 first (even offset), as Linux sends it. */
	static const uint8_t opt[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
	    1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 1, 3, 3, 7 };
	uint8_t b[200];
	struct pkt_meta h;
	const char *why;
	size_t n;

	(void)unused;
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	assert_int_equal(tcp_verify(b, n), 0xffff);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_int_equal(tcp_mss_for_mtu(AF_INET, 576), 536);
	assert_true(tcp_mss_clamp(b, &h, 536));
	assert_int_equal(mss_at(b, 20 + 22), 536);
	assert_int_equal(tcp_verify(b, n), 0xffff);
	/* Already small enough: untouched. */
	assert_false(tcp_mss_clamp(b, &h, 1000));
	assert_false(tcp_mss_clamp(b, &h, 536));
	assert_int_equal(mss_at(b, 20 + 22), 536);

	/* SYN-ACK too; a plain ACK is never touched. */
	n = make_tcp(b, false, 0x12, opt, sizeof(opt), 10);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_true(tcp_mss_clamp(b, &h, 1200));
	assert_int_equal(mss_at(b, 42), 1200);
	assert_int_equal(tcp_verify(b, n), 0xffff);
	n = make_tcp(b, false, 0x10, opt, sizeof(opt), 10);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_false(tcp_mss_clamp(b, &h, 536));
	assert_int_equal(mss_at(b, 42), 1460);

	/* A later fragment is not a TCP header. */
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	b[7] = 1;
	ip4_fill_cksum(b);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_false(tcp_mss_clamp(b, &h, 536));
}

static void
test_mss_clamp_odd(void **unused)
{
	/* NOP, then MSS at an odd offset: the value straddles two of the
	 * 16-bit words the checksum sums. */
	static const uint8_t opt[] = { 1, 2, 4, 0x23, 0x28, 1, 1, 0 };
	uint8_t b[200];
	struct pkt_meta h;
	const char *why;
	size_t n;
	uint16_t m;

	(void)unused;
	for (m = 100; m < 9000; m += 97) {
		n = make_tcp(b, false, 0x02, opt, sizeof(opt), 3);
		assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
		assert_int_equal(tcp_mss_clamp(b, &h, m), m < 9000);
		assert_int_equal(mss_at(b, 20 + 23), m);
		assert_int_equal(tcp_verify(b, n), 0xffff);
	}
}

static void
test_mss_clamp_v6(void **unused)
{
	static const uint8_t opt[] = { 2, 4, 0x05, 0xa0, 4, 2, 1, 0 };
	uint8_t b[200];
	struct pkt_meta h;
	const char *why;
	size_t n;

	(void)unused;
	n = make_tcp(b, true, 0x02, opt, sizeof(opt), 5);
	assert_int_equal(tcp_verify(b, n), 0xffff);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_int_equal(tcp_mss_for_mtu(AF_INET6, 1280), 1220);
	assert_true(tcp_mss_clamp(b, &h, 1220));
	assert_int_equal(mss_at(b, 40 + 22), 1220);
	assert_int_equal(tcp_verify(b, n), 0xffff);
}

static void
test_mss_clamp_malformed(void **unused)
{
	uint8_t opt[8] = { 2, 4, 0x05, 0xb4, 1, 1, 1, 1 };
	uint8_t b[200], copy[200];
	struct pkt_meta h;
	const char *why;
	size_t n;

	(void)unused;
	/* Data offset beyond the packet. */
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	b[20 + 12] = 0xf0;
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	memcpy(copy, b, n);
	assert_false(tcp_mss_clamp(b, &h, 536));
	assert_memory_equal(b, copy, n);
	/* Data offset below 20. */
	b[20 + 12] = 0x40;
	assert_false(tcp_mss_clamp(b, &h, 536));
	/* An option length running past the header, and length 0. */
	opt[0] = 3;
	opt[1] = 9;
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_false(tcp_mss_clamp(b, &h, 536));
	opt[1] = 0;
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_false(tcp_mss_clamp(b, &h, 536));
	/* A TCP header cut short by the IP total length. */
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	b[3] = 30;
	ip4_fill_cksum(b);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_false(tcp_mss_clamp(b, &h, 536));
	/* Not TCP. */
	n = make_tcp(b, false, 0x02, opt, sizeof(opt), 0);
	b[9] = 17;
	ip4_fill_cksum(b);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_false(tcp_mss_clamp(b, &h, 536));
}

static void
test_cksum_update(void **unused)
{
	uint8_t d[64];
	uint16_t ck, w;
	unsigned i, k;

	(void)unused;
	srand(7);
	for (k = 0; k < 2000; k++) {
		for (i = 0; i < sizeof(d); i++)
			d[i] = (uint8_t)rand();
		ck = (uint16_t)~fold(sum16(d, sizeof(d), 0));
		i = (unsigned)rand() % 32 * 2;
		w = (uint16_t)(d[i] << 8 | d[i + 1]);
		d[i] = (uint8_t)rand();
		d[i + 1] = (uint8_t)rand();
		ck = cksum_update16(ck, w, (uint16_t)(d[i] << 8 | d[i + 1]));
		/* Equal as one's-complement numbers (0 and 0xffff alike). */
		assert_int_equal(fold(sum16(d, sizeof(d), ck)), 0xffff);
	}
}

static void
test_set_dscp(void **unused)
{
	uint8_t b[100];
	struct pkt_meta h;
	const char *why;
	size_t n;

	(void)unused;
	n = make_tcp(b, false, 0x10, NULL, 0, 10);
	b[1] = 0x02;                            /* DSCP 0, ECT(0) */
	ip4_fill_cksum(b);
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	inner_set_dscp(b, &h, 0xb8 | 0x3);      /* EF; ECN bits of tos ignored */
	assert_int_equal(b[1], 0xba);
	assert_int_equal(h.tos, 0xba);
	assert_int_equal(fold(sum16(b, 20, 0)), 0xffff);

	n = make_tcp(b, true, 0x10, NULL, 0, 10);
	b[0] = 0x60;
	b[1] = 0x10;                            /* tclass 0x01: ECT(1) */
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_int_equal(h.tos, 0x01);
	inner_set_dscp(b, &h, 0x28);            /* AF11 */
	assert_int_equal(pkt_parse_ip(b, n, &h, &why), 0);
	assert_int_equal(h.tos, 0x29);
	assert_int_equal(b[0], 0x62);
	assert_int_equal(b[1], 0x90);
}


static long
lookup_both(const struct policy_table *t, const struct peer_conf *peers,
    size_t n, const char *src, const char *dst)
{
	uint8_t s[16], d[16];
	sa_family_t af = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;
	long a, b;

	inet_pton(af, src, s);
	inet_pton(af, dst, d);
	a = policy_lookup_out(peers, n, af, s, d);
	b = policy_table_lookup(t, af, s, d);
	assert_int_equal(a, b);
	return b;
}

static void
test_policy_table(void **unused)
{
	struct policy_conf p0[2], p1[1], p2[1];
	struct peer_conf peers[3];
	struct policy_table t;

	(void)unused;
	memset(peers, 0, sizeof(peers));
	memset(p0, 0, sizeof(p0));
	memset(p1, 0, sizeof(p1));
	memset(p2, 0, sizeof(p2));
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
	assert_int_equal(policy_table_init(&t, peers, 3), 0);
	assert_int_equal(lookup_both(&t, peers, 3, "10.1.0.1", "10.1.1.9"), 0);
	assert_int_equal(lookup_both(&t, peers, 3, "172.16.3.4", "10.2.1.9"), 1);
	assert_int_equal(lookup_both(&t, peers, 3, "172.16.3.4", "10.2.7.9"), 0);
	assert_int_equal(lookup_both(&t, peers, 3, "10.1.0.1", "10.2.1.9"), -1);
	assert_int_equal(lookup_both(&t, peers, 3, "192.168.1.1", "10.1.1.9"), -1);
	assert_int_equal(lookup_both(&t, peers, 3, "fd00:1::1", "fd00:2::1"), 2);
	assert_int_equal(lookup_both(&t, peers, 3, "fd00:1::1", "fd00:3::1"), -1);
	policy_table_free(&t);

	/* No peers at all. */
	assert_int_equal(policy_table_init(&t, peers, 0), 0);
	assert_int_equal(lookup_both(&t, peers, 0, "10.1.0.1", "10.1.1.9"), -1);
	policy_table_free(&t);
}

/* Random overlapping policies (prefixes drawn from a small space, so
 * nesting and ties are common) against the linear reference. */
static void
rand_prefix(struct prefix *p, sa_family_t af)
{
	memset(p, 0, sizeof(*p));
	p->af = af;
	if (af == AF_INET) {
		p->len = (uint8_t)(rand() % 33);
		p->addr.b[0] = 10;
		p->addr.b[1] = (uint8_t)(rand() % 4);
		p->addr.b[2] = (uint8_t)(rand() % 4);
		p->addr.b[3] = (uint8_t)(rand() % 4);
	} else {
		p->len = (uint8_t)(rand() % 129);
		p->addr.b[0] = 0xfd;
		p->addr.b[7] = (uint8_t)(rand() % 4);
		p->addr.b[15] = (uint8_t)(rand() % 4);
	}
}

static void
test_policy_table_random(void **unused)
{
	enum { NPEERS = 12, NPOL = 6, ROUNDS = 40, PKTS = 400 };
	static struct policy_conf pols[NPEERS][NPOL];
	struct peer_conf peers[NPEERS];
	struct policy_table t;
	uint8_t s[16], d[16];
	sa_family_t af;
	size_t i, j, k, r;

	(void)unused;
	srand(42);
	for (r = 0; r < ROUNDS; r++) {
		memset(peers, 0, sizeof(peers));
		for (i = 0; i < NPEERS; i++) {
			peers[i].policies = pols[i];
			peers[i].npolicies = (size_t)rand() % (NPOL + 1);
			for (j = 0; j < peers[i].npolicies; j++) {
				af = rand() % 3 ? AF_INET : AF_INET6;
				rand_prefix(&pols[i][j].local, af);
				rand_prefix(&pols[i][j].remote, af);
				pols[i][j].local.len /= 2;
			}
		}
		assert_int_equal(policy_table_init(&t, peers, NPEERS), 0);
		for (k = 0; k < PKTS; k++) {
			struct prefix ps, pd;

			af = rand() % 3 ? AF_INET : AF_INET6;
			rand_prefix(&ps, af);
			rand_prefix(&pd, af);
			memcpy(s, ps.addr.b, 16);
			memcpy(d, pd.addr.b, 16);
			assert_int_equal(policy_table_lookup(&t, af, s, d),
			    policy_lookup_out(peers, NPEERS, af, s, d));
		}
		policy_table_free(&t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mss_clamp_v4),
		cmocka_unit_test(test_mss_clamp_odd),
		cmocka_unit_test(test_mss_clamp_v6),
		cmocka_unit_test(test_mss_clamp_malformed),
		cmocka_unit_test(test_cksum_update),
		cmocka_unit_test(test_set_dscp),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_policy_table_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

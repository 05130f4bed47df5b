/* Tun offloads (src/net/offload.h): TCP and UDP super-packets as the
 * kernel hands them out (virtio_net_hdr, partial checksum) are split,
 * and every segment is checked field by field, its checksums by a plain
 * RFC 1071 sum over a pseudo-header built here byte by byte; the
 * segments are fed back, mixed with other flows and broken packets, and
 * what is coalesced is checked the same way, UDP datagrams (USO writes)
 * as TCP segments. Hostile headers are refused with a reason. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "src/net/offload.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

#define STREAM_LEN 70000
#define SEG_MAX    65535

static uint8_t stream[STREAM_LEN];
static const uint8_t src4[4] = { 198, 18, 0, 1 };
static const uint8_t dst4[4] = { 198, 19, 0, 2 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab,
    [15] = 2 };

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* RFC 1071, the obvious way: 16-bit big-endian words, odd byte padded. */
static uint32_t
ref_sum(uint32_t s, const uint8_t *d, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (len & 1)
		s += (uint32_t)d[len - 1] << 8;
	return s;
}

static uint16_t
ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The pseudo-header, written out as bytes (RFC 9293 3.1, RFC 8200 8.1). */
static size_t
ref_pseudo(uint8_t *ph, int af, const uint8_t *ip, uint8_t proto,
    size_t l4len)
{
	if (af == AF_INET) {
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		wr16(ph + 10, (uint16_t)l4len);
		return 12;
	}
	memcpy(ph, ip + 8, 32);
	wr32(ph + 32, (uint32_t)l4len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return 40;
}

/* Whether the transport checksum of an IP packet verifies. */
static int
ref_l4_ok(const uint8_t *ip, size_t len, int af, size_t l3, uint8_t proto)
{
	uint8_t ph[40];
	size_t n = ref_pseudo(ph, af, ip, proto, len - l3);
	uint32_t s = ref_sum(0, ph, n);

	s = ref_sum(s, ip + l3, len - l3);
	return ref_fold(s) == 0xffff;
}

static int
ref_ip4_ok(const uint8_t *ip)
{
	return ref_fold(ref_sum(0, ip, (size_t)(ip[0] & 0x0f) * 4)) == 0xffff;
}

struct spec {
	int      af;
	uint8_t  proto;
	uint32_t seq, ack;
	uint8_t  flags;
	uint16_t id;
	int      df;
	int      ts;          /* timestamps option (12 bytes with NOPs) */
	uint32_t tsval;
	uint16_t win;
	uint8_t  ttl, tos;    /* tos: IPv4 TOS or IPv6 traffic class */
	uint16_t sport, dport;
	size_t   off;         /* payload from stream + off */
	size_t   payload;
};

static void
spec_default(struct spec *s, int af, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	s->af = af;
	s->proto = proto;
	s->seq = 0xfffff000;  /* wraps within a super-packet */
	s->ack = 0x01020304;
	s->flags = TCP_ACK;
	s->id = 0xfff0;       /* wraps too */
	s->df = 1;
	s->ts = 1;
	s->tsval = 1000;
	s->win = 512;
	s->ttl = 64;
	s->sport = 40000;
	s->dport = 5201;
}

static size_t
spec_l3(const struct spec *s)
{
	return s->af == AF_INET ? 20 : 40;
}

static size_t
spec_l4(const struct spec *s)
{
	if (s->proto == IPPROTO_UDP)
		return 8;
	return s->ts ? 32 : 20;
}

/* An IP packet with correct lengths and checksums. */
static size_t
build(uint8_t *p, const struct spec *s)
{
	size_t l3 = spec_l3(s), l4 = spec_l4(s), len = l3 + l4 + s->payload;
	uint8_t *th = p + l3;
	uint8_t ph[40];
	size_t n;

	memset(p, 0, l3 + l4);
	if (s->af == AF_INET) {
		p[0] = 0x45;
		p[1] = s->tos;
		wr16(p + 2, (uint16_t)len);
		wr16(p + 4, s->id);
		p[6] = s->df ? 0x40 : 0;
		p[8] = s->ttl;
		p[9] = s->proto;
		memcpy(p + 12, src4, 4);
		memcpy(p + 16, dst4, 4);
		wr16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, 20)));
	} else {
		wr32(p, 6u << 28 | (uint32_t)s->tos << 20 | 0x12345);
		wr16(p + 4, (uint16_t)(len - 40));
		p[6] = s->proto;
		p[7] = s->ttl;
		memcpy(p + 8, src6, 16);
		memcpy(p + 24, dst6, 16);
	}
	wr16(th, s->sport);
	wr16(th + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		wr32(th + 4, s->seq);
		wr32(th + 8, s->ack);
		th[12] = (uint8_t)(l4 / 4) << 4;
		th[13] = s->flags;
		wr16(th + 14, s->win);
		if (s->ts) {
			th[20] = 1;
			th[21] = 1;
			th[22] = 8;
			th[23] = 10;
			wr32(th + 24, s->tsval);
			wr32(th + 28, 77);
		}
	} else
		wr16(th + 4, (uint16_t)(l4 + s->payload));
	memcpy(p + l3 + l4, stream + s->off, s->payload);
	n = ref_pseudo(ph, s->af, p, s->proto, len - l3);
	wr16(th + (s->proto == IPPROTO_TCP ? 16 : 6), (uint16_t)~ref_fold(
	    ref_sum(ref_sum(0, ph, n), th, len - l3)));
	return len;
}

/* A read from tun: virtio_net_hdr, then the packet with the partial
 * checksum the kernel leaves (the pseudo-header sum, not complemented). */
static size_t
build_super(uint8_t *buf, const struct spec *s, uint16_t gso_size,
    uint8_t gso_type)
{
	uint8_t *p = buf + VNET_HDR_LEN, ph[40];
	size_t len = build(p, s), l3 = spec_l3(s), n;
	size_t coff = s->proto == IPPROTO_TCP ? 16 : 6;
	struct vnet_hdr h;

	n = ref_pseudo(ph, s->af, p, s->proto, len - l3);
	wr16(p + l3 + coff, ref_fold(ref_sum(0, ph, n)));
	h.flags = VNET_F_NEEDS_CSUM;
	h.gso_type = gso_type;
	/* As on the forward path: the whole first segment. */
	h.hdr_len = (uint16_t)(l3 + spec_l4(s) + gso_size);
	if (h.hdr_len > len)
		h.hdr_len = (uint16_t)len;
	h.gso_size = gso_size;
	h.csum_start = (uint16_t)l3;
	h.csum_offset = (uint16_t)coff;
	vnet_hdr_put(buf, &h);
	return VNET_HDR_LEN + len;
}

static uint8_t rd[VNET_HDR_LEN + 70000];
static uint8_t segs[200][2048];
static size_t seglen[200];

static int
setup(void **state)
{
	uint32_t x = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stream); i++) {
		x = x * 1103515245 + 12345;
		stream[i] = (uint8_t)(x >> 16);
	}
	return 0;
}

/* Splits rd (rdlen bytes) for mtu into segs; returns their number. */
static unsigned
split(size_t rdlen, size_t mtu, struct vnet_info *vi)
{
	struct seg_iter it;
	unsigned n = 0;
	int rc;

	assert_int_equal(offload_parse_vnet(rd, rdlen, vi), 0);
	assert_int_equal(offload_seg_init(&it, vi, mtu), 0);
	while ((rc = offload_segment_next(&it, segs[n], sizeof(segs[n]),
	    &seglen[n])) == 1) {
		n++;
		assert_true(n < 200);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, offload_seg_count(&it));
	return n;
}

/* Every segment of a split TCP super-packet built from s. */
static void
check_tcp_segments(const struct spec *s, unsigned n, size_t mss)
{
	size_t l3 = spec_l3(s), l4 = spec_l4(s), off = 0, pl;
	uint8_t want;
	unsigned i;

	assert_int_equal(n, (s->payload + mss - 1) / mss);
	for (i = 0; i < n; i++) {
		const uint8_t *p = segs[i], *th = p + l3;

		pl = i + 1 < n ? mss : s->payload - off;
		assert_int_equal(seglen[i], l3 + l4 + pl);
		if (s->af == AF_INET) {
			assert_int_equal(rd16(p + 2), seglen[i]);
			assert_int_equal(rd16(p + 4), (uint16_t)(s->id + i));
			assert_true(ref_ip4_ok(p));
			assert_int_equal(p[6], s->df ? 0x40 : 0);
			assert_int_equal(p[8], s->ttl);
		} else {
			assert_int_equal(rd16(p + 4), seglen[i] - 40);
			assert_int_equal(p[7], s->ttl);
		}
		assert_int_equal(rd32(th + 4), (uint32_t)(s->seq + off));
		assert_int_equal(rd32(th + 8), s->ack);
		assert_int_equal(th[12] >> 4, l4 / 4);
		want = s->flags;
		if (i > 0)
			want &= (uint8_t)~TCP_CWR;
		if (i + 1 < n)
			want &= (uint8_t)~(TCP_FIN | TCP_PSH);
		assert_int_equal(th[13], want);
		assert_int_equal(rd16(th + 14), s->win);
		if (s->ts)
			assert_int_equal(rd32(th + 24), s->tsval);
		assert_true(ref_l4_ok(p, seglen[i], s->af, l3, IPPROTO_TCP));
		assert_memory_equal(p + l3 + l4, stream + s->off + off, pl);
		off += pl;
	}
	assert_int_equal(off, s->payload);
}

static void
split_tcp_case(int af, uint8_t flags, int ts, size_t mtu)
{
	struct vnet_info vi;
	struct spec s;
	size_t rdlen, mss;
	unsigned n;
	uint8_t type = af == AF_INET ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6;

	spec_default(&s, af, IPPROTO_TCP);
	s.flags = flags;
	s.ts = ts;
	s.payload = 20000;
	if (flags & TCP_CWR)
		type |= VNET_GSO_ECN;
	rdlen = build_super(rd, &s, 1448, type);
	n = split(rdlen, mtu, &vi);
	assert_int_equal(vi.kind, OFFLOAD_GSO);
	assert_int_equal(vi.l3len, spec_l3(&s));
	assert_int_equal(vi.l4len, spec_l4(&s));
	mss = mtu - spec_l3(&s) - spec_l4(&s);
	if (mss > 1448)
		mss = 1448;
	check_tcp_segments(&s, n, mss);
}

static void
test_split_tcp4(void **state)
{
	(void)state;
	split_tcp_case(AF_INET, TCP_ACK, 1, 1500);
	split_tcp_case(AF_INET, TCP_ACK | TCP_PSH | TCP_FIN, 1, 1500);
	split_tcp_case(AF_INET, TCP_ACK | TCP_PSH, 0, 1500);
	split_tcp_case(AF_INET, TCP_ACK | TCP_CWR | TCP_PSH, 1, 9000);
}

static void
test_split_tcp6(void **state)
{
	(void)state;
	split_tcp_case(AF_INET6, TCP_ACK, 1, 1500);
	split_tcp_case(AF_INET6, TCP_ACK | TCP_PSH | TCP_FIN, 1, 1500);
	split_tcp_case(AF_INET6, TCP_ACK | TCP_PSH, 0, 1500);
	split_tcp_case(AF_INET6, TCP_ACK | TCP_CWR | TCP_FIN, 1, 9000);
}

/* The tunnel's MTU below gso_size + headers: cut smaller. */
static void
test_split_tcp_small_mtu(void **state)
{
	(void)state;
	split_tcp_case(AF_INET, TCP_ACK | TCP_PSH, 1, 1400);
	split_tcp_case(AF_INET6, TCP_ACK | TCP_PSH, 1, 1280);
	split_tcp_case(AF_INET, TCP_ACK | TCP_FIN, 0, 576);
}

static void
test_split_no_room(void **state)
{
	struct vnet_info vi;
	struct seg_iter it;
	struct spec s;
	size_t rdlen, outlen;

	(void)state;
	spec_default(&s, AF_INET, IPPROTO_TCP);
	s.payload = 3000;
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV4);
	assert_int_equal(offload_parse_vnet(rd, rdlen, &vi), 0);
	assert_int_equal(offload_seg_init(&it, &vi, 52), -1);
	assert_int_equal(offload_seg_init(&it, &vi, 1500), 0);
	/* A buffer too small consumes nothing. */
	assert_int_equal(offload_segment_next(&it, segs[0], 1499, &outlen), -1);
	assert_int_equal(offload_segment_next(&it, segs[0], 1500, &outlen), 1);
	assert_int_equal(outlen, 1500);
	assert_int_equal(rd32(segs[0] + 24), s.seq);
}

static void
split_udp_case(int af)
{
	struct vnet_info vi;
	struct spec s;
	size_t rdlen, off = 0, pl;
	unsigned n, i;
	size_t l3;

	spec_default(&s, af, IPPROTO_UDP);
	s.payload = 10000;
	l3 = spec_l3(&s);
	rdlen = build_super(rd, &s, 1200, VNET_GSO_UDP_L4);
	/* UDP keeps its datagrams whole even where the MTU is smaller. */
	n = split(rdlen, 1000, &vi);
	assert_int_equal(vi.proto, IPPROTO_UDP);
	assert_int_equal(n, 9);
	for (i = 0; i < n; i++) {
		const uint8_t *p = segs[i];

		pl = i + 1 < n ? 1200 : s.payload - off;
		assert_int_equal(seglen[i], l3 + 8 + pl);
		if (af == AF_INET) {
			assert_int_equal(rd16(p + 2), seglen[i]);
			assert_int_equal(rd16(p + 4), (uint16_t)(s.id + i));
			assert_true(ref_ip4_ok(p));
		} else
			assert_int_equal(rd16(p + 4), seglen[i] - 40);
		assert_int_equal(rd16(p + l3), s.sport);
		assert_int_equal(rd16(p + l3 + 2), s.dport);
		assert_int_equal(rd16(p + l3 + 4), 8 + pl);
		assert_int_not_equal(rd16(p + l3 + 6), 0);
		assert_true(ref_l4_ok(p, seglen[i], af, l3, IPPROTO_UDP));
		assert_memory_equal(p + l3 + 8, stream + off, pl);
		off += pl;
	}
	assert_int_equal(off, s.payload);
}

static void
test_split_udp(void **state)
{
	(void)state;
	split_udp_case(AF_INET);
	split_udp_case(AF_INET6);
}

/* gso_type NONE: with NEEDS_CSUM the checksum is finished, without it
 * the packet goes as it came. */
static void
test_csum_and_plain(void **state)
{
	struct vnet_info vi;
	struct spec s;
	struct vnet_hdr h;
	size_t rdlen;
	int af, proto;

	(void)state;
	for (af = 0; af < 2; af++) {
		for (proto = 0; proto < 2; proto++) {
			spec_default(&s, af ? AF_INET6 : AF_INET,
			    proto ? IPPROTO_UDP : IPPROTO_TCP);
			s.payload = 999;
			rdlen = build_super(rd, &s, 1448, VNET_GSO_NONE);
			vnet_hdr_get(&h, rd);
			h.gso_size = 0;
			h.hdr_len = 0;
			vnet_hdr_put(rd, &h);
			assert_int_equal(split(rdlen, 1500, &vi), 1);
			assert_int_equal(vi.kind, OFFLOAD_CSUM);
			assert_int_equal(seglen[0], rdlen - VNET_HDR_LEN);
			assert_true(ref_l4_ok(segs[0], seglen[0], s.af,
			    spec_l3(&s), s.proto));
			/* Only the checksum changed. */
			build(rd, &s);
			assert_memory_equal(segs[0], rd, seglen[0]);
		}
	}
	/* Plain: even bytes that are no IP packet, and bigger than mtu. */
	memset(rd, 0, VNET_HDR_LEN);
	memset(rd + VNET_HDR_LEN, 0xee, 1700);
	assert_int_equal(split(VNET_HDR_LEN + 1700, 1500, &vi), 1);
	assert_int_equal(vi.kind, OFFLOAD_PLAIN);
	assert_int_equal(seglen[0], 1700);
	assert_memory_equal(segs[0], rd + VNET_HDR_LEN, 1700);
	/* DATA_VALID changes nothing. */
	rd[0] = VNET_F_DATA_VALID;
	assert_int_equal(split(VNET_HDR_LEN + 1700, 1500, &vi), 1);
	assert_int_equal(vi.kind, OFFLOAD_PLAIN);
}

/* A UDP checksum that sums to zero is sent as 0xffff (RFC 768), by a
 * checksum-only packet and by a datagram of a super-packet. */
static void
udp_zero_case(uint8_t gso_type)
{
	struct vnet_info vi;
	struct spec s;
	size_t rdlen, l3 = 20, len;
	uint8_t *p = rd + VNET_HDR_LEN;
	uint8_t ph[40];
	uint16_t c;

	spec_default(&s, AF_INET, IPPROTO_UDP);
	s.payload = 10;
	rdlen = build_super(rd, &s, 1448, gso_type);
	len = rdlen - VNET_HDR_LEN;
	/* Pick the last two payload bytes so that the checksum is 0. */
	p[len - 2] = p[len - 1] = 0;
	p[l3 + 6] = p[l3 + 7] = 0;
	c = (uint16_t)~ref_fold(ref_sum(ref_sum(0, ph,
	    ref_pseudo(ph, AF_INET, p, IPPROTO_UDP, len - l3)), p + l3,
	    len - l3));
	/* Adding the complement of the sum makes it 0xffff, so the
	 * checksum comes out as 0. */
	wr16(p + len - 2, c);
	wr16(p + l3 + 6, ref_fold(ref_sum(0, ph, ref_pseudo(ph, AF_INET, p,
	    IPPROTO_UDP, len - l3))));
	assert_int_equal(split(rdlen, 1500, &vi), 1);
	assert_int_equal(rd16(segs[0] + l3 + 6), 0xffff);
	assert_true(ref_l4_ok(segs[0], seglen[0], AF_INET, l3, IPPROTO_UDP));
}

static void
test_udp_zero_checksum(void **state)
{
	(void)state;
	udp_zero_case(VNET_GSO_NONE);
	udp_zero_case(VNET_GSO_UDP_L4);
}

/* Hostile or malformed headers are refused with a reason. */
static void
expect_refused(size_t rdlen, const char *what)
{
	struct vnet_info vi;

	if (offload_parse_vnet(rd, rdlen, &vi) != -1)
		fail_msg("accepted: %s", what);
	assert_non_null(vi.why);
	assert_true(vi.why[0] != '\0');
}

static size_t
fresh_tcp4(struct vnet_hdr *h)
{
	struct spec s;
	size_t rdlen;

	spec_default(&s, AF_INET, IPPROTO_TCP);
	s.payload = 5000;
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV4);
	vnet_hdr_get(h, rd);
	return rdlen;
}

static void
test_hostile(void **state)
{
	struct vnet_info vi;
	struct vnet_hdr h;
	struct spec s;
	size_t rdlen;
	uint8_t *p = rd + VNET_HDR_LEN;

	(void)state;
	rdlen = fresh_tcp4(&h);
	assert_int_equal(offload_parse_vnet(rd, rdlen, &vi), 0);
	expect_refused(0, "empty");
	expect_refused(VNET_HDR_LEN - 1, "short header");
	expect_refused(VNET_HDR_LEN, "no packet");
	expect_refused(rdlen - 1, "truncated: total length mismatch");

	h.csum_start = 60000;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "csum_start beyond the packet");
	rdlen = fresh_tcp4(&h);
	h.csum_offset = 6000;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "csum_offset beyond");
	rdlen = fresh_tcp4(&h);
	h.csum_start = 24;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "csum_start not the transport header");
	rdlen = fresh_tcp4(&h);
	h.hdr_len = (uint16_t)(rdlen - VNET_HDR_LEN + 1);
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "hdr_len larger than the packet");
	rdlen = fresh_tcp4(&h);
	h.gso_size = 0;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "gso_size 0");
	rdlen = fresh_tcp4(&h);
	h.gso_type = 2;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "gso_type unknown");
	h.gso_type = VNET_GSO_UDP;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "UFO");
	h.gso_type = VNET_GSO_TCPV6;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "TCPV6 on IPv4");
	h.gso_type = VNET_GSO_UDP_L4;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "UDP_L4 on TCP");
	rdlen = fresh_tcp4(&h);
	h.flags = 0;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "GSO without NEEDS_CSUM");
	h.flags = 0x40 | VNET_F_NEEDS_CSUM;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "unknown flags");

	rdlen = fresh_tcp4(&h);
	p[0] = 0x44;
	expect_refused(rdlen, "IPv4 ihl < 5");
	p[0] = 0x4f;
	expect_refused(rdlen, "IPv4 ihl beyond csum_start");
	p[0] = 0x55;
	expect_refused(rdlen, "IP version 5");
	rdlen = fresh_tcp4(&h);
	wr16(p + 2, (uint16_t)(rdlen - VNET_HDR_LEN - 1));
	expect_refused(rdlen, "IPv4 total length mismatch");
	rdlen = fresh_tcp4(&h);
	p[6] |= 0x20;
	expect_refused(rdlen, "IPv4 fragment");
	rdlen = fresh_tcp4(&h);
	p[9] = IPPROTO_UDP;
	expect_refused(rdlen, "protocol not the GSO type's");
	rdlen = fresh_tcp4(&h);
	p[20 + 12] = 0x40;
	expect_refused(rdlen, "TCP data offset < 5");
	/* A TCP header longer than the packet. */
	spec_default(&s, AF_INET, IPPROTO_TCP);
	s.ts = 0;
	s.payload = 10;
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV4);
	p[20 + 12] = 0xf0;
	expect_refused(rdlen, "TCP header beyond the packet");
	/* Headers only. */
	s.payload = 0;
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV4);
	expect_refused(rdlen, "GSO without payload");
	/* IPv6: payload length, extension header running off the end. */
	spec_default(&s, AF_INET6, IPPROTO_TCP);
	s.payload = 3000;
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV6);
	assert_int_equal(offload_parse_vnet(rd, rdlen, &vi), 0);
	wr16(p + 4, 100);
	expect_refused(rdlen, "IPv6 payload length mismatch");
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV6);
	p[6] = IPPROTO_DSTOPTS;
	p[40 + 1] = 255;
	expect_refused(rdlen, "IPv6 extension header beyond");
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV6);
	vnet_hdr_get(&h, rd);
	h.csum_offset = 6;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "csum_offset not TCP's");
	/* Transport headers cut short, with lengths that agree. */
	rdlen = fresh_tcp4(&h);
	wr16(p + 2, 30);
	p[10] = p[11] = 0;
	wr16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, 20)));
	h.hdr_len = 0;
	vnet_hdr_put(rd, &h);
	expect_refused(VNET_HDR_LEN + 30, "TCP header truncated");
	h.gso_type = VNET_GSO_UDP_L4;
	h.csum_offset = 6;
	vnet_hdr_put(rd, &h);
	p[9] = IPPROTO_UDP;
	wr16(p + 2, 27);
	p[10] = p[11] = 0;
	wr16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, 20)));
	expect_refused(VNET_HDR_LEN + 27, "UDP header truncated");
	/* An IPv6 packet longer than 65535 (payload length 65535). */
	spec_default(&s, AF_INET6, IPPROTO_TCP);
	s.payload = 65535 - 32;
	rdlen = build_super(rd, &s, 1448, VNET_GSO_TCPV6);
	assert_int_equal(rdlen, VNET_HDR_LEN + 40 + 65535);
	expect_refused(rdlen, "longer than 65535");
	/* NEEDS_CSUM without GSO: the same bounds. */
	rdlen = fresh_tcp4(&h);
	h.gso_type = VNET_GSO_NONE;
	h.csum_start = 10;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "csum_start in the IP header");
	h.csum_start = (uint16_t)(rdlen - VNET_HDR_LEN - 1);
	h.csum_offset = 0;
	vnet_hdr_put(rd, &h);
	expect_refused(rdlen, "checksum field past the end");
}

/* Segments with IPv6 destination options keep them, each segment. */
static void
test_split_ipv6_ext(void **state)
{
	struct vnet_info vi;
	struct spec s;
	uint8_t *p = rd + VNET_HDR_LEN;
	uint8_t tmp[4000];
	size_t rdlen, len, off = 0;
	struct vnet_hdr h;
	unsigned n, i;

	(void)state;
	spec_default(&s, AF_INET6, IPPROTO_TCP);
	s.payload = 3000;
	rdlen = build_super(rd, &s, 1000, VNET_GSO_TCPV6);
	len = rdlen - VNET_HDR_LEN;
	/* Insert an 8-byte destination options header (PadN). */
	memcpy(tmp, p, len);
	memcpy(p, tmp, 40);
	p[6] = IPPROTO_DSTOPTS;
	memset(p + 40, 0, 8);
	p[40] = IPPROTO_TCP;
	p[42] = 1;
	p[43] = 4;
	memcpy(p + 48, tmp + 40, len - 40);
	wr16(p + 4, (uint16_t)(len + 8 - 40));
	vnet_hdr_get(&h, rd);
	h.csum_start = 48;
	vnet_hdr_put(rd, &h);
	n = split(rdlen + 8, 1500, &vi);
	assert_int_equal(vi.l3len, 48);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(rd16(segs[i] + 4), seglen[i] - 40);
		assert_memory_equal(segs[i] + 40, p + 40, 8);
		assert_true(ref_l4_ok(segs[i], seglen[i], AF_INET6, 48,
		    IPPROTO_TCP));
		assert_memory_equal(segs[i] + 48 + 32, stream + off,
		    seglen[i] - 80);
		off += seglen[i] - 80;
	}
	assert_int_equal(off, 3000);
	/* A routing header would change the pseudo-header: refused. */
	p[6] = IPPROTO_ROUTING;
	expect_refused(rdlen + 8, "GSO behind a routing header");
}

/* Receive side. */

static uint8_t inbuf[80][2048];
static size_t inlen[80];
static uint8_t outbuf[VNET_HDR_LEN + 65535];

/* One TCP segment of a flow: seg k of gso 1000 payload bytes. */
static void
mkseg(unsigned slot, const struct spec *base, unsigned k, size_t pl,
    uint8_t flags)
{
	struct spec s = *base;

	s.seq = base->seq + (uint32_t)(k * 1000);
	s.off = base->off + k * 1000;
	s.id = (uint16_t)(base->id + k);
	s.payload = pl;
	s.flags = flags;
	inlen[slot] = build(inbuf[slot], &s);
}

/* Checks a coalesced output against the inputs it should hold. */
static void
check_coalesced(const struct gro_out *o, const unsigned *idx, unsigned cnt,
    const struct spec *s)
{
	struct vnet_hdr h;
	size_t l3 = spec_l3(s), l4 = spec_l4(s), off = l3 + l4;
	uint8_t ph[40];
	unsigned i;

	assert_int_equal(o->count, cnt);
	assert_int_equal(o->first, idx[0]);
	vnet_hdr_get(&h, o->vnet);
	assert_int_equal(h.flags, VNET_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, s->af == AF_INET ? VNET_GSO_TCPV4 :
	    VNET_GSO_TCPV6);
	assert_int_equal(h.hdr_len, l3 + l4);
	assert_int_equal(h.gso_size, inlen[idx[0]] - l3 - l4);
	assert_int_equal(h.csum_start, l3);
	assert_int_equal(h.csum_offset, 16);
	assert_memory_equal(o->pkt - VNET_HDR_LEN, o->vnet, VNET_HDR_LEN);
	if (s->af == AF_INET) {
		assert_int_equal(rd16(o->pkt + 2), o->len);
		assert_int_equal(rd16(o->pkt + 4), rd16(inbuf[idx[0]] + 4));
		assert_true(ref_ip4_ok(o->pkt));
	} else
		assert_int_equal(rd16(o->pkt + 4), o->len - 40);
	/* Headers are the first segment's but for lengths and checksums,
	 * and PSH from the last. */
	assert_memory_equal(o->pkt + l3, inbuf[idx[0]] + l3, 13);
	assert_int_equal(o->pkt[l3 + 13], inbuf[idx[cnt - 1]][l3 + 13]);
	assert_memory_equal(o->pkt + l3 + 14, inbuf[idx[0]] + l3 + 14, 2);
	assert_memory_equal(o->pkt + l3 + 20, inbuf[idx[0]] + l3 + 20,
	    l4 - 20);
	/* The partial checksum: the pseudo-header sum, not complemented. */
	assert_int_equal(rd16(o->pkt + l3 + 16), ref_fold(ref_sum(0, ph,
	    ref_pseudo(ph, s->af, o->pkt, IPPROTO_TCP, o->len - l3))));
	for (i = 0; i < cnt; i++) {
		size_t pl = inlen[idx[i]] - l3 - l4;

		assert_true(i + 1 == cnt || pl == h.gso_size);
		assert_memory_equal(o->pkt + off, inbuf[idx[i]] + l3 + l4, pl);
		off += pl;
	}
	assert_int_equal(off, o->len);
}

static void
check_single(const struct gro_out *o, unsigned idx)
{
	static const uint8_t zero[VNET_HDR_LEN];

	assert_int_equal(o->count, 1);
	assert_int_equal(o->first, idx);
	assert_memory_equal(o->vnet, zero, VNET_HDR_LEN);
	assert_ptr_equal(o->pkt, inbuf[idx]);
	assert_int_equal(o->len, inlen[idx]);
}

static void
test_gro_mixed(void **state)
{
	struct gro_batch b;
	struct gro_out o;
	struct spec a, bb, c;
	unsigned i, n = 0, total = 0;
	size_t bytes_in = 0, bytes_out = 0;
	static const unsigned run_a1[] = { 0, 1, 3, 6 };
	static const unsigned run_a2[] = { 8, 9 };
	static const unsigned run_b[] = { 2, 5, 13, 14 };

	(void)state;
	spec_default(&a, AF_INET, IPPROTO_TCP);
	spec_default(&bb, AF_INET6, IPPROTO_TCP);
	bb.off = 20000;
	spec_default(&c, AF_INET, IPPROTO_TCP);
	c.sport = 40001;
	mkseg(0, &a, 0, 1000, TCP_ACK);
	mkseg(1, &a, 1, 1000, TCP_ACK);
	mkseg(2, &bb, 0, 1000, TCP_ACK);
	mkseg(3, &a, 2, 1000, TCP_ACK);
	mkseg(4, &c, 0, 0, TCP_SYN);
	mkseg(5, &bb, 1, 1000, TCP_ACK);
	mkseg(6, &a, 3, 1000, TCP_ACK);
	mkseg(7, &a, 4, 1000, TCP_ACK);
	inbuf[7][100] ^= 0x55;                 /* bad TCP checksum */
	mkseg(8, &a, 5, 1000, TCP_ACK);
	mkseg(9, &a, 6, 1000, TCP_ACK);
	mkseg(10, &a, 8, 1000, TCP_ACK);       /* out of order */
	mkseg(11, &a, 7, 1000, TCP_ACK);
	mkseg(12, &a, 9, 1000, TCP_ACK | TCP_PSH);
	mkseg(13, &bb, 2, 1000, TCP_ACK);
	mkseg(14, &bb, 3, 600, TCP_ACK | TCP_PSH);
	c.proto = IPPROTO_UDP;
	mkseg(15, &c, 0, 500, 0);

	gro_init(&b, sizeof(outbuf), 0);
	for (i = 0; i < 16; i++) {
		assert_int_equal(gro_add(&b, inbuf[i], inlen[i]), 0);
		bytes_in += inlen[i];
	}
	while (gro_next(&b, &o, outbuf, sizeof(outbuf)) == 1) {
		switch (n++) {
		case 0:
			check_coalesced(&o, run_a1, 4, &a);
			break;
		case 1:
			check_coalesced(&o, run_b, 4, &bb);
			break;
		case 2:
			check_single(&o, 4);
			break;
		case 3:
			check_single(&o, 7);
			break;
		case 4:
			check_coalesced(&o, run_a2, 2, &a);
			break;
		case 5:
			check_single(&o, 10);
			break;
		case 6:
			check_single(&o, 11);
			break;
		case 7:
			check_single(&o, 12);
			break;
		case 8:
			check_single(&o, 15);
			break;
		default:
			fail_msg("output %u too many", n);
		}
		total += o.count;
		/* Bytes behind the headers add up; each merged segment
		 * drops its headers once. */
		bytes_out += o.len + (o.count - 1) * (o.pkt[0] >> 4 == 4 ?
		    52 : 72);
	}
	assert_int_equal(n, 9);
	assert_int_equal(total, 16);
	assert_int_equal(bytes_out, bytes_in);
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 0);
}

/* Split, then coalesce back: one packet again, same payload. */
static void
roundtrip_case(int af)
{
	struct vnet_info vi;
	struct gro_batch b;
	struct gro_out o;
	struct spec s;
	size_t rdlen, l3, gso;
	unsigned n, i;

	spec_default(&s, af, IPPROTO_TCP);
	s.flags = TCP_ACK | TCP_PSH;
	s.payload = 20000;
	l3 = spec_l3(&s);
	/* What the kernel picks for a 1500-byte MTU with timestamps. */
	gso = af == AF_INET ? 1448 : 1428;
	rdlen = build_super(rd, &s, gso, af == AF_INET ? VNET_GSO_TCPV4 :
	    VNET_GSO_TCPV6);
	n = split(rdlen, 1500, &vi);
	assert_int_equal(n, (s.payload + gso - 1) / gso);
	gro_init(&b, sizeof(outbuf), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(gro_add(&b, segs[i], seglen[i]), 0);
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 1);
	assert_int_equal(o.count, n);
	assert_int_equal(o.len, rdlen - VNET_HDR_LEN);
	/* Byte for byte the super-packet, the partial checksum included;
	 * IPv4's header checksum is the one of the new length. */
	assert_memory_equal(o.pkt, rd + VNET_HDR_LEN, o.len);
	assert_int_equal(rd16(o.pkt + l3 + 16), rd16(rd + VNET_HDR_LEN + l3
	    + 16));
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 0);
}

static void
test_gro_roundtrip(void **state)
{
	(void)state;
	roundtrip_case(AF_INET);
	roundtrip_case(AF_INET6);
}

/* Runs two segments of base (the second changed by change()) through
 * a batch and returns how many outputs came out. */
static unsigned
pair_outputs(const struct spec *base, void (*change)(uint8_t *, size_t *),
    size_t bufsize)
{
	struct gro_batch b;
	struct gro_out o;
	unsigned n = 0;

	mkseg(0, base, 0, 1000, TCP_ACK);
	mkseg(1, base, 1, 1000, TCP_ACK);
	if (change != NULL)
		change(inbuf[1], &inlen[1]);
	gro_init(&b, bufsize, 0);
	assert_int_equal(gro_add(&b, inbuf[0], inlen[0]), 0);
	assert_int_equal(gro_add(&b, inbuf[1], inlen[1]), 0);
	while (gro_next(&b, &o, outbuf, sizeof(outbuf)) == 1)
		n++;
	return n;
}

/* Rebuilds the checksums of an IPv4 TCP packet after a change. */
static void
refix4(uint8_t *p, size_t len)
{
	uint8_t ph[40];
	size_t l3 = (size_t)(p[0] & 0x0f) * 4;

	p[10] = p[11] = 0;
	wr16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, l3)));
	p[l3 + 16] = p[l3 + 17] = 0;
	wr16(p + l3 + 16, (uint16_t)~ref_fold(ref_sum(ref_sum(0, ph,
	    ref_pseudo(ph, AF_INET, p, IPPROTO_TCP, len - l3)), p + l3,
	    len - l3)));
}

static void ch_ttl(uint8_t *p, size_t *l) { p[8]--; refix4(p, *l); }
static void ch_tos(uint8_t *p, size_t *l) { p[1] = 0x10; refix4(p, *l); }
static void ch_ce(uint8_t *p, size_t *l) { p[1] = 0x03; refix4(p, *l); }
static void ch_ack(uint8_t *p, size_t *l) { p[29]++; refix4(p, *l); }
static void ch_win(uint8_t *p, size_t *l) { p[35]++; refix4(p, *l); }
static void ch_tsval(uint8_t *p, size_t *l) { p[47]++; refix4(p, *l); }
static void ch_id(uint8_t *p, size_t *l) { p[5]++; refix4(p, *l); }
static void ch_ece(uint8_t *p, size_t *l) { p[33] |= 0x40; refix4(p, *l); }
static void ch_fin(uint8_t *p, size_t *l) { p[33] |= 0x01; refix4(p, *l); }
static void ch_iphdr(uint8_t *p, size_t *l) { (void)l; p[10] ^= 1; }

static void
ch_opts(uint8_t *p, size_t *l)
{
	/* IPv4 options (a NOP word) in front of the TCP header. */
	memmove(p + 24, p + 20, *l - 20);
	p[0] = 0x46;
	memset(p + 20, 1, 4);
	*l += 4;
	wr16(p + 2, (uint16_t)*l);
	refix4(p, *l);
}

static void
test_gro_rules(void **state)
{
	struct spec s;

	(void)state;
	spec_default(&s, AF_INET, IPPROTO_TCP);
	assert_int_equal(pair_outputs(&s, NULL, sizeof(outbuf)), 1);
	assert_int_equal(pair_outputs(&s, ch_ttl, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_tos, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_ce, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_ack, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_win, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_tsval, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_ece, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_fin, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_iphdr, sizeof(outbuf)), 2);
	assert_int_equal(pair_outputs(&s, ch_opts, sizeof(outbuf)), 2);
	/* With DF the ID means nothing; without it, IDs must count. */
	assert_int_equal(pair_outputs(&s, ch_id, sizeof(outbuf)), 1);
	s.df = 0;
	assert_int_equal(pair_outputs(&s, NULL, sizeof(outbuf)), 1);
	assert_int_equal(pair_outputs(&s, ch_id, sizeof(outbuf)), 2);
	/* Not when the result would not fit the caller's buffer. */
	s.df = 1;
	assert_int_equal(pair_outputs(&s, NULL, VNET_HDR_LEN + 2051), 2);
	assert_int_equal(pair_outputs(&s, NULL, VNET_HDR_LEN + 2052), 1);
}

/* PSH and a short segment each end a run; what follows starts one. */
static void
test_gro_run_ends(void **state)
{
	static const size_t pl[] = { 1000, 1000, 500, 1000, 1000, 1000 };
	static const uint8_t fl[] = { TCP_ACK, TCP_ACK, TCP_ACK, TCP_ACK,
	    TCP_ACK | TCP_PSH, TCP_ACK };
	static const unsigned want_first[] = { 0, 3, 5 };
	static const unsigned want_count[] = { 3, 2, 1 };
	struct gro_batch b;
	struct gro_out o;
	struct spec s, t;
	uint32_t seq;
	unsigned i, n = 0;

	(void)state;
	spec_default(&s, AF_INET6, IPPROTO_TCP);
	gro_init(&b, sizeof(outbuf), 0);
	seq = s.seq;
	for (i = 0; i < 6; i++) {
		t = s;
		t.seq = seq;
		t.off = seq - s.seq;
		t.payload = pl[i];
		t.flags = fl[i];
		inlen[i] = build(inbuf[i], &t);
		seq += (uint32_t)pl[i];
		assert_int_equal(gro_add(&b, inbuf[i], inlen[i]), 0);
	}
	while (gro_next(&b, &o, outbuf, sizeof(outbuf)) == 1) {
		assert_true(n < 3);
		assert_int_equal(o.first, want_first[n]);
		assert_int_equal(o.count, want_count[n]);
		n++;
	}
	assert_int_equal(n, 3);
}

/* A batch of 64 segments of one flow: 64 KB are not exceeded. */
static void
test_gro_limits(void **state)
{
	struct gro_batch b;
	struct gro_out o;
	struct spec s;
	unsigned i, n = 0, total = 0;

	(void)state;
	spec_default(&s, AF_INET, IPPROTO_TCP);
	s.ts = 0;
	gro_init(&b, sizeof(outbuf), 0);
	for (i = 0; i < GRO_BATCH_MAX; i++) {
		mkseg(i, &s, i, 1000, TCP_ACK);
		assert_int_equal(gro_add(&b, inbuf[i], inlen[i]), 0);
	}
	assert_int_equal(gro_add(&b, inbuf[0], inlen[0]), -1);
	/* A buffer smaller than promised: refused, nothing consumed. */
	assert_int_equal(gro_next(&b, &o, outbuf, 1000), -1);
	while (gro_next(&b, &o, outbuf, sizeof(outbuf)) == 1) {
		assert_true(o.len <= 65535);
		total += o.count;
		n++;
	}
	/* 65535 - 40 bytes of headers leave room for 65 segments of 1000. */
	assert_int_equal(n, 1);
	assert_int_equal(total, GRO_BATCH_MAX);

	/* IPv6 and a 1460 MSS: 44 segments fit in 64 KB, the rest do not. */
	spec_default(&s, AF_INET6, IPPROTO_TCP);
	s.ts = 0;
	gro_init(&b, sizeof(outbuf), 0);
	for (i = 0; i < 50; i++) {
		struct spec t = s;

		t.seq = s.seq + i * 1460;
		t.off = i * 1000;
		t.payload = 1460;
		inlen[i] = build(inbuf[i], &t);
		assert_int_equal(gro_add(&b, inbuf[i], inlen[i]), 0);
	}
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 1);
	assert_int_equal(o.count, 44);
	assert_int_equal(o.len, 40 + 20 + 44 * 1460);
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 1);
	assert_int_equal(o.count, 6);
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 0);
}

/* UDP: datagram k of 64 bytes of a flow, its IPv4 ID counting up. */
static void
mkdgram(unsigned slot, const struct spec *base, unsigned k, size_t pl)
{
	struct spec s = *base;

	s.off = base->off + k * 64;
	s.id = (uint16_t)(base->id + k);
	s.payload = pl;
	inlen[slot] = build(inbuf[slot], &s);
}

/* Rebuilds the checksums of a UDP packet after a change. */
static void
refix_udp(uint8_t *p, size_t len, int af)
{
	uint8_t ph[40];
	size_t l3 = af == AF_INET ? (size_t)(p[0] & 0x0f) * 4 : 40;

	if (af == AF_INET) {
		p[10] = p[11] = 0;
		wr16(p + 10, (uint16_t)~ref_fold(ref_sum(0, p, l3)));
	}
	p[l3 + 6] = p[l3 + 7] = 0;
	wr16(p + l3 + 6, (uint16_t)~ref_fold(ref_sum(ref_sum(0, ph,
	    ref_pseudo(ph, af, p, IPPROTO_UDP, len - l3)), p + l3, len - l3)));
}

/* Five 64-byte datagrams and a 20-byte one become one UDP_L4 write:
 * its header and bytes exactly, and the splitter (the kernel's
 * __udp_gso_segment) gives back the datagrams byte for byte. */
static void
gro_udp_case(int af)
{
	static const size_t pl[] = { 64, 64, 64, 64, 64, 20 };
	uint8_t want[VNET_HDR_LEN + 1000], ph[40];
	struct vnet_hdr h, wh;
	struct vnet_info vi;
	struct gro_batch b;
	struct gro_out o;
	struct spec s;
	size_t l3, wantlen;
	unsigned i, n;

	spec_default(&s, af, IPPROTO_UDP);
	s.tos = 0x03;                   /* CE on all: kept on all */
	l3 = spec_l3(&s);
	gro_init(&b, sizeof(outbuf), af == AF_INET ? GRO_UDP4 : GRO_UDP6);
	for (i = 0; i < 6; i++) {
		mkdgram(i, &s, i, pl[i]);
		assert_int_equal(gro_add(&b, inbuf[i], inlen[i]), 0);
	}
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 1);
	assert_int_equal(o.first, 0);
	assert_int_equal(o.count, 6);
	assert_int_equal(o.proto, IPPROTO_UDP);
	assert_int_equal(gro_next(&b, &o, outbuf, sizeof(outbuf)), 0);

	/* The datagram with all payloads, its checksum the partial one. */
	s.payload = 5 * 64 + 20;
	wantlen = build(want + VNET_HDR_LEN, &s);
	wr16(want + VNET_HDR_LEN + l3 + 6, ref_fold(ref_sum(0, ph,
	    ref_pseudo(ph, af, want + VNET_HDR_LEN, IPPROTO_UDP,
	    wantlen - l3))));
	wh.flags = VNET_F_NEEDS_CSUM;
	wh.gso_type = VNET_GSO_UDP_L4;
	wh.hdr_len = (uint16_t)(l3 + 8);
	wh.gso_size = 64;
	wh.csum_start = (uint16_t)l3;
	wh.csum_offset = 6;
	vnet_hdr_put(want, &wh);
	vnet_hdr_get(&h, o.vnet);
	assert_int_equal(h.flags, VNET_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VNET_GSO_UDP_L4);
	assert_int_equal(h.hdr_len, l3 + 8);
	assert_int_equal(h.gso_size, 64);
	assert_int_equal(h.csum_start, l3);
	assert_int_equal(h.csum_offset, 6);
	assert_memory_equal(o.vnet, want, VNET_HDR_LEN);
	assert_int_equal(o.len, wantlen);
	assert_ptr_equal(o.pkt, outbuf + VNET_HDR_LEN);
	assert_memory_equal(outbuf, want, VNET_HDR_LEN + wantlen);

	/* Split again as a read from tun. */
	memcpy(rd, outbuf, VNET_HDR_LEN + o.len);
	n = split(VNET_HDR_LEN + o.len, 1500, &vi);
	assert_int_equal(vi.kind, OFFLOAD_GSO);
	assert_int_equal(vi.proto, IPPROTO_UDP);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_int_equal(seglen[i], inlen[i]);
		assert_memory_equal(segs[i], inbuf[i], inlen[i]);
	}
}

static void
test_gro_udp(void **state)
{
	(void)state;
	gro_udp_case(AF_INET);
	gro_udp_case(AF_INET6);
}

/* Runs two datagrams of base (the second changed by change()) through a
 * batch with flags and returns how many outputs came out. */
static unsigned
udp_pair_outputs(const struct spec *base, void (*change)(uint8_t *,
    size_t *), unsigned flags)
{
	struct gro_batch b;
	struct gro_out o;
	unsigned n = 0;

	mkdgram(0, base, 0, 64);
	mkdgram(1, base, 1, 64);
	if (change != NULL)
		change(inbuf[1], &inlen[1]);
	gro_init(&b, sizeof(outbuf), flags);
	assert_int_equal(gro_add(&b, inbuf[0], inlen[0]), 0);
	assert_int_equal(gro_add(&b, inbuf[1], inlen[1]), 0);
	while (gro_next(&b, &o, outbuf, sizeof(outbuf)) == 1)
		n++;
	return n;
}

static void fix4(uint8_t *p, size_t l) { refix_udp(p, l, AF_INET); }
static void fix6(uint8_t *p, size_t l) { refix_udp(p, l, AF_INET6); }
static void u4_ttl(uint8_t *p, size_t *l) { p[8]--; fix4(p, *l); }
static void u4_tos(uint8_t *p, size_t *l) { p[1] = 0x10; fix4(p, *l); }
static void u4_id(uint8_t *p, size_t *l) { p[5]++; fix4(p, *l); }
static void u4_df(uint8_t *p, size_t *l) { p[6] ^= 0x40; fix4(p, *l); }
static void u4_port(uint8_t *p, size_t *l) { p[21]++; fix4(p, *l); }
static void u4_csum(uint8_t *p, size_t *l) { (void)l; p[27] ^= 1; }
static void u4_nocsum(uint8_t *p, size_t *l) { (void)l; p[26] = p[27] = 0; }
static void u4_iphdr(uint8_t *p, size_t *l) { (void)l; p[10] ^= 1; }
static void u6_hop(uint8_t *p, size_t *l) { p[7]--; fix6(p, *l); }
static void u6_flow(uint8_t *p, size_t *l) { p[3]++; fix6(p, *l); }
static void u6_nocsum(uint8_t *p, size_t *l) { (void)l; p[46] = p[47] = 0; }

static void
u4_frag(uint8_t *p, size_t *l)
{
	p[6] |= 0x20;                   /* MF: the first of a datagram */
	refix_udp(p, *l, AF_INET);
}

static void
u4_ulen(uint8_t *p, size_t *l)
{
	/* A UDP length short of the IP payload: trailing bytes. */
	wr16(p + 24, (uint16_t)(rd16(p + 24) - 2));
	refix_udp(p, *l, AF_INET);
}

static void
u4_longer(uint8_t *p, size_t *l)
{
	/* A datagram longer than the first. */
	p[*l] = 0x5a;
	(*l)++;
	wr16(p + 2, (uint16_t)*l);
	wr16(p + 24, (uint16_t)(*l - 20));
	refix_udp(p, *l, AF_INET);
}

static void
u4_opts(uint8_t *p, size_t *l)
{
	memmove(p + 24, p + 20, *l - 20);
	p[0] = 0x46;
	memset(p + 20, 1, 4);
	*l += 4;
	wr16(p + 2, (uint16_t)*l);
	refix_udp(p, *l, AF_INET);
}

static void
test_gro_udp_rules(void **state)
{
	const unsigned both = GRO_UDP4 | GRO_UDP6;
	struct spec s;

	(void)state;
	spec_default(&s, AF_INET, IPPROTO_UDP);
	assert_int_equal(udp_pair_outputs(&s, NULL, both), 1);
	assert_int_equal(udp_pair_outputs(&s, NULL, GRO_UDP4), 1);
	/* Only where the tun took USO for the family. */
	assert_int_equal(udp_pair_outputs(&s, NULL, 0), 2);
	assert_int_equal(udp_pair_outputs(&s, NULL, GRO_UDP6), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_ttl, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_tos, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_df, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_port, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_csum, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_nocsum, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_iphdr, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_frag, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_ulen, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_longer, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u4_opts, both), 2);
	/* With DF the ID means nothing; without it, IDs must count. */
	assert_int_equal(udp_pair_outputs(&s, u4_id, both), 1);
	s.df = 0;
	assert_int_equal(udp_pair_outputs(&s, NULL, both), 1);
	assert_int_equal(udp_pair_outputs(&s, u4_id, both), 2);

	spec_default(&s, AF_INET6, IPPROTO_UDP);
	assert_int_equal(udp_pair_outputs(&s, NULL, both), 1);
	assert_int_equal(udp_pair_outputs(&s, NULL, GRO_UDP6), 1);
	assert_int_equal(udp_pair_outputs(&s, NULL, GRO_UDP4), 2);
	assert_int_equal(udp_pair_outputs(&s, u6_hop, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u6_flow, both), 2);
	assert_int_equal(udp_pair_outputs(&s, u6_nocsum, both), 2);
}

/* Flows apart, order within each kept: a TCP segment with the same
 * ports is another flow; a fragment between the flow's addresses ends
 * its run, so the datagram after it is not written before it. */
static void
test_gro_udp_order(void **state)
{
	static const unsigned run_u[] = { 0, 2 };
	struct gro_batch b;
	struct gro_out o;
	struct spec u, t, f;
	unsigned i, n = 0;

	(void)state;
	spec_default(&u, AF_INET, IPPROTO_UDP);
	spec_default(&t, AF_INET, IPPROTO_TCP);
	f = u;
	f.sport = 40001;
	f.df = 0;
	mkdgram(0, &u, 0, 64);
	mkseg(1, &t, 0, 64, TCP_ACK);
	mkdgram(2, &u, 1, 64);
	mkdgram(3, &f, 0, 64);          /* another flow's first fragment */
	u4_frag(inbuf[3], &inlen[3]);
	mkdgram(4, &u, 2, 64);
	mkdgram(5, &u, 3, 64);
	gro_init(&b, sizeof(outbuf), GRO_UDP4);
	for (i = 0; i < 6; i++)
		assert_int_equal(gro_add(&b, inbuf[i], inlen[i]), 0);
	while (gro_next(&b, &o, outbuf, sizeof(outbuf)) == 1) {
		switch (n++) {
		case 0:
			assert_int_equal(o.first, run_u[0]);
			assert_int_equal(o.count, 2);
			assert_int_equal(o.proto, IPPROTO_UDP);
			assert_memory_equal(o.pkt + 28, inbuf[0] + 28, 64);
			assert_memory_equal(o.pkt + 28 + 64, inbuf[2] + 28, 64);
			break;
		case 1:
			check_single(&o, 1);
			break;
		case 2:
			check_single(&o, 3);
			break;
		case 3:
			assert_int_equal(o.first, 4);
			assert_int_equal(o.count, 2);
			break;
		default:
			fail_msg("output %u too many", n);
		}
	}
	assert_int_equal(n, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_tcp4),
		cmocka_unit_test(test_split_tcp6),
		cmocka_unit_test(test_split_tcp_small_mtu),
		cmocka_unit_test(test_split_no_room),
		cmocka_unit_test(test_split_udp),
		cmocka_unit_test(test_csum_and_plain),
		cmocka_unit_test(test_udp_zero_checksum),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_split_ipv6_ext),
		cmocka_unit_test(test_gro_mixed),
		cmocka_unit_test(test_gro_roundtrip),
		cmocka_unit_test(test_gro_rules),
		cmocka_unit_test(test_gro_run_ends),
		cmocka_unit_test(test_gro_limits),
		cmocka_unit_test(test_gro_udp),
		cmocka_unit_test(test_gro_udp_rules),
		cmocka_unit_test(test_gro_udp_order),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

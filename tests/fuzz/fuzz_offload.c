/* Fuzzes the tun offload code (src/net/offload.h) on reads from tun:
 * offload_parse_vnet, the segmenter (every segment's lengths, IPv4 ID
 * and header checksum, transport checksum against a plain RFC 1071 sum,
 * payload bytes against the super-packet's), and the coalescer on the
 * raw packet and the segments, changed as the input asks, with UDP
 * coalescing allowed, then once more without it (no UDP output then).
 * Whatever the coalescer writes must parse again as a super-packet, and
 * splitting it must give back inputs (but for the IPv4 ID under DF and
 * checksum spellings), each input exactly once, in order within each
 * output, and none with a bad or (UDP) no checksum merged.
 *
 * Input, every byte sequence valid:
 *
 *   [0..1]   the tunnel MTU, 68 + (big-endian value mod 9000)
 *   [2]      what is done to the segments before they are coalesced:
 *            bit 0 swap segments 1 and 2, bit 1 flip a byte of
 *            segment (bits 4-6) at an offset of input byte [3], bit 2
 *            leave segment 3 out, bit 3 add segment 0 again at the
 *            end, bit 7 a 3000-byte coalescing buffer
 *   [3]      see bit 1 of [2]
 *   [4..]    the read from tun: virtio_net_hdr, then the packet
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/net/offload.h"
#include "tests/fuzz/fuzz.h"

#define SLOTS     GRO_BATCH_MAX
#define SLOT_LEN  (OFFLOAD_PKT_MAX + 1)

static uint8_t seg[SLOTS][SLOT_LEN];
static size_t seglen[SLOTS];
static uint8_t gro_buf[VNET_HDR_LEN + OFFLOAD_PKT_MAX];
static uint8_t resplit[SLOT_LEN];
static int verbose = -1;

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071, the obvious way. */
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

static bool
ref_ok(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Transport checksum of an IP packet whose transport header is at l3. */
static bool
ref_l4_ok(const uint8_t *p, size_t len, int af, size_t l3, uint8_t proto)
{
	uint8_t ph[40];
	size_t n;

	if (af == AF_INET) {
		memcpy(ph, p + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)((len - l3) >> 8);
		ph[11] = (uint8_t)(len - l3);
		n = 12;
	} else {
		memcpy(ph, p + 8, 32);
		ph[32] = ph[33] = 0;
		ph[34] = (uint8_t)((len - l3) >> 8);
		ph[35] = (uint8_t)(len - l3);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	}
	return ref_ok(ref_sum(ref_sum(0, ph, n), p + l3, len - l3));
}

static void
check_gso_segment(const struct vnet_info *vi, const struct seg_iter *it,
    const uint8_t *s, size_t len, size_t payload_off, size_t mtu,
    uint32_t index)
{
	size_t hdrs = (size_t)vi->l3len + vi->l4len, n = len - hdrs;

	FUZZ_CHECK(len > hdrs && n <= it->mss);
	if (vi->proto == IPPROTO_TCP)
		FUZZ_CHECK(len <= mtu && it->mss <= vi->gso_size);
	else
		FUZZ_CHECK(it->mss == vi->gso_size);
	if (vi->af == AF_INET) {
		FUZZ_CHECK(rd16(s + 2) == len);
		FUZZ_CHECK(rd16(s + 4) == (uint16_t)(rd16(vi->pkt + 4) + index));
		FUZZ_CHECK(ref_ok(ref_sum(0, s, vi->l3len)));
	} else
		FUZZ_CHECK(rd16(s + 4) == len - 40);
	FUZZ_CHECK(ref_l4_ok(s, len, vi->af, vi->l3len, vi->proto));
	if (vi->proto == IPPROTO_UDP)
		FUZZ_CHECK(rd16(s + vi->l3len + 4) == vi->l4len + n);
	FUZZ_CHECK(memcmp(s + hdrs, vi->pkt + hdrs + payload_off, n) == 0);
}

/* Splits the parsed read into seg[]; returns how many (at most SLOTS:
 * the rest are still checked, then dropped). */
static unsigned
split_and_check(const struct vnet_info *vi, size_t mtu)
{
	struct seg_iter it;
	uint8_t *out;
	size_t len, off = 0, spare_len;
	unsigned n = 0;
	int rc;

	if (offload_seg_init(&it, vi, mtu) == -1) {
		FUZZ_CHECK(vi->kind == OFFLOAD_GSO && vi->proto == IPPROTO_TCP &&
		    mtu <= (size_t)vi->l3len + vi->l4len);
		return 0;
	}
	FUZZ_CHECK(offload_seg_count(&it) >= 1);
	for (;;) {
		out = n < SLOTS ? seg[n] : resplit;
		/* One byte too few consumes nothing. */
		if (it.index == 0 && vi->kind == OFFLOAD_GSO) {
			size_t first = (size_t)vi->l3len + vi->l4len +
			    (it.payload < it.mss ? it.payload : it.mss);

			FUZZ_CHECK(offload_segment_next(&it, out, first - 1,
			    &spare_len) == -1);
		}
		rc = offload_segment_next(&it, out, SLOT_LEN, &len);
		if (rc == 0)
			break;
		FUZZ_CHECK(rc == 1 && len <= SLOT_LEN);
		if (vi->kind == OFFLOAD_GSO) {
			check_gso_segment(vi, &it, out, len, off, mtu,
			    it.index - 1);
			off += len - vi->l3len - vi->l4len;
		} else {
			size_t i, at = (size_t)vi->hdr.csum_start +
			    vi->hdr.csum_offset;

			FUZZ_CHECK(len == vi->len);
			for (i = 0; i < len; i++)
				FUZZ_CHECK(out[i] == vi->pkt[i] ||
				    (vi->kind == OFFLOAD_CSUM &&
				    (i == at || i == at + 1)));
			off = len;
		}
		if (n < SLOTS)
			seglen[n++] = len;
	}
	FUZZ_CHECK(it.index == offload_seg_count(&it));
	FUZZ_CHECK(off == (vi->kind == OFFLOAD_GSO ?
	    vi->len - vi->l3len - vi->l4len : vi->len));
	return n;
}

/* A resplit segment against an input: the same bytes but for the IPv4
 * header checksum and the transport checksum (both verified apart), and
 * the IPv4 ID when DF makes it meaningless. */
static bool
same_segment(const uint8_t *s, size_t slen, const uint8_t *in, size_t ilen,
    size_t l3, uint8_t proto)
{
	size_t i, c = l3 + (proto == IPPROTO_TCP ? 16 : 6);

	if (slen != ilen)
		return false;
	for (i = 0; i < slen; i++) {
		if (s[i] == in[i])
			continue;
		if (i == c || i == c + 1)
			continue;
		if ((s[0] >> 4) == 4 && (i == 10 || i == 11))
			continue;
		if ((s[0] >> 4) == 4 && (s[6] & 0x40) && (i == 4 || i == 5))
			continue;
		return false;
	}
	return true;
}

static void
check_coalesced(const struct gro_out *o, const uint8_t *const *in,
    const size_t *inlen, unsigned n, bool *used, size_t max_len)
{
	struct vnet_info vi;
	struct seg_iter it;
	struct vnet_hdr h;
	size_t len;
	unsigned k = 0, j = o->first;
	int af;

	FUZZ_CHECK(o->count >= 2 && o->len <= max_len);
	FUZZ_CHECK(o->pkt == gro_buf + VNET_HDR_LEN);
	FUZZ_CHECK(memcmp(gro_buf, o->vnet, VNET_HDR_LEN) == 0);
	vnet_hdr_get(&h, o->vnet);
	/* What we write must pass what we accept (the kernel's rules). */
	FUZZ_CHECK(offload_parse_vnet(gro_buf, VNET_HDR_LEN + o->len,
	    &vi) == 0);
	FUZZ_CHECK(vi.kind == OFFLOAD_GSO && vi.proto == o->proto);
	FUZZ_CHECK(h.flags == VNET_F_NEEDS_CSUM);
	FUZZ_CHECK(h.hdr_len == vi.l3len + vi.l4len);
	af = vi.af;
	if (o->proto == IPPROTO_TCP) {
		FUZZ_CHECK(h.csum_offset == 16);
		FUZZ_CHECK(h.gso_type == (af == AF_INET ? VNET_GSO_TCPV4 :
		    VNET_GSO_TCPV6));
	} else {
		FUZZ_CHECK(o->proto == IPPROTO_UDP && h.csum_offset == 6);
		FUZZ_CHECK(h.gso_type == VNET_GSO_UDP_L4);
	}
	FUZZ_CHECK(offload_seg_init(&it, &vi, OFFLOAD_PKT_MAX) == 0);
	FUZZ_CHECK(offload_seg_count(&it) == o->count);
	while (offload_segment_next(&it, resplit, sizeof(resplit), &len) == 1) {
		/* The first is o->first; each next one the earliest unused
		 * input after the previous that has its bytes. */
		if (k > 0) {
			for (j++; j < n; j++)
				if (!used[j] && same_segment(resplit, len,
				    in[j], inlen[j], vi.l3len, vi.proto))
					break;
		}
		FUZZ_CHECK(j < n && !used[j]);
		FUZZ_CHECK(same_segment(resplit, len, in[j], inlen[j],
		    vi.l3len, vi.proto));
		/* Nothing with a bad checksum, or none, was merged. */
		FUZZ_CHECK(ref_l4_ok(in[j], inlen[j], af, vi.l3len, vi.proto));
		if (vi.proto == IPPROTO_UDP)
			FUZZ_CHECK(rd16(in[j] + vi.l3len + 6) != 0);
		if (af == AF_INET)
			FUZZ_CHECK(ref_ok(ref_sum(0, in[j], vi.l3len)));
		used[j] = true;
		k++;
	}
	FUZZ_CHECK(k == o->count);
}

static void
coalesce_and_check(const uint8_t *const *in, const size_t *inlen,
    unsigned n, size_t bufsize, unsigned flags)
{
	static struct gro_batch b;
	struct gro_out o;
	bool used[SLOTS];
	unsigned i, total = 0, outs = 0, prev_first = 0;
	size_t max_len = bufsize - VNET_HDR_LEN;
	int rc;

	if (max_len > OFFLOAD_PKT_MAX)
		max_len = OFFLOAD_PKT_MAX;
	gro_init(&b, bufsize, flags);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(gro_add(&b, in[i], inlen[i]) == 0);
	FUZZ_CHECK(n < SLOTS || gro_add(&b, in[0], inlen[0]) == -1);
	memset(used, 0, sizeof(used));
	/* Every output's first input is known; mark them before matching
	 * the others, so that a copy of one is not taken for it. */
	while ((rc = gro_next(&b, &o, gro_buf, bufsize)) == 1) {
		FUZZ_CHECK(o.first < n && o.count >= 1);
		FUZZ_CHECK(outs == 0 || o.first > prev_first);
		FUZZ_CHECK(!used[o.first]);
		used[o.first] = true;
		prev_first = o.first;
		outs++;
	}
	FUZZ_CHECK(rc == 0);
	gro_init(&b, bufsize, flags);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(gro_add(&b, in[i], inlen[i]) == 0);
	while (gro_next(&b, &o, gro_buf, bufsize) == 1) {
		if (verbose)
			printf(" [%u+%u]", o.first, o.count);
		total += o.count;
		if (o.count == 1) {
			static const uint8_t zero[VNET_HDR_LEN];

			FUZZ_CHECK(memcmp(o.vnet, zero, VNET_HDR_LEN) == 0);
			FUZZ_CHECK(o.pkt == in[o.first] &&
			    o.len == inlen[o.first]);
			continue;
		}
		FUZZ_CHECK(flags != 0 || o.proto == IPPROTO_TCP);
		used[o.first] = false;
		check_coalesced(&o, in, inlen, n, used, max_len);
	}
	FUZZ_CHECK(total == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(used[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_info vi;
	const uint8_t *in[SLOTS];
	size_t inlen[SLOTS], mtu, bufsize;
	unsigned nseg, n = 0, i, victim;
	uint8_t plan, flip;

	if (verbose == -1)
		verbose = getenv("VPNTUND_FUZZ_VERBOSE") != NULL;
	if (size < 4)
		return 0;
	mtu = 68 + rd16(data) % 9000;
	plan = data[2];
	flip = data[3];
	data += 4;
	size -= 4;

	if (offload_parse_vnet(data, size, &vi) == -1) {
		FUZZ_CHECK(vi.why != NULL && vi.why[0] != '\0');
		if (verbose)
			printf("refused: %s;", vi.why);
		nseg = 0;
	} else {
		FUZZ_CHECK(vi.pkt == data + VNET_HDR_LEN &&
		    vi.len == size - VNET_HDR_LEN);
		if (vi.kind == OFFLOAD_GSO) {
			FUZZ_CHECK(vi.gso_size > 0 && vi.l3len == vi.hdr.csum_start);
			FUZZ_CHECK((size_t)vi.l3len + vi.l4len < vi.len);
		}
		nseg = split_and_check(&vi, mtu);
		if (verbose)
			printf("kind %d, %u segments for mtu %zu;", vi.kind,
			    nseg, mtu);
	}

	/* The coalescer sees the raw packet and the segments. */
	if (size > VNET_HDR_LEN && size - VNET_HDR_LEN <= OFFLOAD_PKT_MAX) {
		in[n] = data + VNET_HDR_LEN;
		inlen[n++] = size - VNET_HDR_LEN;
	}
	if (nseg > SLOTS - 2)
		nseg = SLOTS - 2;
	if ((plan & 0x01) && nseg > 2) {
		memcpy(resplit, seg[1], seglen[1]);
		memcpy(seg[1], seg[2], seglen[2]);
		memcpy(seg[2], resplit, seglen[1]);
		i = (unsigned)seglen[1];
		seglen[1] = seglen[2];
		seglen[2] = i;
	}
	if ((plan & 0x02) && nseg > 0) {
		victim = ((plan >> 4) & 0x07) % nseg;
		seg[victim][flip % seglen[victim]] ^= 0x20;
	}
	for (i = 0; i < nseg; i++) {
		if ((plan & 0x04) && i == 3)
			continue;
		in[n] = seg[i];
		inlen[n++] = seglen[i];
	}
	if ((plan & 0x08) && nseg > 0) {
		in[n] = seg[0];
		inlen[n++] = seglen[0];
	}
	bufsize = (plan & 0x80) ? 3000 : sizeof(gro_buf);
	if (verbose)
		printf(" outputs [first+count]:");
	if (n > 0) {
		coalesce_and_check(in, inlen, n, bufsize, GRO_UDP4 | GRO_UDP6);
		coalesce_and_check(in, inlen, n, bufsize, 0);
	}
	if (verbose)
		printf("\n");
	return 0;
}

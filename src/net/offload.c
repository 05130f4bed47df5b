/* Tun offloads, the way out: virtio_net_hdr parsing and the segmentation
 * of super-packets (see offload.h for the rules followed). */
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/virtio_net.h>

#include <string.h>

#include "util/be.h"
#include "util/csum.h"
#include "src/net/offload.h"
#include "src/net/offload_int.h"

_Static_assert(sizeof(struct virtio_net_hdr) == VNET_HDR_LEN,
    "legacy virtio_net_hdr");
_Static_assert(VIRTIO_NET_HDR_F_NEEDS_CSUM == VNET_F_NEEDS_CSUM &&
    VIRTIO_NET_HDR_GSO_TCPV4 == VNET_GSO_TCPV4 &&
    VIRTIO_NET_HDR_GSO_TCPV6 == VNET_GSO_TCPV6 &&
    VIRTIO_NET_HDR_GSO_ECN == VNET_GSO_ECN, "virtio_net.h values");

void
vnet_hdr_get(struct vnet_hdr *h, const uint8_t b[VNET_HDR_LEN])
{
	h->flags = b[0];
	h->gso_type = b[1];
	memcpy(&h->hdr_len, b + 2, 2);
	memcpy(&h->gso_size, b + 4, 2);
	memcpy(&h->csum_start, b + 6, 2);
	memcpy(&h->csum_offset, b + 8, 2);
}

void
vnet_hdr_put(uint8_t b[VNET_HDR_LEN], const struct vnet_hdr *h)
{
	b[0] = h->flags;
	b[1] = h->gso_type;
	memcpy(b + 2, &h->hdr_len, 2);
	memcpy(b + 4, &h->gso_size, 2);
	memcpy(b + 6, &h->csum_start, 2);
	memcpy(b + 8, &h->csum_offset, 2);
}

static int
fail(struct vnet_info *vi, const char *why)
{
	vi->why = why;
	return -1;
}

/* Walks IPv6 extension headers to the transport header. A routing
 * header changes the destination of the pseudo-header (RFC 8200 8.1),
 * which the segmenter takes from the fixed header: it is only allowed
 * where the kernel's own partial sum is used. */
int
offload_ip6_walk(const uint8_t *p, size_t len, int routing, uint8_t *proto,
    size_t *l3)
{
	size_t off = IP6_HDR_LEN;
	uint8_t nh = p[6];
	int i;

	for (i = 0; i < IP6_EXT_MAX; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
			/* Only right behind the fixed header (RFC 8200 4.1). */
			if (off != IP6_HDR_LEN)
				return -1;
			break;
		case IPPROTO_ROUTING:
			if (!routing)
				return -1;
			break;
		case IPPROTO_DSTOPTS:
			break;
		default:
			*proto = nh;
			*l3 = off;
			return 0;
		}
		if (len - off < 8)
			return -1;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
		if (off > len)
			return -1;
	}
	return -1;
}

/* The IP header of a packet with a checksum to finish or segments to
 * cut: lengths that agree with what was read, no fragment. */
static int
parse_ip(struct vnet_info *vi, int routing, uint8_t *proto, size_t *l3)
{
	const uint8_t *p = vi->pkt;
	size_t len = vi->len;

	if (len > OFFLOAD_PKT_MAX)
		return fail(vi, "packet longer than 65535");
	switch (p[0] >> 4) {
	case 4:
		if (len < IP4_HDR_MIN)
			return fail(vi, "IPv4 header truncated");
		*l3 = (size_t)(p[0] & 0x0f) * 4;
		if (*l3 < IP4_HDR_MIN)
			return fail(vi, "IPv4 IHL below 5");
		if (*l3 > len)
			return fail(vi, "IPv4 header beyond the packet");
		if (be_get16(p + 2) != len)
			return fail(vi, "IPv4 total length is not the read's");
		/* The kernel finishes checksums before it fragments. */
		if ((be_get16(p + 6) & 0x3fff) != 0)
			return fail(vi, "IPv4 fragment with an offload");
		*proto = p[9];
		vi->af = AF_INET;
		return 0;
	case 6:
		if (len < IP6_HDR_LEN)
			return fail(vi, "IPv6 header truncated");
		if (be_get16(p + 4) != len - IP6_HDR_LEN)
			return fail(vi, "IPv6 payload length is not the read's");
		if (offload_ip6_walk(p, len, routing, proto, l3) == -1)
			return fail(vi, "IPv6 extension headers not followed");
		vi->af = AF_INET6;
		return 0;
	default:
		return fail(vi, "not IPv4 or IPv6");
	}
}

static int
parse_csum(struct vnet_info *vi)
{
	const struct vnet_hdr *h = &vi->hdr;
	uint8_t proto;
	size_t l3;

	if (parse_ip(vi, 1, &proto, &l3) == -1)
		return -1;
	/* virtio_net_hdr_to_skb: the checksum lies behind the network
	 * header and within the packet. */
	if (h->csum_start < l3)
		return fail(vi, "csum_start inside the IP header");
	if ((size_t)h->csum_start + h->csum_offset + 2 > vi->len)
		return fail(vi, "checksum beyond the packet");
	vi->kind = OFFLOAD_CSUM;
	return 0;
}

static int
parse_gso(struct vnet_info *vi)
{
	const struct vnet_hdr *h = &vi->hdr;
	const uint8_t *p = vi->pkt;
	uint8_t want_proto, proto;
	int want_af;
	size_t l3, l4;

	switch (h->gso_type & ~VNET_GSO_ECN) {
	case VNET_GSO_TCPV4:
		want_af = AF_INET;
		want_proto = IPPROTO_TCP;
		break;
	case VNET_GSO_TCPV6:
		want_af = AF_INET6;
		want_proto = IPPROTO_TCP;
		break;
	case VNET_GSO_UDP_L4:
		if (h->gso_type & VNET_GSO_ECN)
			return fail(vi, "GSO ECN on UDP");
		want_af = 0;
		want_proto = IPPROTO_UDP;
		break;
	default:
		return fail(vi, "GSO type unknown");
	}
	/* The kernel hands out GSO packets with CHECKSUM_PARTIAL only, and
	 * csum_start is what says where the transport header starts. */
	if (!(h->flags & VNET_F_NEEDS_CSUM))
		return fail(vi, "GSO without NEEDS_CSUM");
	if (h->gso_size == 0)
		return fail(vi, "GSO with gso_size 0");
	if (parse_ip(vi, 0, &proto, &l3) == -1)
		return -1;
	if (want_af != 0 && vi->af != want_af)
		return fail(vi, "IP version is not the GSO type's");
	if (proto != want_proto)
		return fail(vi, "transport protocol is not the GSO type's");
	if (h->csum_start != l3)
		return fail(vi, "csum_start is not the transport header");
	if (proto == IPPROTO_TCP) {
		if (h->csum_offset != TCP_CSUM_OFF)
			return fail(vi, "csum_offset is not TCP's");
		if (vi->len - l3 < TCP_HDR_MIN)
			return fail(vi, "TCP header truncated");
		l4 = (size_t)(p[l3 + 12] >> 4) * 4;
		if (l4 < TCP_HDR_MIN)
			return fail(vi, "TCP data offset below 5");
		if (l4 > vi->len - l3)
			return fail(vi, "TCP header beyond the packet");
	} else {
		if (h->csum_offset != UDP_CSUM_OFF)
			return fail(vi, "csum_offset is not UDP's");
		if (vi->len - l3 < UDP_HDR_LEN)
			return fail(vi, "UDP header truncated");
		l4 = UDP_HDR_LEN;
	}
	if (vi->len == l3 + l4)
		return fail(vi, "GSO without payload");
	vi->kind = OFFLOAD_GSO;
	vi->proto = proto;
	vi->l3len = (uint16_t)l3;
	vi->l4len = (uint16_t)l4;
	vi->gso_size = h->gso_size;
	return 0;
}

int
offload_parse_vnet(const uint8_t *buf, size_t len, struct vnet_info *out)
{
	const struct vnet_hdr *h = &out->hdr;

	memset(out, 0, sizeof(*out));
	if (len < VNET_HDR_LEN)
		return fail(out, "shorter than a virtio_net_hdr");
	vnet_hdr_get(&out->hdr, buf);
	out->pkt = buf + VNET_HDR_LEN;
	out->len = len - VNET_HDR_LEN;
	if (out->len == 0)
		return fail(out, "no packet behind the virtio_net_hdr");
	if (h->flags & ~VNET_FLAGS_KNOWN)
		return fail(out, "virtio_net_hdr flags unknown");
	/* hdr_len is a hint (skb_headlen), but never beyond the packet. */
	if (h->hdr_len > out->len)
		return fail(out, "hdr_len beyond the packet");
	if (h->gso_type != VNET_GSO_NONE)
		return parse_gso(out);
	if (h->flags & VNET_F_NEEDS_CSUM)
		return parse_csum(out);
	out->kind = OFFLOAD_PLAIN;
	return 0;
}

int
offload_seg_init(struct seg_iter *it, const struct vnet_info *vi, size_t mtu)
{
	const uint8_t *src;
	size_t alen;

	memset(it, 0, sizeof(*it));
	it->vi = vi;
	if (vi->kind != OFFLOAD_GSO) {
		it->payload = it->mss = vi->len;
		it->count = 1;
		return 0;
	}
	it->hdrs = (size_t)vi->l3len + vi->l4len;
	it->payload = vi->len - it->hdrs;
	it->mss = vi->gso_size;
	if (vi->proto == IPPROTO_TCP) {
		if (mtu <= it->hdrs)
			return -1;
		if (mtu - it->hdrs < it->mss)
			it->mss = mtu - it->hdrs;
	}
	it->count = (uint32_t)((it->payload + it->mss - 1) / it->mss);
	if (vi->af == AF_INET) {
		src = vi->pkt + 12;
		alen = 4;
	} else {
		src = vi->pkt + 8;
		alen = 16;
	}
	it->pseudo = csum_add(csum_add(0, src, alen), src + alen, alen);
	return 0;
}

uint32_t
offload_seg_count(const struct seg_iter *it)
{
	return it->count;
}

/* What a device does for CHECKSUM_PARTIAL (skb_checksum_help): the
 * field holds the pseudo-header sum; the sum from csum_start on goes
 * there, and a result of 0 is sent as 0xffff (RFC 768). */
static void
finish_csum(uint8_t *p, size_t len, const struct vnet_hdr *h)
{
	uint8_t *field = p + h->csum_start + h->csum_offset;
	uint16_t seed, c;

	seed = be_get16(field);
	field[0] = field[1] = 0;
	c = csum_finish(csum_add(seed, p + h->csum_start,
	    len - h->csum_start));
	be_put16(field, c == 0 ? 0xffff : c);
}

int
offload_segment_next(struct seg_iter *it, uint8_t *out, size_t cap,
    size_t *outlen)
{
	const struct vnet_info *vi = it->vi;
	size_t n, total, l3 = vi->l3len;
	uint8_t *th, *field;
	uint32_t sum;
	uint16_t c;

	if (it->index >= it->count)
		return 0;
	if (vi->kind != OFFLOAD_GSO) {
		if (cap < vi->len)
			return -1;
		memcpy(out, vi->pkt, vi->len);
		if (vi->kind == OFFLOAD_CSUM)
			finish_csum(out, vi->len, &vi->hdr);
		*outlen = vi->len;
		it->off = vi->len;
		it->index++;
		return 1;
	}
	n = it->payload - it->off;
	if (n > it->mss)
		n = it->mss;
	total = it->hdrs + n;
	if (cap < total)
		return -1;
	memcpy(out, vi->pkt, it->hdrs);
	memcpy(out + it->hdrs, vi->pkt + it->hdrs + it->off, n);

	if (vi->af == AF_INET) {
		be_put16(out + 2, (uint16_t)total);
		be_put16(out + 4, (uint16_t)(be_get16(out + 4) + it->index));
		out[10] = out[11] = 0;
		be_put16(out + 10, csum_finish(csum_add(0, out, l3)));
	} else
		be_put16(out + 4, (uint16_t)(total - IP6_HDR_LEN));

	th = out + l3;
	if (vi->proto == IPPROTO_TCP) {
		be_put32(th + 4, be_get32(th + 4) + (uint32_t)it->off);
		/* tcp_gso_segment: CWR is for the first segment, FIN and
		 * PSH for the last. */
		if (it->index > 0)
			th[13] &= (uint8_t)~TCP_CWR;
		if (it->index + 1 < it->count)
			th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		field = th + TCP_CSUM_OFF;
	} else {
		be_put16(th + 4, (uint16_t)(UDP_HDR_LEN + n));
		field = th + UDP_CSUM_OFF;
	}
	field[0] = field[1] = 0;
	sum = it->pseudo + vi->proto + (uint32_t)(total - l3);
	c = csum_finish(csum_add(sum, th, total - l3));
	if (c == 0 && vi->proto == IPPROTO_UDP)
		c = 0xffff;
	be_put16(field, c);

	it->off += n;
	it->index++;
	*outlen = total;
	return 1;
}

/* Receive side. */

/* Tun offloads, the way in: coalescing in-order TCP segments, and UDP
 * datagrams, of a flow into one super-packet for tun (see offload.h for
 * the rules followed). */
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "util/be.h"
#include "util/csum.h"
#include "src/net/offload.h"
#include "src/net/offload_int.h"

#define GRO_NONE 0xff

void
gro_init(struct gro_batch *b, size_t bufsize, unsigned flags)
{
	size_t max = bufsize > VNET_HDR_LEN ? bufsize - VNET_HDR_LEN : 0;

	b->max_len = max < OFFLOAD_PKT_MAX ? max : OFFLOAD_PKT_MAX;
	b->flags = flags;
	b->n = 0;
	b->nitems = 0;
	b->emitted = 0;
}

static int
ip4_hdr_ok(const uint8_t *p, size_t l3)
{
	return csum_finish(csum_add(0, p, l3)) == 0;
}

/* A UDP datagram behind l3 bytes of IP header whose checks gave ok. */
static void
gro_parse_udp(const struct gro_batch *b, struct gro_in *g, size_t l3, int ok)
{
	const uint8_t *uh = g->pkt + l3;
	size_t ulen = g->len - l3;

	if (ulen < UDP_HDR_LEN) {
		g->af = 0;
		return;
	}
	g->proto = IPPROTO_UDP;
	g->l3len = (uint8_t)l3;
	g->l4len = UDP_HDR_LEN;
	g->tcp_flags = 0;
	g->payload = (uint16_t)(ulen - UDP_HDR_LEN);
	/* A zero checksum is none on IPv4 and invalid on IPv6 (RFC 8200
	 * 8.1): such a datagram goes as it came. */
	g->mergeable = ok && g->payload > 0 && be_get16(uh + 4) == ulen &&
	    be_get16(uh + UDP_CSUM_OFF) != 0 &&
	    (b->flags & (g->af == 4 ? GRO_UDP4 : GRO_UDP6)) != 0;
}

/* Finds the 5-tuple of an input (af != 0) and whether it may be
 * coalesced at all; what is neither TCP nor UDP, or not understood,
 * stays af 0. A fragment keeps af with proto 0. */
static void
gro_parse(const struct gro_batch *b, struct gro_in *g)
{
	const uint8_t *p = g->pkt, *th;
	size_t len = g->len, l3, l4;
	uint8_t proto, ecn;
	int ok;

	g->af = 0;
	g->proto = 0;
	g->mergeable = 0;
	g->csum = 0;
	g->next = GRO_NONE;
	/* new_item reads these of every input, merged or not. */
	g->seq = g->ack = 0;
	g->payload = g->ip_id = 0;
	g->l3len = g->l4len = 0;
	g->tcp_flags = 0;
	if (len < IP4_HDR_MIN || len > OFFLOAD_PKT_MAX)
		return;
	switch (p[0] >> 4) {
	case 4:
		l3 = (size_t)(p[0] & 0x0f) * 4;
		proto = p[9];
		if (l3 < IP4_HDR_MIN || l3 > len || be_get16(p + 2) != len ||
		    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
			return;
		g->af = 4;
		/* Later fragments carry no ports; first ones are not
		 * segments either. */
		if ((be_get16(p + 6) & 0x3fff) != 0)
			return;
		ecn = p[1] & 0x03;
		/* The coalesced header is written anew: a broken one must
		 * reach the kernel as it came, to be dropped there. */
		ok = l3 == IP4_HDR_MIN && ip4_hdr_ok(p, l3);
		g->ip_id = be_get16(p + 4);
		break;
	case 6:
		if (len < IP6_HDR_LEN || be_get16(p + 4) != len - IP6_HDR_LEN)
			return;
		/* Extension headers are walked only so that such a packet
		 * still keeps its flow's order. */
		if (offload_ip6_walk(p, len, 1, &proto, &l3) == -1 ||
		    l3 > UINT8_MAX)
			return;
		if (proto == IPPROTO_FRAGMENT) {
			g->af = 6;
			return;
		}
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
			return;
		ecn = (be_get16(p) >> 4) & 0x03;
		ok = l3 == IP6_HDR_LEN;
		g->af = 6;
		break;
	default:
		return;
	}
	if (proto == IPPROTO_UDP) {
		/* ECN CE included: every datagram carries the same TOS, as
		 * every segment cut from the merged one will. */
		gro_parse_udp(b, g, l3, ok);
		return;
	}
	if (len - l3 < TCP_HDR_MIN) {
		g->af = 0;
		return;
	}
	th = p + l3;
	l4 = (size_t)(th[12] >> 4) * 4;
	if (l4 < TCP_HDR_MIN || l4 > len - l3) {
		g->af = 0;
		return;
	}
	g->proto = IPPROTO_TCP;
	g->l3len = (uint8_t)l3;
	g->l4len = (uint8_t)l4;
	g->seq = be_get32(th + 4);
	g->ack = be_get32(th + 8);
	g->tcp_flags = th[13];
	g->payload = (uint16_t)(len - l3 - l4);
	g->mergeable = ok && ecn != ECN_CE && g->payload > 0 &&
	    (g->tcp_flags == TCP_ACK || g->tcp_flags == (TCP_ACK | TCP_PSH));
}

static int
same_flow(const struct gro_in *a, const struct gro_in *b)
{
	if (a->af == 0 || a->af != b->af)
		return 0;
	if (a->af == 4 ? memcmp(a->pkt + 12, b->pkt + 12, 8) != 0 :
	    memcmp(a->pkt + 8, b->pkt + 8, 32) != 0)
		return 0;
	/* A fragment may belong to any flow between its addresses. */
	if (a->proto == 0 || b->proto == 0)
		return 1;
	return a->proto == b->proto &&
	    memcmp(a->pkt + a->l3len, b->pkt + b->l3len, 4) == 0;
}

static int
l4_csum_ok(struct gro_in *g)
{
	const uint8_t *p = g->pkt;
	size_t alen = g->af == 4 ? 4 : 16;
	const uint8_t *src = p + (g->af == 4 ? 12 : 8);
	uint32_t sum;

	if (g->csum == 0) {
		sum = csum_pseudo(src, src + alen, alen, g->proto,
		    (uint32_t)(g->len - g->l3len));
		sum = csum_add(sum, p + g->l3len, g->len - g->l3len);
		g->csum = csum_finish(sum) == 0 ? 1 : -1;
	}
	return g->csum > 0;
}

/* inet/ipv6_gro_receive: may g's IP header follow h's, the item's
 * first, as the count-th packet of the item? */
static int
ip_hdrs_match(const struct gro_in *h, const struct gro_in *g,
    unsigned count)
{
	const uint8_t *hp = h->pkt, *gp = g->pkt;

	if (h->af == 4) {
		/* TOS, DF, TTL; IDs count up by one unless DF (RFC 6864 4.1:
		 * an atomic datagram's ID means nothing). */
		if (hp[1] != gp[1] || (hp[6] & 0xe0) != (gp[6] & 0xe0) ||
		    hp[8] != gp[8])
			return 0;
		if (!(hp[6] & 0x40) &&
		    g->ip_id != (uint16_t)(h->ip_id + count))
			return 0;
	} else {
		/* Traffic class, flow label, hop limit. */
		if (memcmp(hp, gp, 4) != 0 || hp[7] != gp[7])
			return 0;
	}
	return 1;
}

/* tcp_gro_receive and udp_gro_receive_segment: may g follow the item's
 * last packet? Both are mergeable, of the same flow. */
static int
can_append(const struct gro_batch *b, const struct gro_item *it,
    const struct gro_in *g)
{
	const struct gro_in *h = &b->in[it->first];
	const uint8_t *hth = h->pkt + h->l3len, *gth = g->pkt + g->l3len;

	if (g->payload > it->gso_size || it->len + g->payload > b->max_len)
		return 0;
	if (!ip_hdrs_match(h, g, it->count))
		return 0;
	if (g->proto == IPPROTO_UDP)
		return 1;
	if (g->seq != it->next_seq || g->l4len != h->l4len || g->ack != h->ack)
		return 0;
	/* Window (tcp_flag_word) and options, byte for byte. */
	if (memcmp(hth + 14, gth + 14, 2) != 0 ||
	    memcmp(hth + TCP_HDR_MIN, gth + TCP_HDR_MIN,
	    g->l4len - TCP_HDR_MIN) != 0)
		return 0;
	return 1;
}

static void
new_item(struct gro_batch *b, unsigned i, int open)
{
	struct gro_item *it = &b->item[b->nitems++];
	const struct gro_in *g = &b->in[i];

	it->first = it->last = (uint8_t)i;
	it->count = 1;
	it->open = open && g->mergeable && !(g->tcp_flags & TCP_PSH);
	it->gso_size = g->payload;
	it->next_seq = g->seq + g->payload;
	it->len = g->len;
}

int
gro_add(struct gro_batch *b, const uint8_t *pkt, size_t len)
{
	struct gro_item *it = NULL;
	struct gro_in *g;
	unsigned i, k;

	if (b->n >= GRO_BATCH_MAX)
		return -1;
	i = b->n++;
	g = &b->in[i];
	g->pkt = pkt;
	g->len = len;
	gro_parse(b, g);
	if (g->af == 0) {
		new_item(b, i, 0);
		return 0;
	}
	/* Only the flow's latest output may grow: anything else would
	 * reorder the flow. */
	for (k = b->nitems; k-- > 0;) {
		if (same_flow(&b->in[b->item[k].first], g)) {
			it = &b->item[k];
			break;
		}
	}
	if (it == NULL || !it->open || !g->mergeable || !can_append(b, it, g)) {
		new_item(b, i, 1);
		return 0;
	}
	/* The kernel trusts a coalesced packet's checksum: check each
	 * segment first (the head once a second one joins it). */
	if (!l4_csum_ok(&b->in[it->first])) {
		it->open = 0;
		new_item(b, i, 1);
		return 0;
	}
	if (!l4_csum_ok(g)) {
		new_item(b, i, 0);
		return 0;
	}
	b->in[it->last].next = (uint8_t)i;
	it->last = (uint8_t)i;
	it->count++;
	it->len += g->payload;
	it->next_seq += g->payload;
	if (g->payload < it->gso_size || (g->tcp_flags & TCP_PSH))
		it->open = 0;
	return 0;
}

int
gro_next(struct gro_batch *b, struct gro_out *o, uint8_t *buf, size_t cap)
{
	const struct gro_item *it;
	const struct gro_in *h;
	struct vnet_hdr vh;
	size_t hdrs, off, alen, csum_off;
	uint8_t *p, *th;
	const uint8_t *src;
	unsigned k;

	if (b->emitted >= b->nitems)
		return 0;
	it = &b->item[b->emitted];
	h = &b->in[it->first];
	o->first = it->first;
	o->count = it->count;
	o->proto = it->count > 1 ? h->proto : 0;
	if (it->count == 1) {
		memset(o->vnet, 0, sizeof(o->vnet));
		o->pkt = h->pkt;
		o->len = h->len;
		b->emitted++;
		return 1;
	}
	if (cap < VNET_HDR_LEN || cap - VNET_HDR_LEN < it->len)
		return -1;

	p = buf + VNET_HDR_LEN;
	hdrs = (size_t)h->l3len + h->l4len;
	memcpy(p, h->pkt, hdrs);
	off = hdrs;
	for (k = it->first; ; k = b->in[k].next) {
		memcpy(p + off, b->in[k].pkt + hdrs, b->in[k].payload);
		off += b->in[k].payload;
		if (k == it->last)
			break;
	}

	if (h->af == 4) {
		be_put16(p + 2, (uint16_t)it->len);
		p[10] = p[11] = 0;
		be_put16(p + 10, csum_finish(csum_add(0, p, h->l3len)));
		src = p + 12;
		alen = 4;
	} else {
		be_put16(p + 4, (uint16_t)(it->len - IP6_HDR_LEN));
		src = p + 8;
		alen = 16;
	}
	th = p + h->l3len;
	if (h->proto == IPPROTO_TCP) {
		th[13] |= b->in[it->last].tcp_flags & TCP_PSH;
		vh.gso_type = h->af == 4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6;
		csum_off = TCP_CSUM_OFF;
	} else {
		be_put16(th + 4, (uint16_t)(it->len - h->l3len));
		vh.gso_type = VNET_GSO_UDP_L4;
		csum_off = UDP_CSUM_OFF;
	}
	/* CHECKSUM_PARTIAL: the pseudo-header sum, folded, not
	 * complemented (as tcp_v4_send_check and udp4_hwcsum leave it). */
	be_put16(th + csum_off, csum_fold(csum_pseudo(src, src + alen,
	    alen, h->proto, (uint32_t)(it->len - h->l3len))));

	vh.flags = VNET_F_NEEDS_CSUM;
	vh.hdr_len = (uint16_t)hdrs;
	vh.gso_size = it->gso_size;
	vh.csum_start = h->l3len;
	vh.csum_offset = (uint16_t)csum_off;
	vnet_hdr_put(buf, &vh);
	memcpy(o->vnet, buf, VNET_HDR_LEN);
	o->pkt = p;
	o->len = it->len;
	b->emitted++;
	return 1;
}

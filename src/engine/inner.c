/* Inner IP header parsing and ECN handling (see inner.h). */
#include "src/engine/inner.h"

#include <string.h>

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int
parse4(const uint8_t *d, size_t len, struct inner_hdr *h, const char **why)
{
	uint16_t frag;

	if (len < IPV4_HDR_MIN) {
		*why = "IPv4 shorter than its header";
		return -1;
	}
	h->hlen = (size_t)(d[0] & 0x0f) * 4;
	h->len = get16(d + 2);
	if (h->hlen < IPV4_HDR_MIN || h->hlen > len) {
		*why = "IPv4 header length out of range";
		return -1;
	}
	if (h->len < h->hlen || h->len > len) {
		*why = "IPv4 total length out of range";
		return -1;
	}
	frag = get16(d + 6);
	h->af = AF_INET;
	h->tos = d[1];
	h->proto = d[9];
	h->df = (frag & 0x4000) != 0;
	h->frag_off = frag & 0x1fff;
	h->src = d + 12;
	h->dst = d + 16;
	return 0;
}

static int
parse6(const uint8_t *d, size_t len, struct inner_hdr *h, const char **why)
{
	if (len < IPV6_HDR_LEN) {
		*why = "IPv6 shorter than its header";
		return -1;
	}
	/* A payload length of 0 would announce a jumbogram (RFC 2675); our
	 * packets are at most PKT_MTU_MAX, so it just means no payload. */
	h->len = IPV6_HDR_LEN + (size_t)get16(d + 4);
	if (h->len > len) {
		*why = "IPv6 payload length beyond the packet";
		return -1;
	}
	h->af = AF_INET6;
	h->hlen = IPV6_HDR_LEN;
	h->tos = (uint8_t)((d[0] & 0x0f) << 4 | d[1] >> 4);
	h->proto = d[6];
	h->df = true;
	h->frag_off = 0;
	h->src = d + 8;
	h->dst = d + 24;
	return 0;
}

int
inner_parse(const uint8_t *d, size_t len, struct inner_hdr *h, const char **why)
{
	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (len < 1) {
		*why = "empty packet";
		return -1;
	}
	switch (d[0] >> 4) {
	case 4:
		return parse4(d, len, h, why);
	case 6:
		return parse6(d, len, h, why);
	default:
		*why = "IP version neither 4 nor 6";
		return -1;
	}
}

bool
inner_link_scoped(const struct inner_hdr *h)
{
	const uint8_t *d = h->dst;

	if (h->af == AF_INET6)
		return d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80);
	return d[0] >= 224 || (d[0] == 169 && d[1] == 254);
}

int
ecn_decap(uint8_t inner, uint8_t outer)
{
	inner &= ECN_MASK;
	outer &= ECN_MASK;
	/* Not-ECT transports rely on loss; never hand them another codepoint. */
	if (inner == ECN_NOT_ECT)
		return outer == ECN_CE ? -1 : ECN_NOT_ECT;
	if (inner == ECN_CE || outer == ECN_CE)
		return ECN_CE;
	/* ECT(1) outer over ECT(0) inner propagates (RFC 6040 figure 4). */
	if (outer == ECN_ECT1)
		return ECN_ECT1;
	return inner;
}

void
inner_set_ecn(uint8_t *d, const struct inner_hdr *h, uint8_t ecn)
{
	uint16_t oldw, neww, ck;
	uint32_t sum;

	ecn &= ECN_MASK;
	if (h->af == AF_INET6) {
		/* The traffic class straddles bytes 0 and 1; ECN is its low
		 * two bits, i.e. bits 5..4 of byte 1. No header checksum. */
		d[1] = (uint8_t)((d[1] & ~0x30) | ecn << 4);
		return;
	}
	oldw = get16(d);
	d[1] = (uint8_t)((d[1] & ~ECN_MASK) | ecn);
	neww = get16(d);
	/* RFC 1624 eq. 3: HC' = ~(~HC + ~m + m') */
	ck = get16(d + 10);
	sum = (uint16_t)~ck;
	sum += (uint16_t)~oldw;
	sum += neww;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	d[10] = (uint8_t)(ck >> 8);
	d[11] = (uint8_t)ck;
}

uint32_t
cksum_add(uint32_t sum, const uint8_t *d, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += get16(d + i);
		/* Keep room for the carry: fold before it can overflow. */
		if (sum & 0x80000000u)
			sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

uint16_t
cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* DSCP rewrite and TCP MSS clamping (see qos_pkt.h). */
#include "src/datapath/qos_pkt.h"
#include "util/be.h"

#include <netinet/in.h>

#define TCP_HDR_MIN     20
#define TCP_FLAG_SYN    0x02
#define TCPOPT_EOL      0
#define TCPOPT_NOP      1
#define TCPOPT_MSS      2

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t
cksum_update16(uint16_t ck, uint16_t old, uint16_t new_)
{
	uint32_t sum;

	/* HC' = ~(~HC + ~m + m') */
	sum = (uint16_t)~ck;
	sum += (uint16_t)~old;
	sum += new_;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
inner_set_dscp(uint8_t *d, struct pkt_meta *h, uint8_t tos)
{
	uint8_t v = (uint8_t)((tos & ~ECN_MASK) | (h->tos & ECN_MASK));
	uint16_t oldw;

	if (h->af == AF_INET6) {
		/* The traffic class straddles bytes 0 and 1 (RFC 8200 3). */
		d[0] = (uint8_t)((d[0] & 0xf0) | v >> 4);
		d[1] = (uint8_t)((d[1] & 0x0f) | (v & 0x0f) << 4);
	} else {
		oldw = be_get16(d);
		d[1] = v;
		put16(d + 10, cksum_update16(be_get16(d + 10), oldw, be_get16(d)));
	}
	h->tos = v;
}

uint16_t
tcp_mss_for_mtu(sa_family_t af, unsigned mtu)
{
	unsigned hdrs = af == AF_INET ? 40 : 60;

	if (mtu <= hdrs)
		return 0;
	return mtu - hdrs > 0xffff ? 0xffff : (uint16_t)(mtu - hdrs);
}

/* Rewrites the two bytes at th + off with v, keeping the checksum at
 * th + 16 right. The checksum sums 16-bit words aligned to the start of
 * the TCP header; an option at an odd offset straddles two of them. */
static void
tcp_put16(uint8_t *th, size_t off, size_t thlen, uint16_t v)
{
	uint16_t ck = be_get16(th + 16), oldw[2];
	size_t a = off & ~(size_t)1, nw = (off & 1) ? 2 : 1, i;

	/* A straddling value's second word may reach one byte past the
	 * options; thlen is even (a multiple of 4), so it cannot. */
	for (i = 0; i < nw; i++)
		oldw[i] = be_get16(th + a + 2 * i);
	put16(th + off, v);
	for (i = 0; i < nw && a + 2 * i + 1 < thlen; i++)
		ck = cksum_update16(ck, oldw[i], be_get16(th + a + 2 * i));
	put16(th + 16, ck);
}

bool
tcp_mss_clamp(uint8_t *d, const struct pkt_meta *h, uint16_t mss)
{
	uint8_t *th;
	size_t thlen, i, olen;

	if (h->hdr_proto != IPPROTO_TCP || mss == 0)
		return false;
	if (h->af == AF_INET && h->frag_off != 0)
		return false;
	if (h->len < h->hlen + (uint32_t)TCP_HDR_MIN)
		return false;
	th = d + h->hlen;
	if (!(th[13] & TCP_FLAG_SYN))
		return false;
	thlen = (size_t)(th[12] >> 4) * 4;
	if (thlen < TCP_HDR_MIN || h->hlen + thlen > h->len)
		return false;
	/* RFC 9293 3.1: options are kind, or kind, length, data. */
	for (i = TCP_HDR_MIN; i < thlen;) {
		if (th[i] == TCPOPT_EOL)
			break;
		if (th[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= thlen)
			break;
		olen = th[i + 1];
		if (olen < 2 || i + olen > thlen)
			break;
		if (th[i] == TCPOPT_MSS && olen == 4) {
			if (be_get16(th + i + 2) <= mss)
				return false;
			tcp_put16(th, i + 2, thlen, mss);
			return true;
		}
		i += olen;
	}
	return false;
}

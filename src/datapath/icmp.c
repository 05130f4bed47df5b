/* ICMP "fragmentation needed" and ICMPv6 "packet too big" (see icmp.h). */
#include "src/datapath/icmp.h"

#include <string.h>

#include "util/be.h"
#include "util/csum.h"

#define ICMP_HDR_LEN 8
#define ICMP_TTL     64

/* ICMP types that are errors (RFC 792, RFC 1122 3.2.2). */
static int
icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 ||
	    type == 12;
}

size_t
icmp4_frag_needed(uint8_t *out, size_t cap, const uint8_t *orig,
    const struct pkt_meta *h, const uint8_t src[4], unsigned mtu)
{
	const uint8_t *osrc = pkt_ip_src(orig, h);
	size_t quote, total;
	uint8_t *icmp;

	if (h->af != AF_INET || h->frag_off != 0)
		return 0;
	if (osrc[0] == 0 || osrc[0] >= 224 || pkt_ip_dst(orig, h)[0] >= 224)
		return 0;
	if (h->hdr_proto == 1 && (h->len <= h->hlen ||
	    icmp4_is_error(orig[h->hlen])))
		return 0;
	quote = h->len - h->hlen < 8 ? h->len : h->hlen + 8u;
	total = IPV4_HDR_MIN + ICMP_HDR_LEN + quote;
	if (cap < total)
		return 0;
	if (mtu > 0xffff)
		mtu = 0xffff;

	memset(out, 0, IPV4_HDR_MIN + ICMP_HDR_LEN);
	out[0] = 0x45;
	out[1] = 0xc0;                  /* internetwork control (RFC 1812 4.3.2.5) */
	be_put16(out + 2, (uint16_t)total);
	out[8] = ICMP_TTL;
	out[9] = 1;                     /* ICMP */
	memcpy(out + 12, src, 4);
	memcpy(out + 16, osrc, 4);
	be_put16(out + 10, csum_finish(csum_add(0, out, IPV4_HDR_MIN)));

	icmp = out + IPV4_HDR_MIN;
	icmp[0] = 3;                    /* destination unreachable */
	icmp[1] = 4;                    /* fragmentation needed and DF set */
	be_put16(icmp + 6, (uint16_t)mtu); /* next-hop MTU, RFC 1191 4 */
	memcpy(icmp + ICMP_HDR_LEN, orig, quote);
	be_put16(icmp + 2, csum_finish(csum_add(0, icmp, ICMP_HDR_LEN + quote)));
	return total;
}

size_t
icmp6_packet_too_big(uint8_t *out, size_t cap, const uint8_t *orig,
    const struct pkt_meta *h, const uint8_t src[16], unsigned mtu)
{
	static const uint8_t unspec[16];
	const uint8_t *osrc = pkt_ip_src(orig, h);
	size_t quote, plen;
	uint8_t *icmp, pseudo[8];
	uint32_t sum;

	if (h->af != AF_INET6)
		return 0;
	if (memcmp(osrc, unspec, 16) == 0 || osrc[0] == 0xff)
		return 0;
	/* An ICMPv6 error (type < 128) directly after the header. */
	if (h->hdr_proto == 58 && (h->len <= IPV6_HDR_LEN ||
	    orig[IPV6_HDR_LEN] < 128))
		return 0;
	quote = h->len;
	if (quote > IPV6_MIN_MTU - IPV6_HDR_LEN - ICMP_HDR_LEN)
		quote = IPV6_MIN_MTU - IPV6_HDR_LEN - ICMP_HDR_LEN;
	plen = ICMP_HDR_LEN + quote;
	if (cap < IPV6_HDR_LEN + plen)
		return 0;

	memset(out, 0, IPV6_HDR_LEN + ICMP_HDR_LEN);
	out[0] = 0x60;
	be_put16(out + 4, (uint16_t)plen);
	out[6] = 58;                    /* ICMPv6 */
	out[7] = ICMP_TTL;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, osrc, 16);

	icmp = out + IPV6_HDR_LEN;
	icmp[0] = 2;                    /* packet too big */
	be_put32(icmp + 4, mtu);
	memcpy(icmp + ICMP_HDR_LEN, orig, quote);

	/* Pseudo-header (RFC 8200 8.1): source, destination, upper-layer
	 * length (32 bits), three zero bytes, next header. */
	sum = csum_add(0, out + 8, 32);
	be_put32(pseudo, (uint32_t)plen);
	pseudo[4] = pseudo[5] = pseudo[6] = 0;
	pseudo[7] = 58;
	sum = csum_add(sum, pseudo, sizeof(pseudo));
	sum = csum_add(sum, icmp, plen);
	be_put16(icmp + 2, csum_finish(sum));
	return IPV6_HDR_LEN + plen;
}

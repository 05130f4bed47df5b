/* The fields of an IPv4 or IPv6 packet that match rules look at. Packets
 * come from tun/tap, so nothing is trusted: every length is checked before
 * the bytes behind it are read, and a header that lies about its length
 * makes the whole packet malformed (-1) rather than half-parsed. */
#include <netinet/in.h>

#include <string.h>

#include "qos/match.h"

#define IP4_HDR_MIN     20
#define IP6_HDR_LEN     40
#define IP6_EXT_MAX     8       /* bound on the extension header walk */

#define NH_HOPOPTS      0
#define NH_ICMP         1
#define NH_TCP          6
#define NH_UDP          17
#define NH_ROUTING      43
#define NH_FRAGMENT     44
#define NH_ICMPV6       58
#define NH_DSTOPTS      60
#define NH_SCTP         132
#define NH_UDPLITE      136

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Smallest header of each upper layer we read: a shorter one is a
 * truncated or tiny first fragment (RFC 1858), not a packet to match. */
static size_t
l4_min(uint8_t proto, sa_family_t af)
{
	switch (proto) {
	case NH_TCP:
		return 20;
	case NH_UDP:
	case NH_UDPLITE:
		return 8;
	case NH_SCTP:
		return 12;              /* common header, RFC 9260 3.1 */
	case NH_ICMP:
		return af == AF_INET ? 8 : 0;
	case NH_ICMPV6:
		return af == AF_INET6 ? 4 : 0;
	default:
		return 0;
	}
}

/* Ports or ICMP type from the upper-layer header at d[off..end). */
static int
parse_l4(const uint8_t *d, size_t off, size_t end, struct match_pkt *pkt)
{
	size_t need = l4_min(pkt->proto, pkt->af);

	if (pkt->fragment || need == 0)
		return 0;
	if (end - off < need)
		return -1;
	switch (pkt->proto) {
	case NH_ICMP:
	case NH_ICMPV6:
		pkt->icmp_type = d[off];
		break;
	default:
		pkt->sport = rd16(d + off);
		pkt->dport = rd16(d + off + 2);
		break;
	}
	return 0;
}

static int
parse_v4(const uint8_t *d, size_t len, struct match_pkt *pkt)
{
	size_t hl, tot;

	if (len < IP4_HDR_MIN)
		return -1;
	hl = (size_t)(d[0] & 0x0f) * 4;
	tot = rd16(d + 2);
	/* Options are skipped whole: IHL bounds them, nothing in them
	 * changes what we match on. */
	if (hl < IP4_HDR_MIN || tot < hl || tot > len)
		return -1;
	pkt->af = AF_INET;
	pkt->tos = d[1];
	pkt->proto = d[9];
	memcpy(pkt->src, d + 12, 4);
	memcpy(pkt->dst, d + 16, 4);
	/* Only the first fragment carries the upper-layer header. */
	pkt->fragment = (rd16(d + 6) & 0x1fff) != 0;
	return parse_l4(d, hl, tot, pkt);
}

/* RFC 8200 4: walk hop-by-hop (first only), routing, destination options
 * and fragment headers to the upper layer. Anything else (AH, ESP, no next
 * header, ...) is the upper layer as far as matching goes. */
static int
parse_v6(const uint8_t *d, size_t len, struct match_pkt *pkt)
{
	size_t off = IP6_HDR_LEN, end, hlen;
	uint8_t nh;
	int i;

	if (len < IP6_HDR_LEN)
		return -1;
	end = IP6_HDR_LEN + (size_t)rd16(d + 4);
	if (end > len)
		return -1;
	pkt->af = AF_INET6;
	pkt->tos = (uint8_t)((d[0] & 0x0f) << 4 | d[1] >> 4);
	memcpy(pkt->src, d + 8, 16);
	memcpy(pkt->dst, d + 24, 16);
	nh = d[6];
	for (i = 0; ; i++) {
		if (nh != NH_HOPOPTS && nh != NH_ROUTING &&
		    nh != NH_DSTOPTS && nh != NH_FRAGMENT)
			break;
		if (i == IP6_EXT_MAX)
			return -1;
		if (nh == NH_HOPOPTS && i != 0)
			return -1;      /* RFC 8200 4.1: only right after IPv6 */
		if (end - off < 8)      /* every extension header is >= 8 */
			return -1;
		if (nh == NH_FRAGMENT) {
			hlen = 8;
			if ((rd16(d + off + 2) & 0xfff8) != 0) {
				pkt->fragment = true;
				pkt->proto = d[off];
				return 0;
			}
		} else
			hlen = ((size_t)d[off + 1] + 1) * 8;
		if (end - off < hlen)
			return -1;
		nh = d[off];
		off += hlen;
	}
	pkt->proto = nh;
	return parse_l4(d, off, end, pkt);
}

int
match_pkt_parse(const uint8_t *d, size_t len, enum match_iface iface,
    struct match_pkt *pkt)
{
	int rv = -1;

	memset(pkt, 0, sizeof(*pkt));
	pkt->icmp_type = -1;
	pkt->iface = iface;
	if (d != NULL && len >= 1) {
		if (d[0] >> 4 == 4)
			rv = parse_v4(d, len, pkt);
		else if (d[0] >> 4 == 6)
			rv = parse_v6(d, len, pkt);
	}
	/* A packet we could not parse matches no rule, should it be used. */
	if (rv == -1)
		pkt->af = AF_UNSPEC;
	return rv;
}

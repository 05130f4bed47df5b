/* IP and upper-layer header parsing (see pkt_parse.h). */
#include "util/pkt_parse.h"
#include "util/be.h"

#include <netinet/in.h>
#include <string.h>

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
static void
parse_l4(const uint8_t *d, size_t off, size_t end, struct pkt_meta *m)
{
	size_t need = l4_min(m->proto, m->af);

	if (m->fragment) {
		m->l4_ok = true;
		return;
	}
	m->l4 = (uint32_t)off;
	if (need == 0) {
		m->l4_ok = true;
		return;
	}
	if (end - off < need)
		return;
	switch (m->proto) {
	case NH_ICMP:
	case NH_ICMPV6:
		m->icmp_type = d[off];
		break;
	default:
		m->sport = be_get16(d + off);
		m->dport = be_get16(d + off + 2);
		break;
	}
	m->l4_ok = true;
}

static int
parse4(const uint8_t *d, size_t len, struct pkt_meta *m, const char **why)
{
	size_t hlen, tot;
	uint16_t frag;

	if (len < IPV4_HDR_MIN) {
		*why = "IPv4 shorter than its header";
		return -1;
	}
	hlen = (size_t)(d[0] & 0x0f) * 4;
	tot = be_get16(d + 2);
	if (hlen < IPV4_HDR_MIN || hlen > len) {
		*why = "IPv4 header length out of range";
		return -1;
	}
	if (tot < hlen || tot > len) {
		*why = "IPv4 total length out of range";
		return -1;
	}
	frag = be_get16(d + 6);
	m->af = AF_INET;
	m->hlen = (uint16_t)hlen;
	m->len = (uint32_t)tot;
	m->tos = d[1];
	m->hdr_proto = m->proto = d[9];
	m->df = (frag & 0x4000) != 0;
	m->frag_off = frag & 0x1fff;
	/* Only the first fragment carries the upper-layer header. Options
	 * are skipped whole: IHL bounds them. */
	m->fragment = m->frag_off != 0;
	parse_l4(d, hlen, tot, m);
	return 0;
}

/* RFC 8200 4: hop-by-hop (first only), routing, destination options and
 * fragment headers are walked to the upper layer. Anything else (AH, ESP,
 * no next header, ...) is the upper layer as far as rules go. */
static void
walk6(const uint8_t *d, size_t end, struct pkt_meta *m)
{
	size_t off = IPV6_HDR_LEN, hlen;
	uint8_t nh = d[6];
	int i;

	for (i = 0; ; i++) {
		if (nh != NH_HOPOPTS && nh != NH_ROUTING &&
		    nh != NH_DSTOPTS && nh != NH_FRAGMENT)
			break;
		if (i == IP6_EXT_MAX)
			return;
		if (nh == NH_HOPOPTS && i != 0)
			return;         /* RFC 8200 4.1: only right after IPv6 */
		if (end - off < 8)      /* every extension header is >= 8 */
			return;
		if (nh == NH_FRAGMENT) {
			hlen = 8;
			if ((be_get16(d + off + 2) & 0xfff8) != 0) {
				m->fragment = true;
				m->proto = d[off];
				m->l4_ok = true;
				return;
			}
		} else
			hlen = ((size_t)d[off + 1] + 1) * 8;
		if (end - off < hlen)
			return;
		nh = d[off];
		off += hlen;
	}
	m->proto = nh;
	parse_l4(d, off, end, m);
}

static int
parse6(const uint8_t *d, size_t len, struct pkt_meta *m, const char **why)
{
	size_t tot;

	if (len < IPV6_HDR_LEN) {
		*why = "IPv6 shorter than its header";
		return -1;
	}
	/* A payload length of 0 would announce a jumbogram (RFC 2675); our
	 * packets are at most PKT_MTU_MAX, so it just means no payload. */
	tot = IPV6_HDR_LEN + (size_t)be_get16(d + 4);
	if (tot > len) {
		*why = "IPv6 payload length beyond the packet";
		return -1;
	}
	m->af = AF_INET6;
	m->hlen = IPV6_HDR_LEN;
	m->len = (uint32_t)tot;
	m->tos = (uint8_t)((d[0] & 0x0f) << 4 | d[1] >> 4);
	m->hdr_proto = m->proto = d[6];
	m->df = true;
	walk6(d, tot, m);
	return 0;
}

int
pkt_parse_ip(const uint8_t *d, size_t len, struct pkt_meta *m,
    const char **why)
{
	memset(m, 0, sizeof(*m));
	m->icmp_type = -1;
	m->rule = -1;
	*why = NULL;
	if (d == NULL || len < 1) {
		*why = "empty packet";
		return -1;
	}
	switch (d[0] >> 4) {
	case 4:
		return parse4(d, len, m, why);
	case 6:
		return parse6(d, len, m, why);
	default:
		*why = "IP version neither 4 nor 6";
		return -1;
	}
}

/* The fields of an IPv4 or IPv6 packet that rules look at, taken from
 * the one parse of its headers (util/pkt_parse.h). A packet whose
 * upper-layer header could not be read matches no rule (-1): callers
 * decide whether that blocks it. */
#include <string.h>

#include "qos/match.h"
#include "util/pkt_parse.h"

int
match_pkt_from_meta(const uint8_t *d, const struct pkt_meta *m,
    enum match_iface iface, struct match_pkt *pkt)
{
	size_t alen = m->af == AF_INET ? 4 : 16;

	memset(pkt, 0, sizeof(*pkt));
	pkt->icmp_type = -1;
	pkt->iface = iface;
	if ((m->af != AF_INET && m->af != AF_INET6) || !m->l4_ok) {
		pkt->af = AF_UNSPEC;
		return -1;
	}
	pkt->af = m->af;
	pkt->tos = m->tos;
	pkt->proto = m->proto;
	pkt->fragment = m->fragment;
	pkt->sport = m->sport;
	pkt->dport = m->dport;
	pkt->icmp_type = m->icmp_type;
	memcpy(pkt->src, pkt_ip_src(d, m), alen);
	memcpy(pkt->dst, pkt_ip_dst(d, m), alen);
	return 0;
}

int
match_pkt_parse(const uint8_t *d, size_t len, enum match_iface iface,
    struct match_pkt *pkt)
{
	struct pkt_meta m;
	const char *why;

	if (pkt_parse_ip(d, len, &m, &why) == -1)
		m.af = AF_UNSPEC;
	return match_pkt_from_meta(d, &m, iface, pkt);
}

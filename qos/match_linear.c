/* The reference semantics of a match rule, and the linear scan that the
 * compiled matcher (match.c) must agree with on every packet. */
#include "qos/match_int.h"

/* len 0 is "any" whatever the prefix's family; a longer prefix holds only
 * addresses of its own family (prefix_contains). */
static bool
addr_ok(const struct prefix *p, sa_family_t af, const uint8_t *addr)
{
	return p->len == 0 || prefix_contains(p, af, addr);
}

static bool
port_ok(uint16_t lo, uint16_t hi, uint16_t port)
{
	return lo <= port && port <= hi;
}

bool
match_rule_matches(const struct match_rule *r, const struct match_pkt *pkt)
{
	/* Only IP packets are classified; an AF_UNSPEC rule is one whose
	 * family is decided by its prefixes (or left open if both are 0). */
	if (pkt->af != AF_INET && pkt->af != AF_INET6)
		return false;
	if (r->af != AF_UNSPEC && r->af != pkt->af)
		return false;
	if (!addr_ok(&r->src, pkt->af, pkt->src) ||
	    !addr_ok(&r->dst, pkt->af, pkt->dst))
		return false;
	if (r->proto != -1 && r->proto != pkt->proto)
		return false;
	/* A port condition cannot hold for a packet without ports. */
	if (!MATCH_PORT_ANY(r->sport_lo, r->sport_hi) ||
	    !MATCH_PORT_ANY(r->dport_lo, r->dport_hi)) {
		if (!match_pkt_has_ports(pkt) ||
		    !port_ok(r->sport_lo, r->sport_hi, pkt->sport) ||
		    !port_ok(r->dport_lo, r->dport_hi, pkt->dport))
			return false;
	}
	if ((pkt->tos & r->tos_mask) != r->tos_value)
		return false;
	if (r->icmp_type != -1 &&
	    (!match_pkt_is_icmp(pkt) || pkt->icmp_type != r->icmp_type))
		return false;
	if (r->iface != MATCH_IF_ANY && r->iface != pkt->iface)
		return false;
	return true;
}

long
match_linear(const struct match_rule *rules, size_t n,
    const struct match_pkt *pkt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (match_rule_matches(&rules[i], pkt))
			return (long)i;
	return -1;
}

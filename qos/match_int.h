/* Definitions shared by the linear reference and the compiled matcher, so
 * the two cannot disagree on what "has ports" or "is ICMP" means. */
#ifndef VPNTUND_MATCH_INT_H
#define VPNTUND_MATCH_INT_H

#include <netinet/in.h>

#include "qos/match.h"

#define MATCH_PORT_ANY(lo, hi)  ((lo) == 0 && (hi) == 65535)

/* TCP, UDP, SCTP and UDP-Lite carry ports, but only in a first fragment. */
static inline bool
match_pkt_has_ports(const struct match_pkt *p)
{
	if (p->fragment)
		return false;
	return p->proto == 6 || p->proto == 17 || p->proto == 132 ||
	    p->proto == 136;
}

/* ICMP for IPv4, ICMPv6 for IPv6, with a type that fits a byte. */
static inline bool
match_pkt_is_icmp(const struct match_pkt *p)
{
	if (p->fragment || p->icmp_type < 0 || p->icmp_type > 255)
		return false;
	return (p->af == AF_INET && p->proto == 1) ||
	    (p->af == AF_INET6 && p->proto == 58);
}

#endif

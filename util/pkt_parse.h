/* The one parser of IP headers: tun packets, decrypted packets and the
 * IP packets inside bridged frames all go through it, and what it finds
 * travels in struct pkt_meta. Nothing is trusted: every length is checked
 * before the bytes behind it are read. */
#ifndef VPNTUND_PKT_PARSE_H
#define VPNTUND_PKT_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/pkt.h"

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40

/* Parses the IP header at d (len bytes) and the upper-layer header behind
 * it. The header's total length may be shorter than len (trailing bytes,
 * e.g. RFC 4303 2.7 TFC padding: callers trim to m->len) but never
 * longer. Returns 0, or -1 with *why set to a static reason when the IP
 * header itself is unusable. An upper-layer header that is truncated or
 * hidden behind too many or misplaced IPv6 extension headers leaves
 * m->l4_ok false: the packet may still be forwarded, but no rule about
 * ports can judge it. */
int pkt_parse_ip(const uint8_t *d, size_t len, struct pkt_meta *m,
    const char **why);

/* The source and destination addresses (4 or 16 bytes) in the parsed
 * packet at d. */
static inline const uint8_t *
pkt_ip_src(const uint8_t *d, const struct pkt_meta *m)
{
	return d + (m->af == AF_INET ? 12 : 8);
}

static inline const uint8_t *
pkt_ip_dst(const uint8_t *d, const struct pkt_meta *m)
{
	return d + (m->af == AF_INET ? 16 : 24);
}

#endif

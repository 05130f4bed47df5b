/* ICMP errors the tunnel sends back into tun(4) when a packet is too big
 * for the tunnel (path MTU discovery, RFC 1191 / RFC 8201). */
#ifndef VPNTUND_ICMP_H
#define VPNTUND_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "src/datapath/inner.h"

/* RFC 8200 5: the IPv6 minimum MTU, and the most an ICMPv6 error may be. */
#define IPV6_MIN_MTU 1280
/* RFC 791: every IPv4 host accepts 576; 68 is the smallest MTU. */
#define IPV4_MIN_MTU 68

/* ICMP type 3 code 4 (RFC 792, next-hop MTU of RFC 1191 4) about the IPv4
 * packet orig (parsed as h), from src (4 bytes) to orig's source, quoting
 * the offending header and 8 bytes of payload. Returns the length written
 * to out, or 0 if no error may be sent about this packet (RFC 1122
 * 3.2.2: not about ICMP errors, non-first fragments, broadcast or
 * multicast, or a zero source) or cap is too small. */
size_t icmp4_frag_needed(uint8_t *out, size_t cap, const uint8_t *orig,
    const struct pkt_meta *h, const uint8_t src[4], unsigned mtu);

/* ICMPv6 Packet Too Big (RFC 4443 3.2) about orig, quoting as much as fits
 * in IPV6_MIN_MTU, with the pseudo-header checksum (RFC 8200 8.1). Returns
 * the length, or 0 if none may be sent (RFC 4443 2.4 (e): not about ICMPv6
 * errors, not to an unspecified or multicast source). */
size_t icmp6_packet_too_big(uint8_t *out, size_t cap, const uint8_t *orig,
    const struct pkt_meta *h, const uint8_t src[16], unsigned mtu);

#endif

/* Header rewrites the QoS path makes on inner packets: a new TOS / traffic
 * class (meters re-marking a DSCP) and TCP MSS clamping (the tunnel MTU
 * made effective for TCP at the source). Pure functions over a packet
 * already checked by pkt_parse_ip(), with every further length checked;
 * checksums are updated incrementally (RFC 1624), so they stay exactly
 * as valid (or invalid) as they were. */
#ifndef VPNTUND_QOS_PKT_H
#define VPNTUND_QOS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/datapath/inner.h"

/* RFC 1624 eq. 3: the checksum field after one 16-bit word of the data it
 * covers changed from old to new. */
uint16_t cksum_update16(uint16_t ck, uint16_t old, uint16_t new_);

/* Sets the DSCP of the parsed packet at d from tos (its upper six bits),
 * keeping the packet's ECN field; fixes the IPv4 header checksum. Updates
 * h->tos. */
void inner_set_dscp(uint8_t *d, struct pkt_meta *h, uint8_t tos);

/* For a TCP SYN (or SYN-ACK) whose MSS option exceeds mss, lowers it to
 * mss and updates the TCP checksum. IPv4: only unfragmented packets or
 * first fragments holding the whole TCP header; IPv6: TCP right after the
 * fixed header (extension headers are left alone). Returns true if the
 * packet was changed. */
bool tcp_mss_clamp(uint8_t *d, const struct pkt_meta *h, uint16_t mss);

/* The MSS that fits a tunnel MTU: mtu - 40 (IPv4) or - 60 (IPv6). */
uint16_t tcp_mss_for_mtu(sa_family_t af, unsigned mtu);

#endif

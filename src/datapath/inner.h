/* Inner (tunnelled) IP packets, parsed by util/pkt_parse.h: scope and
 * RFC 6040 ECN decapsulation. Pure functions over byte buffers, so they
 * are unit-tested without devices. */
#ifndef VPNTUND_INNER_H
#define VPNTUND_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/pkt_parse.h"

/* ECN codepoints, RFC 3168 5. */
#define ECN_NOT_ECT 0x0
#define ECN_ECT1    0x1
#define ECN_ECT0    0x2
#define ECN_CE      0x3
#define ECN_MASK    0x3

/* True for destinations that never leave the link (IPv6 link-local and
 * multicast, IPv4 multicast, broadcast and 169.254/16): the kernel's own
 * chatter on the tun (router solicitations, MLD) that matches no policy. */
bool inner_link_scoped(const uint8_t *d, const struct pkt_meta *m);

/* RFC 6040 4.2, figure 4 (normal mode): the ECN field to forward given the
 * arriving inner and outer fields, or -1 when the packet must be dropped
 * (outer CE over an inner Not-ECT: the end points cannot understand CE). */
int ecn_decap(uint8_t inner_ecn, uint8_t outer_ecn);

/* Rewrites the ECN field of the parsed packet at d, keeping the IPv4
 * header checksum valid (incremental update, RFC 1624 3); m->tos
 * follows. */
void inner_set_ecn(uint8_t *d, struct pkt_meta *m, uint8_t ecn);


#endif

/* Inner (tunnelled) IP headers: parsing with every length checked before
 * use, RFC 6040 ECN decapsulation and the Internet checksum. Pure
 * functions over byte buffers, so they are unit-tested without devices. */
#ifndef VPNTUND_INNER_H
#define VPNTUND_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40

/* ECN codepoints, RFC 3168 5. */
#define ECN_NOT_ECT 0x0
#define ECN_ECT1    0x1
#define ECN_ECT0    0x2
#define ECN_CE      0x3
#define ECN_MASK    0x3

struct inner_hdr {
	sa_family_t    af;      /* AF_INET or AF_INET6 */
	const uint8_t *src;     /* 4 or 16 bytes, inside the packet */
	const uint8_t *dst;
	size_t         hlen;    /* IPv4 header length; 40 for IPv6 */
	size_t         len;     /* total length the header claims */
	uint8_t        tos;     /* IPv4 TOS or IPv6 traffic class */
	uint8_t        proto;   /* IPv4 protocol or IPv6 next header */
	bool           df;      /* IPv4 DF; always true for IPv6 */
	uint16_t       frag_off;/* IPv4 fragment offset in 8-byte units */
};

/* Parses the IP header at d (len bytes from the device or from ESP).
 * The header's total length may be shorter than len (trailing bytes, e.g.
 * RFC 4303 2.7 TFC padding: callers trim to h->len) but never longer.
 * Returns 0, or -1 with *why set to a static reason. */
int inner_parse(const uint8_t *d, size_t len, struct inner_hdr *h,
    const char **why);

/* True for destinations that never leave the link (IPv6 link-local and
 * multicast, IPv4 multicast, broadcast and 169.254/16): the kernel's own
 * chatter on the tun (router solicitations, MLD) that matches no policy. */
bool inner_link_scoped(const struct inner_hdr *h);

/* RFC 6040 4.2, figure 4 (normal mode): the ECN field to forward given the
 * arriving inner and outer fields, or -1 when the packet must be dropped
 * (outer CE over an inner Not-ECT: the end points cannot understand CE). */
int ecn_decap(uint8_t inner_ecn, uint8_t outer_ecn);

/* Rewrites the ECN field of the parsed packet at d, keeping the IPv4
 * header checksum valid (incremental update, RFC 1624 3). */
void inner_set_ecn(uint8_t *d, const struct inner_hdr *h, uint8_t ecn);

/* One's-complement sum (RFC 1071) of len bytes added to sum, unfolded. */
uint32_t cksum_add(uint32_t sum, const uint8_t *d, size_t len);
/* Folds and complements a sum into the 16-bit checksum field value. */
uint16_t cksum_fold(uint32_t sum);

#endif

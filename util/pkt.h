/* Packet buffers with headroom and tailroom so that ESP is built in place:
 * the inner packet is read at PKT_HEADROOM, the outer headers are prepended
 * and the trailer and ICV appended without a copy (tinc vpn_packet_t). */
#ifndef VPNTUND_PKT_H
#define VPNTUND_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Worst case in front of the inner packet: outer IPv6 (40) + UDP (8) +
 * non-ESP marker room (0: it is only on IKE) + ESP header (8) + IV (16). */
#define PKT_OUTER_MAX     (40 + 8 + 8 + 16)
/* Worst case behind it: padding to a 16-byte block (15) + pad length and
 * next header (2) + ICV (32, hmac-sha512-256), plus 4 bytes of ESN high
 * bits that the MAC covers but the wire does not carry (RFC 4303
 * 2.2.1). */
#define PKT_TRAILER_MAX   (15 + 2 + 32 + 4)
#define PKT_HEADROOM      128
#define PKT_TAILROOM      64
#define PKT_MTU_MAX       9000
#define PKT_BUFSZ         (PKT_HEADROOM + PKT_MTU_MAX + PKT_TAILROOM)

/* What the one parse of an IP packet's headers found (pkt_parse_ip,
 * util/pkt_parse.h): filled where a packet enters (tun, and after ESP
 * decapsulation) and read by everything after it, so no stage parses the
 * headers again. Offsets count from the IP header. */
struct pkt_meta {
	uint16_t af;            /* AF_INET or AF_INET6; AF_UNSPEC: not parsed
	                           (a sa_family_t) */
	uint8_t  tos;           /* IPv4 TOS / IPv6 traffic class: DSCP, ECN */
	uint8_t  hdr_proto;     /* IPv4 protocol / IPv6 next header field */
	uint8_t  proto;         /* the upper layer, IPv6 extension headers
	                           walked (RFC 8200 4) */
	bool     df;            /* IPv4 DF; always true for IPv6 */
	bool     fragment;      /* not a first fragment: no upper header */
	bool     l4_ok;         /* the upper layer's header was read whole
	                           (or it has none we read) */
	uint16_t frag_off;      /* IPv4 fragment offset, 8-byte units */
	uint16_t hlen;          /* IPv4 header length; 40 for IPv6 */
	uint32_t l4;            /* upper-layer header; 0 if none was found */
	uint32_t len;           /* total length the IP header claims */
	uint16_t sport, dport;  /* 0 when the upper layer has no ports */
	int16_t  icmp_type;     /* -1 when not ICMP or ICMPv6 */
	/* Decided on the way, for the stages after: */
	uint8_t  nh;            /* what ESP will carry: 4 IPv4, 41 IPv6,
	                           97 EtherIP, 59 nothing (a dummy) */
	int32_t  rule;          /* the `out` rule that matched; -1 none */
	uint32_t peer;          /* index of the peer it goes to */
};

struct pkt {
	size_t          off;          /* first byte of data in buf */
	size_t          len;          /* bytes of data */
	struct pkt_meta meta;         /* of the IP packet at the data */
	uint8_t         buf[PKT_BUFSZ] __attribute__((aligned(16)));
};

static inline uint8_t *
pkt_data(struct pkt *p)
{
	return p->buf + p->off;
}

static inline void
pkt_reset(struct pkt *p)
{
	p->off = PKT_HEADROOM;
	p->len = 0;
}

/* Room in front of / behind the data. */
static inline size_t
pkt_headroom(const struct pkt *p)
{
	return p->off;
}

static inline size_t
pkt_tailroom(const struct pkt *p)
{
	return PKT_BUFSZ - p->off - p->len;
}

#endif

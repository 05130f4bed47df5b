/* Packet buffers with headroom and tailroom so that ESP is built in place:
 * the inner packet is read at PKT_HEADROOM, the outer headers are prepended
 * and the trailer and ICV appended without a copy (tinc vpn_packet_t). */
#ifndef VPNTUND_PKT_H
#define VPNTUND_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Worst case in front of the inner packet: outer IPv6 (40) + UDP (8) +
 * non-ESP marker room (0: it is only on IKE) + ESP header (8) + IV (16). */
#define PKT_OUTER_MAX     (40 + 8 + 8 + 16)
/* Worst case behind it: padding to a 16-byte block (15) + pad length and
 * next header (2) + ICV (16), plus 4 bytes of ESN high bits that the HMAC
 * covers but the wire does not carry (RFC 4303 2.2.1). */
#define PKT_TRAILER_MAX   (15 + 2 + 16 + 4)
#define PKT_HEADROOM      128
#define PKT_TAILROOM      64
#define PKT_MTU_MAX       9000
#define PKT_BUFSZ         (PKT_HEADROOM + PKT_MTU_MAX + PKT_TAILROOM)

struct pkt {
	size_t  off;                  /* first byte of data in buf */
	size_t  len;                  /* bytes of data */
	uint8_t buf[PKT_BUFSZ] __attribute__((aligned(16)));
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

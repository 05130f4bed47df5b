/* EtherIP header, RFC 3378 section 3: 4 bits version (3) and 12 reserved
 * bits that MUST be zero, so the RFC form is 0x30 0x00 on the wire. */
#include "ipx/etherip.h"

#include <stdint.h>

enum etherip_result
etherip_encap(struct pkt *p)
{
	uint8_t *h;

	if (p->len < ETHERIP_MIN_FRAME)
		return ETHERIP_SHORT;
	if (pkt_headroom(p) < ETHERIP_HDRLEN)
		return ETHERIP_NOROOM;
	p->off -= ETHERIP_HDRLEN;
	p->len += ETHERIP_HDRLEN;
	h = pkt_data(p);
	/* We always send the RFC form. */
	h[0] = ETHERIP_VERSION << 4;
	h[1] = 0x00;
	return ETHERIP_OK;
}

enum etherip_result
etherip_decap(struct pkt *p)
{
	const uint8_t *h;

	if (p->len < ETHERIP_HDRLEN)
		return ETHERIP_SHORT;
	h = pkt_data(p);
	/*
	 * FreeBSD's gif(4) in 6.1 to 7.1 sent the header with its two
	 * bytes swapped (0x00 0x30); when that was fixed, ifconfig(8) gained
	 * the gif flags accept_rev_ethip_ver / send_rev_ethip_ver to talk
	 * to old peers. We accept both exact forms and nothing else: any
	 * other value is another version or has reserved bits set
	 * (RFC 3378 section 3).
	 */
	if (!((h[0] == 0x30 && h[1] == 0x00) ||
	    (h[0] == 0x00 && h[1] == 0x30)))
		return ETHERIP_BAD_VERSION;
	if (p->len - ETHERIP_HDRLEN < ETHERIP_MIN_FRAME)
		return ETHERIP_SHORT;
	p->off += ETHERIP_HDRLEN;
	p->len -= ETHERIP_HDRLEN;
	return ETHERIP_OK;
}

const char *
etherip_result_str(enum etherip_result r)
{
	switch (r) {
	case ETHERIP_OK:
		return "ok";
	case ETHERIP_SHORT:
		return "short";
	case ETHERIP_BAD_VERSION:
		return "bad-version";
	case ETHERIP_NOROOM:
		return "no-room";
	}
	return "?";
}

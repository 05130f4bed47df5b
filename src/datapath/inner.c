/* Inner packets' scope and ECN handling (see inner.h). */
#include "src/datapath/inner.h"
#include "util/be.h"

#include <string.h>

bool
inner_link_scoped(const uint8_t *ip, const struct pkt_meta *m)
{
	const uint8_t *d = pkt_ip_dst(ip, m);

	if (m->af == AF_INET6)
		return d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80);
	return d[0] >= 224 || (d[0] == 169 && d[1] == 254);
}

int
ecn_decap(uint8_t inner, uint8_t outer)
{
	inner &= ECN_MASK;
	outer &= ECN_MASK;
	/* Not-ECT transports rely on loss; never hand them another codepoint. */
	if (inner == ECN_NOT_ECT)
		return outer == ECN_CE ? -1 : ECN_NOT_ECT;
	if (inner == ECN_CE || outer == ECN_CE)
		return ECN_CE;
	/* ECT(1) outer over ECT(0) inner propagates (RFC 6040 figure 4). */
	if (outer == ECN_ECT1)
		return ECN_ECT1;
	return inner;
}

void
inner_set_ecn(uint8_t *d, struct pkt_meta *m, uint8_t ecn)
{
	uint16_t oldw, neww, ck;
	uint32_t sum;

	ecn &= ECN_MASK;
	m->tos = (uint8_t)((m->tos & ~ECN_MASK) | ecn);
	if (m->af == AF_INET6) {
		/* The traffic class straddles bytes 0 and 1; ECN is its low
		 * two bits, i.e. bits 5..4 of byte 1. No header checksum. */
		d[1] = (uint8_t)((d[1] & ~0x30) | ecn << 4);
		return;
	}
	oldw = be_get16(d);
	d[1] = (uint8_t)((d[1] & ~ECN_MASK) | ecn);
	neww = be_get16(d);
	/* RFC 1624 eq. 3: HC' = ~(~HC + ~m + m') */
	ck = be_get16(d + 10);
	sum = (uint16_t)~ck;
	sum += (uint16_t)~oldw;
	sum += neww;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	d[10] = (uint8_t)(ck >> 8);
	d[11] = (uint8_t)ck;
}

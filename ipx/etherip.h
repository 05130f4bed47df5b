/* EtherIP (RFC 3378): a 2-byte header in front of an Ethernet frame,
 * carried as IP protocol 97, here inside ESP (next header 97). */
#ifndef VPNTUND_ETHERIP_H
#define VPNTUND_ETHERIP_H

#include "util/pkt.h"

#define ETHERIP_PROTO		97
#define ETHERIP_HDRLEN		2
#define ETHERIP_VERSION		3
#define ETHERIP_MIN_FRAME	14	/* an Ethernet header */

enum etherip_result {
	ETHERIP_OK = 0,
	ETHERIP_SHORT,		/* no header, or < 14 bytes of frame after it */
	ETHERIP_BAD_VERSION,	/* neither 0x30 0x00 nor 0x00 0x30 */
	ETHERIP_NOROOM		/* encap: not enough headroom */
};

enum etherip_result etherip_encap(struct pkt *p);
enum etherip_result etherip_decap(struct pkt *p);
const char *etherip_result_str(enum etherip_result r);

#endif

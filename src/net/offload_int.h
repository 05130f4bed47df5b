/* Private to the tun offload code (offload.c: parsing and segmenting;
 * offload_gro.c: coalescing): header sizes and fields both read. */
#ifndef VPNTUND_OFFLOAD_INT_H
#define VPNTUND_OFFLOAD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "util/be.h"

#define IP4_HDR_MIN  20
#define IP6_HDR_LEN  40
#define TCP_HDR_MIN  20
#define UDP_HDR_LEN  8
#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define ECN_CE       3
/* More extension headers than this in front of a transport header is
 * not a packet the kernel built. */
#define IP6_EXT_MAX  8

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

#define VNET_FLAGS_KNOWN \
	(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)

/* Walks IPv6 extension headers to the transport header (offload.c). */
int offload_ip6_walk(const uint8_t *p, size_t len, int routing,
    uint8_t *proto, size_t *l3);

#endif

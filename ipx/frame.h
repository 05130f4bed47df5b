/* Ethernet frame classification for `bridge ipx` / `bridge all`: which of
 * the four Novell framings of IPX a frame uses, if any. */
#ifndef VPNTUND_FRAME_H
#define VPNTUND_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETHER_ADDR_LEN		6
#define FRAME_ETHER_HDRLEN	14
#define FRAME_IPX_HDRLEN	30	/* IPX header, Novell "IPX Router Spec." */
#define ETHERTYPE_IPX		0x8137
#define ETHERTYPE_VLAN		0x8100
#define FRAME_8023_MAXLEN	1500	/* a type/length <= this is a length */
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd

enum frame_kind {
	FRAME_INVALID = 0,	/* shorter than an Ethernet header */
	FRAME_IPX_ETHII,	/* Ethernet II, type 0x8137 */
	FRAME_IPX_8023RAW,	/* Novell "802.3 raw": length, then 0xFFFF */
	FRAME_IPX_LLC,		/* 802.2 LLC, DSAP = SSAP = 0xE0, UI */
	FRAME_IPX_SNAP,		/* 802.2 SNAP, OUI 0, type 0x8137 */
	FRAME_OTHER
};

enum bridge_mode { BRIDGE_MODE_IPX, BRIDGE_MODE_ALL };

struct frame_info {
	uint8_t         dst[ETHER_ADDR_LEN];
	uint8_t         src[ETHER_ADDR_LEN];
	enum frame_kind kind;
	size_t          ipx_off;	/* IPX header; 0 unless kind is IPX */
	uint16_t        type;		/* inner type/length field */
	bool            vlan;		/* one 802.1Q tag was skipped */
	uint16_t        vid;
	bool            multicast;	/* group bit of dst (broadcast too) */
	bool            broadcast;	/* ff:ff:ff:ff:ff:ff */
};

enum frame_kind frame_classify(const uint8_t *f, size_t len,
    struct frame_info *out);
bool frame_is_ipx(enum frame_kind kind);
bool frame_selected(enum bridge_mode mode, enum frame_kind kind);
const char *frame_kind_str(enum frame_kind kind);
/* Where the IPv4 or IPv6 packet of an Ethernet II frame starts (14, or 18
 * past one 802.1Q tag); 0 if the frame does not carry IP that way. */
size_t frame_ip_offset(const struct frame_info *fi);

/* Sizes through the tunnel: the longest frame that fits in
 * outer_mtu after `overhead` bytes of outer IP, UDP and ESP and the 2
 * bytes of EtherIP (0 if none), and the tap MTU that matches it (the L3
 * payload of an untagged frame of that length, 0 if none). */
size_t frame_max_in_tunnel(unsigned outer_mtu, size_t overhead);
unsigned frame_tap_mtu(size_t frame_max);

#endif

/*
 * IPX on Ethernet comes in four framings (Novell "Ethernet Frame Types"
 * technical note; NetWare names in brackets):
 *  - Ethernet II, EtherType 0x8137 [ETHERNET_II];
 *  - raw 802.3, the length field then the IPX header directly, whose
 *    checksum field is always 0xFFFF [ETHERNET_802.3];
 *  - 802.2 LLC, DSAP = SSAP = 0xE0, control 0x03 (UI) [ETHERNET_802.2];
 *  - 802.2 SNAP, DSAP = SSAP = 0xAA, control 0x03, OUI 00:00:00, type
 *    0x8137 [ETHERNET_SNAP].
 * Novell also registered 0x8138, but no IPX stack sends IPX with it
 * (Wireshark and Linux ipx treat only 0x8137 as IPX), so 0x8138 is OTHER:
 * `bridge ipx` stays narrow, `bridge all` carries it anyway.
 * One 802.1Q tag is looked through, so a tagged IPX frame is still IPX;
 * a second tag (QinQ) is OTHER.
 * An IPX kind is returned only if the whole 30-byte IPX header is in the
 * frame, so a caller may read it at ipx_off without another check.
 */
#include "ipx/frame.h"
#include "util/be.h"

#include <string.h>

/* Classifies what follows the type/length field at f[off - 2]. */
static enum frame_kind
classify_payload(const uint8_t *f, size_t len, size_t off, uint16_t type,
    size_t *ipx_off)
{
	if (type == ETHERTYPE_IPX) {
		*ipx_off = off;
	} else if (type <= FRAME_8023_MAXLEN) {
		if (len < off + 3)
			return FRAME_OTHER;
		if (f[off] == 0xFF && f[off + 1] == 0xFF) {
			*ipx_off = off;
			if (len < off + FRAME_IPX_HDRLEN)
				return FRAME_OTHER;
			return FRAME_IPX_8023RAW;
		}
		if (f[off] == 0xE0 && f[off + 1] == 0xE0 &&
		    f[off + 2] == 0x03) {
			*ipx_off = off + 3;
			if (len < *ipx_off + FRAME_IPX_HDRLEN)
				return FRAME_OTHER;
			return FRAME_IPX_LLC;
		}
		if (len < off + 8)
			return FRAME_OTHER;
		if (f[off] == 0xAA && f[off + 1] == 0xAA &&
		    f[off + 2] == 0x03 && f[off + 3] == 0 &&
		    f[off + 4] == 0 && f[off + 5] == 0 &&
		    be_get16(f + off + 6) == ETHERTYPE_IPX) {
			*ipx_off = off + 8;
			if (len < *ipx_off + FRAME_IPX_HDRLEN)
				return FRAME_OTHER;
			return FRAME_IPX_SNAP;
		}
		return FRAME_OTHER;
	} else
		return FRAME_OTHER;
	if (len < *ipx_off + FRAME_IPX_HDRLEN)
		return FRAME_OTHER;
	return FRAME_IPX_ETHII;
}

enum frame_kind
frame_classify(const uint8_t *f, size_t len, struct frame_info *out)
{
	static const uint8_t bcast[ETHER_ADDR_LEN] =
	    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t off = FRAME_ETHER_HDRLEN, ipx_off = 0;
	uint16_t type;

	memset(out, 0, sizeof(*out));
	if (f == NULL || len < FRAME_ETHER_HDRLEN)
		return out->kind = FRAME_INVALID;
	memcpy(out->dst, f, ETHER_ADDR_LEN);
	memcpy(out->src, f + ETHER_ADDR_LEN, ETHER_ADDR_LEN);
	out->multicast = (f[0] & 0x01) != 0;
	out->broadcast = memcmp(f, bcast, ETHER_ADDR_LEN) == 0;
	type = be_get16(f + 12);
	if (type == ETHERTYPE_VLAN) {
		/* 802.1Q: TCI, then the real type/length. */
		if (len < off + 4) {
			out->type = type;
			return out->kind = FRAME_OTHER;
		}
		out->vlan = true;
		out->vid = be_get16(f + off) & 0x0fff;
		type = be_get16(f + off + 2);
		off += 4;
	}
	out->type = type;
	if (out->vlan && type == ETHERTYPE_VLAN)
		return out->kind = FRAME_OTHER;
	out->kind = classify_payload(f, len, off, type, &ipx_off);
	if (frame_is_ipx(out->kind))
		out->ipx_off = ipx_off;
	return out->kind;
}

bool
frame_is_ipx(enum frame_kind kind)
{
	return kind == FRAME_IPX_ETHII || kind == FRAME_IPX_8023RAW ||
	    kind == FRAME_IPX_LLC || kind == FRAME_IPX_SNAP;
}

bool
frame_selected(enum bridge_mode mode, enum frame_kind kind)
{
	if (kind == FRAME_INVALID)
		return false;
	if (mode == BRIDGE_MODE_ALL)
		return true;
	return frame_is_ipx(kind);
}

const char *
frame_kind_str(enum frame_kind kind)
{
	switch (kind) {
	case FRAME_INVALID:
		return "invalid";
	case FRAME_IPX_ETHII:
		return "ipx-ethii";
	case FRAME_IPX_8023RAW:
		return "ipx-802.3raw";
	case FRAME_IPX_LLC:
		return "ipx-llc";
	case FRAME_IPX_SNAP:
		return "ipx-snap";
	case FRAME_OTHER:
		return "other";
	}
	return "?";
}

size_t
frame_ip_offset(const struct frame_info *fi)
{
	if (fi->kind != FRAME_OTHER ||
	    (fi->type != ETHERTYPE_IPV4 && fi->type != ETHERTYPE_IPV6))
		return 0;
	return FRAME_ETHER_HDRLEN + (fi->vlan ? 4 : 0);
}

size_t
frame_max_in_tunnel(unsigned outer_mtu, size_t overhead)
{
	/* RFC 3378: two bytes of EtherIP in front of the frame. */
	if (outer_mtu <= overhead + 2)
		return 0;
	return outer_mtu - overhead - 2;
}

unsigned
frame_tap_mtu(size_t frame_max)
{
	if (frame_max <= FRAME_ETHER_HDRLEN)
		return 0;
	return (unsigned)(frame_max - FRAME_ETHER_HDRLEN);
}

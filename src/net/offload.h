/* Tun offloads, the packet half: pure functions over byte buffers.
 *
 * With IFF_VNET_HDR and TUNSETOFFLOAD (TUN_F_CSUM, TSO4/6, USO4/6) every
 * read from tun starts with a struct virtio_net_hdr (linux/virtio_net.h,
 * legacy layout, 10 bytes, host byte order: the fd must not be given
 * TUNSETVNETLE/BE) and may carry a TCP or UDP "super-packet" of up to
 * 64 KB with a partial checksum; every write must start with one too.
 *
 * Outbound (tun -> ESP), offload_parse_vnet() checks what the kernel
 * handed us as if it came from the wire, and a seg_iter writes one
 * MTU-sized packet at a time into the caller's buffer, the way the
 * kernel's tcp_gso_segment/__udp_gso_segment would: IPv4 total length,
 * ID + 1 per segment and header checksum, IPv6 payload length, TCP
 * sequence numbers, CWR on the first segment only, FIN and PSH on the
 * last only, UDP length, and full transport checksums computed from
 * scratch (the kernel's partial sum is not trusted). Like wireguard-go,
 * hdr_len is only a hint (on the forward path it can span the whole
 * first segment) and the headers' length is computed from csum_start
 * and the transport header; unlike it, a TCP super-packet is cut
 * smaller when the tunnel's MTU asks for it (TCP segment boundaries
 * carry no meaning). UDP datagrams keep gso_size: their boundaries
 * are the application's, so one too big for the tunnel is the
 * caller's to refuse as any other packet. A super-packet behind an
 * IPv6 routing header is refused: its pseudo-header would name the
 * final destination, not the one in the fixed header.
 *
 * Inbound (ESP -> tun), a gro_batch coalesces in-order TCP segments of
 * one flow into one super-packet, with the kernel's GRO rules
 * (tcp_gro_receive, inet/ipv6_gro_receive): same addresses, ports, ack,
 * window, header length and option bytes, same IP header but for
 * length/ID/checksum, consecutive IPv4 IDs unless DF, flags ACK or
 * ACK|PSH with PSH ending a run, payloads of gso_size with only the
 * last one smaller. It is written with gso_type TCPV4/6 and
 * NEEDS_CSUM: csum_start/offset name the TCP checksum, which holds
 * the pseudo-header sum (what tcp_v4_send_check leaves there), so the
 * kernel neither re-verifies it locally (CHECKSUM_PARTIAL) nor skips
 * computing it when it forwards and segments. DATA_VALID would not do:
 * tun ignores it on writes. Because the kernel then trusts the
 * checksum, every segment's TCP checksum is verified before it is
 * merged; one that fails goes out alone for the kernel to drop.
 *
 * UDP datagrams of one flow are coalesced the same way (the kernel's
 * udp_gro_receive_segment) when the caller allows it per family, which
 * it does when tun took USO (the kernels that took it build
 * VIRTIO_NET_HDR_GSO_UDP_L4 writes into segmentable packets): same
 * addresses and ports, same IP header as for TCP, UDP length equal to
 * the IP payload, payloads of gso_size with only the last one smaller.
 * It is written with gso_type UDP_L4 and NEEDS_CSUM, the UDP checksum
 * holding the pseudo-header sum of the super-packet; the kernel cuts
 * it back into datagrams (__udp_gso_segment) for a socket or a route.
 * Every datagram's checksum is verified before it is merged, and one
 * without a checksum (0 on IPv4, RFC 768) is written alone: merged,
 * it would leave the kernel with a checksum its sender did not give
 * it, and nothing would have checked its bytes.
 *
 * Anything else (UDP unless allowed, IPv4 options or fragments, ECN CE
 * on TCP, IPv6 extension headers, SYN/FIN/RST/URG/CWR/ECE, no payload)
 * is written alone behind a zero header. Only appends are made, so the
 * order of a flow's packets is kept; a fragment, whose ports are not
 * known, ends the open runs between its two addresses. */
#ifndef VPNTUND_OFFLOAD_H
#define VPNTUND_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

/* linux/virtio_net.h, spelt out: the C library's kernel headers may
 * predate VIRTIO_NET_HDR_GSO_UDP_L4 (Linux 6.2 for tun). */
#define VNET_HDR_LEN         10
#define VNET_F_NEEDS_CSUM    1
#define VNET_F_DATA_VALID    2
#define VNET_GSO_NONE        0
#define VNET_GSO_TCPV4       1
#define VNET_GSO_UDP         3
#define VNET_GSO_TCPV6       4
#define VNET_GSO_UDP_L4      5
#define VNET_GSO_ECN         0x80
/* The largest IP packet either way: the 16-bit length fields. */
#define OFFLOAD_PKT_MAX  65535

/* struct virtio_net_hdr in host order. */
struct vnet_hdr {
	uint8_t  flags;        /* VNET_F_* */
	uint8_t  gso_type;     /* VNET_GSO_* */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void vnet_hdr_get(struct vnet_hdr *h, const uint8_t b[VNET_HDR_LEN]);
void vnet_hdr_put(uint8_t b[VNET_HDR_LEN], const struct vnet_hdr *h);

enum offload_kind {
	OFFLOAD_PLAIN,          /* nothing to do: the packet goes as it is */
	OFFLOAD_CSUM,           /* one packet whose checksum is to finish */
	OFFLOAD_GSO             /* a super-packet to segment */
};

struct vnet_info {
	struct vnet_hdr   hdr;
	const uint8_t    *pkt;      /* the IP packet behind the header */
	size_t            len;
	enum offload_kind kind;
	/* OFFLOAD_CSUM and OFFLOAD_GSO: */
	int               af;       /* AF_INET or AF_INET6 */
	/* OFFLOAD_GSO: */
	uint8_t           proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t          l3len;    /* IP header (IPv6: with extensions) */
	uint16_t          l4len;    /* TCP header with options, or 8 */
	uint16_t          gso_size; /* payload bytes per segment */
	const char       *why;      /* on failure: what was wrong */
};

/* Parses one read from tun (buf, len: virtio_net_hdr and packet).
 * Returns 0 with *out filled, or -1 with out->why set. */
int offload_parse_vnet(const uint8_t *buf, size_t len, struct vnet_info *out);

struct seg_iter {
	const struct vnet_info *vi;
	size_t   hdrs;      /* l3len + l4len */
	size_t   mss;       /* payload bytes per segment */
	size_t   off;       /* next payload byte, counted from hdrs */
	size_t   payload;   /* payload bytes in all */
	uint32_t index;     /* segments written */
	uint32_t count;     /* segments in all */
	uint32_t pseudo;    /* pseudo-header sum of the addresses */
};

/* Prepares the segmentation of a parsed read (vi must outlive it).
 * mtu is the largest IP packet the tunnel carries: TCP segments are
 * cut to fit it; a single packet or UDP datagram is not cut (the
 * caller refuses what is too big). Returns -1 when mtu leaves no room
 * for a TCP payload. */
int offload_seg_init(struct seg_iter *it, const struct vnet_info *vi,
    size_t mtu);
/* Segments (1 for a plain or checksum-only packet). */
uint32_t offload_seg_count(const struct seg_iter *it);
/* Writes the next segment, headers and payload, into out and its
 * length into *outlen. Returns 1, 0 when all were written, or -1 when
 * cap is too small for it (nothing is consumed then). */
int offload_segment_next(struct seg_iter *it, uint8_t *out, size_t cap,
    size_t *outlen);

/* Receive side. */
#define GRO_BATCH_MAX 64

/* gro_init's flags: which UDP datagrams may be coalesced. */
#define GRO_UDP4 0x1
#define GRO_UDP6 0x2

struct gro_in {
	const uint8_t *pkt;
	size_t   len;
	uint32_t seq, ack;
	uint16_t payload;
	uint16_t ip_id;
	uint8_t  l3len, l4len;
	uint8_t  tcp_flags;
	uint8_t  af;          /* 4 or 6 with a parsed 5-tuple or a
	                         fragment, else 0 */
	uint8_t  proto;       /* IPPROTO_TCP or IPPROTO_UDP; 0 for a
	                         fragment: same flow as any of its addresses */
	uint8_t  mergeable;   /* a coalescing candidate */
	int8_t   csum;        /* 1 verified, -1 bad, 0 not checked yet */
	uint8_t  next;        /* next input of the same output */
};

struct gro_item {
	uint8_t  first, last;
	uint8_t  count;
	uint8_t  open;        /* may take more segments */
	uint16_t gso_size;
	uint32_t next_seq;
	size_t   len;         /* IP length of the coalesced packet */
};

struct gro_batch {
	size_t   max_len;     /* coalesced packets stay within this */
	unsigned flags;       /* GRO_UDP4, GRO_UDP6 */
	unsigned n;           /* inputs */
	unsigned nitems;
	unsigned emitted;     /* items handed out by gro_next */
	struct gro_in   in[GRO_BATCH_MAX];
	struct gro_item item[GRO_BATCH_MAX];
};

struct gro_out {
	uint8_t        vnet[VNET_HDR_LEN]; /* to write in front of pkt */
	const uint8_t *pkt;
	size_t         len;
	unsigned       first;  /* index (order of gro_add) of its first input */
	unsigned       count;  /* inputs in it */
	uint8_t        proto;  /* count > 1: IPPROTO_TCP or IPPROTO_UDP */
};

/* bufsize: the size of the buffer that will be passed to gro_next; a
 * coalesced packet and its header never exceed it. flags: GRO_UDP4
 * and GRO_UDP6 let UDP datagrams of that family be coalesced too. */
void gro_init(struct gro_batch *b, size_t bufsize, unsigned flags);
/* Adds one decrypted IP packet; the caller keeps pkt valid until the
 * last gro_next. Returns -1 when the batch is full. */
int gro_add(struct gro_batch *b, const uint8_t *pkt, size_t len);
/* The next packet to write to tun, in the order of the first input of
 * each: an input as it is (pkt points to it, vnet is all zero), or
 * several coalesced into buf (buf holds vnet then the packet, and pkt
 * points behind the header). Returns 1, 0 when none is left, or -1
 * when the coalesced packet does not fit in cap (a cap below the
 * bufsize given to gro_init; nothing is consumed then). */
int gro_next(struct gro_batch *b, struct gro_out *o, uint8_t *buf,
    size_t cap);

#endif

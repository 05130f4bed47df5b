/* The ESP bytes of a captured frame (pcap/pcapng, any of the link types
 * below): the link layer, IPv4 or IPv6 with its extension headers, and
 * UDP encapsulation (RFC 3948) peeled off with every length checked, for
 * the tools that decrypt captures (vpntunctl decrypt-pcap and the tests'
 * esp-pcap-decrypt). A capture is untrusted input: nothing here reads a
 * byte before checking that it was captured. */
#ifndef VPNTUND_CAPTURE_H
#define VPNTUND_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* LINKTYPE_ values as pcap files carry them, and the DLT_RAW values
 * libpcap may report instead of LINKTYPE_RAW. */
#define CAP_LT_NULL       0
#define CAP_LT_EN10MB     1
#define CAP_LT_RAW_A      12    /* DLT_RAW on most systems */
#define CAP_LT_RAW_B      14    /* DLT_RAW on OpenBSD */
#define CAP_LT_RAW        101
#define CAP_LT_LOOP       108
#define CAP_LT_LINUX_SLL  113
#define CAP_LT_IPV4       228
#define CAP_LT_IPV6       229
#define CAP_LT_LINUX_SLL2 276

#define CAP_NATT_PORT     4500

enum cap_kind {
	CAP_ESP,        /* esp and len set: an ESP packet, whole */
	CAP_ESP_CUT,    /* ESP, but the capture's snaplen cut it short */
	CAP_FRAGMENT,   /* an IP fragment of ESP: not reassembled */
	CAP_OTHER,      /* not ESP: other traffic, IKE, NAT-T keepalives */
	CAP_BAD,        /* a link, IP or UDP header too short or with
	                   lengths that do not fit */
	CAP_UNHANDLED,  /* a link type or IPv6 extension header we do not
	                   walk */
};

struct cap_esp {
	const uint8_t *esp;     /* SPI onwards */
	size_t         len;     /* as the IP and UDP headers delimit it */
	uint8_t        af;      /* 4 or 6: the outer IP version */
	const char    *why;     /* for anything but CAP_ESP: a short
	                           reason ("short_ipv4", "ike", ...) */
};

/* Finds the ESP packet in a frame of linktype whose first caplen bytes
 * were captured out of wirelen: IP protocol 50, or UDP from or to
 * natt_port that is neither a NAT-T keepalive nor IKE (RFC 3948 2.2). */
enum cap_kind cap_find_esp(int linktype, const uint8_t *frame, size_t caplen,
    size_t wirelen, uint16_t natt_port, struct cap_esp *out);

#endif

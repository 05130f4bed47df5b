/* The ESP bytes of a captured frame (see capture.h). */
#include "src/capture.h"

#include <stdbool.h>
#include <string.h>

#include "util/be.h"

#define ET_IPV4     0x0800
#define ET_IPV6     0x86dd
#define ET_VLAN     0x8100
#define ET_QINQ     0x88a8
#define PROTO_UDP   17
#define PROTO_ESP   50

/* A read cursor over captured bytes. */
struct cur {
	const uint8_t *p;
	size_t         len;
	bool           cut;     /* the capture ends before the frame did */
};

static bool
skip(struct cur *c, size_t n)
{
	if (c->len < n)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

static bool
get16(const struct cur *c, size_t at, uint16_t *v)
{
	if (c->len < 2 || c->len - 2 < at)
		return false;
	*v = be_get16(c->p + at);
	return true;
}

static enum cap_kind
verdict(struct cap_esp *out, enum cap_kind k, const char *why)
{
	out->why = why;
	return k;
}

/* A header that is not all there: the snaplen's doing, or a frame too
 * short for what it claims. */
static enum cap_kind
short_hdr(const struct cur *c, struct cap_esp *out, const char *why)
{
	return verdict(out, CAP_BAD, c->cut ? "cut_before_esp" : why);
}

/* Strips the link layer; *et is the ethertype that follows, 0 to go by
 * the IP version nibble. */
static enum cap_kind
strip_link(int linktype, struct cur *c, uint16_t *et, struct cap_esp *out)
{
	*et = 0;
	switch (linktype) {
	case CAP_LT_EN10MB:
		if (!get16(c, 12, et) || !skip(c, 14))
			return short_hdr(c, out, "short_ethernet");
		while (*et == ET_VLAN || *et == ET_QINQ) {
			if (!get16(c, 2, et) || !skip(c, 4))
				return short_hdr(c, out, "short_vlan");
		}
		return CAP_ESP;
	case CAP_LT_LINUX_SLL:
		if (!get16(c, 14, et) || !skip(c, 16))
			return short_hdr(c, out, "short_sll");
		return CAP_ESP;
	case CAP_LT_LINUX_SLL2:
		if (!get16(c, 0, et) || !skip(c, 20))
			return short_hdr(c, out, "short_sll2");
		return CAP_ESP;
	case CAP_LT_NULL:
	case CAP_LT_LOOP:
		/* An address family in the writer's byte order, whose
		 * values for IPv6 differ between systems: the IP version
		 * nibble says more. */
		if (!skip(c, 4))
			return short_hdr(c, out, "short_null");
		return CAP_ESP;
	case CAP_LT_RAW_A:
	case CAP_LT_RAW_B:
	case CAP_LT_RAW:
	case CAP_LT_IPV4:
	case CAP_LT_IPV6:
		return CAP_ESP;
	default:
		return verdict(out, CAP_UNHANDLED, "unknown_linktype");
	}
}

/* Limits c to an IP or UDP length field's len bytes (dropping link
 * layer padding): more than was captured is a cut capture, or a lie. */
static bool
limit(struct cur *c, size_t len)
{
	if (len <= c->len) {
		c->len = len;
		c->cut = false;         /* the snaplen took only padding */
		return true;
	}
	return c->cut;
}

/* IPv4 (RFC 791): *proto and *frag (0 none, 1 first, 2 later) set. */
static enum cap_kind
ipv4(struct cur *c, uint8_t *proto, int *frag, struct cap_esp *out)
{
	uint16_t tot, off;
	size_t hl;

	if (!get16(c, 2, &tot) || !get16(c, 6, &off) || c->len < 20)
		return short_hdr(c, out, "short_ipv4");
	hl = (size_t)(c->p[0] & 0x0f) * 4;
	if (hl < 20 || tot < hl)
		return verdict(out, CAP_BAD, "bad_ipv4_length");
	if (!limit(c, tot))
		return verdict(out, CAP_BAD, "bad_ipv4_length");
	*proto = c->p[9];
	*frag = (off & 0x1fff) != 0 ? 2 : (off & 0x2000) != 0 ? 1 : 0;
	if (!skip(c, hl))
		return short_hdr(c, out, "short_ipv4");
	return CAP_ESP;
}

/* IPv6 (RFC 8200): the fixed header and the extension headers in front
 * of ESP or UDP that a gateway may see (4.1; AH, RFC 4302 2.2). */
static enum cap_kind
ipv6(struct cur *c, uint8_t *proto, int *frag, struct cap_esp *out)
{
	uint16_t plen, off;
	size_t hl;

	if (!get16(c, 4, &plen) || c->len < 40)
		return short_hdr(c, out, "short_ipv6");
	if (plen == 0)          /* a jumbogram (RFC 2675) */
		return verdict(out, CAP_UNHANDLED, "ipv6_jumbogram");
	if (!limit(c, (size_t)plen + 40))
		return verdict(out, CAP_BAD, "bad_ipv6_length");
	*proto = c->p[6];
	*frag = 0;
	skip(c, 40);
	for (;;) {
		switch (*proto) {
		case 0:         /* hop-by-hop options */
		case 43:        /* routing */
		case 60:        /* destination options */
			if (c->len < 2)
				return short_hdr(c, out, "short_ipv6_ext");
			hl = ((size_t)c->p[1] + 1) * 8;
			break;
		case 51:        /* AH: length in 4-byte units, minus 2 */
			if (c->len < 2)
				return short_hdr(c, out, "short_ipv6_ext");
			hl = ((size_t)c->p[1] + 2) * 4;
			break;
		case 44:        /* fragment */
			if (!get16(c, 2, &off))
				return short_hdr(c, out, "short_ipv6_ext");
			if ((off & 0xfff8) != 0)
				*frag = 2;
			else if ((off & 1) != 0)
				*frag = 1;
			hl = 8;
			break;
		case 135:       /* mobility */
		case 139:       /* HIP */
		case 140:       /* shim6 */
		case 253:       /* experiments */
		case 254:
			return verdict(out, CAP_UNHANDLED, "ipv6_ext");
		default:
			return CAP_ESP;
		}
		*proto = c->p[0];
		if (!skip(c, hl))
			return short_hdr(c, out, "short_ipv6_ext");
		if (*frag == 2)
			return CAP_ESP;     /* no more headers in this one */
	}
}

enum cap_kind
cap_find_esp(int linktype, const uint8_t *frame, size_t caplen,
    size_t wirelen, uint16_t natt_port, struct cap_esp *out)
{
	struct cur c = { frame, caplen, caplen < wirelen };
	enum cap_kind k;
	uint16_t et, sport, dport, ulen;
	uint8_t proto = 0;
	int frag = 0, ver;

	memset(out, 0, sizeof(*out));
	if ((k = strip_link(linktype, &c, &et, out)) != CAP_ESP)
		return k;
	if (et != 0 && et != ET_IPV4 && et != ET_IPV6)
		return verdict(out, CAP_OTHER, "not_ip");
	if (c.len < 1)
		return short_hdr(&c, out, "short_ip");
	ver = c.p[0] >> 4;
	if ((et == ET_IPV4 && ver != 4) || (et == ET_IPV6 && ver != 6))
		return verdict(out, CAP_BAD, "ip_version");
	if (ver == 4)
		k = ipv4(&c, &proto, &frag, out);
	else if (ver == 6)
		k = ipv6(&c, &proto, &frag, out);
	else
		return verdict(out, CAP_OTHER, "not_ip");
	if (k != CAP_ESP)
		return k;
	out->af = (uint8_t)ver;

	if (proto == PROTO_ESP) {
		if (frag != 0)
			return verdict(out, CAP_FRAGMENT, "fragment");
	} else if (proto == PROTO_UDP) {
		if (frag == 2)
			return verdict(out, CAP_OTHER, "udp_fragment");
		if (!get16(&c, 0, &sport) || !get16(&c, 2, &dport) ||
		    !get16(&c, 4, &ulen))
			return short_hdr(&c, out, "short_udp");
		if (sport != natt_port && dport != natt_port)
			return verdict(out, CAP_OTHER, "not_esp");
		if (frag != 0)
			return verdict(out, CAP_FRAGMENT, "fragment");
		if (ulen < 8 || !limit(&c, ulen))
			return verdict(out, CAP_BAD, "bad_udp_length");
		skip(&c, 8);
		/* RFC 3948 2.2 and 2.3: one 0xff byte is a keepalive, a
		 * zero non-ESP marker IKE. */
		if (!c.cut && c.len == 1 && c.p[0] == 0xff)
			return verdict(out, CAP_OTHER, "natt_keepalive");
		if (c.len >= 4 && be_get32(c.p) == 0)
			return verdict(out, CAP_OTHER, "ike");
	} else
		return verdict(out, CAP_OTHER, "not_esp");
	if (c.cut)
		return verdict(out, CAP_ESP_CUT, "cut");
	out->esp = c.p;
	out->len = c.len;
	return CAP_ESP;
}

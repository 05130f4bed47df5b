/* Rules as boxes and packets as points, one 64-bit range or key per
 * dimension (see match.c for why). */
#include <endian.h>
#include <string.h>

#include "qos/match_tree.h"

static uint64_t
rd_be(const uint8_t *p, unsigned n)
{
	uint64_t v;
	uint32_t w;

	if (n == 4) {
		memcpy(&w, p, 4);
		return be32toh(w);
	}
	memcpy(&v, p, 8);
	return be64toh(v);
}

/* Mask of the top len bits of a 64-bit word (len 0..64). */
static uint64_t
top_mask(unsigned len, unsigned width)
{
	uint64_t all = width == 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;

	if (len == 0)
		return 0;
	return all & ~((UINT64_C(1) << (width - len)) - 1);
}

static void
range_prefix(uint64_t v, unsigned len, unsigned width, uint64_t *lo,
    uint64_t *hi)
{
	uint64_t all = width == 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
	uint64_t mk = len >= width ? all : top_mask(len, width);

	*lo = v & mk;
	*hi = (v & mk) | (all & ~mk);
}

/* The address dimensions of one prefix (len > 0, family checked). */
static void
box_prefix(struct box *b, int dhi, const struct prefix *p)
{
	b->r[dhi].lo = b->r[dhi + 1].lo = 0;
	b->r[dhi].hi = b->r[dhi + 1].hi = UINT64_MAX;
	if (p->len == 0)
		return;
	if (p->af == AF_INET) {
		range_prefix(rd_be(p->addr.b, 4), p->len, 32, &b->r[dhi].lo,
		    &b->r[dhi].hi);
	} else if (p->len <= 64) {
		range_prefix(rd_be(p->addr.b, 8), p->len, 64, &b->r[dhi].lo,
		    &b->r[dhi].hi);
	} else {
		b->r[dhi].lo = b->r[dhi].hi = rd_be(p->addr.b, 8);
		range_prefix(rd_be(p->addr.b + 8, 8), p->len - 64u, 64,
		    &b->r[dhi + 1].lo, &b->r[dhi + 1].hi);
	}
}

static void
set_range(struct box *b, int d, uint64_t lo, uint64_t hi)
{
	b->r[d].lo = lo;
	b->r[d].hi = hi;
}

bool
match_rule_box(const struct match_rule *r, struct box *b, uint8_t *exact)
{
	bool sany = MATCH_PORT_ANY(r->sport_lo, r->sport_hi);
	bool dany = MATCH_PORT_ANY(r->dport_lo, r->dport_hi);
	unsigned free_bits = ~r->tos_mask & 0xffu;

	*exact = 1;
	box_prefix(b, D_SRC_HI, &r->src);
	box_prefix(b, D_DST_HI, &r->dst);
	if (sany && dany) {
		set_range(b, D_SPORT, 0, NO_PORT);
		set_range(b, D_DPORT, 0, NO_PORT);
	} else {
		if (r->sport_lo > r->sport_hi || r->dport_lo > r->dport_hi)
			return false;
		set_range(b, D_SPORT, r->sport_lo, r->sport_hi);
		set_range(b, D_DPORT, r->dport_lo, r->dport_hi);
	}
	if (r->proto == -1)
		set_range(b, D_PROTO, 0, 255);
	else if (r->proto >= 0 && r->proto <= 255)
		set_range(b, D_PROTO, (uint64_t)r->proto, (uint64_t)r->proto);
	else
		return false;
	/* {t : (t & mask) == value} is an interval when the mask's zero bits
	 * are the low ones (0, 0xfc, 0xff); otherwise the box is larger. */
	if ((r->tos_value & ~r->tos_mask) != 0)
		return false;
	set_range(b, D_TOS, r->tos_value, r->tos_value | free_bits);
	if ((free_bits & (free_bits + 1)) != 0)
		*exact = 0;
	if (r->icmp_type == -1)
		set_range(b, D_ICMP, 0, NO_ICMP);
	else if (r->icmp_type >= 0 && r->icmp_type <= 255)
		set_range(b, D_ICMP, (uint64_t)r->icmp_type,
		    (uint64_t)r->icmp_type);
	else
		return false;
	if (r->iface == MATCH_IF_ANY)
		set_range(b, D_IF, 0, IF_OTHER);
	else if (r->iface == MATCH_IF_TUN || r->iface == MATCH_IF_TAP)
		set_range(b, D_IF, r->iface, r->iface);
	else {
		set_range(b, D_IF, IF_OTHER, IF_OTHER);
		*exact = 0;
	}
	return true;
}

void
match_pkt_keys(const struct match_pkt *p, uint64_t k[D_N])
{
	if (p->af == AF_INET) {
		k[D_SRC_HI] = rd_be(p->src, 4);
		k[D_DST_HI] = rd_be(p->dst, 4);
		k[D_SRC_LO] = k[D_DST_LO] = 0;
	} else {
		k[D_SRC_HI] = rd_be(p->src, 8);
		k[D_SRC_LO] = rd_be(p->src + 8, 8);
		k[D_DST_HI] = rd_be(p->dst, 8);
		k[D_DST_LO] = rd_be(p->dst + 8, 8);
	}
	if (match_pkt_has_ports(p)) {
		k[D_SPORT] = p->sport;
		k[D_DPORT] = p->dport;
	} else
		k[D_SPORT] = k[D_DPORT] = NO_PORT;
	k[D_PROTO] = p->proto;
	k[D_TOS] = p->tos;
	k[D_ICMP] = match_pkt_is_icmp(p) ? (uint64_t)p->icmp_type : NO_ICMP;
	k[D_IF] = p->iface == MATCH_IF_TUN || p->iface == MATCH_IF_TAP ||
	    p->iface == MATCH_IF_ANY ? (uint64_t)p->iface : IF_OTHER;
}


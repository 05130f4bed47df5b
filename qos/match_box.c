/* Rules as boxes and packets as points, one 32-bit range or key per
 * dimension (see match.c for why). */
#include <endian.h>
#include <string.h>

#include "qos/match_tree.h"

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return be32toh(w);
}

/* The address dimensions of one prefix (family checked): word i holds
 * bits 32i..32i+31, exact above the prefix length, any value below it,
 * a range in the word the length ends in. A prefix is a box this way. */
static void
box_prefix(struct box *b, const int dims[4], const struct prefix *p)
{
	unsigned i, len, nw = p->af == AF_INET ? 1 : 4;
	uint32_t v, mk;

	for (i = 0; i < 4; i++) {
		b->lo[dims[i]] = 0;
		b->hi[dims[i]] = UINT32_MAX;
	}
	for (i = 0; i < nw && p->len > 32 * i; i++) {
		len = p->len - 32 * i;
		v = rd32(p->addr.b + 4 * i);
		mk = len >= 32 ? UINT32_MAX : ~(UINT32_MAX >> len);
		b->lo[dims[i]] = v & mk;
		b->hi[dims[i]] = v | ~mk;
	}
}

static void
set_range(struct box *b, int d, uint32_t lo, uint32_t hi)
{
	b->lo[d] = lo;
	b->hi[d] = hi;
}

bool
match_rule_box(const struct match_rule *r, struct box *b, uint8_t *exact)
{
	static const int sdims[4] = { D_SRC0, D_SRC1, D_SRC2, D_SRC3 };
	static const int ddims[4] = { D_DST0, D_DST1, D_DST2, D_DST3 };
	bool sany = MATCH_PORT_ANY(r->sport_lo, r->sport_hi);
	bool dany = MATCH_PORT_ANY(r->dport_lo, r->dport_hi);
	unsigned free_bits = ~r->tos_mask & 0xffu;

	*exact = 1;
	box_prefix(b, sdims, &r->src);
	box_prefix(b, ddims, &r->dst);
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
		set_range(b, D_PROTO, (uint32_t)r->proto, (uint32_t)r->proto);
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
		set_range(b, D_ICMP, (uint32_t)r->icmp_type,
		    (uint32_t)r->icmp_type);
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
match_pkt_keys(const struct match_pkt *p, uint32_t k[LANES])
{
	int i;

	memset(k, 0, LANES * sizeof(*k));
	k[D_SRC0] = rd32(p->src);
	k[D_DST0] = rd32(p->dst);
	if (p->af == AF_INET6)
		for (i = 1; i < 4; i++) {
			k[D_SRC1 - 1 + i] = rd32(p->src + 4 * i);
			k[D_DST1 - 1 + i] = rd32(p->dst + 4 * i);
		}
	if (match_pkt_has_ports(p)) {
		k[D_SPORT] = p->sport;
		k[D_DPORT] = p->dport;
	} else
		k[D_SPORT] = k[D_DPORT] = NO_PORT;
	k[D_PROTO] = p->proto;
	k[D_TOS] = p->tos;
	k[D_ICMP] = match_pkt_is_icmp(p) ? (uint32_t)p->icmp_type : NO_ICMP;
	k[D_IF] = p->iface == MATCH_IF_TUN || p->iface == MATCH_IF_TAP ||
	    p->iface == MATCH_IF_ANY ? (uint32_t)p->iface : IF_OTHER;
}

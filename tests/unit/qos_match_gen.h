/* Random rule sets and packets for the matcher's property test and for
 * bench/classify (which includes this header too, so both measure the same
 * kind of traffic). Prefixes are drawn from a few base networks so that
 * rules overlap and nest; packets are often made inside a random rule so
 * that many of them hit something, and a few carry odd field values (ports
 * on GRE, an unknown interface) that no parser would produce. */
#ifndef VPNTUND_QOS_MATCH_GEN_H
#define VPNTUND_QOS_MATCH_GEN_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "qos/match.h"

struct qmg {
	uint64_t s;
};

/* splitmix64: fixed seeds give the same sets on every machine. */
static inline uint64_t
qmg_next(struct qmg *g)
{
	uint64_t z = (g->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint32_t
qmg_below(struct qmg *g, uint32_t n)
{
	return (uint32_t)(qmg_next(g) % n);
}

/* True with probability pct percent. */
static inline int
qmg_pct(struct qmg *g, unsigned pct)
{
	return qmg_below(g, 100) < pct;
}

struct qmg_base {
	sa_family_t af;
	uint8_t     len;
	uint8_t     b[16];
};

static const struct qmg_base qmg_bases[] = {
	{ AF_INET, 8, { 10 } },
	{ AF_INET, 16, { 10, 1 } },
	{ AF_INET, 12, { 172, 16 } },
	{ AF_INET, 24, { 192, 168, 1 } },
	{ AF_INET, 24, { 198, 51, 100 } },
	{ AF_INET6, 32, { 0x20, 0x01, 0x0d, 0xb8 } },
	{ AF_INET6, 48, { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } },
	{ AF_INET6, 8, { 0xfd } },
	{ AF_INET6, 64, { 0xfd, 0, 0, 1, 0, 2, 0, 3 } },
};
#define QMG_NBASES (sizeof(qmg_bases) / sizeof(qmg_bases[0]))

static const uint16_t qmg_ports[] = { 22, 53, 80, 443, 1194, 4500, 5004,
	5060, 8080, 40000 };
static const uint8_t qmg_dscp[] = { 0, 10, 26, 34, 46, 48 };

/* Random bits into addr below the first len bits of base. */
static inline void
qmg_fill_addr(struct qmg *g, uint8_t *addr, const uint8_t *base,
    unsigned len, unsigned alen)
{
	unsigned i;

	for (i = 0; i < alen; i++) {
		uint8_t keep = i * 8 + 8 <= len ? 0xff : i * 8 >= len ? 0 :
		    (uint8_t)(0xff << (8 - len % 8));

		addr[i] = (uint8_t)((base[i] & keep) |
		    ((uint8_t)qmg_next(g) & ~keep));
	}
}

static inline const struct qmg_base *
qmg_pick_base(struct qmg *g, sa_family_t af)
{
	const struct qmg_base *b;

	do
		b = &qmg_bases[qmg_below(g, QMG_NBASES)];
	while (b->af != af);
	return b;
}

static inline void
qmg_prefix(struct qmg *g, struct prefix *p, sa_family_t af, unsigned wild)
{
	const struct qmg_base *b = qmg_pick_base(g, af);
	unsigned alen = af == AF_INET ? 4 : 16, max = alen * 8, len;

	memset(p, 0, sizeof(*p));
	p->af = af;
	if (qmg_pct(g, wild))
		return;
	/* base length, or longer in steps of 4, sometimes a host */
	len = b->len + 4 * qmg_below(g, (max - b->len) / 4 + 1);
	if (qmg_pct(g, 10))
		len = max;
	p->len = (uint8_t)len;
	qmg_fill_addr(g, p->addr.b, b->b, b->len, alen);
}

static inline void
qmg_ports_of(struct qmg *g, uint16_t *lo, uint16_t *hi, unsigned any)
{
	unsigned x = qmg_below(g, 100);

	if (x < any) {
		*lo = 0;
		*hi = 65535;
	} else if (x < any + (100 - any) / 2) {
		*lo = *hi = qmg_ports[qmg_below(g, 10)];
	} else {
		*lo = (uint16_t)qmg_below(g, 60000);
		*hi = (uint16_t)(*lo + qmg_below(g, 5000));
	}
}

static inline void
qmg_rule(struct qmg *g, struct match_rule *r, uint32_t result)
{
	static const int protos[] = { 6, 17, 132, 136, 47, 1 };
	unsigned x = qmg_below(g, 100);
	sa_family_t af = x < 45 ? AF_INET : x < 90 ? AF_INET6 : AF_UNSPEC;

	memset(r, 0, sizeof(*r));
	r->af = af;
	if (af == AF_UNSPEC) {
		/* Any family, or the family of its one real prefix. */
		r->src.af = AF_INET;
		r->dst.af = AF_INET6;
		if (qmg_pct(g, 30))
			qmg_prefix(g, &r->dst, qmg_pct(g, 50) ? AF_INET :
			    AF_INET6, 0);
	} else {
		/* Some rules are wild on one side, none on both: a few
		 * catch-alls early in a big set would hide the rest. */
		qmg_prefix(g, &r->src, af, 35);
		qmg_prefix(g, &r->dst, af, r->src.len == 0 ? 0 : 25);
	}
	r->proto = qmg_pct(g, 30) ? -1 : protos[qmg_below(g, 6)];
	if (r->proto == 1 && af == AF_INET6)
		r->proto = 58;
	r->sport_hi = r->dport_hi = 65535;
	r->icmp_type = -1;
	if (r->proto == 1 || r->proto == 58 || (r->proto == -1 &&
	    qmg_pct(g, 10))) {
		if (qmg_pct(g, 60))
			r->icmp_type = (int)qmg_below(g, 4) * 3 +
			    (af == AF_INET6 ? 128 : 0);
	} else if (r->proto != 47) {
		qmg_ports_of(g, &r->sport_lo, &r->sport_hi, 75);
		qmg_ports_of(g, &r->dport_lo, &r->dport_hi, 35);
	}
	x = qmg_below(g, 100);
	if (x < 25 || af == AF_UNSPEC) {
		r->tos_mask = 0xfc;
		r->tos_value = (uint8_t)(qmg_dscp[qmg_below(g, 6)] << 2);
	} else if (x < 33) {
		r->tos_mask = 0xff;
		r->tos_value = (uint8_t)(qmg_dscp[qmg_below(g, 6)] << 2 |
		    qmg_below(g, 4));
	} else if (x < 35) {
		r->tos_mask = 0x0f;     /* not an interval: checked by hand */
		r->tos_value = (uint8_t)(qmg_below(g, 16));
	}
	x = qmg_below(g, 100);
	r->iface = x < 70 ? MATCH_IF_ANY : x < 85 ? MATCH_IF_TUN : MATCH_IF_TAP;
	r->result = result;
}

static inline void
qmg_rules(struct qmg *g, struct match_rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		qmg_rule(g, &r[i], (uint32_t)i);
}

static inline int
qmg_has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

/* A packet, inside a random rule (hit_pct percent of the time) or not. */
static inline void
qmg_pkt(struct qmg *g, const struct match_rule *rules, size_t n,
    unsigned hit_pct, struct match_pkt *p)
{
	static const uint8_t protos[] = { 6, 17, 132, 136, 47, 1, 50 };
	const struct match_rule *r = NULL;
	const struct prefix *pf;
	unsigned alen, x;

	memset(p, 0, sizeof(*p));
	if (n > 0 && qmg_pct(g, hit_pct))
		r = &rules[qmg_below(g, (uint32_t)n)];
	p->af = qmg_pct(g, 50) ? AF_INET : AF_INET6;
	if (r != NULL && r->af != AF_UNSPEC)
		p->af = r->af;
	alen = p->af == AF_INET ? 4 : 16;
	pf = r != NULL ? &r->src : NULL;
	if (pf != NULL && pf->len > 0 && pf->af == p->af)
		qmg_fill_addr(g, p->src, pf->addr.b, pf->len, alen);
	else {
		const struct qmg_base *b = qmg_pick_base(g, p->af);

		qmg_fill_addr(g, p->src, b->b, b->len, alen);
	}
	pf = r != NULL ? &r->dst : NULL;
	if (pf != NULL && pf->len > 0 && pf->af == p->af)
		qmg_fill_addr(g, p->dst, pf->addr.b, pf->len, alen);
	else {
		const struct qmg_base *b = qmg_pick_base(g, p->af);

		qmg_fill_addr(g, p->dst, b->b, b->len, alen);
	}
	if (r != NULL && r->proto >= 0)
		p->proto = (uint8_t)r->proto;
	else
		p->proto = protos[qmg_below(g, 7)];
	if (p->proto == 1 && p->af == AF_INET6)
		p->proto = 58;
	p->icmp_type = -1;
	if (qmg_has_ports(p->proto)) {
		p->sport = qmg_ports[qmg_below(g, 10)];
		p->dport = qmg_ports[qmg_below(g, 10)];
		if (r != NULL && qmg_pct(g, 80)) {
			p->sport = (uint16_t)(r->sport_lo +
			    qmg_below(g, (uint32_t)(r->sport_hi - r->sport_lo) +
			    1));
			p->dport = (uint16_t)(r->dport_lo +
			    qmg_below(g, (uint32_t)(r->dport_hi - r->dport_lo) +
			    1));
		}
	} else if (p->proto == 1 || p->proto == 58) {
		p->icmp_type = (int)qmg_below(g, 12) +
		    (p->af == AF_INET6 ? 128 : 0);
		if (r != NULL && r->icmp_type >= 0 && qmg_pct(g, 80))
			p->icmp_type = r->icmp_type;
	}
	p->tos = (uint8_t)(qmg_dscp[qmg_below(g, 6)] << 2 | qmg_below(g, 4));
	if (r != NULL && qmg_pct(g, 80))
		p->tos = (uint8_t)(r->tos_value |
		    (qmg_next(g) & (uint8_t)~r->tos_mask));
	x = qmg_below(g, 3);
	p->iface = x == 0 ? MATCH_IF_TUN : x == 1 ? MATCH_IF_TAP : MATCH_IF_ANY;
	if (r != NULL && r->iface != MATCH_IF_ANY && qmg_pct(g, 80))
		p->iface = r->iface;
	/* Later fragments, and field values no parser would give. */
	x = qmg_below(g, 100);
	if (x < 3) {
		p->fragment = 1;
		p->sport = p->dport = 0;
		p->icmp_type = -1;
	} else if (x < 4)
		p->fragment = 1;                /* ports left behind */
	else if (x < 5)
		p->sport = 80;                  /* on any protocol */
	else if (x < 6)
		p->icmp_type = (int)qmg_below(g, 300) - 20;
	else if (x < 7)
		p->iface = (enum match_iface)7;
}

/*
 * An access list's rules ("acl"): the kind of rule set packet
 * classification papers measure with ClassBench (Taylor and Turner, 2007),
 * whose ACL filter sets never name a source port, leave the destination
 * port any in about 28% of rules and use about a hundred distinct ports,
 * four protocols (any in ~8%) and almost no wildcard addresses. The shares
 * of prefix lengths and port ranges below are our choice. IPv4 only, as
 * ClassBench's sets are. Rules take their addresses from shared pools, as
 * real lists repeat their networks: n/5 + 2 source prefixes and n/10 + 2
 * destination ones, a function of n alone, so the packets of
 * qmg_acl_pkt, which are drawn from the same pools, need no other state.
 */
#define QMG_ACL_PORTS   100

static const uint32_t qmg_acl_nets[] = { 0x0a000000, 0xac100000,
	0xc0a80000, 0xc6120000, 0x64400000 };  /* 10/8 ... 100.64/10 */
static const uint16_t qmg_acl_known[] = { 21, 22, 23, 25, 53, 80, 110,
	119, 123, 135, 137, 139, 143, 161, 389, 443, 445, 993, 1433, 3389 };

/* A generator of its own for pool entry k, so that an entry is the same
 * whoever asks for it. */
static inline struct qmg
qmg_acl_pool(size_t n, unsigned what, size_t k)
{
	struct qmg h = { UINT64_C(0xac1) ^ (uint64_t)n << 20 ^
	    (uint64_t)what << 52 ^ (uint64_t)k };

	(void)qmg_next(&h);
	return h;
}

static inline uint16_t
qmg_acl_port(size_t n, unsigned j)
{
	struct qmg h;

	if (j < sizeof(qmg_acl_known) / sizeof(qmg_acl_known[0]))
		return qmg_acl_known[j];
	h = qmg_acl_pool(n, 2, j);
	return (uint16_t)(1024 + qmg_below(&h, 64512));
}

/* Pool entry k of the sources (dst 0) or the destinations: its network in
 * host order and its length. Sources: /32 40%, /24 25%, /16 10%, /17-/31
 * 24%, any 1%; destinations: /32 50%, /24-/31 30%, /16-/23 19%, any 1%. */
static inline uint32_t
qmg_acl_prefix(size_t n, int dst, size_t k, unsigned *len)
{
	struct qmg h = qmg_acl_pool(n, (unsigned)dst, k);
	unsigned x = qmg_below(&h, 100);
	uint32_t a;

	if (!dst)
		*len = x < 1 ? 0 : x < 41 ? 32 : x < 66 ? 24 : x < 76 ? 16 :
		    17 + qmg_below(&h, 15);
	else
		*len = x < 1 ? 0 : x < 51 ? 32 : x < 81 ? 24 +
		    qmg_below(&h, 8) : 16 + qmg_below(&h, 8);
	a = qmg_acl_nets[qmg_below(&h, 5)] | (uint32_t)qmg_next(&h) >> 16;
	return *len == 0 ? 0 : a & ~UINT32_C(0) << (32 - *len);
}

static inline size_t
qmg_acl_npool(size_t n, int dst)
{
	return (dst ? n / 10 : n / 5) + 2;
}

static inline void
qmg_acl_set_prefix(struct prefix *p, uint32_t a, unsigned len)
{
	uint32_t be = htonl(a);

	memset(p, 0, sizeof(*p));
	p->af = AF_INET;
	p->len = (uint8_t)len;
	memcpy(p->addr.b, &be, 4);
}

/* Destination ports of TCP and UDP rules: any 28%, one of the pool's
 * 55%, 1024-65535 7%, 0-1023 3%, a range of up to 5000 7%. */
static inline void
qmg_acl_rule(struct qmg *g, size_t n, struct match_rule *r, uint32_t result)
{
	unsigned x, len;
	uint32_t a;

	memset(r, 0, sizeof(*r));
	r->af = AF_INET;
	a = qmg_acl_prefix(n, 0, qmg_below(g, (uint32_t)qmg_acl_npool(n, 0)),
	    &len);
	qmg_acl_set_prefix(&r->src, a, len);
	a = qmg_acl_prefix(n, 1, qmg_below(g, (uint32_t)qmg_acl_npool(n, 1)),
	    &len);
	qmg_acl_set_prefix(&r->dst, a, len);
	x = qmg_below(g, 100);
	r->proto = x < 60 ? 6 : x < 85 ? 17 : x < 90 ? 1 : x < 92 ? 47 : -1;
	r->sport_hi = r->dport_hi = 65535;
	if (r->proto == 6 || r->proto == 17) {
		x = qmg_below(g, 100);
		if (x < 28)
			;
		else if (x < 83)
			r->dport_lo = r->dport_hi = qmg_acl_port(n,
			    qmg_below(g, QMG_ACL_PORTS));
		else if (x < 90)
			r->dport_lo = 1024;
		else if (x < 93)
			r->dport_hi = 1023;
		else {
			r->dport_lo = (uint16_t)qmg_below(g, 60000);
			r->dport_hi = (uint16_t)(r->dport_lo +
			    qmg_below(g, 5000));
		}
	}
	r->icmp_type = -1;
	r->iface = MATCH_IF_ANY;
	r->result = result;
}

static inline void
qmg_acl_rules(struct qmg *g, struct match_rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		qmg_acl_rule(g, n, &r[i], (uint32_t)i);
}

/* An address inside p, or inside a pool prefix when p is any. */
static inline void
qmg_acl_addr(struct qmg *g, size_t n, int dst, const struct prefix *p,
    uint8_t out[4])
{
	uint32_t a, host;
	unsigned len = p->len;

	memcpy(&a, p->addr.b, 4);
	a = ntohl(a);
	if (len == 0)
		a = qmg_acl_prefix(n, dst, qmg_below(g,
		    (uint32_t)qmg_acl_npool(n, dst)), &len);
	host = len == 0 ? UINT32_MAX : len == 32 ? 0 :
	    UINT32_MAX >> len;
	a = htonl(a | ((uint32_t)qmg_next(g) & host));
	memcpy(out, &a, 4);
}

/* A packet of an access list's traffic: inside a random rule (hit_pct
 * percent of the time), or TCP or UDP between pool prefixes to a pool
 * port. Either may match a rule, or none. */
static inline void
qmg_acl_pkt(struct qmg *g, const struct match_rule *rules, size_t n,
    unsigned hit_pct, struct match_pkt *p)
{
	const struct match_rule *r;
	struct prefix any;

	memset(p, 0, sizeof(*p));
	memset(&any, 0, sizeof(any));
	p->af = AF_INET;
	p->icmp_type = -1;
	p->iface = MATCH_IF_TUN;
	p->tos = (uint8_t)(qmg_dscp[qmg_below(g, 6)] << 2);
	p->sport = (uint16_t)(1024 + qmg_below(g, 64512));
	if (n > 0 && qmg_pct(g, hit_pct)) {
		r = &rules[qmg_below(g, (uint32_t)n)];
		qmg_acl_addr(g, n, 0, &r->src, p->src);
		qmg_acl_addr(g, n, 1, &r->dst, p->dst);
		p->proto = r->proto >= 0 ? (uint8_t)r->proto : 6;
		p->dport = (uint16_t)(r->dport_lo + qmg_below(g,
		    (uint32_t)(r->dport_hi - r->dport_lo) + 1));
		if (p->proto == 1) {
			p->sport = p->dport = 0;
			p->icmp_type = 8;
		} else if (p->proto == 47)
			p->sport = p->dport = 0;
		return;
	}
	qmg_acl_addr(g, n, 0, &any, p->src);
	qmg_acl_addr(g, n, 1, &any, p->dst);
	p->proto = qmg_pct(g, 70) ? 6 : 17;
	p->dport = qmg_acl_port(n, qmg_below(g, QMG_ACL_PORTS));
}

#endif

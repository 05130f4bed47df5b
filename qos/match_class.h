/* Address classes: the compiled matcher's structure for IPv4 rule sets
 * whose rules name their addresses, as access lists and a site's host
 * rules do (built in match_class.c, probed in match.c; internal to qos/).
 *
 * It is RFC, Recursive Flow Classification (Gupta and McKeown, 1999),
 * carried as far as the addresses and the protocol. Each 16-bit half of
 * the source and of the destination, and the protocol, is looked up in a
 * table of its own, which gives the class of the value: values that lie
 * in the ranges of the same rules share a class. Then a table indexed by
 * two classes gives the class of the pair (the source's halves, the
 * destination's halves, then source and destination, then that and the
 * protocol), again one class per distinct set of rules. The last class
 * lists the rules whose addresses and protocol all hold for the packet,
 * in rule order, without those that an earlier rule of the list covers in
 * the dimensions left (ports, TOS, ICMP type, interface): such a rule can
 * never be first. The lookup checks the list's boxes in order.
 *
 * A lookup is a fixed chain of table loads, no branch until the list,
 * and its cost hardly grows with the rules (bench/classify, the acl set:
 * 1.9x from 10 to 10,000 rules, where the trees take 3x). Full RFC would
 * also cross the ports, and then needs hundreds of megabytes for 10,000
 * access-list rules (docs/qos.md): the lists stop it short of that.
 *
 * It does not suit every rule set. Broad rules (any source to any
 * destination, as many as there are) leave every class a long list, and
 * crossing many classes costs tables of millions of entries. The build
 * gives up, and the family goes to the shape tables and trees, when a
 * table would exceed CLASS_TABLE_MAX entries, a phase CLASS_MAX classes,
 * the build CLASS_WORK steps, or a list CLASS_LIST_MAX rules. */
#ifndef VPNTUND_MATCH_CLASS_H
#define VPNTUND_MATCH_CLASS_H

#include <stdint.h>

#include "qos/match_tree.h"

/* The first tables: the source's high and low 16 bits, the
 * destination's, the protocol. */
enum { CH_SRC_HI, CH_SRC_LO, CH_DST_HI, CH_DST_LO, CH_PROTO, CHUNKS };

#define CLASS_MAX       65535   /* a table entry is 16 bits */
#define CLASS_TABLE_MAX (4u << 20)      /* entries of one crossing table */
#define CLASS_WORK      ((uint64_t)64 << 20)    /* build steps, roughly */
#define CLASS_LIST_MAX  16      /* rules one class leaves to their boxes */

struct class_map {
	uint16_t *chunk[CHUNKS];        /* 65536 entries, the protocol 256 */
	uint16_t *src;          /* [source high class][source low class] */
	uint16_t *dst;          /* the same for the destination */
	uint16_t *addr;         /* [source class][destination class] */
	uint16_t *last;         /* [address class][protocol class] */
	uint32_t *off;          /* class c's rules: rule[off[c]..off[c + 1]) */
	uint32_t *rule;         /* rule indices, RULE_INEXACT as in a leaf */
	uint32_t  nsrc_lo, ndst_lo, ndst, nproto;       /* the tables' rows */
	void     *block;        /* all of the above */
	size_t    classes;      /* of last */
	size_t    refs;         /* entries of rule */
};

/* The last class of a packet's key. */
static inline uint32_t
class_of(const struct class_map *c, const uint32_t *k)
{
	uint32_t s, d, a;

	s = c->src[c->chunk[CH_SRC_HI][k[D_SRC0] >> 16] * c->nsrc_lo +
	    c->chunk[CH_SRC_LO][k[D_SRC0] & 0xffff]];
	d = c->dst[c->chunk[CH_DST_HI][k[D_DST0] >> 16] * c->ndst_lo +
	    c->chunk[CH_DST_LO][k[D_DST0] & 0xffff]];
	a = c->addr[s * c->ndst + d];
	return c->last[a * c->nproto + c->chunk[CH_PROTO][k[D_PROTO]]];
}

/* Builds m->cls from the IPv4 family's n rules (list, ascending). 1 when
 * built, 0 when the rules do not suit it (m->cls stays NULL, and the
 * family goes to the tables and trees), -1 when out of memory. */
int match_classes_build(struct matcher *m, const struct box *box,
    const uint8_t *exact, const uint32_t *list, size_t n);
void match_classes_free(struct class_map *c);

#endif

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
 * 1.4-1.9x from 10 to 10,000 rules, where the trees take 3.2x). Full RFC
 * would also cross the ports, and then needs 150 MB or more for 10,000
 * access-list rules (docs/qos.md): the lists stop it short of that.
 *
 * It does not suit every rule set. Broad rules (any source to any
 * destination, as many as there are) leave every class a long list, and
 * crossing many classes costs tables of millions of entries. The build
 * gives up, and the family goes to the shape tables and trees, when a
 * table would exceed CLASS_TABLE_MAX entries, the build CLASS_WORK steps,
 * or a list CLASS_LIST_MAX rules.
 *
 * Table entries are 16 bits while no phase has more than 65,536 classes
 * (10,000 access-list rules have 53,702 address classes), 32 bits past
 * that: twice the memory, and slower (12,000 and 15,000 access-list rules
 * cost 33-43 ns, 2.3-2.9 times 10 rules). The last table is of 32 bits:
 * it holds where each class's list starts. */
#ifndef VPNTUND_MATCH_CLASS_H
#define VPNTUND_MATCH_CLASS_H

#include <stdint.h>

#include "qos/match_tree.h"

/* The first tables: the source's high and low 16 bits, the
 * destination's, the protocol. */
enum { CH_SRC_HI, CH_SRC_LO, CH_DST_HI, CH_DST_LO, CH_PROTO, CHUNKS };

#define CLASS_NARROW    65536   /* classes a 16-bit entry can name */
#define CLASS_MAX       (1u << 24)      /* classes of one phase */
#define CLASS_TABLE_MAX (4u << 20)      /* entries of one crossing table */
#define CLASS_WORK      ((uint64_t)64 << 20)    /* build steps, roughly */
#define CLASS_LIST_MAX  16      /* rules one class leaves to their boxes */

/* A table of classes: 16-bit entries, or 32-bit when the map is wide. */
union class_tab {
	uint16_t *n;
	uint32_t *w;
};

enum { TAB_SRC, TAB_DST, TAB_ADDR, TAB_LAST, TABS };

/* What the last table holds, and what it is built from. */

struct class_map {
	union class_tab chunk[CHUNKS];  /* 65536 entries, the protocol 256 */
	union class_tab tab[TAB_LAST];  /* [source high class][source low
	                                   class], the same for the
	                                   destination, [source class]
	                                   [destination class] */
	uint32_t       *last;   /* [address class][protocol class]: where
	                           the class's list starts in rule[] */
	uint32_t       *rule;   /* lists: a count, then rule indices with
	                           RULE_INEXACT as in a leaf */
	uint32_t        nsrc_lo, ndst_lo, ndst, nproto; /* the tables' rows */
	bool            wide;   /* 32-bit entries */
	void           *block;  /* all of the above */
	size_t          classes;        /* of the last table */
	size_t          refs;           /* entries of rule */
};

static inline __attribute__((always_inline)) uint32_t
class_at(union class_tab t, uint32_t i, bool wide)
{
	return wide ? t.w[i] : t.n[i];
}

/* (Inlined with wide a constant: a lookup of either width has no test
 * of it past the first.) */
static inline __attribute__((always_inline)) uint32_t
class_walk(const struct class_map *c, const uint32_t *k, bool wide)
{
	uint32_t s, d, a;

	s = class_at(c->tab[TAB_SRC],
	    class_at(c->chunk[CH_SRC_HI], k[D_SRC0] >> 16, wide) * c->nsrc_lo +
	    class_at(c->chunk[CH_SRC_LO], k[D_SRC0] & 0xffff, wide), wide);
	d = class_at(c->tab[TAB_DST],
	    class_at(c->chunk[CH_DST_HI], k[D_DST0] >> 16, wide) * c->ndst_lo +
	    class_at(c->chunk[CH_DST_LO], k[D_DST0] & 0xffff, wide), wide);
	a = class_at(c->tab[TAB_ADDR], s * c->ndst + d, wide);
	return c->last[a * c->nproto +
	    class_at(c->chunk[CH_PROTO], k[D_PROTO], wide)];
}

/* Where the list of a packet's last class starts in c->rule. (The last
 * table holds that, not the class: one load fewer per lookup.) */
static inline uint32_t
class_of(const struct class_map *c, const uint32_t *k)
{
	return c->wide ? class_walk(c, k, true) : class_walk(c, k, false);
}

/* Builds m->cls from the IPv4 family's n rules (list, ascending). 1 when
 * built, 0 when the rules do not suit it (m->cls stays NULL, and the
 * family goes to the tables and trees), -1 when out of memory. */
int match_classes_build(struct matcher *m, const struct box *box,
    const uint8_t *exact, const uint32_t *list, size_t n);
void match_classes_free(struct class_map *c);

#endif

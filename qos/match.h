/* One rule language, one matcher (the paper's section 6.2 asks for
 * it): the same rules select tunnel/funnel policies, filter decisions
 * and QoS classes. Rules are compiled at load into a structure whose
 * per-packet cost does not grow linearly with the number of rules; the
 * first matching rule (lowest index) wins, exactly as a linear scan would. */
#ifndef VPNTUND_MATCH_H
#define VPNTUND_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/pkt.h"

#include "util/prefix.h"

enum match_iface { MATCH_IF_ANY = 0, MATCH_IF_TUN, MATCH_IF_TAP };

struct match_rule {
	sa_family_t      af;          /* AF_INET, AF_INET6, or AF_UNSPEC = any */
	struct prefix    src;         /* len 0 = any (af of the rule) */
	struct prefix    dst;
	int              proto;       /* -1 any, else IP protocol / next header */
	uint16_t         sport_lo, sport_hi;   /* 0..65535 = any */
	uint16_t         dport_lo, dport_hi;
	uint8_t          tos_value;   /* (tos & tos_mask) == tos_value */
	uint8_t          tos_mask;    /* 0 = any; 0xfc = DSCP only */
	int              icmp_type;   /* -1 any; ICMP or ICMPv6 type */
	enum match_iface iface;
	uint32_t         result;      /* what the caller wants back */
};

/* The fields of one packet the rules look at (parsed once per packet). */
struct match_pkt {
	sa_family_t      af;
	uint8_t          src[16];     /* 4 or 16 bytes used */
	uint8_t          dst[16];
	uint8_t          proto;
	uint16_t         sport;       /* 0 when the protocol has no ports */
	uint16_t         dport;
	uint8_t          tos;         /* IPv4 TOS / IPv6 traffic class */
	int              icmp_type;   /* -1 when not ICMP */
	enum match_iface iface;
	bool             fragment;    /* a non-first fragment: no ports, no
	                                 ICMP type (zero for whole packets) */
};

/* What matcher_compile built, for benchmarks and tests. */
struct matcher_stats {
	size_t           rules;       /* rules that can match something, per
	                                 family (one of either counts twice) */
	size_t           nodes;       /* inner nodes of all trees */
	size_t           leaves;      /* distinct leaves */
	size_t           refs;        /* rule indices stored in leaves */
	size_t           max_leaf;    /* most rules one leaf holds */
	size_t           tables;      /* shape tables (hashed shapes) */
	size_t           hashed;      /* rules found through them */
	size_t           classes;     /* IPv4's address classes, 0 when the
	                                 tables and trees take the family */
	size_t           class_refs;  /* rules their lists hold */
	unsigned         max_depth;
	size_t           bytes;       /* heap held by the compiled matcher */
};

struct matcher;

/* Compiles n rules (copied). NULL on allocation failure. */
struct matcher *matcher_compile(const struct match_rule *rules, size_t n);

/* The same without address classes (the IPv4 family goes to the shape
 * tables and trees whatever its rules): for the tests and the benchmark
 * that hold the two structures side by side. */
#define MATCH_NO_CLASSES        1u
struct matcher *matcher_compile_how(const struct match_rule *rules, size_t n,
    unsigned how);
void matcher_free(struct matcher *m);
void matcher_stats(const struct matcher *m, struct matcher_stats *st);

/* Index of the first rule that matches, or -1. No allocation. */
long matcher_lookup(const struct matcher *m, const struct match_pkt *pkt);

/* The naive reference: a linear scan with the same semantics (tests and
 * benchmarks compare against it). */
long match_linear(const struct match_rule *rules, size_t n,
    const struct match_pkt *pkt);
bool match_rule_matches(const struct match_rule *r, const struct match_pkt *pkt);

/* Fills pkt from the parse m of the IP packet at d (ports of TCP, UDP,
 * SCTP, UDP-Lite; ICMP type), without reading the headers again. -1 if
 * m is no IP packet or its upper-layer header could not be read. */
int match_pkt_from_meta(const uint8_t *d, const struct pkt_meta *m,
    enum match_iface iface, struct match_pkt *pkt);
/* The same from the bytes: parses them first (util/pkt_parse.h). */
int match_pkt_parse(const uint8_t *d, size_t len, enum match_iface iface,
    struct match_pkt *pkt);

#endif

/* Addresses as site.conf writes them and the arithmetic on them
 * (site.conf(5), ADDRESSES AND ADDRESS EXPRESSIONS): the parser's, and
 * ipac(1)'s, which evaluates the same expressions from its command line
 * with the same code. */
#ifndef VPNTUND_ADDREXPR_H
#define VPNTUND_ADDREXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/prefix.h"

/* The result of an address expression. has_len says whether a prefix
 * length was written (or kept by host()/+/-): a bare address is a /32 or
 * /128 where a prefix is wanted, and just an address where one is not. */
struct addr_value {
	struct prefix p;
	bool          has_len;
	bool          is_mask;      /* from mask(): only valid as an address */
};

/* Decimal, or hex with 0x, within min..max. */
int      parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A bare IPv4 or IPv6 address, as a /32 or /128. */
int      addr_parse(const char *s, struct prefix *p);
/* The whole address plus or minus n; -1 if that leaves the address space
 * (nothing changed then). */
int      addr_add(struct prefix *p, uint64_t n, bool subtract);
/* Clears the host bits. */
void     prefix_network(struct prefix *p);
/* 255.255.255.0 -> 24; -1 unless the ones are contiguous from the top. */
int      mask_to_len(const struct prefix *mask, uint8_t *len);
void     len_to_mask(sa_family_t af, uint8_t len, struct prefix *mask);
int      prefix_cmp(const struct prefix *a, const struct prefix *b);
unsigned addr_bits(sa_family_t af);

/* Evaluates one expression, the whole of text, as a macro's value would
 * be (no macros defined); messages name `after` as a config's name the
 * keyword. -1 with the message in err, without the "file:line: " a
 * config's message starts with. */
int      addr_expr_eval(const char *text, const char *after,
	     struct addr_value *out, char *err, size_t errlen);

#endif

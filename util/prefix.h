/* An IPv4 or IPv6 prefix: used by the config, the policies and the
 * packet matcher alike, so it lives here rather than in any of them. */
#ifndef VPNTUND_PREFIX_H
#define VPNTUND_PREFIX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct prefix {
	sa_family_t af;                 /* AF_INET or AF_INET6 */
	uint8_t     len;                /* prefix length */
	union {
		struct in_addr  v4;
		struct in6_addr v6;
		uint8_t         b[16];
	} addr;                         /* host bits kept as written */
};

/* True if addr (of family af, 4 or 16 bytes) lies inside p. */
bool prefix_contains(const struct prefix *p, sa_family_t af, const void *addr);
/* "10.1.0.0/24" or "fd00::/64" into buf; returns buf. */
const char *prefix_ntop(const struct prefix *p, char *buf, size_t len);

#endif

/* Prefix helpers, used by the config, the policy code and the matcher. */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "util/prefix.h"

bool
prefix_contains(const struct prefix *p, sa_family_t af, const void *addr)
{
	const uint8_t *a = addr;
	unsigned full, rest;

	if (p->af != af || p->len > (af == AF_INET ? 32 : 128))
		return false;
	full = p->len / 8;
	rest = p->len % 8;
	if (memcmp(p->addr.b, a, full) != 0)
		return false;
	if (rest != 0) {
		uint8_t m = (uint8_t)(0xffu << (8 - rest));

		if ((p->addr.b[full] & m) != (a[full] & m))
			return false;
	}
	return true;
}

const char *
prefix_ntop(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if ((p->af != AF_INET && p->af != AF_INET6) ||
	    inet_ntop(p->af, p->addr.b, a, sizeof(a)) == NULL)
		snprintf(buf, len, "(none)");
	else
		snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

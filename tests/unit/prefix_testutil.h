/* "10.1.0.0/24" or "fd00::/64" as a struct prefix, for tests; any
 * malformed input fails the test. */
#ifndef VPNTUND_PREFIX_TESTUTIL_H
#define VPNTUND_PREFIX_TESTUTIL_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/prefix.h"

static inline struct prefix
pfx(const char *s)
{
	struct prefix p;
	char a[64], *slash, *end;
	unsigned long len;

	memset(&p, 0, sizeof(p));
	assert_true(strlen(s) < sizeof(a));
	strcpy(a, s);
	slash = strchr(a, '/');
	assert_non_null(slash);
	*slash = '\0';
	p.af = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(p.af, a, p.addr.b), 1);
	len = strtoul(slash + 1, &end, 10);
	assert_true(*end == '\0' && len <= (p.af == AF_INET ? 32u : 128u));
	p.len = (uint8_t)len;
	return p;
}

#endif

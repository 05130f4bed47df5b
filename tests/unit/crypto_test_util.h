/* Helpers shared by the crypto unit tests: hex vectors and set-up. */
#ifndef VPNTUND_CRYPTO_TEST_UTIL_H
#define VPNTUND_CRYPTO_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"

/* Decodes a hex string into buf (fails the test on bad input); returns
 * the number of bytes. Vectors are written as in the RFCs. */
static inline size_t
unhex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s == ' ')
			continue;
		else {
			fail_msg("bad hex digit '%c'", *s);
			return 0;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

static inline int
crypto_group_setup(void **state)
{
	(void)state;
	return crypto_global_init();
}

static inline int
crypto_group_teardown(void **state)
{
	(void)state;
	crypto_global_cleanup();
	return 0;
}

#endif

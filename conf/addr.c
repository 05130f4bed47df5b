/* Numbers and addresses as site.conf writes them, and the integer arithmetic
 * behind `+`, `-`, host() and mask() (the paper's ipac tool). Addresses are
 * treated as big-endian integers of 32 or 128 bits, byte by byte, so one
 * code path serves IPv4 and IPv6. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

int
copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (len == 0)
		return -1;
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

/* Decimal, or hex with 0x. strtoull alone would accept " -1" and "+1". */
int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		if (!isxdigit((unsigned char)s[2]))
			return -1;
	} else if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

unsigned
addr_bits(sa_family_t af)
{
	return af == AF_INET ? 32 : 128;
}

/* A bare address, as a /32 or /128. */
int
addr_parse(const char *s, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, s, &p->addr.v4) == 1) {
		p->af = AF_INET;
		p->len = 32;
		return 0;
	}
	if (strchr(s, ':') != NULL && inet_pton(AF_INET6, s, &p->addr.v6) == 1) {
		p->af = AF_INET6;
		p->len = 128;
		return 0;
	}
	return -1;
}

/* Adds or subtracts n to the whole address; -1 if it leaves the address
 * space (carry or borrow out of the top byte). */
int
addr_add(struct prefix *p, uint64_t n, bool subtract)
{
	size_t bytes = addr_bits(p->af) / 8;
	unsigned carry = 0;
	uint8_t out[16];
	size_t i;

	for (i = bytes; i-- > 0; ) {
		unsigned d = (unsigned)(n & 0xff);
		int v;

		n >>= 8;
		if (subtract) {
			v = (int)p->addr.b[i] - (int)d - (int)carry;
			carry = v < 0;
			if (v < 0)
				v += 256;
		} else {
			v = (int)p->addr.b[i] + (int)d + (int)carry;
			carry = v > 255;
			v &= 0xff;
		}
		out[i] = (uint8_t)v;
	}
	if (carry || n != 0)
		return -1;
	memcpy(p->addr.b, out, bytes);
	return 0;
}

void
prefix_network(struct prefix *p)
{
	unsigned bits = addr_bits(p->af), i;

	for (i = p->len; i < bits; i++)
		p->addr.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

void
len_to_mask(sa_family_t af, uint8_t len, struct prefix *mask)
{
	unsigned i;

	memset(mask, 0, sizeof(*mask));
	mask->af = af;
	mask->len = (uint8_t)addr_bits(af);
	for (i = 0; i < len; i++)
		mask->addr.b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

/* 255.255.255.0 -> 24; -1 unless the ones are contiguous from the top. */
int
mask_to_len(const struct prefix *mask, uint8_t *len)
{
	unsigned bits = addr_bits(mask->af), i, n = 0;
	bool zero = false;

	for (i = 0; i < bits; i++) {
		bool one = mask->addr.b[i / 8] & (0x80u >> (i % 8));

		if (one && zero)
			return -1;
		if (one)
			n++;
		else
			zero = true;
	}
	*len = (uint8_t)n;
	return 0;
}

/* Family, then address bytes, then prefix length: the order that decides
 * which of two same-role sites counts as central for its key file. */
int
prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	int c;

	if (a->af != b->af)
		return a->af == AF_INET ? -1 : 1;
	if ((c = memcmp(a->addr.b, b->addr.b, addr_bits(a->af) / 8)) != 0)
		return c;
	return (int)a->len - (int)b->len;
}

/* RFC 1071 sums eight bytes at a time: the one's-complement sum does
 * not depend on byte order (RFC 1071 2(B)), so native 64-bit words are
 * added with end-around carry and the folded result is swapped to
 * network order once. */
#include <endian.h>
#include <string.h>

#include "util/csum.h"

static uint16_t
fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint32_t
csum_add(uint32_t sum, const uint8_t *d, size_t len)
{
	uint64_t s = 0, w;
	uint8_t tail[8];
	uint16_t n;

	while (len >= 8) {
		memcpy(&w, d, 8);
		s += w;
		s += s < w;
		d += 8;
		len -= 8;
	}
	if (len > 0) {
		/* The odd last byte is the high half of a zero-padded word. */
		memset(tail, 0, sizeof(tail));
		memcpy(tail, d, len);
		memcpy(&w, tail, 8);
		s += w;
		s += s < w;
	}
	n = fold64(s);
#if __BYTE_ORDER == __LITTLE_ENDIAN
	n = (uint16_t)(n << 8 | n >> 8);
#endif
	s = (uint64_t)sum + n;
	return (uint32_t)((s & 0xffffffff) + (s >> 32));
}

uint16_t
csum_fold(uint32_t sum)
{
	return fold64(sum);
}

uint32_t
csum_pseudo(const uint8_t *src, const uint8_t *dst, size_t alen,
    uint8_t proto, uint32_t l4len)
{
	uint64_t s;

	s = csum_add(csum_add(0, src, alen), dst, alen);
	/* A 32-bit length and a zero-padded protocol sum as these words in
	 * IPv6; IPv4's 16-bit length gives the same sum. */
	s += proto + (l4len >> 16) + (l4len & 0xffff);
	return fold64(s);
}

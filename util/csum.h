/* The Internet checksum (RFC 1071) over byte buffers: IP headers,
 * ICMP errors, and TCP and UDP under the tun offloads. Sums are kept unfolded in 32 bits, as values of big-endian
 * 16-bit words, so that pieces add up: every piece but the last must
 * have an even length (RFC 1071 2(B)). */
#ifndef VPNTUND_CSUM_H
#define VPNTUND_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* sum plus the one's-complement sum of len bytes at d. */
uint32_t csum_add(uint32_t sum, const uint8_t *d, size_t len);
/* Folds a sum to 16 bits, not complemented: the partial value the
 * kernel expects in a CHECKSUM_PARTIAL header. */
uint16_t csum_fold(uint32_t sum);
/* The pseudo-header sum of TCP or UDP (RFC 9293 3.1, RFC 8200 8.1):
 * addresses of alen bytes (4 or 16), protocol and transport length. */
uint32_t csum_pseudo(const uint8_t *src, const uint8_t *dst, size_t alen,
    uint8_t proto, uint32_t l4len);

/* The value of a checksum field: the folded sum complemented. */
static inline uint16_t
csum_finish(uint32_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

#endif

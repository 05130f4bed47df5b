/* Helpers shared by the ESP encap and decap files; not part of the
 * contract in esp.h. */
#ifndef VPNTUND_ESP_INTERNAL_H
#define VPNTUND_ESP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "src/esp/esp.h"

/* Longest AAD: SPI || seq high || seq low (RFC 4106 5, ESN). */
#define ESP_AAD_MAX 12

static inline void
esp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
esp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* AEAD additional data, RFC 4106 5 / RFC 7634 2.1: SPI || seq low, or
 * SPI || seq high || seq low with ESN. Returns its length. */
static inline size_t
esp_aad(uint8_t *aad, uint32_t spi, uint64_t seq, bool esn)
{
	esp_put32(aad, spi);
	if (esn) {
		esp_put32(aad + 4, (uint32_t)(seq >> 32));
		esp_put32(aad + 8, (uint32_t)seq);
		return 12;
	}
	esp_put32(aad + 4, (uint32_t)seq);
	return 8;
}

/* esp_encap() with a caller-chosen CBC IV (iv_len bytes), so tests can
 * compare against known-answer vectors byte for byte. iv NULL means the
 * IV of esp_encap(). AEAD and CTR suites ignore it: their IV is
 * seq + sa->iv_base.
 * Never pass a fixed IV outside tests: CBC needs unpredictable IVs. */
int esp_encap_iv(struct esp_sa *sa, struct pkt *p, uint8_t next_header,
    const uint8_t *iv) __attribute__((warn_unused_result));

#endif

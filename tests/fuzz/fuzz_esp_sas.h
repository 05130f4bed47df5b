/* The inbound SAs fuzz_esp_decap runs packets through, and the matching
 * outbound SAs make_corpus encrypts its seeds with: fixed keys, one SPI
 * per SA. Shared so that seeds stay valid for the fuzzer. */
#ifndef VPNTUND_FUZZ_ESP_SAS_H
#define VPNTUND_FUZZ_ESP_SAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"

struct fuzz_sa_def {
	uint32_t    spi;
	const char *cipher;
	size_t      keylen;      /* bytes, without salt */
	const char *auth;
	bool        esn;
	bool        skip_icv;    /* esp_decap(..., skip_icv) as esp-pcap-decrypt */
	uint32_t    window;
	uint64_t    top0;        /* window top before each input (0 = fresh) */
};

/* ESN SAs start just past a 2^32 boundary so that the high half is
 * inferred both ways (RFC 4303 A2.2); some others start deep into the
 * sequence space so that "too old" packets exist. The last one sits one
 * below the last high half, where ESN resync (A3) has only one left to
 * try. */
static const struct fuzz_sa_def fuzz_sa_defs[] = {
	{ 0xf0220001, "blowfish-cbc", 32, "hmac-sha256-128", false, false, 1024, 0 },
	{ 0xf0220002, "blowfish-cbc", 32, "hmac-sha256-128", true, false, 1024, 0x100000010ULL },
	{ 0xf0220003, "aes-cbc", 16, "none", false, false, 64, 5000 },
	{ 0xf0220004, "aes-cbc", 16, "none", true, false, 128, 0x100000010ULL },
	{ 0xf0220005, "aes-gcm", 16, "none", false, false, 64, 0 },
	{ 0xf0220006, "aes-gcm", 32, "none", true, false, 1024, 0x2ffffff00ULL },
	{ 0xf0220007, "chacha20-poly1305", 32, "none", false, false, 1024, 70000 },
	{ 0xf0220008, "chacha20-poly1305", 32, "none", true, false, 64, 0x100000010ULL },
	{ 0xf0220009, "3des-cbc", 24, "hmac-sha1-96", false, false, 64, 0 },
	{ 0xf022000a, "aes-cbc", 32, "hmac-sha1-96", true, false, 64, 0 },
	{ 0xf022000b, "blowfish-cbc", 16, "hmac-sha1-96", false, true, 64, 0 },
	{ 0xf022000c, "aes-cbc", 16, "hmac-sha256-128", true, false, 128, 0xfffffffe00000100ULL },
	/* KAME's: CBC of 64-bit blocks, CTR (key || nonce) and NULL. */
	{ 0xf022000d, "des-cbc", 8, "hmac-sha1-96", false, false, 64, 0 },
	{ 0xf022000e, "cast128-cbc", 5, "hmac-sha1-96", true, false, 64, 0x100000010ULL },
	{ 0xf022000f, "aes-ctr", 16, "hmac-sha256-128", true, false, 128, 0x100000010ULL },
	{ 0xf0220010, "null", 0, "hmac-sha1-96", false, false, 64, 0 },
};
#define FUZZ_NSA (sizeof(fuzz_sa_defs) / sizeof(fuzz_sa_defs[0]))

/* Keyed crypto for one SA definition and direction; NULL on failure. The
 * keys are a fixed function of the SPI: nothing secret here. */
static __attribute__((unused)) struct sa_crypto *
fuzz_sa_crypto(const struct fuzz_sa_def *d, bool encrypt)
{
	const struct cipher_info *ci = cipher_by_name(d->cipher);
	const struct auth_info *ai = auth_by_name(d->auth);
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX], ak[CRYPTO_AUTHKEY_MAX];
	size_t i;

	if (ci == NULL || ai == NULL)
		return NULL;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(d->spi + 31 * i);
	for (i = 0; i < sizeof(ak); i++)
		ak[i] = (uint8_t)((d->spi >> 8) ^ (7 * i + 1));
	return sa_crypto_new(ci, key, d->keylen + ci->salt_len, ai,
	    ai->key_len ? ak : NULL, ai->key_len, encrypt);
}

#endif

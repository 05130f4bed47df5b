/* HKDF-SHA256 (RFC 5869) and a keyed HMAC-SHA256 context: what derived
 * keying is built from (src/engine/keying.c). Kept apart from the SA
 * ciphers of crypto.h, which never derive anything. */
#ifndef VPNTUND_CRYPTO_KDF_H
#define VPNTUND_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_PRK_LEN  32      /* HKDF-SHA256's pseudorandom key */
#define CRYPTO_HMAC_LEN 32

/* RFC 5869 2.2: prk = HMAC-SHA256(salt, ikm). */
int crypto_hkdf_extract(const uint8_t *salt, size_t salt_len,
    const uint8_t *ikm, size_t ikm_len, uint8_t prk[CRYPTO_PRK_LEN])
    __attribute__((warn_unused_result));
/* RFC 5869 2.3: out_len (at most 255 * 32) bytes of output keying
 * material from prk and info. */
int crypto_hkdf_expand(const uint8_t prk[CRYPTO_PRK_LEN], const uint8_t *info,
    size_t info_len, uint8_t *out, size_t out_len)
    __attribute__((warn_unused_result));

/* HMAC-SHA256 with a key set once; the key lives only inside OpenSSL's
 * context and is cleansed with it. */
struct crypto_hmac;
struct crypto_hmac *crypto_hmac_new(const uint8_t *key, size_t key_len);
void crypto_hmac_free(struct crypto_hmac *h);
/* The first out_len (at most 32) bytes of HMAC(key, d). */
int crypto_hmac_sign(struct crypto_hmac *h, const uint8_t *d, size_t len,
    uint8_t *out, size_t out_len) __attribute__((warn_unused_result));
/* 0 if icv holds the first icv_len bytes of HMAC(key, d), compared in
 * constant time; -1 otherwise. */
int crypto_hmac_verify(struct crypto_hmac *h, const uint8_t *d, size_t len,
    const uint8_t *icv, size_t icv_len) __attribute__((warn_unused_result));

#endif

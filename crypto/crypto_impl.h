/* Private to crypto/: algorithm objects fetched once at start-up and the
 * one place where the OpenSSL error queue is drained into our log. */
#ifndef VPNTUND_CRYPTO_IMPL_H
#define VPNTUND_CRYPTO_IMPL_H

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "util/log.h"

/* The EVP_CIPHER for a suite and key length (AES and GCM differ per key
 * size); NULL if the providers are not loaded or the size is unknown. */
EVP_CIPHER *crypto_fetched_cipher(enum cipher_id id, size_t keylen);
/* AES-128-ECB, for AES-XCBC-MAC (xcbc_key below). */
EVP_CIPHER *crypto_fetched_aes128_ecb(void);
/* HMAC, for HKDF; per-packet HMAC is hmac_key below. */
EVP_MAC *crypto_fetched_hmac(void);
/* HKDF-SHA256 (crypto/kdf.c): one context with its digest set, since
 * setting it by name fetches SHA-256 again (OpenSSL 3.0 cannot
 * duplicate an HKDF context). Derivation happens in one thread only.
 * _new makes another (NULL and logged on failure). */
EVP_KDF_CTX *crypto_hkdf_ctx(void);
EVP_KDF_CTX *crypto_hkdf_ctx_new(void);

/* Blowfish-CBC with its key schedule built once (crypto/bf_cbc.c).
 * keylen 1 to 56 bytes. crypt works in place on len bytes, a multiple
 * of 8, chaining from the 8-byte iv, which it leaves unchanged. */
struct bf_cbc;
struct bf_cbc *bf_cbc_new(const uint8_t *key, size_t keylen);
void bf_cbc_free(struct bf_cbc *b);
void bf_cbc_crypt(const struct bf_cbc *b, const uint8_t *iv, uint8_t *data,
    size_t len, bool encrypt);

/* HMAC with MD5, SHA-1, SHA-256, SHA-384 or SHA-512 (by the auth
 * suite) with the key absorbed once (crypto/hmac.c). compute writes the
 * full, untruncated MAC (hmac_len bytes, at most HMAC_MD_MAX) of
 * d1 || d2 to md. */
#define HMAC_MD_MAX 64
struct hmac_key;
struct hmac_key *hmac_key_new(enum auth_id id, const uint8_t *key,
    size_t keylen);
void hmac_key_free(struct hmac_key *h);
size_t hmac_len(const struct hmac_key *h);
int hmac_compute(const struct hmac_key *h, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t *md)
    __attribute__((warn_unused_result));

/* AES-XCBC-MAC (RFC 3566) with K1 set once in an AES-128-ECB context
 * and K2, K3 derived at key time (crypto/xcbc.c). keylen must be 16.
 * compute writes the full 16-byte MAC of d1 || d2 to mac. */
#define XCBC_KEY_LEN 16
#define XCBC_MAC_LEN 16
struct xcbc_key;
struct xcbc_key *xcbc_key_new(const uint8_t *key, size_t keylen);
void xcbc_key_free(struct xcbc_key *x);
int xcbc_compute(struct xcbc_key *x, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t *mac)
    __attribute__((warn_unused_result));

/* Logs and empties the OpenSSL error queue. With lim (per-packet paths)
 * the messages are rate-limited; at set-up time lim is NULL. */
void crypto_log_errors(struct log_limit *lim, const char *what);

#endif

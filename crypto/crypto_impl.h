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
/* The HMAC implementation and digest name for an auth suite. */
EVP_MAC *crypto_fetched_hmac(void);
/* HKDF (crypto/kdf.c). */
EVP_KDF *crypto_fetched_hkdf(void);
const char *crypto_auth_digest(enum auth_id id);

/* Logs and empties the OpenSSL error queue. With lim (per-packet paths)
 * the messages are rate-limited; at set-up time lim is NULL. */
void crypto_log_errors(struct log_limit *lim, const char *what);

#endif

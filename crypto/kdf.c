/* HKDF-SHA256 through OpenSSL's EVP_KDF (never by hand), and HMAC-SHA256
 * through EVP_MAC, for derived keying and the control channel. */
#include "crypto/kdf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/crypto.h"
#include "crypto/crypto_impl.h"

/* Extract always passes its salt and expand its info, each replacing
 * the last call's on the shared context, and the key is overwritten
 * once derived so that the context does not keep it. An empty info
 * cannot replace one (OpenSSL 3.0 crashes on it), so an expand without
 * info, which keying never asks for, gets a context of its own. */
static int
hkdf(int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key,
    size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out,
    size_t out_len)
{
	static const uint8_t nokey[1];
	OSSL_PARAM params[4], *pp = params, scrub[2];
	EVP_KDF_CTX *ctx, *own = NULL;
	int rc = -1;

	if (crypto_global_init() == -1)
		return -1;
	if (mode == EVP_KDF_HKDF_MODE_EXPAND_ONLY && info_len == 0)
		ctx = own = crypto_hkdf_ctx_new();
	else
		ctx = crypto_hkdf_ctx();
	if (ctx == NULL)
		goto done;
	*pp++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)key, key_len);
	if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY)
		*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)(uintptr_t)salt, salt_len);
	else if (info_len > 0)
		*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)(uintptr_t)info, info_len);
	*pp = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = 0;
	scrub[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)nokey, sizeof(nokey));
	scrub[1] = OSSL_PARAM_construct_end();
	if (EVP_KDF_CTX_set_params(ctx, scrub) != 1)
		rc = -1;
done:
	if (rc == -1)
		crypto_log_errors(NULL, "HKDF-SHA256");
	EVP_KDF_CTX_free(own);
	return rc;
}

int
crypto_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
    size_t ikm_len, uint8_t prk[CRYPTO_PRK_LEN])
{
	static const uint8_t zeros[CRYPTO_PRK_LEN];

	/* RFC 5869 2.2: no salt is HashLen zeros. */
	if (salt == NULL || salt_len == 0) {
		salt = zeros;
		salt_len = sizeof(zeros);
	}
	return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len, ikm,
	    ikm_len, NULL, 0, prk, CRYPTO_PRK_LEN);
}

int
crypto_hkdf_expand(const uint8_t prk[CRYPTO_PRK_LEN], const uint8_t *info,
    size_t info_len, uint8_t *out, size_t out_len)
{
	if (out_len == 0 || out_len > 255 * CRYPTO_PRK_LEN)
		return -1;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk,
	    CRYPTO_PRK_LEN, info, info_len, out, out_len);
}

struct crypto_hmac {
	EVP_MAC_CTX *ctx;
};

struct crypto_hmac *
crypto_hmac_new(const uint8_t *key, size_t key_len)
{
	OSSL_PARAM params[2];
	struct crypto_hmac *h;
	EVP_MAC *mac;

	if (crypto_global_init() == -1 || (mac = crypto_fetched_hmac()) == NULL)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((h->ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(h->ctx, key, key_len, params)) {
		crypto_log_errors(NULL, "HMAC-SHA256");
		crypto_hmac_free(h);
		return NULL;
	}
	return h;
}

void
crypto_hmac_free(struct crypto_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MAC_CTX_free(h->ctx);
	free(h);
}

static int
hmac_full(struct crypto_hmac *h, const uint8_t *d, size_t len,
    uint8_t md[CRYPTO_HMAC_LEN])
{
	size_t mdlen;

	/* A NULL key restarts with the key given at creation. */
	if (!EVP_MAC_init(h->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(h->ctx, d, len) ||
	    !EVP_MAC_final(h->ctx, md, &mdlen, CRYPTO_HMAC_LEN) ||
	    mdlen != CRYPTO_HMAC_LEN) {
		crypto_log_errors(NULL, "HMAC-SHA256");
		return -1;
	}
	return 0;
}

int
crypto_hmac_sign(struct crypto_hmac *h, const uint8_t *d, size_t len,
    uint8_t *out, size_t out_len)
{
	uint8_t md[CRYPTO_HMAC_LEN];

	if (out_len > CRYPTO_HMAC_LEN || hmac_full(h, d, len, md) == -1)
		return -1;
	memcpy(out, md, out_len);
	return 0;
}

int
crypto_hmac_verify(struct crypto_hmac *h, const uint8_t *d, size_t len,
    const uint8_t *icv, size_t icv_len)
{
	uint8_t md[CRYPTO_HMAC_LEN];
	int r;

	if (icv_len == 0 || icv_len > CRYPTO_HMAC_LEN ||
	    hmac_full(h, d, len, md) == -1)
		return -1;
	r = CRYPTO_memcmp(md, icv, icv_len) == 0 ? 0 : -1;
	OPENSSL_cleanse(md, sizeof(md));
	return r;
}

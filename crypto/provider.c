/* OpenSSL set-up: providers, algorithm fetches, randomness, the error queue.
 * Everything is fetched once here so the per-packet paths never look an
 * algorithm up by name. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "crypto/crypto_impl.h"
#include "util/be.h"
#include "util/log.h"

/* Indexes of fetched ciphers: AES comes in one EVP_CIPHER per key size.
 * AES-CTR runs on ECB (sa_crypto.c says why). */
enum {
	F_BF_CBC, F_DES_EDE3_CBC,
	F_AES128_CBC, F_AES192_CBC, F_AES256_CBC,
	F_AES128_GCM, F_AES192_GCM, F_AES256_GCM,
	F_CHACHA20_POLY1305,
	F_DES_CBC, F_CAST5_CBC,
	F_AES128_ECB, F_AES192_ECB, F_AES256_ECB,
	F_MAX
};

static const char *const fetch_names[F_MAX] = {
	"BF-CBC", "DES-EDE3-CBC",
	"AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
	"AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
	"ChaCha20-Poly1305",
	"DES-CBC", "CAST5-CBC",		/* legacy provider, as BF-CBC */
	"AES-128-ECB", "AES-192-ECB", "AES-256-ECB",
};

static struct {
	bool		 ready;
	OSSL_PROVIDER	*prov_default;
	OSSL_PROVIDER	*prov_legacy;
	EVP_CIPHER	*cipher[F_MAX];
	EVP_CIPHER	*aes128_ecb;	/* AES-XCBC-MAC (crypto/xcbc.c) */
	EVP_MAC		*hmac;
	EVP_KDF		*hkdf_kdf;
	EVP_KDF_CTX	*hkdf;          /* SHA-256 set */
} g;

void
crypto_log_errors(struct log_limit *lim, const char *what)
{
	unsigned long e;
	const char *data;
	int flags, n = 0;
	char buf[256];

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		if (!(flags & ERR_TXT_STRING))
			data = "";
		if (lim != NULL)
			log_ratelimited(lim, LOG_LVL_WARN, "%s: %s%s%s", what,
			    buf, *data ? ": " : "", data);
		else
			log_warnx("%s: %s%s%s", what, buf, *data ? ": " : "",
			    data);
		n++;
	}
	if (n == 0) {
		if (lim != NULL)
			log_ratelimited(lim, LOG_LVL_WARN, "%s failed", what);
		else
			log_warnx("%s failed", what);
	}
}

void
crypto_global_cleanup(void)
{
	size_t i;

	for (i = 0; i < F_MAX; i++) {
		EVP_CIPHER_free(g.cipher[i]);
		g.cipher[i] = NULL;
	}
	EVP_CIPHER_free(g.aes128_ecb);
	g.aes128_ecb = NULL;
	EVP_MAC_free(g.hmac);
	g.hmac = NULL;
	EVP_KDF_CTX_free(g.hkdf);	/* cleanses what it holds */
	g.hkdf = NULL;
	EVP_KDF_free(g.hkdf_kdf);
	g.hkdf_kdf = NULL;
	if (g.prov_legacy != NULL)
		OSSL_PROVIDER_unload(g.prov_legacy);
	g.prov_legacy = NULL;
	/* "default" stays: with an explicitly loaded provider gone OpenSSL
	 * would not fall back to it, and hashing or RAND_bytes elsewhere
	 * would fail. OPENSSL_cleanup() releases it at exit. */
	g.ready = false;
}

EVP_KDF_CTX *
crypto_hkdf_ctx_new(void)
{
	OSSL_PARAM params[2];
	EVP_KDF_CTX *ctx;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_KDF_CTX_new(g.hkdf_kdf)) == NULL ||
	    EVP_KDF_CTX_set_params(ctx, params) != 1) {
		crypto_log_errors(NULL, "HKDF-SHA256");
		EVP_KDF_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
crypto_global_init(void)
{
	const char *env;
	size_t i;

	if (g.ready)
		return 0;
	/* Loading any provider explicitly stops OpenSSL from loading
	 * "default" implicitly, so both are loaded by name. */
	if (g.prov_default == NULL &&
	    (g.prov_default = OSSL_PROVIDER_load(NULL, "default")) == NULL) {
		crypto_log_errors(NULL, "loading the OpenSSL default provider");
		goto fail;
	}
	if ((g.prov_legacy = OSSL_PROVIDER_load(NULL, "legacy")) == NULL) {
		crypto_log_errors(NULL, "loading the OpenSSL legacy provider");
		env = getenv("OPENSSL_MODULES");
		log_warnx("blowfish-cbc, des-cbc and cast128-cbc need the "
		    "OpenSSL 3 legacy provider "
		    "(legacy.so), which could not be loaded from %s%s: install "
		    "the package that ships ossl-modules/legacy.so (Debian: "
		    "libssl3) or point OPENSSL_MODULES at the directory that "
		    "holds it", env != NULL ? env :
		    OPENSSL_info(OPENSSL_INFO_MODULES_DIR),
		    env != NULL ? " (from OPENSSL_MODULES)" : "");
		goto fail;
	}
	for (i = 0; i < F_MAX; i++) {
		g.cipher[i] = EVP_CIPHER_fetch(NULL, fetch_names[i], NULL);
		if (g.cipher[i] == NULL) {
			crypto_log_errors(NULL, fetch_names[i]);
			log_warnx("OpenSSL has no %s cipher", fetch_names[i]);
			goto fail;
		}
	}
	if ((g.aes128_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL)) ==
	    NULL) {
		crypto_log_errors(NULL, "fetching AES-128-ECB");
		goto fail;
	}
	if ((g.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		crypto_log_errors(NULL, "fetching HMAC");
		goto fail;
	}
	if ((g.hkdf_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL) {
		crypto_log_errors(NULL, "fetching HKDF");
		goto fail;
	}
	if ((g.hkdf = crypto_hkdf_ctx_new()) == NULL)
		goto fail;
	g.ready = true;
	return 0;
fail:
	crypto_global_cleanup();
	return -1;
}

EVP_CIPHER *
crypto_fetched_cipher(enum cipher_id id, size_t keylen)
{
	int f;

	switch (id) {
	case CIPHER_BLOWFISH_CBC:
		f = F_BF_CBC;
		break;
	case CIPHER_3DES_CBC:
		f = F_DES_EDE3_CBC;
		break;
	case CIPHER_AES_CBC:
	case CIPHER_AES_GCM:
		if (keylen != 16 && keylen != 24 && keylen != 32)
			return NULL;
		f = (id == CIPHER_AES_CBC ? F_AES128_CBC : F_AES128_GCM) +
		    (int)(keylen - 16) / 8;
		break;
	case CIPHER_CHACHA20_POLY1305:
		f = F_CHACHA20_POLY1305;
		break;
	case CIPHER_DES_CBC:
		f = F_DES_CBC;
		break;
	case CIPHER_CAST128_CBC:
		f = F_CAST5_CBC;
		break;
	case CIPHER_AES_CTR:
		if (keylen != 16 && keylen != 24 && keylen != 32)
			return NULL;
		f = F_AES128_ECB + (int)(keylen - 16) / 8;
		break;
	default:
		return NULL;
	}
	return g.cipher[f];
}

EVP_CIPHER *
crypto_fetched_aes128_ecb(void)
{
	return g.aes128_ecb;
}

EVP_MAC *
crypto_fetched_hmac(void)
{
	return g.hmac;
}

EVP_KDF_CTX *
crypto_hkdf_ctx(void)
{
	return g.hkdf;
}

int
crypto_random(uint8_t *buf, size_t len)
{
	static struct log_limit lim;

	if (len > INT_MAX)
		return -1;
	if (len == 0)
		return 0;
	if (RAND_bytes(buf, (int)len) != 1) {
		crypto_log_errors(&lim, "RAND_bytes");
		return -1;
	}
	return 0;
}

int
crypto_random_u64(uint64_t *v)
{
	uint8_t b[8];

	if (crypto_random(b, sizeof(b)) == -1)
		return -1;
	*v = be_get64(b);
	return 0;
}

void
crypto_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

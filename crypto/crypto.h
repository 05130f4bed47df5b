/* A thin layer over OpenSSL: one keyed state per SA and direction,
 * created at load time and reused for every packet (never re-keyed per
 * packet). The IV is given per call. ESP framing lives in src/esp, not
 * here. */
#ifndef VPNTUND_CRYPTO_H
#define VPNTUND_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_MAX   64      /* 448-bit Blowfish is the largest */
#define CRYPTO_SALT_MAX  4       /* RFC 4106 / RFC 7634 salt */
#define CRYPTO_IV_MAX    16
#define CRYPTO_ICV_MAX   32      /* hmac-sha512-256 */
#define CRYPTO_AUTHKEY_MAX 64

enum cipher_id {
	CIPHER_BLOWFISH_CBC,
	CIPHER_3DES_CBC,
	CIPHER_AES_CBC,
	CIPHER_AES_GCM,
	CIPHER_CHACHA20_POLY1305,
	CIPHER_DES_CBC,
	CIPHER_CAST128_CBC,
	CIPHER_AES_CTR,
	CIPHER_NULL,
};

/* How a suite encrypts, and so how ESP frames it. */
enum cipher_mode {
	CIPHER_MODE_CBC,	/* IV per packet, whole blocks */
	CIPHER_MODE_CTR,	/* RFC 3686: IV = counter, stream */
	CIPHER_MODE_NULL,	/* RFC 2410: no IV, no encryption */
	CIPHER_MODE_AEAD,	/* RFC 4106 / 7634: its tag is the ICV */
};

enum auth_id {
	AUTH_NONE,
	AUTH_HMAC_SHA1_96,
	AUTH_HMAC_SHA256_128,
	AUTH_HMAC_MD5_96,
	AUTH_HMAC_SHA384_192,
	AUTH_HMAC_SHA512_256,
	AUTH_HMAC_SHA256_96,
	AUTH_HMAC_SHA384_96,
	AUTH_HMAC_SHA512_96,
	AUTH_AES_XCBC_MAC_96,
};

/* The auth names of crypto/suites.c, in its order, for messages that
 * list them (test_crypto_suites checks that each is one). */
#define AUTH_NAMES "none, hmac-md5-96, hmac-sha1-96, hmac-sha256-128, " \
	"hmac-sha384-192, hmac-sha512-256, hmac-sha256-96, hmac-sha384-96, " \
	"hmac-sha512-96, aes-xcbc-mac-96"

struct cipher_info {
	enum cipher_id id;
	const char    *name;          /* config name, e.g. "blowfish-cbc" */
	size_t         block;         /* padding block: 8, 16, or 4 (stream) */
	size_t         iv_len;        /* bytes of IV on the wire */
	size_t         key_min;       /* bytes, without salt */
	size_t         key_max;
	size_t         key_default;
	size_t         key_step;      /* allowed sizes: min, min+step, ... max */
	size_t         salt_len;      /* after the key: salt (AEAD), nonce (CTR) */
	size_t         icv_len;       /* AEAD tag length; 0 otherwise */
	enum cipher_mode mode;
	/* Why a peer may use it only with allow-weak-cipher; NULL if not
	 * weak. */
	const char    *weak;
};

struct auth_info {
	enum auth_id id;
	const char  *name;            /* "none", "hmac-sha1-96", ... */
	size_t       key_len;         /* bytes */
	size_t       icv_len;         /* truncated output */
};

/* Also takes KAME's aliases (rijndael-cbc): the entry returned has the
 * canonical name. */
const struct cipher_info *cipher_by_name(const char *name);
/* The config names, comma-separated, for messages. */
const char *cipher_names(void);

static inline bool
cipher_is_aead(const struct cipher_info *ci)
{
	return ci->mode == CIPHER_MODE_AEAD;
}

/* Stream modes without integrity of their own: flipping a ciphertext bit
 * flips the plaintext bit, and NULL hides nothing; RFC 3686 2 and
 * RFC 4303 3.2 forbid them without an integrity algorithm. */
static inline bool
cipher_needs_auth(const struct cipher_info *ci)
{
	return ci->mode == CIPHER_MODE_CTR || ci->mode == CIPHER_MODE_NULL;
}

/* The IV is seq + iv_base rather than a random-looking value: unique per
 * key is what these modes need (RFC 4106 3.1, RFC 3686 3). */
static inline bool
cipher_counter_iv(const struct cipher_info *ci)
{
	return ci->mode == CIPHER_MODE_AEAD || ci->mode == CIPHER_MODE_CTR;
}
/* Bytes of ICV on the wire for the suite: the AEAD tag, or the truncated
 * HMAC (ai may be NULL: none). */
size_t suite_icv_len(const struct cipher_info *ci, const struct auth_info *ai);
const struct auth_info *auth_by_name(const char *name);
/* True if keylen (bytes, without salt) is one of the suite's key sizes. */
bool cipher_key_len_ok(const struct cipher_info *ci, size_t keylen);

/* Loads the default and legacy providers (Blowfish is in legacy). Returns -1
 * with a message naming the missing provider if it cannot. Call once at
 * start-up; later calls return 0 at once, and sa_crypto_new() calls it on
 * demand. */
int crypto_global_init(void) __attribute__((warn_unused_result));
/* Frees what crypto_global_init() fetched and unloads legacy (clean exit);
 * "default" stays loaded so hashing and RAND still work. Init may be
 * called again afterwards. */
void crypto_global_cleanup(void);

/* Fills buf with cryptographically random bytes; -1 on failure. */
int crypto_random(uint8_t *buf, size_t len) __attribute__((warn_unused_result));
/* A random 64-bit number (epochs, start ids, IV bases); -1 on failure. */
int crypto_random_u64(uint64_t *v) __attribute__((warn_unused_result));

/* Keyed state for one SA in one direction. Opaque to callers. */
struct sa_crypto;

/* key: cipher key followed by salt (AEAD) or nonce (CTR), as in RFC 4106
 * and RFC 3686 5 KEYMAT; NULL's key is empty. authkey may be NULL for
 * AUTH_NONE or AEAD. Returns NULL on failure. */
struct sa_crypto *sa_crypto_new(const struct cipher_info *cipher,
    const uint8_t *key, size_t keylen, const struct auth_info *auth,
    const uint8_t *authkey, size_t authkeylen, bool encrypt);
void sa_crypto_free(struct sa_crypto *c);

const struct cipher_info *sa_crypto_cipher(const struct sa_crypto *c);
const struct auth_info *sa_crypto_auth(const struct sa_crypto *c);
/* Bytes of ICV on the wire: the AEAD tag or the truncated HMAC. */
size_t sa_crypto_icv_len(const struct sa_crypto *c);

/* CBC: data is encrypted/decrypted in place; len is a multiple of block.
 * iv is iv_len bytes. No padding is added by OpenSSL. */
int sa_cbc_encrypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data,
    size_t len) __attribute__((warn_unused_result));
int sa_cbc_decrypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data,
    size_t len) __attribute__((warn_unused_result));
/* The IV of an encrypting CBC SA for a counter: one block holding the
 * counter (big-endian, zero-extended), encrypted with the SA's cipher
 * under an IV key drawn at random when the SA was created (NIST SP
 * 800-38A appendix C: IV = CIPH(nonce), with a key of its own). A block
 * cipher is a permutation, so counters that never repeat under the SA
 * give IVs that never repeat; without the IV key they are unpredictable,
 * as CBC needs (RFC 2451 3, RFC 3602 3), with no random draw per packet.
 * Writes iv_len bytes to iv. */
int sa_cbc_iv(struct sa_crypto *c, uint64_t counter, uint8_t *iv)
    __attribute__((warn_unused_result));

/* AES-CTR (RFC 3686 4): XORs data in place with the key stream of the
 * counter blocks nonce || iv || 1, 2, ...; iv is 8 bytes. The same call
 * encrypts and decrypts. */
int sa_ctr_crypt(struct sa_crypto *c, const uint8_t *iv, uint8_t *data,
    size_t len) __attribute__((warn_unused_result));

/* AEAD (RFC 4106 / RFC 7634): nonce = salt || iv (iv is 8 bytes).
 * aad is the ESP header (8 bytes, or 12 with ESN). Encrypt writes icv_len
 * bytes to tag. Decrypt returns -1 when the tag does not verify. */
int sa_aead_encrypt(struct sa_crypto *c, const uint8_t *iv, const uint8_t *aad,
    size_t aadlen, uint8_t *data, size_t len, uint8_t *tag)
    __attribute__((warn_unused_result));
int sa_aead_decrypt(struct sa_crypto *c, const uint8_t *iv, const uint8_t *aad,
    size_t aadlen, uint8_t *data, size_t len, const uint8_t *tag)
    __attribute__((warn_unused_result));

/* HMAC or AES-XCBC-MAC over the concatenation of two pieces (the second
 * for the ESN high bits; may be NULL/0), truncated to the suite's ICV
 * length. */
int sa_mac(struct sa_crypto *c, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t *icv) __attribute__((warn_unused_result));
/* Computes and compares in constant time (CRYPTO_memcmp); 0 if equal. */
int sa_mac_verify(struct sa_crypto *c, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, const uint8_t *icv)
    __attribute__((warn_unused_result));

/* Wipes secrets (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t len);

#endif

/* New key files (vpntunctl genkey): fresh random bytes in the format
 * keyfile.c reads, sized from the same suite tables and rules a peer
 * block uses, so that what is written is what config_load accepts. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "conf/conf_int.h"
#include "util/file_write.h"

#define HEX_PER_LINE 32         /* key bytes on one line of the file */
/* Two blocks of at most 64 + 4 + 64 bytes, as hex, and the comments. */
#define KEYGEN_TEXT_MAX 2048

static void keygen_err(struct conf_error *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A message that may be cut short (a long path), never overflowed. */
static void
keygen_err(struct conf_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int
keyfile_suite(const char *cipher, size_t key_bits, const char *auth,
    const struct cipher_info **cip, size_t *bitsp,
    const struct auth_info **aip, struct conf_error *err)
{
	const struct cipher_info *ci;
	const struct auth_info *ai;

	if ((ci = cipher_by_name(cipher != NULL ? cipher :
	    CONF_CIPHER_DEFAULT)) == NULL) {
		keygen_err(err, "unknown cipher \"%s\", expected one of %s",
		    cipher, cipher_names());
		return -1;
	}
	if (key_bits == 0)
		key_bits = ci->key_default * 8;
	if (key_bits % 8 != 0 || !cipher_key_len_ok(ci, key_bits / 8)) {
		keygen_err(err, "keysize %zu is not "
		    "valid for %s, expected %zu..%zu in steps of %zu",
		    key_bits, ci->name, ci->key_min * 8, ci->key_max * 8,
		    ci->key_step * 8);
		return -1;
	}
	ai = auth != NULL ? auth_by_name(auth) : conf_auth_default(ci);
	if (ai == NULL) {
		keygen_err(err, "unknown auth \"%s\", expected one of %s",
		    auth, AUTH_NAMES);
		return -1;
	}
	if (cipher_is_aead(ci) && ai->id != AUTH_NONE) {
		keygen_err(err, "auth %s cannot be used "
		    "with the AEAD cipher %s, expected \"auth none\"",
		    ai->name, ci->name);
		return -1;
	}
	if (cipher_needs_auth(ci) && ai->id == AUTH_NONE) {
		keygen_err(err, "cipher %s needs an integrity algorithm, "
		    "auth none is not allowed", ci->name);
		return -1;
	}
	*cip = ci;
	*bitsp = key_bits;
	*aip = ai;
	return 0;
}

static size_t
put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		out[k++] = digits[b[i] >> 4];
		out[k++] = digits[b[i] & 15];
		if ((i + 1) % HEX_PER_LINE == 0 || i + 1 == n)
			out[k++] = '\n';
	}
	return k;
}

/* The file's text: comments that say what it is for, then the blocks. */
static int
format(char *out, size_t size, size_t *lenp, const uint8_t *keys,
    size_t blk, const struct cipher_info *ci, size_t key_bits,
    const struct auth_info *ai)
{
	char parts[96];
	size_t n;
	int k;

	k = snprintf(parts, sizeof(parts), "%zu cipher key", key_bits / 8);
	if (ci->salt_len != 0)
		k += snprintf(parts + k, sizeof(parts) - (size_t)k,
		    " + %zu %s", ci->salt_len, ci->mode == CIPHER_MODE_CTR ?
		    "nonce" : "salt");
	if (ai->key_len != 0)
		snprintf(parts + k, sizeof(parts) - (size_t)k,
		    " + %zu auth key", ai->key_len);
	k = snprintf(out, size, "# vpntund key file (site.conf(5), KEY FILES): "
	    "cipher %s keysize %zu, auth %s\n"
	    "# the same file on both ends of the peer pair; keep it mode 600\n"
	    "# each block: %s bytes\n"
	    "# central -> remote\n", ci->name, key_bits, ai->name, parts);
	if (k < 0 || (size_t)k >= size)
		return -1;
	n = (size_t)k;
	/* Two blocks of hex with a newline every HEX_PER_LINE bytes. */
	if (size - n < 4 * blk + 2 * (blk / HEX_PER_LINE + 1) + 32)
		return -1;
	n += put_hex(out + n, keys, blk);
	k = snprintf(out + n, size - n, "# remote -> central\n");
	n += (size_t)k;
	n += put_hex(out + n, keys + blk, blk);
	*lenp = n;
	return 0;
}

/* A new key file, mode 0600 whatever the umask, never seen half
 * written. */
static int
write_new(const char *path, const char *text, size_t len, bool replace,
    struct conf_error *err)
{
	if (file_write_whole(path, text, len, 0600, replace) == 0)
		return 0;
	keygen_err(err, "%s: %s%s", path, strerror(errno), errno == EEXIST ?
	    " (--force replaces it)" : "");
	return -1;
}

int
keyfile_generate(const char *path, const struct cipher_info *ci,
    size_t key_bits, const struct auth_info *ai, bool replace,
    struct conf_error *err)
{
	uint8_t keys[2 * (CRYPTO_KEY_MAX + CRYPTO_SALT_MAX +
	    CRYPTO_AUTHKEY_MAX)];
	char text[KEYGEN_TEXT_MAX];
	size_t blk = keyfile_block_len(ci, key_bits, ai), len = 0;
	int rv = -1;

	if (2 * blk > sizeof(keys)) {
		keygen_err(err, "key block of %zu bytes "
		    "is too long", blk);
		return -1;
	}
	if (RAND_bytes(keys, (int)(2 * blk)) != 1) {
		keygen_err(err, "no random bytes for the "
		    "keys");
		goto out;
	}
	/* Never in practice; but config_load refuses a key that both
	 * blocks hold. */
	if ((key_bits > 0 &&
	    CRYPTO_memcmp(keys, keys + blk, key_bits / 8) == 0) ||
	    (ai->key_len != 0 && CRYPTO_memcmp(keys + blk - ai->key_len,
	    keys + 2 * blk - ai->key_len, ai->key_len) == 0)) {
		keygen_err(err, "the random bytes "
		    "repeat; not writing them");
		goto out;
	}
	if (format(text, sizeof(text), &len, keys, blk, ci, key_bits,
	    ai) == -1) {
		keygen_err(err, "key file text too long");
		goto out;
	}
	rv = write_new(path, text, len, replace, err);
out:
	OPENSSL_cleanse(keys, sizeof(keys));
	OPENSSL_cleanse(text, sizeof(text));
	return rv;
}

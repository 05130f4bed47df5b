/* Key files: hex, whitespace and # comments, two blocks of key material
 * (central -> remote, then remote -> central), or for `sa in` and
 * `sa out` one block each. The file must be private
 * to its owner, as iked's check_file_secrecy insists. Key bytes never
 * reach a message, and every buffer that held them is wiped. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "conf/conf_int.h"
#include "util/file_read.h"

#define KEYFILE_MAX 65536

size_t
keyfile_block_len(const struct cipher_info *ci, size_t key_bits,
    const struct auth_info *ai)
{
	return key_bits / 8 + ci->salt_len + (ai != NULL ? ai->key_len : 0);
}

/* Bytes of one direction: cipher key, salt (AEAD), auth key. */
int
suite_block_len(const struct sa_suite *su)
{
	return (int)keyfile_block_len(su->cipher, su->key_bits, su->auth);
}

int
key_block_len(const struct peer_conf *pc)
{
	return suite_block_len(&pc->suite_out);
}

int
check_owner(struct lexer *lx, const char *cfile, int line, const char *what,
    const char *path, uid_t uid)
{
	uid_t us = geteuid();

	if (uid == 0 || uid == us)
		return 0;
	if (us == 0)
		conf_err(lx, cfile, line, "%s %s is owned by uid %u, expected "
		    "root; run chown root %s", what, path, (unsigned)uid, path);
	else
		conf_err(lx, cfile, line, "%s %s is owned by uid %u, expected "
		    "root or uid %u, which vpntund runs as; run chown root %s",
		    what, path, (unsigned)uid, (unsigned)us, path);
	return -1;
}

static int
read_secret(struct lexer *lx, const char *path, const char *cfile,
    int line, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd;

	/* Not blocking: a FIFO in its place is refused, not waited on. */
	if ((fd = conf_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		conf_err(lx, cfile, line, "cannot open key file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_err(lx, cfile, line, "key file %s is not a regular file",
		    path);
		close(fd);
		return -1;
	}
	if (check_owner(lx, cfile, line, "key file", path, st.st_uid) == -1) {
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		conf_err(lx, cfile, line, "key file %s has mode %04o, it must "
		    "not be readable or writable by group or others; run "
		    "chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -1;
	}
	if (st.st_size > KEYFILE_MAX) {
		conf_err(lx, cfile, line, "key file %s is larger than %d bytes",
		    path, KEYFILE_MAX);
		close(fd);
		return -1;
	}
	if (file_read_whole(fd, (size_t)st.st_size, &buf, &len) == -1) {
		if (errno == ENOMEM)
			conf_err(lx, cfile, line, "out of memory");
		else
			conf_err(lx, cfile, line, "cannot read key file %s: %s",
			    path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes in place (out never passes in); returns the byte count or -1
 * with *bad_line set. Messages name lines, never bytes. */
static long
decode(uint8_t *out, const char *in, size_t len, int *bad_line, bool *odd)
{
	size_t i, n = 0;
	int line = 1, hi = -1, v;

	*odd = false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '#') {
			while (i < len && in[i] != '\n')
				i++;
			if (i == len)
				break;
			c = '\n';
		}
		if (c == '\n') {
			line++;
			continue;
		}
		if (isspace(c))
			continue;
		if ((v = hexval(c)) == -1) {
			*bad_line = line;
			return -1;
		}
		if (hi == -1)
			hi = v;
		else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi != -1) {
		*odd = true;
		*bad_line = line;
		return -1;
	}
	return (long)n;
}

static void
fill(struct sa_keys *k, const struct sa_suite *su, const uint8_t *blk)
{
	size_t enc = su->key_bits / 8 + su->cipher->salt_len;

	memset(k, 0, sizeof(*k));
	memcpy(k->enc, blk, enc);
	k->enc_len = enc;
	k->auth_len = su->auth ? su->auth->key_len : 0;
	memcpy(k->auth, blk + enc, k->auth_len);
}

/* "16 cipher key + 4 salt + 20 auth key": what a block holds. */
static void
block_parts(const struct sa_suite *su, char *parts, size_t len)
{
	int k = snprintf(parts, len, "%zu cipher key", su->key_bits / 8);

	if (su->cipher->salt_len)
		k += snprintf(parts + k, len - k, " + %zu %s",
		    su->cipher->salt_len, su->cipher->mode == CIPHER_MODE_CTR ?
		    "nonce" : "salt");
	if (su->auth && su->auth->key_len)
		snprintf(parts + k, len - k, " + %zu auth key",
		    su->auth->key_len);
}

/* Which of the two is "central" for the key file: the role, or between
 * equal roles the numerically lower primary network. */
static bool
site_counts_as_central(const struct peer_conf *pc, const struct site_conf *s)
{
	if (s->role != pc->role)
		return s->role == ROLE_CENTRAL;
	return prefix_cmp(&s->networks[0], &pc->network) < 0;
}

/* The bytes of the key file at path, decoded into *bytes (malloc'd,
 * *cap bytes to wipe): their number, or -1 with the error set. */
static long
read_key_bytes(struct lexer *lx, const char *path, const char *cfile,
    int line, uint8_t **bytes, size_t *cap)
{
	char *buf = NULL;
	size_t len = 0;
	long n = -1;
	int bad_line = 0;
	bool odd;

	*bytes = NULL;
	*cap = 0;
	if (read_secret(lx, path, cfile, line, &buf, &len) == -1)
		return -1;
	if ((*bytes = malloc(len / 2 + 1)) == NULL) {
		conf_err(lx, cfile, line, "out of memory");
		goto out;
	}
	*cap = len / 2 + 1;
	if ((n = decode(*bytes, buf, len, &bad_line, &odd)) == -1) {
		if (odd)
			conf_err(lx, cfile, line, "key file %s holds an odd "
			    "number of hex digits", path);
		else
			conf_err(lx, cfile, line, "key file %s, line %d: "
			    "expected hex digits, whitespace or a # comment",
			    path, bad_line);
	}
out:
	OPENSSL_cleanse(buf, len);
	free(buf);
	return n;
}

static void
bytes_drop(uint8_t *bytes, size_t cap)
{
	if (bytes == NULL)
		return;
	OPENSSL_cleanse(bytes, cap);
	free(bytes);
}

/* The key file at path, for the SA pair whose keys go to in and out. */
static int
load_pair(struct lexer *lx, const struct peer_conf *pc,
    const struct site_conf *s, const char *path, const char *cfile, int line,
    struct sa_keys *in, struct sa_keys *out)
{
	/* Both directions are one suite in a file of two blocks. */
	const struct sa_suite *su = &pc->suite_out;
	char parts[96];
	uint8_t *bytes;
	size_t cap, blk;
	long n;
	int rv = -1;

	if ((n = read_key_bytes(lx, path, cfile, line, &bytes, &cap)) == -1)
		goto out;
	blk = (size_t)key_block_len(pc);
	if ((size_t)n != 2 * blk) {
		block_parts(su, parts, sizeof(parts));
		conf_err(lx, cfile, line, "key file %s holds %ld bytes, "
		    "expected %zu (2 x (%s))", path, n, 2 * blk, parts);
		goto out;
	}
	/* One key for both directions would be two SAs on one key (and
	 * reflected packets would pass); keysep.c checks across files. */
	if (CRYPTO_memcmp(bytes, bytes + blk, blk) == 0 ||
	    (su->key_bits > 0 &&
	    CRYPTO_memcmp(bytes, bytes + blk, su->key_bits / 8) == 0) ||
	    (su->auth != NULL && su->auth->key_len != 0 &&
	    CRYPTO_memcmp(bytes + blk - su->auth->key_len,
	    bytes + 2 * blk - su->auth->key_len, su->auth->key_len) == 0)) {
		conf_err(lx, cfile, line, "key file %s: both blocks hold the "
		    "same %s; each direction needs its own", path,
		    CRYPTO_memcmp(bytes, bytes + blk, blk) == 0 ? "key" :
		    su->key_bits > 0 && CRYPTO_memcmp(bytes, bytes + blk,
		    su->key_bits / 8) == 0 ? "cipher key" : "auth key");
		goto out;
	}
	if (site_counts_as_central(pc, s)) {
		fill(out, su, bytes);
		fill(in, su, bytes + blk);
	} else {
		fill(in, su, bytes);
		fill(out, su, bytes + blk);
	}
	rv = 0;
out:
	bytes_drop(bytes, cap);
	return rv;
}

/* The key file of `sa in` or `sa out`: one block of its suite. The
 * two directions' keys are told apart by keysep.c, with every other
 * SA's. */
static int
load_one(struct lexer *lx, const struct sa_suite *su, const char *path,
    const char *cfile, int line, struct sa_keys *k)
{
	char parts[96];
	uint8_t *bytes;
	size_t cap, blk = (size_t)suite_block_len(su);
	long n;
	int rv = -1;

	if ((n = read_key_bytes(lx, path, cfile, line, &bytes, &cap)) == -1)
		goto out;
	if ((size_t)n != blk) {
		block_parts(su, parts, sizeof(parts));
		conf_err(lx, cfile, line, "key file %s holds %ld bytes, "
		    "expected %zu (%s)", path, n, blk, parts);
		goto out;
	}
	fill(k, su, bytes);
	rv = 0;
out:
	bytes_drop(bytes, cap);
	return rv;
}

/* Room for a pair of keys: not in struct peer_conf, where it would stay
 * after the engine has taken the keys. */
static int
pair_new(struct lexer *lx, const char *cfile, int line, struct sa_keys **in,
    struct sa_keys **out)
{
	if (*in == NULL)
		*in = calloc(1, sizeof(**in));
	if (*out == NULL)
		*out = calloc(1, sizeof(**out));
	if (*in == NULL || *out == NULL) {
		conf_err(lx, cfile, line, "out of memory");
		return -1;
	}
	return 0;
}

static void
key_drop(struct sa_keys **k)
{
	if (*k == NULL)
		return;
	OPENSSL_cleanse(*k, sizeof(**k));
	free(*k);
	*k = NULL;
}

void
keyfile_drop(struct peer_conf *pc)
{
	key_drop(&pc->key_in);
	key_drop(&pc->key_out);
	key_drop(&pc->tap_key_in);
	key_drop(&pc->tap_key_out);
}

int
keyfile_load(struct lexer *lx, struct peer_conf *pc, const struct site_conf *s,
    const char *cfile, int line)
{
	if (pair_new(lx, cfile, line, &pc->key_in, &pc->key_out) == -1)
		return -1;
	return load_pair(lx, pc, s, pc->key_file, cfile, line, pc->key_in,
	    pc->key_out);
}

/* `tap-sa dedicated key FILE`: the same format, cipher and rules. */
int
keyfile_load_tap(struct lexer *lx, struct peer_conf *pc,
    const struct site_conf *s, const char *cfile, int line)
{
	if (pair_new(lx, cfile, line, &pc->tap_key_in, &pc->tap_key_out) == -1)
		return -1;
	return load_pair(lx, pc, s, pc->tap_key_file, cfile, line,
	    pc->tap_key_in, pc->tap_key_out);
}

int
keyfile_load_sa(struct lexer *lx, struct peer_conf *pc,
    const struct peer_extra *x)
{
	if (pair_new(lx, x->sa_file[SA_IN], x->sa_line[SA_IN], &pc->key_in,
	    &pc->key_out) == -1)
		return -1;
	if (load_one(lx, &pc->suite_in, pc->sa_key_file_in, x->sa_file[SA_IN],
	    x->sa_line[SA_IN], pc->key_in) == -1 ||
	    load_one(lx, &pc->suite_out, pc->sa_key_file_out,
	    x->sa_file[SA_OUT], x->sa_line[SA_OUT], pc->key_out) == -1)
		return -1;
	return 0;
}

/* SHA-256 of salt and a pair of keys into id. */
static int
pair_id(const uint8_t *salt, size_t salt_len, const struct sa_keys *a,
    const struct sa_keys *b, uint8_t id[32])
{
	EVP_MD_CTX *ctx;
	unsigned len = 32;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, salt, salt_len) == 1 &&
	    EVP_DigestUpdate(ctx, a->enc, a->enc_len) == 1 &&
	    EVP_DigestUpdate(ctx, a->auth, a->auth_len) == 1 &&
	    EVP_DigestUpdate(ctx, b->enc, b->enc_len) == 1 &&
	    EVP_DigestUpdate(ctx, b->auth, b->auth_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, id, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Salted, so that a fingerprint tells nothing about the keys beyond "the
 * same or not" within this process, which is all a reload asks. */
int
keyfile_fingerprint(struct peer_conf *pc)
{
	static const struct sa_keys none;
	static uint8_t salt[32];
	static bool salted;

	if (!salted && RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	salted = true;
	if (pc->key_in == NULL || pc->key_out == NULL ||
	    pair_id(salt, sizeof(salt), pc->key_in, pc->key_out,
	    pc->key_id) == -1 ||
	    pair_id(salt, sizeof(salt), pc->tap_key_in != NULL ?
	    pc->tap_key_in : &none, pc->tap_key_out != NULL ?
	    pc->tap_key_out : &none, pc->tap_key_id) == -1)
		return -1;
	return 0;
}

/* setkey(8) input, the grammar of FreeBSD/KAME: statements end with `;`
 * and may span lines, `#` starts a comment. A shell script's
 * `setkey -c <<END` here-documents are read the same way, with their
 * lines numbered as in the script (conf/setkey_shell.c finds them). What
 * vpntund has no use for is read all the same and noted, so that nothing
 * a router did goes unmentioned. */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/setkey.h"
#include "conf/setkey_int.h"
#include "util/file_read.h"

#define SETKEY_FILE_MAX (4 * 1024 * 1024)

/* -E algorithms: setkey's name, vpntund's, and the key lengths setkey
 * takes in bytes (nonce or salt included). */
static const struct ealg {
	const char *setkey, *name;
	size_t      kmin, kmax, kstep;
	size_t      nonce;              /* trailing bytes that are not key */
	bool        weak;
} ealgs[] = {
	{ "des-cbc",      "des-cbc",      8,  8,  1, 0, true },
	{ "3des-cbc",     "3des-cbc",     24, 24, 1, 0, false },
	{ "blowfish-cbc", "blowfish-cbc", 5,  56, 1, 0, false },
	{ "cast128-cbc",  "cast128-cbc",  5,  16, 1, 0, false },
	{ "rijndael-cbc", "aes-cbc",      16, 32, 8, 0, false },
	{ "aes-cbc",      "aes-cbc",      16, 32, 8, 0, false },
	{ "aes-ctr",      "aes-ctr",      20, 36, 8, 4, false },  /* RFC 3686 */
	{ "aes-gcm-16",   "aes-gcm",      20, 36, 8, 4, false },  /* RFC 4106 */
	{ "null",         "null",         0,  0,  1, 0, false },
	{ "simple",       "null",         0,  0,  1, 0, false },
};

/* -A algorithms; sha2 marks the RFC 4868 ones --sha2-96 swaps. */
static const struct aalg {
	const char *setkey, *name, *name96;
	size_t      klen;
} aalgs[] = {
	{ "hmac-md5",      "hmac-md5-96",     NULL,              16 },
	{ "hmac-sha1",     "hmac-sha1-96",    NULL,              20 },
	{ "hmac-sha2-256", "hmac-sha256-128", "hmac-sha256-96",  32 },
	{ "hmac-sha2-384", "hmac-sha384-192", "hmac-sha384-96",  48 },
	{ "hmac-sha2-512", "hmac-sha512-256", "hmac-sha512-96",  64 },
	{ "aes-xcbc-mac",  "aes-xcbc-mac-96", NULL,              16 },
	{ "null",          "none",            NULL,              0 },
};

/* Known to setkey, not to vpntund. */
static const char *const no_ealgs[] = {
	"twofish-cbc", "camellia-cbc", "des-deriv", "des-32iv", "aes-gmac",
	"aes-gcm-8", "aes-gcm-12", NULL,
};
static const char *const no_aalgs[] = {
	"keyed-md5", "keyed-sha1", "hmac-ripemd160", "tcp-md5", NULL,
};

void
sk_err(struct sk_parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = true;
	n = snprintf(p->err->msg, sizeof(p->err->msg), "%s:%d: ", p->name,
	    line);
	if (n < 0 || (size_t)n >= sizeof(p->err->msg))
		return;
	va_start(ap, fmt);
	vsnprintf(p->err->msg + n, sizeof(p->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Grows an array by one zeroed element; NULL when out of memory. */
void *
sk_grow(struct sk_parser *p, void **arr, size_t *n, size_t size, int line)
{
	void *na;

	if (*n >= SETKEY_ITEMS_MAX) {
		sk_err(p, line, "too many statements (at most %d of a kind)",
		    SETKEY_ITEMS_MAX);
		return NULL;
	}
	if ((na = realloc(*arr, (*n + 1) * size)) == NULL) {
		sk_err(p, line, "out of memory");
		return NULL;
	}
	*arr = na;
	memset((char *)na + *n * size, 0, size);
	return (char *)na + (*n)++ * size;
}

int
sk_note(struct sk_parser *p, int line, const char *fmt, ...)
{
	struct setkey_note *nt;
	va_list ap;

	if ((nt = sk_grow(p, (void **)&p->s->notes, &p->s->nnotes,
	    sizeof(*nt), line)) == NULL)
		return -1;
	nt->line = line;
	va_start(ap, fmt);
	vsnprintf(nt->text, sizeof(nt->text), fmt, ap);
	va_end(ap);
	return 0;
}

/* A `$x` the shell would have filled in. */
int
sk_check_var(struct sk_parser *p, int line, const char *text)
{
	const char *d = strchr(text, '$');
	size_t n = 0;

	if (d == NULL)
		return 0;
	d++;
	if (*d == '{')
		d++;
	while (isalnum((unsigned char)d[n]) || d[n] == '_')
		n++;
	sk_err(p, line, "shell variable $%.*s: fill in the script's "
	    "variables first", (int)n, d);
	return -1;
}

/* The next token of the setkey text: a word, a quoted string or ";". */
static int
next(struct sk_parser *p, struct sk_token *t)
{
	const char *b = p->text;
	size_t n = 0;

	for (;;) {
		while (p->pos < p->len && isspace((unsigned char)b[p->pos])) {
			if (b[p->pos] == '\n')
				p->line++;
			p->pos++;
		}
		if (p->pos < p->len && b[p->pos] == '#') {
			while (p->pos < p->len && b[p->pos] != '\n')
				p->pos++;
			continue;
		}
		break;
	}
	t->line = p->line;
	t->text[0] = '\0';
	if (p->pos >= p->len) {
		t->type = SK_EOF;
		return 0;
	}
	if (b[p->pos] == ';') {
		p->pos++;
		t->type = SK_SEMI;
		strcpy(t->text, ";");
		return 0;
	}
	if (b[p->pos] == '"') {
		p->pos++;
		while (p->pos < p->len && b[p->pos] != '"' &&
		    b[p->pos] != '\n') {
			if (n + 1 >= sizeof(t->text)) {
				sk_err(p, t->line, "quoted string too long");
				return -1;
			}
			t->text[n++] = b[p->pos++];
		}
		if (p->pos >= p->len || b[p->pos] != '"') {
			sk_err(p, t->line, "expected \" at the end of the "
			    "quoted string");
			return -1;
		}
		p->pos++;
		t->text[n] = '\0';
		t->type = SK_STRING;
		t->len = n;
		return sk_check_var(p, t->line, t->text);
	}
	while (p->pos < p->len && !isspace((unsigned char)b[p->pos]) &&
	    b[p->pos] != ';' && b[p->pos] != '"') {
		if (n + 1 >= sizeof(t->text)) {
			sk_err(p, t->line, "word too long");
			return -1;
		}
		t->text[n++] = b[p->pos++];
	}
	t->text[n] = '\0';
	t->len = n;
	t->type = SK_WORD;
	return sk_check_var(p, t->line, t->text);
}

static int
peek(struct sk_parser *p, struct sk_token *t)
{
	size_t pos = p->pos;
	int line = p->line;
	int rv = next(p, t);

	p->pos = pos;
	p->line = line;
	return rv;
}

static const char *
describe(const struct sk_token *t)
{
	switch (t->type) {
	case SK_EOF:
		return "the end of the file";
	case SK_SEMI:
		return "\";\"";
	default:
		return t->text;
	}
}

/* Reads up to the `;` that ends the statement begun at line. */
static int
skip_statement(struct sk_parser *p, int line)
{
	struct sk_token t;

	for (;;) {
		if (next(p, &t) == -1)
			return -1;
		if (t.type == SK_SEMI)
			return 0;
		if (t.type == SK_EOF) {
			sk_err(p, line, "expected \";\" at the end of the "
			    "statement");
			return -1;
		}
	}
}

static int
expect_semi(struct sk_parser *p, int line, const char *after)
{
	struct sk_token t;

	if (next(p, &t) == -1)
		return -1;
	if (t.type != SK_SEMI) {
		sk_err(p, t.type == SK_EOF ? line : t.line, "expected \";\" "
		    "after %s, got %s", after, describe(&t));
		return -1;
	}
	return 0;
}

int
sk_parse_addr(const char *s, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->addr.v4) == 1) {
		out->af = AF_INET;
		out->len = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->addr.v6) == 1) {
		out->af = AF_INET6;
		out->len = 128;
		return 0;
	}
	return -1;
}

/* A decimal number (or 0x hex, with hex) within max. */
int
sk_number(const char *s, bool hex, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	if (!hex && !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, hex ? 0 : 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* `address[/prefixlen][[port]]` of spdadd. */
static int
parse_range(struct sk_parser *p, const struct sk_token *t, const char *what,
    struct prefix *pfx, int *port)
{
	char buf[SK_TOKEN_MAX], *br, *sl;
	uint64_t v;

	snprintf(buf, sizeof(buf), "%s", t->text);
	*port = -1;
	if ((br = strchr(buf, '[')) != NULL) {
		size_t n = strlen(br);

		if (n < 3 || br[n - 1] != ']')
			goto bad;
		br[n - 1] = '\0';
		if (strcmp(br + 1, "any") != 0) {
			if (sk_number(br + 1, false, 65535, &v) == -1)
				goto bad;
			*port = (int)v;
		}
		*br = '\0';
	}
	if ((sl = strchr(buf, '/')) != NULL)
		*sl++ = '\0';
	if (sk_parse_addr(buf, pfx) == -1)
		goto bad;
	if (sl != NULL) {
		if (sk_number(sl, false, pfx->af == AF_INET ? 32 : 128,
		    &v) == -1)
			goto bad;
		pfx->len = (uint8_t)v;
	}
	return 0;
bad:
	sk_err(p, t->line, "expected %s as address[/prefixlen][[port]], "
	    "got %s", what, describe(t));
	return -1;
}

/* A key: 0x and hex digits, or a quoted string's bytes. */
static int
parse_key(struct sk_parser *p, const struct sk_token *t, const char *alg,
    uint8_t *out, size_t *len)
{
	const char *h;
	size_t i, n;

	if (t->type == SK_STRING) {
		if (t->len > SETKEY_KEY_MAX)
			goto toolong;
		memcpy(out, t->text, t->len);
		*len = t->len;
		return 0;
	}
	if (t->type != SK_WORD || strncasecmp(t->text, "0x", 2) != 0) {
		sk_err(p, t->line, "expected the key of %s as 0x and hex "
		    "digits or a \"quoted string\", got %s", alg,
		    describe(t));
		return -1;
	}
	h = t->text + 2;
	n = strlen(h);
	if (n % 2 != 0) {
		sk_err(p, t->line, "key of %s: expected an even number of hex "
		    "digits, got %zu", alg, n);
		return -1;
	}
	if (n / 2 > SETKEY_KEY_MAX)
		goto toolong;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)h[i])) {
			sk_err(p, t->line, "key of %s: expected hex digits "
			    "after 0x, got \"%c\"", alg, h[i]);
			return -1;
		}
	for (i = 0; i < n / 2; i++) {
		char two[3] = { h[2 * i], h[2 * i + 1], '\0' };

		out[i] = (uint8_t)strtoul(two, NULL, 16);
	}
	*len = n / 2;
	return 0;
toolong:
	sk_err(p, t->line, "key of %s is longer than %d bytes", alg,
	    SETKEY_KEY_MAX);
	return -1;
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Maps an ESP SA's algorithms to vpntund's names and checks the keys. */
static int
map_esp(struct sk_parser *p, struct setkey_sa *sa, int eline, int aline)
{
	const struct ealg *e = NULL;
	const struct aalg *a = NULL;
	size_t i;

	if (sa->ealg[0] == '\0') {
		sk_err(p, sa->line, "expected -E: an esp SA needs an "
		    "encryption algorithm (-E null for none)");
		return -1;
	}
	for (i = 0; i < sizeof(ealgs) / sizeof(ealgs[0]); i++)
		if (strcmp(ealgs[i].setkey, sa->ealg) == 0)
			e = &ealgs[i];
	if (e == NULL) {
		if (in_list(no_ealgs, sa->ealg))
			sk_err(p, eline, "vpntund has no %s; expected one of "
			    "des-cbc, 3des-cbc, blowfish-cbc, cast128-cbc, "
			    "rijndael-cbc, aes-cbc, aes-ctr, aes-gcm-16, "
			    "null", sa->ealg);
		else
			sk_err(p, eline, "unknown encryption algorithm "
			    "\"%s\", expected one of des-cbc, 3des-cbc, "
			    "blowfish-cbc, cast128-cbc, rijndael-cbc, "
			    "aes-cbc, aes-ctr, aes-gcm-16, null", sa->ealg);
		return -1;
	}
	if (e->kmax == 0 && sa->key_len != 0) {
		sk_err(p, eline, "%s takes no key, got %zu bytes", sa->ealg,
		    sa->key_len);
		return -1;
	}
	if (sa->key_len < e->kmin || sa->key_len > e->kmax ||
	    (sa->key_len - e->kmin) % e->kstep != 0) {
		if (e->nonce != 0)
			sk_err(p, eline, "%s key of %zu bytes, expected 20, "
			    "28 or 36 (a 128-, 192- or 256-bit key and a "
			    "4-byte %s)", sa->ealg, sa->key_len,
			    strcmp(e->name, "aes-gcm") == 0 ? "salt" :
			    "nonce");
		else if (e->kmin == e->kmax)
			sk_err(p, eline, "%s key of %zu bytes (%zu bits), "
			    "expected %zu bytes (%zu bits)", sa->ealg,
			    sa->key_len, sa->key_len * 8, e->kmin,
			    e->kmin * 8);
		else if (e->kstep != 1)
			sk_err(p, eline, "%s key of %zu bytes (%zu bits), "
			    "expected 16, 24 or 32 bytes (128, 192 or 256 "
			    "bits)", sa->ealg, sa->key_len, sa->key_len * 8);
		else
			sk_err(p, eline, "%s key of %zu bytes (%zu bits), "
			    "expected %zu..%zu bytes (%zu..%zu bits)",
			    sa->ealg, sa->key_len, sa->key_len * 8, e->kmin,
			    e->kmax, e->kmin * 8, e->kmax * 8);
		return -1;
	}
	sa->cipher = e->name;
	sa->key_bits = (sa->key_len - e->nonce) * 8;
	sa->weak = e->weak;

	sa->auth = "none";
	if (sa->aalg[0] == '\0')
		return 0;
	for (i = 0; i < sizeof(aalgs) / sizeof(aalgs[0]); i++)
		if (strcmp(aalgs[i].setkey, sa->aalg) == 0)
			a = &aalgs[i];
	if (a == NULL) {
		if (in_list(no_aalgs, sa->aalg))
			sk_err(p, aline, "vpntund has no %s; expected one of "
			    "hmac-md5, hmac-sha1, hmac-sha2-256, "
			    "hmac-sha2-384, hmac-sha2-512, aes-xcbc-mac, "
			    "null", sa->aalg);
		else
			sk_err(p, aline, "unknown authentication algorithm "
			    "\"%s\", expected one of hmac-md5, hmac-sha1, "
			    "hmac-sha2-256, hmac-sha2-384, hmac-sha2-512, "
			    "aes-xcbc-mac, null", sa->aalg);
		return -1;
	}
	if (sa->auth_key_len != a->klen) {
		sk_err(p, aline, "%s key of %zu bytes (%zu bits), expected "
		    "%zu bytes (%zu bits)", sa->aalg, sa->auth_key_len,
		    sa->auth_key_len * 8, a->klen, a->klen * 8);
		return -1;
	}
	if (strcmp(e->name, "aes-gcm") == 0 && a->klen != 0) {
		sk_err(p, aline, "%s carries its own integrity check: "
		    "expected no -A with it, got -A %s", sa->ealg, sa->aalg);
		return -1;
	}
	sa->auth = a->name;
	return 0;
}

const char *
setkey_auth_name(const struct setkey_sa *sa, bool sha2_96)
{
	size_t i;

	if (sa->auth == NULL)
		return NULL;
	if (!sha2_96)
		return sa->auth;
	for (i = 0; i < sizeof(aalgs) / sizeof(aalgs[0]); i++)
		if (aalgs[i].name96 != NULL &&
		    strcmp(aalgs[i].name, sa->auth) == 0)
			return aalgs[i].name96;
	return sa->auth;
}

static int
want_word(struct sk_parser *p, struct sk_token *t, const char *what,
    const char *after)
{
	if (next(p, t) == -1)
		return -1;
	if (t->type != SK_WORD) {
		sk_err(p, t->type == SK_EOF ? p->stmt_line : t->line,
		    "expected %s after %s, got %s", what, after, describe(t));
		return -1;
	}
	return 0;
}

static int
want_number(struct sk_parser *p, const char *opt, uint64_t max,
    bool hex, uint64_t *out)
{
	struct sk_token t;

	if (want_word(p, &t, "a number", opt) == -1)
		return -1;
	if (sk_number(t.text, hex, max, out) == -1) {
		sk_err(p, t.line, "expected a number 0..%llu after %s, got %s",
		    (unsigned long long)max, opt, t.text);
		return -1;
	}
	return 0;
}

/* Skips setkey's -4, -6 and -n; the addresses say the family. */
static int
skip_family(struct sk_parser *p)
{
	struct sk_token t;

	for (;;) {
		if (peek(p, &t) == -1)
			return -1;
		if (t.type != SK_WORD || t.text[0] != '-' ||
		    strspn(t.text + 1, "46n") != strlen(t.text + 1) ||
		    t.text[1] == '\0')
			return 0;
		(void)next(p, &t);
	}
}

static const char *
proto_name(enum setkey_proto pr)
{
	static const char *const names[] = { "esp", "esp-old", "ah",
	    "ipcomp", "tcp" };

	return names[pr];
}

/* -E or -A: an algorithm name (SETKEY_ALG_MAX bytes of name) and its
 * key (SETKEY_KEY_MAX bytes of key), which null leaves out in setkey's
 * grammar; a key given to it anyway is read. */
static int
get_alg(struct sk_parser *p, const char *flag, const char *what, char *name,
    uint8_t *key, size_t *keylen, int *line)
{
	struct sk_token t;

	if (want_word(p, &t, what, flag) == -1)
		return -1;
	*line = t.line;
	snprintf(name, SETKEY_ALG_MAX, "%.*s", SETKEY_ALG_MAX - 1, t.text);
	if (peek(p, &t) == -1)
		return -1;
	if (t.type == SK_SEMI || (t.type == SK_WORD && t.text[0] == '-'))
		return 0;
	(void)next(p, &t);
	return parse_key(p, &t, name, key, keylen);
}

static int
parse_add(struct sk_parser *p, int line)
{
	struct setkey_sa *sa;
	struct sk_token t;
	uint64_t v;
	int eline = line, aline = line;

	if ((sa = sk_grow(p, (void **)&p->s->sas, &p->s->nsas, sizeof(*sa),
	    line)) == NULL)
		return -1;
	sa->line = line;
	if (skip_family(p) == -1)
		return -1;
	if (want_word(p, &t, "the source address", "add") == -1)
		return -1;
	if (sk_parse_addr(t.text, &sa->src) == -1) {
		sk_err(p, t.line, "expected the source address after add, "
		    "got %s", t.text);
		return -1;
	}
	if (want_word(p, &t, "the destination address", t.text) == -1)
		return -1;
	if (sk_parse_addr(t.text, &sa->dst) == -1) {
		sk_err(p, t.line, "expected the destination address, got %s",
		    t.text);
		return -1;
	}
	if (sa->src.af != sa->dst.af) {
		sk_err(p, t.line, "the source and destination addresses are "
		    "of two families");
		return -1;
	}
	if (want_word(p, &t, "a protocol (esp, esp-old, ah, ipcomp, tcp)",
	    "the addresses") == -1)
		return -1;
	if (strcmp(t.text, "esp") == 0)
		sa->proto = SETKEY_ESP;
	else if (strcmp(t.text, "esp-old") == 0)
		sa->proto = SETKEY_ESP_OLD;
	else if (strcmp(t.text, "ah") == 0 || strcmp(t.text, "ah-old") == 0)
		sa->proto = SETKEY_AH;
	else if (strcmp(t.text, "ipcomp") == 0)
		sa->proto = SETKEY_IPCOMP;
	else if (strcmp(t.text, "tcp") == 0)
		sa->proto = SETKEY_TCP;
	else {
		sk_err(p, t.line, "expected a protocol (esp, esp-old, ah, "
		    "ipcomp, tcp), got %s", t.text);
		return -1;
	}
	if (want_word(p, &t, "the SPI", proto_name(sa->proto)) == -1)
		return -1;
	if (sk_number(t.text, true, UINT32_MAX, &v) == -1) {
		sk_err(p, t.line, "expected the SPI as a number "
		    "0..4294967295, got %s", t.text);
		return -1;
	}
	sa->spi = (uint32_t)v;

	for (;;) {
		if (next(p, &t) == -1)
			return -1;
		if (t.type == SK_SEMI)
			break;
		if (t.type != SK_WORD) {
			sk_err(p, t.type == SK_EOF ? line : t.line, "expected "
			    "an option of add (-m, -r, -u, -f, -lh, -ls, -bh, "
			    "-bs, -E, -A, -C) or \";\", got %s", describe(&t));
			return -1;
		}
		if (strcmp(t.text, "-m") == 0) {
			if (want_word(p, &t, "transport, tunnel or any",
			    "-m") == -1)
				return -1;
			if (strcmp(t.text, "transport") == 0)
				sa->mode = SETKEY_MODE_TRANSPORT;
			else if (strcmp(t.text, "tunnel") == 0)
				sa->mode = SETKEY_MODE_TUNNEL;
			else if (strcmp(t.text, "any") == 0)
				sa->mode = SETKEY_MODE_ANY;
			else {
				sk_err(p, t.line, "expected transport, tunnel "
				    "or any after -m, got %s", t.text);
				return -1;
			}
		} else if (strcmp(t.text, "-r") == 0) {
			if (want_number(p, "-r", UINT32_MAX, false, &v) == -1)
				return -1;
			sa->replay = (uint32_t)v;
		} else if (strcmp(t.text, "-u") == 0) {
			if (want_number(p, "-u", 0x3fff, false, &v) == -1)
				return -1;
			sa->reqid = (uint32_t)v;
		} else if (strcmp(t.text, "-f") == 0) {
			if (want_word(p, &t, "zero-pad, random-pad, seq-pad "
			    "or nocyclic-seq", "-f") == -1)
				return -1;
			if (strcmp(t.text, "zero-pad") == 0)
				sa->pad = SETKEY_PAD_ZERO;
			else if (strcmp(t.text, "random-pad") == 0)
				sa->pad = SETKEY_PAD_RANDOM;
			else if (strcmp(t.text, "seq-pad") == 0)
				sa->pad = SETKEY_PAD_SEQ;
			else if (strcmp(t.text, "nocyclic-seq") == 0) {
				sa->nocyclic = true;
				continue;
			} else {
				sk_err(p, t.line, "expected zero-pad, "
				    "random-pad, seq-pad or nocyclic-seq after "
				    "-f, got %s", t.text);
				return -1;
			}
			sa->pad_given = true;
		} else if (strcmp(t.text, "-lh") == 0) {
			if (want_number(p, "-lh", UINT64_MAX, false,
			    &sa->life_time) == -1)
				return -1;
		} else if (strcmp(t.text, "-ls") == 0) {
			if (want_number(p, "-ls", UINT64_MAX, false,
			    &sa->life_time_soft) == -1)
				return -1;
		} else if (strcmp(t.text, "-bh") == 0) {
			if (want_number(p, "-bh", UINT64_MAX, false,
			    &sa->life_bytes) == -1)
				return -1;
		} else if (strcmp(t.text, "-bs") == 0) {
			if (want_number(p, "-bs", UINT64_MAX, false,
			    &sa->life_bytes_soft) == -1)
				return -1;
		} else if (strcmp(t.text, "-E") == 0) {
			if (get_alg(p, "-E", "an encryption algorithm", sa->ealg,
			    sa->key, &sa->key_len, &eline) == -1)
				return -1;
		} else if (strcmp(t.text, "-A") == 0) {
			if (get_alg(p, "-A", "an authentication algorithm",
			    sa->aalg, sa->auth_key, &sa->auth_key_len, &aline) == -1)
				return -1;
		} else if (strcmp(t.text, "-C") == 0) {
			if (want_word(p, &t, "a compression algorithm",
			    "-C") == -1)
				return -1;
			snprintf(sa->calg, sizeof(sa->calg), "%.*s",
			    (int)sizeof(sa->calg) - 1, t.text);
			if (peek(p, &t) == -1)
				return -1;
			if (t.type == SK_WORD && strcmp(t.text, "-R") == 0)
				(void)next(p, &t);
		} else {
			sk_err(p, t.line, "expected an option of add (-m, -r, "
			    "-u, -f, -lh, -ls, -bh, -bs, -E, -A, -C) or "
			    "\";\", got %s", t.text);
			return -1;
		}
	}

	if (sa->proto != SETKEY_ESP)
		return sk_note(p, line, "add ... %s 0x%x: not carried over "
		    "(vpntund speaks ESP, RFC 4303, only)",
		    proto_name(sa->proto), sa->spi);
	if (map_esp(p, sa, eline, aline) == -1)
		return -1;
	if (sa->calg[0] != '\0' && sk_note(p, line, "-C %s: not carried "
	    "over (vpntund does not compress)", sa->calg) == -1)
		return -1;
	if (sa->nocyclic && sk_note(p, line, "-f nocyclic-seq: not carried "
	    "over (vpntund never wraps its sequence numbers: an SA stops "
	    "at its last)") == -1)
		return -1;
	if ((sa->life_time != 0 || sa->life_time_soft != 0) &&
	    sk_note(p, line, "-lh/-ls: not carried over (vpntund's "
	    "lifetimes count bytes and packets, not seconds)") == -1)
		return -1;
	if (sa->reqid != 0 && sk_note(p, line, "-u %u: not carried over "
	    "(vpntund has one SA each way per peer)", sa->reqid) == -1)
		return -1;
	return 0;
}

static const struct {
	const char *name;
	int         num;
} upper[] = {
	{ "any", -1 }, { "icmp", 1 }, { "igmp", 2 }, { "ipencap", 4 },
	{ "ip4", 4 }, { "ipv4", 4 }, { "tcp", 6 }, { "udp", 17 },
	{ "ipv6", 41 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
	{ "icmp6", 58 }, { "ipv6-icmp", 58 }, { "ospf", 89 },
	{ "ipcomp", 108 }, { "sctp", 132 },
};

/* proto/mode/src-dst/level */
static int
parse_request(struct sk_parser *p, const struct sk_token *t,
    struct setkey_policy *pol)
{
	char buf[SK_TOKEN_MAX], *f[5], *s, *dash;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", t->text);
	for (s = buf; n < 5; n++) {
		f[n] = s;
		if ((s = strchr(s, '/')) == NULL) {
			n++;
			break;
		}
		*s++ = '\0';
	}
	if (n < 3 || n > 4 || s != NULL)
		goto bad;
	if (strcmp(f[0], "esp") == 0)
		pol->req_proto = SETKEY_ESP;
	else if (strcmp(f[0], "ah") == 0)
		pol->req_proto = SETKEY_AH;
	else if (strcmp(f[0], "ipcomp") == 0)
		pol->req_proto = SETKEY_IPCOMP;
	else
		goto bad;
	if (strcmp(f[1], "tunnel") == 0)
		pol->mode = SETKEY_MODE_TUNNEL;
	else if (strcmp(f[1], "transport") == 0)
		pol->mode = SETKEY_MODE_TRANSPORT;
	else
		goto bad;
	snprintf(pol->level, sizeof(pol->level), "%s",
	    n == 4 && f[3][0] != '\0' ? f[3] : "default");
	if (strcmp(pol->level, "require") != 0 &&
	    strcmp(pol->level, "use") != 0 &&
	    strcmp(pol->level, "default") != 0 &&
	    strncmp(pol->level, "unique", 6) != 0)
		goto bad;
	if (pol->mode == SETKEY_MODE_TRANSPORT) {
		if (f[2][0] != '\0')
			goto bad;
		return 0;
	}
	/* Ports on the endpoints (NAT-T) are vpntund's own business. */
	if ((dash = strchr(f[2], '-')) == NULL)
		goto bad;
	*dash = '\0';
	if ((s = strchr(f[2], '[')) != NULL)
		*s = '\0';
	if ((s = strchr(dash + 1, '[')) != NULL)
		*s = '\0';
	if (sk_parse_addr(f[2], &pol->tsrc) == -1 ||
	    sk_parse_addr(dash + 1, &pol->tdst) == -1) {
		sk_err(p, t->line, "expected the tunnel's endpoints as "
		    "esp/tunnel/A-B/require with two addresses, got %s",
		    t->text);
		return -1;
	}
	return 0;
bad:
	sk_err(p, t->line, "expected a request such as "
	    "esp/tunnel/A-B/require or esp/transport//require, got %s",
	    t->text);
	return -1;
}

static int
parse_spdadd(struct sk_parser *p, int line)
{
	struct setkey_policy *pol;
	struct sk_token t;
	uint64_t v;
	size_t i;
	int nreq = 0;

	if ((pol = sk_grow(p, (void **)&p->s->policies, &p->s->npolicies,
	    sizeof(*pol), line)) == NULL)
		return -1;
	pol->line = line;
	if (skip_family(p) == -1)
		return -1;
	if (want_word(p, &t, "the source range", "spdadd") == -1 ||
	    parse_range(p, &t, "the source range", &pol->src,
	    &pol->sport) == -1)
		return -1;
	if (want_word(p, &t, "the destination range", "the source") == -1 ||
	    parse_range(p, &t, "the destination range", &pol->dst,
	    &pol->dport) == -1)
		return -1;
	if (pol->src.af != pol->dst.af) {
		sk_err(p, t.line, "the source and destination ranges are of "
		    "two families");
		return -1;
	}
	if (want_word(p, &t, "an upper-layer protocol (any, icmp, tcp, "
	    "udp, ipencap, a number ...)", "the ranges") == -1)
		return -1;
	snprintf(pol->proto_name, sizeof(pol->proto_name), "%.*s",
	    (int)sizeof(pol->proto_name) - 1, t.text);
	pol->proto = -2;
	for (i = 0; i < sizeof(upper) / sizeof(upper[0]); i++)
		if (strcmp(upper[i].name, t.text) == 0)
			pol->proto = upper[i].num;
	if (pol->proto == -2) {
		if (sk_number(t.text, false, 255, &v) == -1) {
			sk_err(p, t.line, "expected an upper-layer protocol "
			    "(any, icmp, tcp, udp, ipencap, a number 0..255 "
			    "...), got %s", t.text);
			return -1;
		}
		pol->proto = (int)v;
	}
	if (want_word(p, &t, "-P", pol->proto_name) == -1)
		return -1;
	/* icmp and icmp6 may name a type and code */
	if (strcmp(t.text, "-P") != 0 && (pol->proto == 1 ||
	    pol->proto == 58) && strspn(t.text, "0123456789,") ==
	    strlen(t.text)) {
		snprintf(pol->proto_name + strlen(pol->proto_name),
		    sizeof(pol->proto_name) - strlen(pol->proto_name), " %s",
		    t.text);
		if (want_word(p, &t, "-P", "the ICMP type") == -1)
			return -1;
	}
	if (strcmp(t.text, "-P") != 0) {
		sk_err(p, t.line, "expected -P after the upper-layer "
		    "protocol, got %s", t.text);
		return -1;
	}
	if (want_word(p, &t, "in, out or fwd", "-P") == -1)
		return -1;
	if (strcmp(t.text, "in") == 0)
		pol->dir = SETKEY_DIR_IN;
	else if (strcmp(t.text, "out") == 0)
		pol->dir = SETKEY_DIR_OUT;
	else if (strcmp(t.text, "fwd") == 0)
		pol->dir = SETKEY_DIR_FWD;
	else {
		sk_err(p, t.line, "expected in, out or fwd after -P, got %s",
		    t.text);
		return -1;
	}
	if (want_word(p, &t, "a policy (ipsec, none, discard, entrust, "
	    "bypass)", "the direction") == -1)
		return -1;
	if (strcmp(t.text, "prio") == 0 || strcmp(t.text, "priority") == 0) {
		if (want_word(p, &t, "a priority", "prio") == -1)
			return -1;
		if (want_word(p, &t, "a policy", "the priority") == -1)
			return -1;
		if (strcmp(t.text, "+") == 0 || strcmp(t.text, "-") == 0) {
			if (want_word(p, &t, "an offset", "the priority") ==
			    -1 || want_word(p, &t, "a policy",
			    "the priority") == -1)
				return -1;
		}
		if (sk_note(p, line, "the policy's priority: not carried over "
		    "(vpntund orders policies by prefix length)") == -1)
			return -1;
	}
	if (strcmp(t.text, "none") == 0)
		pol->action = SETKEY_NONE;
	else if (strcmp(t.text, "discard") == 0)
		pol->action = SETKEY_DISCARD;
	else if (strcmp(t.text, "entrust") == 0)
		pol->action = SETKEY_ENTRUST;
	else if (strcmp(t.text, "bypass") == 0)
		pol->action = SETKEY_BYPASS;
	else if (strcmp(t.text, "ipsec") == 0)
		pol->action = SETKEY_IPSEC;
	else {
		sk_err(p, t.line, "expected a policy (ipsec, none, discard, "
		    "entrust, bypass), got %s", t.text);
		return -1;
	}
	if (pol->action != SETKEY_IPSEC)
		return expect_semi(p, line, t.text);
	for (;;) {
		if (next(p, &t) == -1)
			return -1;
		if (t.type == SK_SEMI)
			break;
		if (t.type != SK_WORD) {
			sk_err(p, t.type == SK_EOF ? line : t.line, "expected "
			    "a request such as esp/tunnel/A-B/require, got %s",
			    describe(&t));
			return -1;
		}
		if (nreq++ == 0) {
			if (parse_request(p, &t, pol) == -1)
				return -1;
		} else if (sk_note(p, t.line, "request %s: not carried over "
		    "(vpntund applies ESP once)", t.text) == -1)
			return -1;
	}
	if (nreq == 0) {
		sk_err(p, line, "expected a request after ipsec, such as "
		    "esp/tunnel/A-B/require");
		return -1;
	}
	return 0;
}

static int
parse_statements(struct sk_parser *p)
{
	struct sk_token t;

	for (;;) {
		if (next(p, &t) == -1)
			return -1;
		if (t.type == SK_EOF)
			return 0;
		if (t.type == SK_SEMI)
			continue;       /* an empty statement */
		if (t.type != SK_WORD)
			goto bad;
		p->stmt_line = t.line;
		if (strcmp(t.text, "add") == 0) {
			if (parse_add(p, t.line) == -1)
				return -1;
		} else if (strcmp(t.text, "spdadd") == 0) {
			if (parse_spdadd(p, t.line) == -1)
				return -1;
		} else if (strcmp(t.text, "flush") == 0 ||
		    strcmp(t.text, "spdflush") == 0 ||
		    strcmp(t.text, "delete") == 0 ||
		    strcmp(t.text, "deleteall") == 0 ||
		    strcmp(t.text, "spddelete") == 0 ||
		    strcmp(t.text, "get") == 0 ||
		    strcmp(t.text, "dump") == 0 ||
		    strcmp(t.text, "spddump") == 0 ||
		    strcmp(t.text, "update") == 0 ||
		    strcmp(t.text, "spdupdate") == 0) {
			if (skip_statement(p, t.line) == -1 ||
			    sk_note(p, t.line, "%s: not carried over "
			    "(vpntund starts with exactly the SAs and "
			    "policies of site.conf)", t.text) == -1)
				return -1;
		} else
			goto bad;
	}
bad:
	sk_err(p, t.line, "expected a setkey statement (add, spdadd, "
	    "delete, deleteall, flush, spdflush, get, dump), got %s",
	    describe(&t));
	return -1;
}

/* The shell's notes were taken before the here-documents': in the
 * order of the file, stably (insertion sort; notes are few). */
static void
sort_notes(struct setkey_script *s)
{
	struct setkey_note t;
	size_t i, j;

	for (i = 1; i < s->nnotes; i++) {
		t = s->notes[i];
		for (j = i; j > 0 && s->notes[j - 1].line > t.line; j--)
			s->notes[j] = s->notes[j - 1];
		s->notes[j] = t;
	}
}

void
setkey_free(struct setkey_script *s)
{
	if (s->sas != NULL)
		OPENSSL_cleanse(s->sas, s->nsas * sizeof(*s->sas));
	free(s->sas);
	free(s->policies);
	free(s->gifs);
	free(s->routes);
	free(s->notes);
	memset(s, 0, sizeof(*s));
}

int
setkey_parse_string(const char *name, const char *text,
    struct setkey_script *s, struct conf_error *err)
{
	struct sk_parser p;
	char *buf = NULL;
	size_t len = strlen(text);
	int rv = -1;

	memset(s, 0, sizeof(*s));
	memset(&p, 0, sizeof(p));
	snprintf(s->name, sizeof(s->name), "%s", name);
	p.name = s->name;
	p.s = s;
	p.err = err;
	p.line = 1;
	if (sk_shell_is_script(text)) {
		/* The here-documents' lines, the rest blanked, so that
		 * every line keeps its number. */
		if ((buf = malloc(len + 1)) == NULL) {
			sk_err(&p, 1, "out of memory");
			goto out;
		}
		s->shell = true;
		if (sk_shell_extract(&p, text, buf) == -1)
			goto out;
		p.text = buf;
	} else
		p.text = text;
	p.len = strlen(p.text);
	if (parse_statements(&p) == -1)
		goto out;
	sort_notes(s);
	rv = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len + 1);
		free(buf);
	}
	if (rv == -1)
		setkey_free(s);
	return rv;
}

int
setkey_parse(const char *path, struct setkey_script *s,
    struct conf_error *err)
{
	struct stat st = { 0 };
	char *buf;
	size_t len;
	int fd, rv;

	memset(s, 0, sizeof(*s));
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > SETKEY_FILE_MAX) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "larger than 4 MiB");
		close(fd);
		return -1;
	}
	if (file_read_whole(fd, (size_t)st.st_size, &buf, &len) == -1) {
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
		    errno == ENOMEM ? "out of memory" : strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (strlen(buf) != len) {
		snprintf(err->msg, sizeof(err->msg), "%s: a NUL byte: not a "
		    "text file", path);
		rv = -1;
	} else
		rv = setkey_parse_string(path, buf, s, err);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rv;
}

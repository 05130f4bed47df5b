/* The SAs of vpntunctl decrypt-pcap (see decrypt_sa.h). */
#include "src/decrypt_sa.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/setkey.h"
#include "crypto/crypto.h"
#include "src/engine/keying.h"

static void
seterr(struct conf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seterr(struct conf_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static struct dsa *
dsa_new(struct dsa_set *s, struct conf_error *err)
{
	struct dsa *v;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap == 0 ? 8 : s->cap * 2;
		if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL) {
			seterr(err, "vpntunctl: %s", strerror(errno));
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	v = &s->v[s->n];
	memset(v, 0, sizeof(*v));
	v->order = s->n;
	return v;
}

/* One SA of a peer as the daemon sets it up (src/datapath/sa_out.c):
 * the one place that knows which fields of peer_conf make an SA. */
struct sa_desc {
	const char            *dir;
	const char            *kind;    /* "" or " tap" */
	uint32_t               spi;
	const struct sa_suite *suite;
	struct sa_keys        *keys;
};

static size_t
peer_sas(const struct peer_conf *pc, struct sa_desc d[4])
{
	size_t n = 0;

	d[n++] = (struct sa_desc){ "in", "", pc->spi_in, &pc->suite_in,
	    pc->key_in };
	d[n++] = (struct sa_desc){ "out", "", pc->spi_out, &pc->suite_out,
	    pc->key_out };
	if (pc->tap_sa) {
		d[n++] = (struct sa_desc){ "in", " tap", pc->tap_spi_in,
		    &pc->suite_in, pc->tap_key_in };
		d[n++] = (struct sa_desc){ "out", " tap", pc->tap_spi_out,
		    &pc->suite_out, pc->tap_key_out };
	}
	return n;
}

/* Keys d from the key file's block with the daemon's own keying (epoch
 * 0, the base SPI: manual keying), for decryption whichever way the SA
 * goes, with the peer's padding check and its replay window (which
 * decrypt-pcap never lets refuse a packet). sa_root_key wipes the
 * block. */
static int
key_peer_sa(struct dsa *d, const struct peer_conf *pc,
    const struct sa_desc *sd)
{
	struct sa_root r;
	int rc;

	if (sd->keys == NULL ||
	    sa_root_init(&r, pc, sd->suite, sd->keys, sd->spi, false) == -1)
		return -1;
	rc = sa_root_key(&r, 0, false, &d->esp);
	sa_root_wipe(&r);
	return rc;
}

int
dsa_add_config(struct dsa_set *s, const char *path, bool skip_icv,
    struct conf_error *err)
{
	struct config cf;
	struct sa_desc sd[4];
	struct dsa *d;
	size_t i, j, n;
	int rc = 0;

	if (config_load(path, &cf, err) == -1)
		return -1;
	for (i = 0; i < cf.npeers && rc == 0; i++) {
		const struct peer_conf *pc = &cf.peers[i];

		if (pc->keying != KEYING_MANUAL) {
			fprintf(stderr, "vpntunctl: decrypt-pcap: %s:%d: peer "
			    "\"%s\" skipped: keying derived draws new keys "
			    "for every start and key epoch, which the key "
			    "file alone does not give (site.conf(5), KEYING "
			    "AND RESTARTS)\n", path, pc->line, pc->name);
			continue;
		}
		n = peer_sas(pc, sd);
		for (j = 0; j < n && rc == 0; j++) {
			if ((d = dsa_new(s, err)) == NULL) {
				rc = -1;
				break;
			}
			d->spi = sd[j].spi;
			d->dir = sd[j].dir;
			d->skip_icv = skip_icv &&
			    !cipher_is_aead(sd[j].suite->cipher);
			snprintf(d->from, sizeof(d->from), "peer \"%s\"%s",
			    pc->name, sd[j].kind);
			if (key_peer_sa(d, pc, &sd[j]) == -1) {
				seterr(err, "%s:%d: peer \"%s\": cannot key "
				    "its %s%s SA 0x%08x", path, pc->line,
				    pc->name, sd[j].dir, sd[j].kind,
				    sd[j].spi);
				rc = -1;
				break;
			}
			s->n++;
		}
	}
	config_free(&cf);
	return rc;
}

/* The auths a setkey SA may mean: hmac-sha2-* were truncated to 96
 * bits by KAME before RFC 4868, and a script does not say which its
 * peer does, so both are tried. */
static size_t
setkey_auths(const struct setkey_sa *sa, const char *names[2])
{
	size_t n = 0;

	names[n++] = setkey_auth_name(sa, false);
	if (strcmp(setkey_auth_name(sa, true), names[0]) != 0)
		names[n++] = setkey_auth_name(sa, true);
	return n;
}

/* Keys d as the setkey SA sa with the auth named an (ESP, a cipher
 * vpntund has: the reader checked the key lengths). */
static int
key_setkey_sa(struct dsa *d, const struct setkey_sa *sa, const char *an,
    bool skip_icv, const char *path, struct conf_error *err)
{
	const struct cipher_info *ci = cipher_by_name(sa->cipher);
	const struct auth_info *ai = auth_by_name(an);
	uint8_t akey[CRYPTO_AUTHKEY_MAX];
	int rc = -1;

	if (ci == NULL || ai == NULL || sa->auth_key_len > sizeof(akey) ||
	    ai->key_len > sizeof(akey)) {
		seterr(err, "%s:%d: SA 0x%08x: %s/%s is not a suite vpntund "
		    "has", path, sa->line, sa->spi, sa->cipher, an);
		return -1;
	}
	/* HMAC pads a key shorter than its block with zeros (RFC 2104
	 * 2): a short key is the same as itself padded to the table's
	 * length, a longer one is another key. */
	if (sa->auth_key_len > ai->key_len) {
		seterr(err, "%s:%d: SA 0x%08x: an auth key of %zu bytes, %s "
		    "takes %zu", path, sa->line, sa->spi, sa->auth_key_len,
		    ai->name, ai->key_len);
		return -1;
	}
	memset(akey, 0, sizeof(akey));
	memcpy(akey, sa->auth_key, sa->auth_key_len);
	d->spi = sa->spi;
	d->dir = "-";
	d->skip_icv = skip_icv && !cipher_is_aead(ci);
	d->esp.spi = sa->spi;
	/* -f: what the KAME sender puts in its padding. */
	d->esp.padding = sa->pad == SETKEY_PAD_ZERO ? ESP_PAD_ZERO :
	    sa->pad == SETKEY_PAD_RANDOM ? ESP_PAD_ANY : ESP_PAD_STRICT;
	d->esp.crypto = sa_crypto_new(ci, sa->key, sa->key_len, ai,
	    ai->key_len > 0 ? akey : NULL, ai->key_len, false);
	crypto_wipe(akey, sizeof(akey));
	if (d->esp.crypto == NULL)
		seterr(err, "%s:%d: SA 0x%08x: cannot key %s/%s", path,
		    sa->line, sa->spi, ci->name, ai->name);
	else if (replay_init(&d->esp.replay, REPLAY_WINDOW_MAX, false) ==
	    -1) {
		seterr(err, "%s:%d: no memory", path, sa->line);
		esp_sa_clear(&d->esp);
	} else
		rc = 0;
	return rc;
}

int
dsa_add_setkey(struct dsa_set *s, const char *path, bool skip_icv,
    struct conf_error *err)
{
	struct setkey_script sk;
	const char *auths[2];
	struct dsa *d;
	size_t i, j, na;
	int rc = 0;

	if (setkey_parse(path, &sk, err) == -1)
		return -1;
	for (i = 0; i < sk.nsas && rc == 0; i++) {
		const struct setkey_sa *sa = &sk.sas[i];

		if (sa->proto != SETKEY_ESP || sa->cipher == NULL) {
			fprintf(stderr, "vpntunctl: decrypt-pcap: %s:%d: SA "
			    "0x%08x skipped: not ESP (RFC 4303)\n", path,
			    sa->line, sa->spi);
			continue;
		}
		na = setkey_auths(sa, auths);
		for (j = 0; j < na; j++) {
			if ((d = dsa_new(s, err)) == NULL ||
			    key_setkey_sa(d, sa, auths[j], skip_icv, path,
			    err) == -1) {
				rc = -1;
				break;
			}
			snprintf(d->from, sizeof(d->from), "%s:%d%s%s", path,
			    sa->line, na > 1 ? " " : "", na > 1 ? auths[j] :
			    "");
			s->n++;
		}
	}
	setkey_free(&sk);
	return rc;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, uint8_t *buf, size_t max, size_t *len)
{
	return hex_decode_empty(s, buf, max, len, false);
}

int
hex_decode_empty(const char *s, uint8_t *buf, size_t max, size_t *len,
    bool empty_ok)
{
	size_t n = 0;
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s != '\0') {
		if ((hi = hexval((unsigned char)s[0])) < 0 ||
		    (lo = hexval((unsigned char)s[1])) < 0 || n == max) {
			crypto_wipe(buf, max);
			return -1;
		}
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*len = n;
	return n > 0 || empty_ok ? 0 : -1;
}

static int
parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (s[0] == '-' || s[0] == '+' || s[0] == '\0')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* A BITS field: decimal, short; a key in hex is at least 10 digits. */
static bool
is_bits(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 4)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

#define SPEC_FIELDS 6

/* The suite and keys of a spec's fields (after SPI), checked. */
static int
spec_key(struct dsa *d, char **f, size_t nf, const struct dsa_spec_opts *o,
    struct conf_error *err)
{
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX];
	uint8_t akey[CRYPTO_AUTHKEY_MAX];
	const struct cipher_info *ci;
	const struct auth_info *ai;
	size_t klen = 0, alen = 0, i = 1, bits = 0;
	int rc = -1;

	if ((ci = cipher_by_name(f[0])) == NULL) {
		seterr(err, "vpntunctl: --sa 0x%08x: unknown cipher %s",
		    d->spi, f[0]);
		return -1;
	}
	if (nf > 2 && is_bits(f[1])) {
		bits = strtoul(f[1], NULL, 10);
		i++;
	}
	/* A cipher without a key (null) takes an empty KEYHEX. */
	if (i >= nf || hex_decode_empty(f[i], key, sizeof(key), &klen,
	    cipher_key_len_ok(ci, 0) && ci->salt_len == 0) == -1) {
		seterr(err, "vpntunctl: --sa 0x%08x: expected the key in "
		    "hex, up to %zu bytes", d->spi, sizeof(key));
		goto out;
	}
	i++;
	ai = auth_by_name(i < nf ? f[i] : "none");
	if (ai == NULL) {
		seterr(err, "vpntunctl: --sa 0x%08x: unknown auth %s", d->spi,
		    f[i]);
		goto out;
	}
	if (klen < ci->salt_len || !cipher_key_len_ok(ci,
	    klen - ci->salt_len) ||
	    (bits != 0 && bits != (klen - ci->salt_len) * 8)) {
		seterr(err, "vpntunctl: --sa 0x%08x: a key of %zu bytes does "
		    "not fit %s%s%s", d->spi, klen, ci->name,
		    ci->salt_len == 0 ? "" : cipher_is_aead(ci) ?
		    " (key and 4-byte salt)" : " (key and 4-byte nonce)",
		    bits != 0 ? " of that many bits" : "");
		goto out;
	}
	if (cipher_is_aead(ci) && ai->key_len > 0) {
		seterr(err, "vpntunctl: --sa 0x%08x: %s authenticates "
		    "itself: no auth", d->spi, ci->name);
		goto out;
	}
	if (i + 1 < nf) {
		if (hex_decode(f[i + 1], akey, sizeof(akey), &alen) == -1 ||
		    alen != ai->key_len) {
			seterr(err, "vpntunctl: --sa 0x%08x: %s needs a key "
			    "of %zu bytes in hex", d->spi, ai->name,
			    ai->key_len);
			goto out;
		}
	} else if (ai->key_len > 0) {
		if (!o->skip_icv) {
			seterr(err, "vpntunctl: --sa 0x%08x: %s without its "
			    "key: give it, or --skip-icv", d->spi, ai->name);
			goto out;
		}
		/* Never checked: any key of the right size will do. */
		memset(akey, 0, ai->key_len);
		alen = ai->key_len;
	}
	d->skip_icv = o->skip_icv && !cipher_is_aead(ci);
	d->esp.spi = d->spi;
	d->esp.esn = o->esn;
	d->esp.padding = o->pad;
	d->esp.crypto = sa_crypto_new(ci, key, klen, ai,
	    alen > 0 ? akey : NULL, alen, false);
	if (d->esp.crypto == NULL) {
		seterr(err, "vpntunctl: --sa 0x%08x: cannot key %s/%s",
		    d->spi, ci->name, ai->name);
		goto out;
	}
	if (replay_init(&d->esp.replay, REPLAY_WINDOW_MAX, o->esn) == -1) {
		seterr(err, "vpntunctl: --sa 0x%08x: no memory", d->spi);
		esp_sa_clear(&d->esp);
		goto out;
	}
	rc = 0;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(akey, sizeof(akey));
	return rc;
}

int
dsa_add_spec(struct dsa_set *s, const char *spec,
    const struct dsa_spec_opts *o, struct conf_error *err)
{
	char *copy, *p, *f[SPEC_FIELDS + 1];
	size_t nf = 0;
	struct dsa *d;
	int rc = -1;

	if ((d = dsa_new(s, err)) == NULL)
		return -1;
	if ((copy = strdup(spec)) == NULL) {
		seterr(err, "vpntunctl: %s", strerror(errno));
		return -1;
	}
	p = copy;
	while (p != NULL && nf < SPEC_FIELDS + 1)
		f[nf++] = strsep(&p, ":");
	if (nf < 3 || nf > SPEC_FIELDS || parse_u32(f[0], &d->spi) == -1 ||
	    d->spi == 0) {
		seterr(err, "vpntunctl: --sa: expected SPI:CIPHER[:BITS]:"
		    "KEYHEX[:AUTH[:AUTHKEYHEX]], SPI a number above 0");
		goto out;
	}
	d->dir = "-";
	snprintf(d->from, sizeof(d->from), "--sa");
	if (spec_key(d, f + 1, nf - 1, o, err) == -1)
		goto out;
	s->n++;
	rc = 0;
out:
	crypto_wipe(copy, strlen(spec));
	free(copy);
	return rc;
}

static int
cmp_spi(const void *a, const void *b)
{
	const struct dsa *x = a, *y = b;

	if (x->spi != y->spi)
		return x->spi < y->spi ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void
dsa_sort(struct dsa_set *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_spi);
}

struct dsa *
dsa_find(struct dsa_set *s, uint32_t spi, size_t *n)
{
	size_t lo = 0, hi = s->n, mid, k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid].spi < spi)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < s->n && s->v[k].spi == spi; k++)
		;
	*n = k - lo;
	return *n > 0 ? &s->v[lo] : NULL;
}

static size_t
seen_slot(const struct dsa_seen *t, uint64_t seq)
{
	/* Fibonacci hashing: sequence numbers are consecutive. */
	return (size_t)((seq * 0x9e3779b97f4a7c15ULL) >> 17) &
	    (t->size - 1);
}

static bool
seen_put(struct dsa_seen *t, uint64_t seq)
{
	size_t i = seen_slot(t, seq);

	while (t->slot[i] != 0) {
		if (t->slot[i] == seq)
			return true;
		i = (i + 1) & (t->size - 1);
	}
	t->slot[i] = seq;
	t->n++;
	return false;
}

int
dsa_seen(struct dsa *d, uint64_t seq)
{
	struct dsa_seen *t = &d->seen, old = d->seen;
	size_t i;

	if (seq == 0)
		return 0;
	if ((t->n + 1) * 2 > t->size) {
		t->size = old.size == 0 ? 1024 : old.size * 2;
		t->n = 0;
		if ((t->slot = calloc(t->size, sizeof(*t->slot))) == NULL) {
			*t = old;
			return -1;
		}
		for (i = 0; i < old.size; i++)
			if (old.slot[i] != 0)
				seen_put(t, old.slot[i]);
		free(old.slot);
	}
	return seen_put(t, seq) ? 1 : 0;
}

void
dsa_free(struct dsa_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		esp_sa_clear(&s->v[i].esp);
		free(s->v[i].seen.slot);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

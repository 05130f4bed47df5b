/* Fuzzes the site.conf parser (config_load_string): the input is the text
 * of a config. Key files and includes resolve in a private temp dir made
 * once, holding key files of every length a suite can ask for
 * ("k<bytes>.key", e.g. k128.key for blowfish-256 + hmac-sha256-128, and
 * a second set "k<bytes>-2.key" of other bytes, since every SA needs its
 * own key; "s<bytes>.key" and "s<bytes>-2.key" of one block for `sa in`
 * and `sa out`, e.g. s44.key for 3des-cbc + hmac-sha1-96;
 * keys/physician1.key as in conf/examples and keys/tap.key), a
 * few bad ones (same.key's two blocks are equal; fifo.key and fifo.conf
 * are FIFOs, which must be refused, not waited on), and files to
 * include. Hook scripts are system files (/bin/true, /etc/passwd). A
 * loaded config is checked against site.conf(5) "CHECKS" and freed;
 * ASan's leak check catches anything left allocated. */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "tests/fuzz/fuzz.h"

static char tdir[64];
static bool verbose;                    /* VPNTUND_FUZZ_VERBOSE set */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	if (tdir[0] != '\0')
		nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *name, const char *text, size_t len, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd != -1);
	FUZZ_CHECK(write(fd, text, len) == (ssize_t)len);
	FUZZ_CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static void
put_str(const char *name, const char *text, mode_t mode)
{
	put(name, text, strlen(text), mode);
}

/* A key file of n bytes: hex, two lines, a comment, as people write it.
 * Files of one length and another seed share no key. */
static void
put_key_seeded(const char *name, size_t n, unsigned seed)
{
	char text[2 * 2 * 200 + 64];
	size_t i, o;

	o = (size_t)snprintf(text, sizeof(text), "# %zu bytes\n", n);
	for (i = 0; i < n && o + 4 < sizeof(text); i++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%02x",
		    (unsigned)(i * 37 + n + seed) & 0xff);
		if (i + 1 == n / 2)
			text[o++] = '\n';
	}
	text[o++] = '\n';
	put(name, text, o, 0600);
}

static void
put_key(const char *name, size_t n)
{
	put_key_seeded(name, n, 0);
}

static void
init_once(void)
{
	static const char *const ciphers[] = { "blowfish-cbc", "3des-cbc",
	    "aes-cbc", "aes-gcm", "chacha20-poly1305", "des-cbc",
	    "cast128-cbc", "aes-ctr", "null" };
	static const char *const auths[] = { "none", "hmac-md5-96",
	    "hmac-sha1-96", "hmac-sha256-128", "hmac-sha384-192",
	    "hmac-sha512-256", "aes-xcbc-mac-96" };
	static const char nul[] = "a = 10.0.0.0/8\n\0b = 1\n";
	static bool done;
	bool have[512] = { false }, have_one[256] = { false };
	char name[32], path[PATH_MAX];
	size_t c, a, k, n;

	if (done)
		return;
	done = true;
	verbose = getenv("VPNTUND_FUZZ_VERBOSE") != NULL;
	log_init("fuzz_conf", LOG_LVL_ERR, false);
	snprintf(tdir, sizeof(tdir), "/tmp/vpntund-fuzz-conf-XXXXXX");
	FUZZ_CHECK(mkdtemp(tdir) != NULL);
	atexit(cleanup);

	/* Every length a suite can ask for: 2 x (key + salt + auth key). */
	for (c = 0; c < sizeof(ciphers) / sizeof(ciphers[0]); c++) {
		const struct cipher_info *ci = cipher_by_name(ciphers[c]);

		FUZZ_CHECK(ci != NULL);
		for (a = 0; a < sizeof(auths) / sizeof(auths[0]); a++) {
			const struct auth_info *ai = auth_by_name(auths[a]);

			FUZZ_CHECK(ai != NULL);
			for (k = ci->key_min; k <= ci->key_max;
			    k += ci->key_step ? ci->key_step : 1) {
				n = 2 * (k + ci->salt_len + ai->key_len);
				if (n < sizeof(have) && !have[n]) {
					have[n] = true;
					snprintf(name, sizeof(name), "k%zu.key", n);
					put_key(name, n);
					snprintf(name, sizeof(name),
					    "k%zu-2.key", n);
					put_key_seeded(name, n, 101);
				}
				/* One block, for `sa in` and `sa out`. */
				n /= 2;
				if (!have_one[n]) {
					have_one[n] = true;
					snprintf(name, sizeof(name),
					    "s%zu.key", n);
					put_key_seeded(name, n, 51);
					snprintf(name, sizeof(name),
					    "s%zu-2.key", n);
					put_key_seeded(name, n, 151);
				}
				if (ci->key_step == 0)
					break;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/keys", tdir);
	FUZZ_CHECK(mkdir(path, 0700) == 0);
	put_key("keys/physician1.key", 128);
	put_key_seeded("keys/tap.key", 128, 202);
	/* Refused ones: readable by others, odd, not hex, empty, too big,
	 * a directory, a symlink (O_NOFOLLOW). */
	put_key("open.key", 128);
	snprintf(path, sizeof(path), "%s/open.key", tdir);
	FUZZ_CHECK(chmod(path, 0644) == 0);
	put_str("odd.key", "abc\n", 0600);
	put_str("nothex.key", "zz # no\n", 0600);
	put_str("empty.key", "", 0600);
	{
		static char big[70000];

		memset(big, '0', sizeof(big));
		put("big.key", big, sizeof(big), 0600);
	}
	snprintf(path, sizeof(path), "%s/dir.key", tdir);
	FUZZ_CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/link.key", tdir);
	FUZZ_CHECK(symlink("k128.key", path) == 0);
	{
		char same[2 * 2 * 64 + 2];

		for (n = 0; n < 2 * 64; n++)
			same[n] = "0123456789abcdef"[(n / 2 * 7 + n % 2) % 16];
		memcpy(same + 2 * 64, same, 2 * 64);
		put("same.key", same, sizeof(same) - 2, 0600);
	}
	snprintf(path, sizeof(path), "%s/fifo.key", tdir);
	FUZZ_CHECK(mkfifo(path, 0600) == 0);
	snprintf(path, sizeof(path), "%s/fifo.conf", tdir);
	FUZZ_CHECK(mkfifo(path, 0600) == 0);

	/* Includes: macros, a self-include, a nested pair, a NUL byte. */
	put_str("inc.conf", "inc_net = 10.9.0.0/24\ninc_key = \"k128.key\"\n",
	    0644);
	put_str("cycle.conf", "include \"cycle.conf\"\n", 0644);
	put_str("a.conf", "include \"b.conf\"\n", 0644);
	put_str("b.conf", "include \"a.conf\"\n", 0644);
	put("nul.conf", nul, sizeof(nul) - 1, 0644);
	put_str("peer.conf", "peer \"inc\" {\n\tnetwork 10.7.0.0/24\n"
	    "\tendpoint 192.0.2.7\n\tkey \"k128-2.key\"\n}\n", 0644);
}

static bool
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* The QoS parts of site.conf(5) CHECKS: a tree of classes within the
 * bandwidth with one default leaf, meters as RFC 2697/2698 ask, and rules
 * whose queue is a leaf and whose meter exists. */
static void
check_qos(const struct config *cf)
{
	const struct qos_conf *q = &cf->qos;
	size_t i, j, ndefault = 0;

	FUZZ_CHECK(q->nclasses <= CBQ_CLASSES_MAX);
	FUZZ_CHECK(q->enabled || q->nclasses == 0);
	for (i = 0; i < q->nclasses; i++) {
		const struct cbq_class_conf *c = &q->classes[i];

		FUZZ_CHECK(terminated(c->name, sizeof(c->name)));
		FUZZ_CHECK(c->parent >= -1 && c->parent < (int)i);
		FUZZ_CHECK(c->rate > 0 && c->rate <= c->ceil &&
		    c->ceil <= q->bandwidth);
		FUZZ_CHECK(c->borrow || c->ceil == c->rate);
		FUZZ_CHECK(c->prio <= CBQ_PRIO_MAX && c->limit > 0);
		FUZZ_CHECK(!c->codel ||
		    c->codel_target_us < c->codel_interval_us);
		ndefault += c->is_default;
	}
	FUZZ_CHECK(!q->enabled || ndefault == 1);
	for (i = 0; i < cf->nmeters; i++) {
		const struct meter_conf *m = &cf->meters[i].conf;

		FUZZ_CHECK(m->cir > 0 && m->cbs > 0);
		FUZZ_CHECK(m->kind == METER_SRTCM ||
		    (m->pir >= m->cir && m->pbs > 0));
		for (j = 0; j < 3; j++)
			FUZZ_CHECK(m->action[j].dscp <= 63);
	}
	FUZZ_CHECK(cf->nrules == 0 || cf->rules != NULL);
	for (i = 0; i < cf->nrules; i++) {
		const struct rule_conf *r = &cf->rules[i];

		FUZZ_CHECK(r->match.result == i);
		FUZZ_CHECK(r->meter >= -1 && r->meter < (int)cf->nmeters);
		FUZZ_CHECK(r->queue >= -1 && r->queue < (int)q->nclasses);
		FUZZ_CHECK(r->action == RULE_PASS ||
		    (r->queue == -1 && r->meter == -1));
		for (j = 0; r->queue != -1 && j < q->nclasses; j++)
			FUZZ_CHECK(q->classes[j].parent != r->queue);
		FUZZ_CHECK(r->match.sport_lo <= r->match.sport_hi &&
		    r->match.dport_lo <= r->match.dport_hi);
		FUZZ_CHECK((r->match.tos_value & ~r->match.tos_mask) == 0);
	}
}

static bool
overlap(const struct prefix *a, const struct prefix *b)
{
	const struct prefix *wide = a->len <= b->len ? a : b;
	const struct prefix *narrow = wide == a ? b : a;

	return a->af == b->af &&
	    prefix_contains(wide, narrow->af, narrow->addr.b);
}

/* The SA keys of peer p: in, out, and the tap SA's when it has one;
 * into len the bytes of each cipher key. */
static size_t
sa_keys_of(const struct peer_conf *p, const struct sa_keys *k[4],
    size_t len[4])
{
	size_t n = 0;

	len[n] = p->suite_in.key_bits / 8;
	k[n++] = p->key_in;
	len[n] = p->suite_out.key_bits / 8;
	k[n++] = p->key_out;
	if (p->tap_sa) {
		len[n] = p->suite_in.key_bits / 8;
		k[n++] = p->tap_key_in;
		len[n] = p->suite_out.key_bits / 8;
		k[n++] = p->tap_key_out;
	}
	return n;
}

/* Every SA its own cipher key and auth key; pairs, since fuzz inputs
 * have few peers. */
static void
check_keys(const struct config *cf)
{
	const struct sa_keys *a[4], *b[4];
	size_t i, j, x, y, na, nb, ka[4], kb[4];

	for (i = 0; i < cf->npeers; i++) {
		na = sa_keys_of(&cf->peers[i], a, ka);
		for (j = i; j < cf->npeers; j++) {
			nb = sa_keys_of(&cf->peers[j], b, kb);
			for (x = 0; x < na; x++) {
				for (y = i == j ? x + 1 : 0; y < nb; y++) {
					/* null has no cipher key */
					FUZZ_CHECK(ka[x] == 0 || ka[x] != kb[y] ||
					    memcmp(a[x]->enc, b[y]->enc,
					    ka[x]) != 0);
					FUZZ_CHECK(a[x]->auth_len == 0 ||
					    a[x]->auth_len != b[y]->auth_len ||
					    memcmp(a[x]->auth, b[y]->auth,
					    a[x]->auth_len) != 0);
				}
			}
		}
	}
}

/* One direction's transforms and the keys that go with them. */
static void
check_suite(const struct peer_conf *p, const struct sa_suite *su,
    const struct sa_keys *k)
{
	FUZZ_CHECK(su->cipher != NULL && su->auth != NULL);
	FUZZ_CHECK(cipher_key_len_ok(su->cipher, su->key_bits / 8));
	FUZZ_CHECK(!cipher_is_aead(su->cipher) || su->auth->id == AUTH_NONE);
	FUZZ_CHECK(!cipher_needs_auth(su->cipher) ||
	    su->auth->id != AUTH_NONE);
	FUZZ_CHECK(k->enc_len == su->key_bits / 8 + su->cipher->salt_len);
	FUZZ_CHECK(k->auth_len == su->auth->key_len);
	FUZZ_CHECK(k->auth_len <= CRYPTO_AUTHKEY_MAX);
	FUZZ_CHECK(su->cipher->weak == NULL || p->allow_weak_cipher);
}

/* site.conf(5) CHECKS, on a config that loaded. */
static void
check_config(const struct config *cf)
{
	const struct site_conf *s = &cf->site;
	size_t i, j;

	FUZZ_CHECK(terminated(s->name, sizeof(s->name)));
	FUZZ_CHECK(terminated(s->tun, sizeof(s->tun)));
	FUZZ_CHECK(s->nnetworks >= 1 && s->nnetworks <= 8);
	FUZZ_CHECK(s->naddresses <= 8 && s->nexcludes <= 16);
	FUZZ_CHECK(cf->npeers >= 1 && cf->peers != NULL);
	FUZZ_CHECK(s->hook_timeout >= 1 && s->hook_timeout <= 3600);
	FUZZ_CHECK(terminated(s->peer_up, sizeof(s->peer_up)) &&
	    terminated(s->peer_down, sizeof(s->peer_down)));
	for (i = 0; i < cf->npeers; i++) {
		const struct peer_conf *p = &cf->peers[i];

		FUZZ_CHECK(terminated(p->name, sizeof(p->name)));

		check_suite(p, &p->suite_in, p->key_in);
		check_suite(p, &p->suite_out, p->key_out);
		/* One suite both ways unless `sa in` and `sa out`. */
		FUZZ_CHECK(p->sa_split || (p->suite_in.cipher ==
		    p->suite_out.cipher && p->suite_in.key_bits ==
		    p->suite_out.key_bits && p->suite_in.auth ==
		    p->suite_out.auth));
		FUZZ_CHECK(!p->sa_split || (p->keying == KEYING_MANUAL &&
		    !p->tap_sa));
		FUZZ_CHECK(p->spi_in >= 256 && p->spi_out >= 256);
		FUZZ_CHECK((p->replay_window >= 64 &&
		    p->replay_window <= 65536 && p->replay_window % 64 == 0) ||
		    (p->replay_window == 0 && p->keying == KEYING_MANUAL &&
		    !p->esn));
		FUZZ_CHECK(p->padding == PADDING_STRICT ||
		    p->padding == PADDING_ZERO || p->padding == PADDING_ANY);
		FUZZ_CHECK(p->keying == KEYING_DERIVED ||
		    p->keying == KEYING_MANUAL);
		FUZZ_CHECK(p->life_bytes >= 4096 && p->life_bytes_soft >= 1 &&
		    p->life_bytes_soft <= p->life_bytes);
		FUZZ_CHECK(p->life_packets >= 16 &&
		    p->life_packets_soft >= 1 &&
		    p->life_packets_soft <= p->life_packets);
		FUZZ_CHECK(p->esn || p->life_packets <= 4294967295ULL);
		FUZZ_CHECK(p->keepalive <= 3600 && p->dead <= 86400);
		FUZZ_CHECK(p->dead == 0 || p->keepalive == 0 ||
		    p->dead > 2 * p->keepalive);
		for (j = 0; j < s->nnetworks; j++)
			FUZZ_CHECK(!overlap(&p->network, &s->networks[j]));
		FUZZ_CHECK(p->npolicies == 0 || p->policies != NULL);
		for (j = 0; j < p->npolicies; j++)
			FUZZ_CHECK(p->policies[j].local.af ==
			    p->policies[j].remote.af);
		for (j = 0; j < i; j++) {
			FUZZ_CHECK(strcmp(cf->peers[j].name, p->name) != 0);
			FUZZ_CHECK(cf->peers[j].spi_in != p->spi_in);
		}
	}
	check_keys(cf);
	check_qos(cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cf, again;
	struct conf_error err;
	char *text;

	init_once();
	/* Text ends at the first NUL, as it would when read from a file
	 * (the file reader refuses a NUL). */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 0, sizeof(err));
	if (config_load_string("fuzz.conf", text, tdir, &cf, &err) == 0) {
		if (verbose)
			fprintf(stderr, "loaded: %zu peers\n", cf.npeers);
		check_config(&cf);
		/* A file reloads onto itself: nothing that needs a restart
		 * may look changed (conf/reload.c compares field by field). */
		FUZZ_CHECK(config_load_string("fuzz.conf", text, tdir, &again,
		    &err) == 0);
		FUZZ_CHECK(config_reload_check(&cf, &again, &err) == 0);
		config_free(&again);
		config_free(&cf);
	} else {
		if (verbose)
			fprintf(stderr, "error: %s\n", err.msg);
		FUZZ_CHECK(err.msg[0] != '\0');
		FUZZ_CHECK(terminated(err.msg, sizeof(err.msg)));
	}
	free(text);
	return 0;
}

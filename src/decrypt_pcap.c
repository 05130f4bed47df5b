/* vpntunctl decrypt-pcap (see decrypt_pcap.h). Every ESP packet is
 * decrypted, none refused as a replay: a capture may hold both
 * directions, retransmissions and copies, and the point is to see them.
 * A number an SA decrypted before is counted as a duplicate instead. */
#include "src/decrypt_pcap.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/capture.h"
#include "src/decrypt_sa.h"
#include "src/esp/esp.h"
#include "util/be.h"
#include "util/log.h"
#include "util/pkt.h"

#define EXIT_SOME   1
#define EXIT_USAGE  2
#define SNAPLEN     262144
#define NH_IPV4     4
#define NH_IPV6     41
#define NH_ETHERIP  97
#define NH_NONE     59
#define UNKNOWN_MAX 8           /* unknown SPIs listed by name */

/* Why an ESP packet did not decrypt (the summary's order). */
enum fail {
	F_NO_SA, F_AUTH, F_MALFORMED, F_DECRYPT, F_CUT, F_FRAGMENT, F_SEQ,
	F_MAX
};
static const char *const fail_names[F_MAX] = {
	[F_NO_SA] = "no SA for the SPI",
	[F_AUTH] = "ICV/tag failed",
	[F_MALFORMED] = "malformed (length, padding)",
	[F_DECRYPT] = "decrypt error",
	[F_CUT] = "truncated by snaplen",
	[F_FRAGMENT] = "IP fragment",
	[F_SEQ] = "sequence number 0 or too old",
};

struct run {
	const char     *in, *out, *frames;
	uint16_t        port;
	pcap_t         *pc;             /* the capture */
	pcap_t         *dead_ip, *dead_eth;
	pcap_dumper_t  *dump_ip, *dump_eth;
	struct dsa_set  sas;
	uint64_t        read, esp, decrypted, written, frames_written;
	uint64_t        fail[F_MAX];
	uint64_t        not_ip, etherip_unwritten, dummies, dups;
	uint64_t        other, bad, unhandled;  /* not ESP */
	struct {
		uint32_t spi;
		uint64_t n;
	}               unknown[UNKNOWN_MAX];
	size_t          nunknown;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: vpntunctl decrypt-pcap (-c site.conf | --setkey FILE "
	    "|\n           --sa SPI:CIPHER[:BITS]:KEYHEX[:AUTH[:AUTHKEYHEX]])..."
	    "\n"
	    "           [--skip-icv] [--esn] [--padding strict|zero|any] "
	    "[--udp-port N] [-v]\n"
	    "           -r in.pcap[ng] -w out.pcap [-W frames.pcap]\n");
}

static enum fail
fail_of(enum esp_drop d)
{
	switch (d) {
	case ESP_DROP_AUTH:
		return F_AUTH;
	case ESP_DROP_DECRYPT:
		return F_DECRYPT;
	case ESP_DROP_REPLAY:
		return F_SEQ;
	case ESP_DROP_NO_SA:
		return F_NO_SA;
	default:
		return F_MALFORMED;
	}
}

static void
note_unknown(struct run *r, uint32_t spi)
{
	size_t i;

	for (i = 0; i < r->nunknown; i++)
		if (r->unknown[i].spi == spi) {
			r->unknown[i].n++;
			return;
		}
	if (r->nunknown < UNKNOWN_MAX) {
		r->unknown[r->nunknown].spi = spi;
		r->unknown[r->nunknown++].n = 1;
	}
}

static int
dump_open(const char *path, int linktype, pcap_t **dead,
    pcap_dumper_t **dump)
{
	if ((*dead = pcap_open_dead_with_tstamp_precision(linktype, SNAPLEN,
	    PCAP_TSTAMP_PRECISION_NANO)) == NULL) {
		fprintf(stderr, "vpntunctl: %s: no memory\n", path);
		return -1;
	}
	if ((*dump = pcap_dump_open(*dead, path)) == NULL) {
		fprintf(stderr, "vpntunctl: %s\n", pcap_geterr(*dead));
		return -1;
	}
	return 0;
}

static int
dump_close(const char *path, pcap_t *dead, pcap_dumper_t *dump)
{
	int rc = 0;

	if (dump != NULL) {
		if (pcap_dump_flush(dump) == -1 ||
		    ferror(pcap_dump_file(dump))) {
			fprintf(stderr, "vpntunctl: %s: write error\n", path);
			rc = -1;
		}
		pcap_dump_close(dump);
	}
	if (dead != NULL)
		pcap_close(dead);
	return rc;
}

static void
dump(pcap_dumper_t *d, const struct pcap_pkthdr *h, const uint8_t *p,
    size_t len)
{
	struct pcap_pkthdr oh = *h;

	oh.caplen = oh.len = (bpf_u_int32)len;
	pcap_dump((u_char *)d, &oh, p);
}

/* The length of the IP packet at p of version ver, without the TFC
 * padding that may follow it (RFC 4303 2.7); 0 if it is not one. */
static size_t
ip_len(const uint8_t *p, size_t len, int ver)
{
	size_t n;

	if (len < 1 || p[0] >> 4 != ver)
		return 0;
	if (ver == 4) {
		if (len < 20 || (n = be_get16(p + 2)) < 20)
			return 0;
	} else {
		if (len < 40)
			return 0;
		n = 40 + (size_t)be_get16(p + 4);
		if (n == 40 && p[6] == 0)
			return len;     /* a jumbogram: its length is in
			                   an option (RFC 2675) */
	}
	return n <= len ? n : 0;
}

/* What the inner packet is and where it goes (RFC 4303 2.6). */
static void
deliver(struct run *r, const struct pcap_pkthdr *h, uint8_t nh,
    const uint8_t *p, size_t len)
{
	size_t n;

	switch (nh) {
	case NH_NONE:
		r->dummies++;
		return;
	case NH_IPV4:
	case NH_IPV6:
		if ((n = ip_len(p, len, nh == NH_IPV4 ? 4 : 6)) == 0)
			break;
		dump(r->dump_ip, h, p, n);
		r->written++;
		return;
	case NH_ETHERIP:
		/* RFC 3378 3: version 3 and 12 reserved bits, then the
		 * frame. */
		if (len < 2 + 14 || be_get16(p) != 0x3000)
			break;
		if (r->dump_eth == NULL) {
			r->etherip_unwritten++;
			return;
		}
		dump(r->dump_eth, h, p + 2, len - 2);
		r->frames_written++;
		return;
	}
	r->not_ip++;
}

/* Whether an ESP packet of len bytes fits the SA's framing (RFC 4303
 * 2: header, IV, at least pad length and next header, whole blocks for
 * CBC, ICV): the checks esp_decap makes first (src/esp/esp_in.c). */
static bool
frames_ok(const struct esp_sa *sa, size_t len)
{
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);
	size_t front = ESP_HDR_LEN + ci->iv_len;
	size_t icv = sa_crypto_icv_len(sa->crypto);
	size_t ctmin = (2 + ci->block - 1) / ci->block * ci->block;

	if (len < front + ctmin + icv)
		return false;
	return ci->mode != CIPHER_MODE_CBC ||
	    (len - front - icv) % ci->block == 0;
}

/* How far a packet got under an SA that did not decrypt it: not even
 * its framing fits, or it does not authenticate, or it authenticated
 * and failed later (bad padding: the SA is the packet's). */
static int
progress(const struct esp_sa *sa, size_t len, enum esp_drop d)
{
	if (d == ESP_DROP_AUTH)
		return 1;
	if (d == ESP_DROP_MALFORMED && !frames_ok(sa, len))
		return 0;
	return 2;
}

/* One ESP packet: every SA of its SPI is tried (a config read from both
 * ends names each SA twice), until one decrypts it. */
static int
decrypt_one(struct run *r, const struct pcap_pkthdr *h,
    const struct cap_esp *ce)
{
	static struct pkt pkt;
	struct dsa *d, *first, *blame;
	enum esp_drop drop = ESP_DROP_NO_SA, dk;
	int best = -1, pr;
	uint64_t seq;
	uint32_t spi;
	uint8_t nh;
	size_t n, k;
	int dup;

	if (!esp_peek_spi(ce->esp, ce->len, &spi) ||
	    ce->len > PKT_BUFSZ - PKT_HEADROOM) {
		r->fail[F_MALFORMED]++;
		return 0;
	}
	if ((first = dsa_find(&r->sas, spi, &n)) == NULL) {
		r->fail[F_NO_SA]++;
		note_unknown(r, spi);
		return 0;
	}
	blame = first;
	for (k = 0; k < n; k++) {
		d = first + k;
		pkt_reset(&pkt);
		memcpy(pkt_data(&pkt), ce->esp, ce->len);
		pkt.len = ce->len;
		dk = esp_decap(&d->esp, &pkt, &nh, &seq, d->skip_icv);
		if (dk == ESP_OK)
			break;
		/* The failure of the SA the packet got furthest under
		 * tells most: bad padding under the key that authenticated
		 * it, not the ICV of another key. */
		if ((pr = progress(&d->esp, ce->len, dk)) > best) {
			best = pr;
			drop = dk;
			blame = d;
		}
	}
	if (k == n) {
		r->fail[fail_of(drop)]++;
		blame->failed++;
		return 0;
	}
	r->decrypted++;
	d->decrypted++;
	if ((dup = dsa_seen(d, seq)) == -1) {
		fprintf(stderr, "vpntunctl: decrypt-pcap: no memory\n");
		return -1;
	}
	if (dup) {
		r->dups++;
		d->dups++;
	}
	/* ESN: the window's top lets the next packet's high half be
	 * inferred (RFC 4303 A2.2); nothing is refused as seen. */
	if (d->esp.esn) {
		(void)esp_accept(&d->esp, seq);
		replay_forget(&d->esp.replay);
	}
	deliver(r, h, nh, pkt_data(&pkt), pkt.len);
	return 0;
}

/* Whether path names the file the capture is read from: writing it
 * would truncate what is still to be read. */
static bool
is_input(const char *path, const struct stat *in)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == in->st_dev &&
	    st.st_ino == in->st_ino;
}

/* The capture first, then the outputs, none of which may be it. */
static int
open_files(struct run *r)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct stat in;

	if ((r->pc = pcap_open_offline_with_tstamp_precision(r->in,
	    PCAP_TSTAMP_PRECISION_NANO, errbuf)) == NULL) {
		fprintf(stderr, "vpntunctl: %s\n", errbuf);
		return -1;
	}
	if (fstat(fileno(pcap_file(r->pc)), &in) == 0 &&
	    (is_input(r->out, &in) ||
	    (r->frames != NULL && is_input(r->frames, &in)))) {
		fprintf(stderr, "vpntunctl: decrypt-pcap: %s is read, not "
		    "written\n", r->in);
		return -1;
	}
	if (r->frames != NULL && strcmp(r->frames, r->out) == 0) {
		fprintf(stderr, "vpntunctl: decrypt-pcap: -w and -W name the "
		    "same file\n");
		return -1;
	}
	if (dump_open(r->out, DLT_RAW, &r->dead_ip, &r->dump_ip) == -1 ||
	    (r->frames != NULL && dump_open(r->frames, DLT_EN10MB,
	    &r->dead_eth, &r->dump_eth) == -1))
		return -1;
	return 0;
}

static int
run_capture(struct run *r)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct cap_esp ce;
	int lt, rc;

	lt = pcap_datalink(r->pc);
	while ((rc = pcap_next_ex(r->pc, &h, &data)) == 1) {
		r->read++;
		switch (cap_find_esp(lt, data, h->caplen, h->len, r->port,
		    &ce)) {
		case CAP_ESP:
			r->esp++;
			if (decrypt_one(r, h, &ce) == -1)
				return -1;
			break;
		case CAP_ESP_CUT:
			r->esp++;
			r->fail[F_CUT]++;
			break;
		case CAP_FRAGMENT:
			r->esp++;
			r->fail[F_FRAGMENT]++;
			break;
		case CAP_OTHER:
			r->other++;
			break;
		case CAP_BAD:
			r->bad++;
			break;
		case CAP_UNHANDLED:
			r->unhandled++;
			break;
		}
	}
	if (rc == -1) {
		fprintf(stderr, "vpntunctl: %s: %s\n", r->in,
		    pcap_geterr(r->pc));
		return -1;
	}
	return 0;
}

static void
summary(const struct run *r)
{
	const struct dsa *d;
	uint64_t failed = 0;
	size_t i;

	for (i = 0; i < F_MAX; i++)
		failed += r->fail[i];
	fprintf(stderr, "%s:\n", r->in);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "packets read", r->read);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "ESP found", r->esp);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "decrypted", r->decrypted);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "written", r->written);
	if (r->frames != NULL)
		fprintf(stderr, "  %-34s %" PRIu64 "\n", "frames written",
		    r->frames_written);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "not decrypted", failed);
	for (i = 0; i < F_MAX; i++)
		fprintf(stderr, "    %-32s %" PRIu64 "\n", fail_names[i],
		    r->fail[i]);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "decrypted, not written",
	    r->not_ip + r->etherip_unwritten + r->dummies);
	fprintf(stderr, "    %-32s %" PRIu64 "\n", "not IP", r->not_ip);
	fprintf(stderr, "    %-32s %" PRIu64 "\n", "EtherIP frames (no -W)",
	    r->etherip_unwritten);
	fprintf(stderr, "    %-32s %" PRIu64 "\n", "dummy (next header 59)",
	    r->dummies);
	fprintf(stderr, "  %-34s %" PRIu64 "\n", "duplicate", r->dups);
	fprintf(stderr, "  %-34s %" PRIu64 " (other %" PRIu64 ", bad "
	    "headers %" PRIu64 ", not handled %" PRIu64 ")\n", "not ESP",
	    r->other + r->bad + r->unhandled, r->other, r->bad, r->unhandled);
	for (i = 0; i < r->sas.n; i++) {
		d = &r->sas.v[i];
		fprintf(stderr, "  SA 0x%08x %-3s %s: %" PRIu64 " decrypted, "
		    "%" PRIu64 " failed, %" PRIu64 " duplicate\n", d->spi,
		    d->dir, d->from, d->decrypted, d->failed, d->dups);
	}
	for (i = 0; i < r->nunknown; i++)
		fprintf(stderr, "  SA 0x%08x unknown: %" PRIu64 " packets\n",
		    r->unknown[i].spi, r->unknown[i].n);
}

/* Where the SAs come from, in the order given. */
struct source {
	enum { SRC_CONF, SRC_SETKEY, SRC_SA } kind;
	const char *arg;
};

static int
add_source(struct dsa_set *sas, const struct source *src,
    const struct dsa_spec_opts *so, struct conf_error *err)
{
	switch (src->kind) {
	case SRC_CONF:
		return dsa_add_config(sas, src->arg, so->skip_icv, err);
	case SRC_SETKEY:
		return dsa_add_setkey(sas, src->arg, so->skip_icv, err);
	default:
		return dsa_add_spec(sas, src->arg, so, err);
	}
}

static int
parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > 65535 ||
	    s[0] == '-')
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* --padding: as site.conf's padding (site.conf(5)), for --sa. */
static int
parse_padding(const char *s, enum esp_pad *pad)
{
	if (strcmp(s, "strict") == 0)
		*pad = ESP_PAD_STRICT;
	else if (strcmp(s, "zero") == 0)
		*pad = ESP_PAD_ZERO;
	else if (strcmp(s, "any") == 0)
		*pad = ESP_PAD_ANY;
	else
		return -1;
	return 0;
}

int
decrypt_pcap_main(int argc, char **argv)
{
	enum { OPT_SA = 256, OPT_SKIP_ICV, OPT_PORT, OPT_PADDING, OPT_ESN,
		OPT_SETKEY };
	static const struct option opts[] = {
		{ "config",   required_argument, NULL, 'c' },
		{ "sa",       required_argument, NULL, OPT_SA },
		{ "setkey",   required_argument, NULL, OPT_SETKEY },
		{ "skip-icv", no_argument,       NULL, OPT_SKIP_ICV },
		{ "udp-port", required_argument, NULL, OPT_PORT },
		{ "padding",  required_argument, NULL, OPT_PADDING },
		{ "esn",      no_argument,       NULL, OPT_ESN },
		{ "verbose",  no_argument,       NULL, 'v' },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL,       0,                 NULL, 0 },
	};
	struct run r;
	struct source *src;
	struct conf_error err;
	size_t nsrc = 0, i;
	struct dsa_spec_opts so = { false, false, ESP_PAD_STRICT };
	uint64_t failed = 0;
	bool broken;
	int ch, rc = EXIT_USAGE;

	memset(&r, 0, sizeof(r));
	r.port = CAP_NATT_PORT;
	if ((src = calloc((size_t)argc, sizeof(*src))) == NULL) {
		fprintf(stderr, "vpntunctl: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:hr:vw:W:", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			src[nsrc++] = (struct source){ SRC_CONF, optarg };
			break;
		case OPT_SA:
			src[nsrc++] = (struct source){ SRC_SA, optarg };
			break;
		case OPT_SETKEY:
			src[nsrc++] = (struct source){ SRC_SETKEY, optarg };
			break;
		case OPT_SKIP_ICV:
			so.skip_icv = true;
			break;
		case OPT_ESN:
			so.esn = true;
			break;
		case OPT_PORT:
			if (parse_port(optarg, &r.port) == -1) {
				fprintf(stderr, "vpntunctl: decrypt-pcap: "
				    "--udp-port %s is not a port\n", optarg);
				goto out;
			}
			break;
		case OPT_PADDING:
			if (parse_padding(optarg, &so.pad) == -1) {
				fprintf(stderr, "vpntunctl: decrypt-pcap: "
				    "--padding %s: expected strict, zero or "
				    "any\n", optarg);
				goto out;
			}
			break;
		case 'r':
			r.in = optarg;
			break;
		case 'w':
			r.out = optarg;
			break;
		case 'W':
			r.frames = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_WARN);
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc || nsrc == 0 || r.in == NULL || r.out == NULL) {
		usage(stderr);
		goto out;
	}
	if (crypto_global_init() == -1) {
		fprintf(stderr, "vpntunctl: cannot start OpenSSL\n");
		goto out;
	}
	for (i = 0; i < nsrc; i++) {
		if (add_source(&r.sas, &src[i], &so, &err) == -1) {
			fprintf(stderr, "%s\n", err.msg);
			goto out;
		}
	}
	if (r.sas.n == 0) {
		fprintf(stderr, "vpntunctl: decrypt-pcap: no SA to decrypt "
		    "with\n");
		goto out;
	}
	dsa_sort(&r.sas);
	if (open_files(&r) == -1)
		goto out;
	/* A capture that breaks off still gets its summary. */
	broken = run_capture(&r) == -1;
	summary(&r);
	if (dump_close(r.out, r.dead_ip, r.dump_ip) == -1)
		broken = true;
	if (dump_close(r.frames, r.dead_eth, r.dump_eth) == -1)
		broken = true;
	r.dump_ip = r.dump_eth = NULL;
	r.dead_ip = r.dead_eth = NULL;
	if (broken)
		goto out;
	for (i = 0; i < F_MAX; i++)
		failed += r.fail[i];
	if (r.esp == 0)
		fprintf(stderr, "vpntunctl: decrypt-pcap: %s: no ESP found "
		    "(UDP port %u and IP protocol 50)\n", r.in, r.port);
	rc = failed > 0 ? EXIT_SOME : 0;
out:
	dump_close(r.out, r.dead_ip, r.dump_ip);
	dump_close(r.frames, r.dead_eth, r.dump_eth);
	if (r.pc != NULL)
		pcap_close(r.pc);
	dsa_free(&r.sas);
	free(src);
	return rc;
}

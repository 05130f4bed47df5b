/* esp-pcap-decrypt: decrypts the ESP packets of one SA in a pcap file with
 * our own esp_decap(), so that captures made by other implementations
 * (FreeS/WAN, Linux XFRM, scapy) and by vpntund itself can be checked
 * against an independent decryption (tshark).
 *
 *   esp-pcap-decrypt -f capture.pcap -s SPI -c CIPHER -k HEXKEY
 *       [-a AUTH [-A HEXAUTHKEY] | --skip-icv] [--esn] [-u PORT] [-w out.pcap]
 *
 * Prints one line per packet of the capture:
 *   pkt N spi 0x... seq S nh NH len L inner <hex>
 *   pkt N drop <reason>
 * N counts from 1 as tshark's frame.number does. -w writes each inner
 * packet to a raw-IP pcap, so nested ESP (ESP in ESP) can be peeled by
 * running the tool again on its own output. Exits 1 if nothing decrypted.
 *
 * --skip-icv: the ICV is on the wire but not checked, for captures whose
 * authentication key was never published (FreeS/WAN's test captures:
 * "ANY 96 bit authentication [no checking]"). The ICV length comes from
 * -a (default hmac-sha1-96); -A is then optional. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/capture.h"
#include "src/decrypt_sa.h"
#include "src/esp/esp.h"
#include "util/log.h"
#include "util/pkt.h"

struct opts {
	const char *file;
	const char *out;
	uint32_t    spi;
	bool        have_spi;
	const char *cipher;
	const char *auth;
	uint8_t     key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX];
	size_t      keylen;
	uint8_t     authkey[CRYPTO_AUTHKEY_MAX];
	size_t      authkeylen;
	bool        have_authkey;
	bool        skip_icv;
	bool        esn;
	uint16_t    port;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: esp-pcap-decrypt -f capture.pcap -s SPI -c CIPHER -k HEXKEY\n"
	    "           [-a AUTH [-A HEXAUTHKEY] | --skip-icv] [--esn]\n"
	    "           [-u UDPPORT] [-w inner.pcap]\n"
	    "  CIPHER: blowfish-cbc 3des-cbc aes-cbc aes-gcm chacha20-poly1305\n"
	    "  AUTH:   none hmac-sha1-96 hmac-sha256-128\n"
	    "  HEXKEY: cipher key, then the 4-byte salt for AEAD suites\n");
}

static int
parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || x > UINT32_MAX ||
	    s[0] == '-')
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_SKIP_ICV = 256, OPT_ESN };
	static const struct option longopts[] = {
		{ "skip-icv", no_argument, NULL, OPT_SKIP_ICV },
		{ "esn", no_argument, NULL, OPT_ESN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->port = CAP_NATT_PORT;
	while ((ch = getopt_long(argc, argv, "f:s:c:k:a:A:u:w:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->file = optarg;
			break;
		case 's':
			if (parse_u32(optarg, &o->spi) == -1) {
				fprintf(stderr, "bad SPI: %s\n", optarg);
				return -1;
			}
			o->have_spi = true;
			break;
		case 'c':
			o->cipher = optarg;
			break;
		case 'k':
			if (hex_decode(optarg, o->key, sizeof(o->key),
			    &o->keylen) == -1) {
				fprintf(stderr, "bad key: expected up to %zu "
				    "hex bytes\n", sizeof(o->key));
				return -1;
			}
			break;
		case 'a':
			o->auth = optarg;
			break;
		case 'A':
			if (hex_decode(optarg, o->authkey, sizeof(o->authkey),
			    &o->authkeylen) == -1) {
				fprintf(stderr, "bad auth key: expected up to "
				    "%zu hex bytes\n", sizeof(o->authkey));
				return -1;
			}
			o->have_authkey = true;
			break;
		case 'u':
			if (parse_u32(optarg, &v) == -1 || v == 0 ||
			    v > 65535) {
				fprintf(stderr, "bad UDP port: %s\n", optarg);
				return -1;
			}
			o->port = (uint16_t)v;
			break;
		case 'w':
			o->out = optarg;
			break;
		case OPT_SKIP_ICV:
			o->skip_icv = true;
			break;
		case OPT_ESN:
			o->esn = true;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || o->file == NULL || !o->have_spi ||
	    o->cipher == NULL || o->keylen == 0) {
		fprintf(stderr, "-f, -s, -c and -k are required\n");
		return -1;
	}
	return 0;
}

/* Builds the inbound SA: replay window as large as we allow, so captures
 * with reordering still decrypt (a real duplicate still shows as replay). */
static int
make_sa(struct opts *o, struct esp_sa *sa)
{
	const struct cipher_info *ci;
	const struct auth_info *ai;
	size_t klen;

	if ((ci = cipher_by_name(o->cipher)) == NULL) {
		fprintf(stderr, "unknown cipher %s\n", o->cipher);
		return -1;
	}
	if (cipher_is_aead(ci)) {
		ai = auth_by_name("none");
		if (o->auth != NULL && strcmp(o->auth, "none") != 0) {
			fprintf(stderr, "%s is AEAD: no -a\n", ci->name);
			return -1;
		}
		if (o->skip_icv) {
			fprintf(stderr, "%s: an AEAD tag cannot be skipped\n",
			    ci->name);
			return -1;
		}
	} else {
		const char *an = o->auth;

		if (an == NULL)
			an = o->skip_icv ? "hmac-sha1-96" : "none";
		if ((ai = auth_by_name(an)) == NULL) {
			fprintf(stderr, "unknown auth %s\n", an);
			return -1;
		}
	}
	klen = o->keylen - (o->keylen >= ci->salt_len ? ci->salt_len : 0);
	if (o->keylen < ci->salt_len || !cipher_key_len_ok(ci, klen)) {
		fprintf(stderr, "%s: key of %zu bytes (%zu with salt) is not a "
		    "valid size\n", ci->name, klen, o->keylen);
		return -1;
	}
	if (ai->key_len > 0 && !o->have_authkey) {
		if (!o->skip_icv) {
			fprintf(stderr, "%s needs -A (or --skip-icv)\n",
			    ai->name);
			return -1;
		}
		/* Unpublished key: any key will do, it is never checked. */
		memset(o->authkey, 0, ai->key_len);
		o->authkeylen = ai->key_len;
	}
	if (ai->key_len > 0 && o->authkeylen != ai->key_len) {
		fprintf(stderr, "%s: auth key of %zu bytes, expected %zu\n",
		    ai->name, o->authkeylen, ai->key_len);
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->spi = o->spi;
	sa->esn = o->esn;
	sa->crypto = sa_crypto_new(ci, o->key, o->keylen, ai,
	    ai->key_len > 0 ? o->authkey : NULL, o->authkeylen, false);
	crypto_wipe(o->key, sizeof(o->key));
	crypto_wipe(o->authkey, sizeof(o->authkey));
	if (sa->crypto == NULL) {
		fprintf(stderr, "cannot key %s/%s\n", ci->name, ai->name);
		return -1;
	}
	if (replay_init(&sa->replay, REPLAY_WINDOW_MAX, o->esn) == -1) {
		sa_crypto_free(sa->crypto);
		return -1;
	}
	return 0;
}

static void
print_hex(const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 0x0f]);
	}
}

int
main(int argc, char **argv)
{
	static struct pkt pkt;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct opts o;
	struct esp_sa sa;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc, *dead = NULL;
	pcap_dumper_t *dump = NULL;
	unsigned long n = 0, ok = 0;
	int linktype, rc;

	log_init("esp-pcap-decrypt", LOG_LVL_WARN, false);
	if (parse_opts(argc, argv, &o) == -1) {
		usage();
		return 2;
	}
	if (crypto_global_init() == -1)
		return 2;
	if (make_sa(&o, &sa) == -1)
		return 2;
	if ((pc = pcap_open_offline(o.file, errbuf)) == NULL) {
		fprintf(stderr, "%s: %s\n", o.file, errbuf);
		return 2;
	}
	linktype = pcap_datalink(pc);
	if (o.out != NULL) {
		if ((dead = pcap_open_dead(DLT_RAW, 65535)) == NULL ||
		    (dump = pcap_dump_open(dead, o.out)) == NULL) {
			fprintf(stderr, "%s: %s\n", o.out,
			    dead ? pcap_geterr(dead) : "pcap_open_dead");
			return 2;
		}
	}

	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct cap_esp esp;
		uint32_t spi, seq;
		uint64_t seq64;
		uint8_t nh;
		enum esp_drop d;

		n++;
		if (cap_find_esp(linktype, data, h->caplen, h->len, o.port,
		    &esp) != CAP_ESP) {
			printf("pkt %lu drop %s\n", n, esp.why);
			continue;
		}
		if (!esp_peek_spi(esp.esp, esp.len, &spi)) {
			printf("pkt %lu drop short_esp\n", n);
			continue;
		}
		if (spi != o.spi) {
			printf("pkt %lu drop %s spi 0x%08x\n", n,
			    esp_drop_name(ESP_DROP_NO_SA), spi);
			continue;
		}
		if (esp.len > PKT_BUFSZ - PKT_HEADROOM) {
			printf("pkt %lu drop %s\n", n,
			    esp_drop_name(ESP_DROP_MALFORMED));
			continue;
		}
		seq = (uint32_t)esp.esp[4] << 24 | (uint32_t)esp.esp[5] << 16 |
		    (uint32_t)esp.esp[6] << 8 | esp.esp[7];
		pkt_reset(&pkt);
		memcpy(pkt_data(&pkt), esp.esp, esp.len);
		pkt.len = esp.len;
		d = esp_decap(&sa, &pkt, &nh, &seq64, o.skip_icv);
		if (d != ESP_OK) {
			printf("pkt %lu drop %s\n", n, esp_drop_name(d));
			continue;
		}
		/* No inner checks here: what decrypts is taken as genuine,
		 * so a second copy in the capture shows as a replay. */
		(void)esp_accept(&sa, seq64);
		ok++;
		printf("pkt %lu spi 0x%08x seq %" PRIu32 " nh %u len %zu inner ",
		    n, spi, seq, nh, pkt.len);
		print_hex(pkt_data(&pkt), pkt.len);
		putchar('\n');
		if (dump != NULL && (nh == 4 || nh == 41)) {
			struct pcap_pkthdr oh = *h;

			oh.caplen = oh.len = (bpf_u_int32)pkt.len;
			pcap_dump((u_char *)dump, &oh, pkt_data(&pkt));
		}
	}
	if (rc == -1)
		fprintf(stderr, "%s: %s\n", o.file, pcap_geterr(pc));
	pcap_close(pc);
	if (dump != NULL) {
		pcap_dump_close(dump);
		pcap_close(dead);
	}
	replay_free(&sa.replay);
	sa_crypto_free(sa.crypto);
	crypto_global_cleanup();
	fflush(stdout);
	if (ok == 0) {
		fprintf(stderr, "esp-pcap-decrypt: no packet of SPI 0x%08x "
		    "decrypted (%lu packets read)\n", o.spi, n);
		return 1;
	}
	return rc == -1 ? 2 : 0;
}

/* bench/engine_cost: the whole user-space path of a running engine, for
 * bench/projection to count under callgrind beside bench/esp_cost's ESP
 * calls alone.
 *
 *   engine_cost CIPHER[-BITS]/AUTH SIZE N
 *   e.g. engine_cost blowfish-cbc-256/hmac-sha1-96 1400 2000
 *
 * Starts an engine whose tun is the device double (src/net/dev_double.h,
 * offloads claimed, as the daemon runs by default) and whose one peer is
 * this program, on loopback with manual keys. Then N inner IPv4 packets
 * of SIZE bytes go through each direction in bursts of ENGINE_BUDGET:
 * written into the tun's other end and read back as ESP from the peer
 * socket (phase_encrypt), and sent as ESP from the peer socket and read
 * back from the tun (phase_decrypt). callgrind collects only the engine's
 * event callbacks (tun_read_cb, txq's flush_cb, outer_read_cb): reading
 * the tun and parsing, policy, ESP, the send batch; receiving, ESP,
 * anti-replay, the policy check and the tun write. The kernel's share of
 * the system calls is not counted (callgrind sees user space only), nor
 * is libevent's dispatch between callbacks. Each packet's flow has a
 * source port of its own, so no two are coalesced on the way to tun.
 *
 * One packet goes each way first (warm_up) and is not counted. Every
 * packet must come back as it went in, with its own sequence number: a
 * broken path exits 1 rather than being measured. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "crypto/crypto.h"
#include "src/datapath/datapath.h"
#include "src/esp/esp.h"
#include "src/esp/replay.h"
#include "src/net/dev_double.h"
#include "src/net/offload.h"
#include "util/be.h"
#include "util/csum.h"

#define SPI_IN          4097    /* the engine's inbound SPI */
#define SPI_OUT         8194    /* its outbound SPI */
#define KEY_SEED        0x31
#define IP4_LEN         20
#define UDP_LEN         8
#define SIZE_MIN        (IP4_LEN + UDP_LEN)
#define N_MAX           100000
#define BURST           ENGINE_BUDGET
#define WAIT_S          20
#define TUN_F_CSUM_     0x01    /* linux/if_tun.h, without its includes */
#define TUN_F_TSO4_     0x02
#define TUN_F_TSO6_     0x04

struct run {
	struct config     *cf;
	struct engine     *e;
	struct dev_double  dd;
	int                tun;         /* our end of the engine's tun */
	int                peer;        /* the peer's UDP socket */
	struct sockaddr_in engine_addr;
	struct esp_sa      in, out;     /* the peer's SAs */
	size_t             size, n;
	uint8_t          (*wire)[PKT_MTU_MAX];      /* ESP, one per packet */
	size_t            *wire_len;
	uint64_t           got;         /* of the current burst */
};

static struct pkt scratch;

static void
die(const char *what)
{
	fprintf(stderr, "engine_cost: %s\n", what);
	exit(1);
}

/* Inner packet i of a direction: UDP between the site's network
 * (10.1.0.0/24) and the peer's (10.1.1.0/24), a source port and a
 * payload of its own. */
static void
make_inner(uint8_t *d, size_t size, size_t i, bool outbound)
{
	size_t k;

	memset(d, 0, SIZE_MIN);
	d[0] = 0x45;
	be_put16(d + 2, (uint16_t)size);
	be_put16(d + 4, (uint16_t)i);
	d[6] = 0x40;
	d[8] = 64;
	d[9] = IPPROTO_UDP;
	d[12] = 10; d[13] = 1; d[14] = outbound ? 0 : 1; d[15] = 5;
	d[16] = 10; d[17] = 1; d[18] = outbound ? 1 : 0; d[19] = 5;
	be_put16(d + 10, (uint16_t)~csum_fold(csum_add(0, d, IP4_LEN)));
	be_put16(d + 20, (uint16_t)(1024 + i % 60000));
	be_put16(d + 22, 9);
	be_put16(d + 24, (uint16_t)(size - IP4_LEN));
	for (k = SIZE_MIN; k < size; k++)
		d[k] = (uint8_t)(i * 31 + k * 13 + (outbound ? 0 : 7));
}

/* "blowfish-cbc-256/hmac-sha1-96", or without "-BITS" (then *bits is 0)
 * for the cipher's default key size. */
static int
parse_suite(const char *arg, const struct cipher_info **ci,
    const struct auth_info **ai, size_t *keylen, unsigned long *bits,
    char *cipher, size_t clen)
{
	char *slash, *dash, *end;

	if (strlen(arg) >= clen)
		return -1;
	strcpy(cipher, arg);
	*bits = 0;
	if ((slash = strchr(cipher, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((*ai = auth_by_name(slash + 1)) == NULL)
		return -1;
	if ((*ci = cipher_by_name(cipher)) == NULL) {
		if ((dash = strrchr(cipher, '-')) == NULL)
			return -1;
		*bits = strtoul(dash + 1, &end, 10);
		if (dash[1] == '\0' || *end != '\0' || *bits % 8 != 0)
			return -1;
		*dash = '\0';
		if ((*ci = cipher_by_name(cipher)) == NULL)
			return -1;
	}
	*keylen = *bits ? *bits / 8 : (*ci)->key_default;
	return cipher_key_len_ok(*ci, *keylen) ? 0 : -1;
}

/* The peer's SA for key block `block` of the file (bytes KEY_SEED + i). */
static void
peer_sa(struct esp_sa *sa, uint32_t spi, size_t block, size_t blen,
    const struct cipher_info *ci, const struct auth_info *ai, size_t klen,
    bool encrypt)
{
	uint8_t key[256];
	size_t i, ck = klen + ci->salt_len;

	for (i = 0; i < blen; i++)
		key[i] = (uint8_t)(KEY_SEED + block * blen + i);
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->crypto = sa_crypto_new(ci, key, ck, ai,
	    ai->key_len ? key + ck : NULL, ai->key_len, encrypt);
	if (sa->crypto == NULL || replay_init(&sa->replay, 1024, false) == -1)
		die("cannot key the peer's SAs");
	crypto_wipe(key, sizeof(key));
}

static uint16_t
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) == -1)
		die("no free port on loopback");
	close(fd);
	return ntohs(a.sin_port);
}

static void
start(struct run *r, const char *suite, const char *dir)
{
	const struct cipher_info *ci;
	const struct auth_info *ai;
	struct conf_error err;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	char cipher[64], text[2048], path[512], keysize[32] = "";
	size_t klen, blen, i;
	unsigned long bits;
	int big = 4 << 20;
	FILE *f;

	if (parse_suite(suite, &ci, &ai, &klen, &bits, cipher,
	    sizeof(cipher)) == -1)
		die("suite: expected CIPHER[-BITS]/AUTH");
	blen = klen + ci->salt_len + ai->key_len;
	/* Ciphers of one key size refuse the word. */
	if (bits != 0)
		snprintf(keysize, sizeof(keysize), " keysize %lu", bits);
	snprintf(path, sizeof(path), "%s/k.key", dir);
	if ((f = fopen(path, "w")) == NULL || chmod(path, 0600) == -1)
		die("cannot write the key file");
	for (i = 0; i < 2 * blen; i++)
		fprintf(f, "%02x%s", (unsigned)(KEY_SEED + i) & 0xff,
		    i % 32 == 31 ? "\n" : "");
	fputc('\n', f);
	if (fclose(f) != 0)
		die("cannot write the key file");

	if ((r->peer = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket");
	(void)setsockopt(r->peer, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(r->peer, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    getsockname(r->peer, (struct sockaddr *)&a, &al) == -1)
		die("bind");
	r->engine_addr = a;
	r->engine_addr.sin_port = htons(free_port());
	snprintf(text, sizeof(text),
	    "site \"c\" {\n network 10.1.0.0/24\n outer 127.0.0.1\n"
	    " port %u\n tun vt0\n state-file \"%s/s.state\"\n"
	    " control \"%s/c.sock\"\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint 127.0.0.1 port %u\n cipher %s%s\n"
	    " auth %s\n key \"k.key\"\n keying manual\n"
	    " spi in %d out %d\n keepalive 0\n}\n",
	    ntohs(r->engine_addr.sin_port), dir, dir, ntohs(a.sin_port),
	    cipher, keysize, ai->name, SPI_IN, SPI_OUT);
	if ((r->cf = calloc(1, sizeof(*r->cf))) == NULL)
		die("out of memory");
	if (config_load_string("site.conf", text, dir, r->cf, &err) == -1) {
		fprintf(stderr, "engine_cost: config: %s\n", err.msg);
		exit(1);
	}
	engine_set_fresh_state(true);
	if ((r->e = engine_new(r->cf)) == NULL)
		die("engine_new failed");
	dev_double_init(&r->dd);
	r->dd.port[DEV_TUN].offload = true;
	r->dd.port[DEV_TUN].features = TUN_F_CSUM_ | TUN_F_TSO4_ | TUN_F_TSO6_;
	engine_set_dev_ops(r->e, &dev_ops_double, &r->dd);
	if (engine_start(r->e) == -1)
		die("engine_start failed");
	r->tun = r->dd.port[DEV_TUN].fd;
	(void)setsockopt(r->tun, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	(void)setsockopt(r->tun, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	/* Central -> remote is the key file's first block. */
	peer_sa(&r->in, SPI_OUT, 0, blen, ci, ai, klen, false);
	peer_sa(&r->out, SPI_IN, 1, blen, ci, ai, klen, true);
}

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Runs the engine's loop until fd has `want` messages for take(). */
static void
pump(struct run *r, int fd, uint64_t want,
    void (*take)(struct run *, const uint8_t *, size_t))
{
	static uint8_t buf[PKT_MTU_MAX + VNET_HDR_LEN];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	time_t end = now_s() + WAIT_S;
	ssize_t n;

	r->got = 0;
	while (r->got < want) {
		if (event_base_loop(r->e->base, EVLOOP_NONBLOCK) == -1)
			die("event loop failed");
		while (r->got < want &&
		    (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			take(r, buf, (size_t)n);
		if (now_s() > end)
			die("timed out: packets lost on the way");
		(void)poll(&p, 1, 0);
	}
}

static size_t done_out, done_in;

static void
take_esp(struct run *r, const uint8_t *d, size_t len)
{
	if (len > PKT_MTU_MAX || done_out >= r->n)
		die("unexpected datagram");
	memcpy(r->wire[done_out], d, len);
	r->wire_len[done_out++] = len;
	r->got++;
}

static void
take_inner(struct run *r, const uint8_t *d, size_t len)
{
	static uint8_t want[PKT_MTU_MAX];
	uint8_t vh[VNET_HDR_LEN] = { 0 };

	/* Offloads on: a virtio_net_hdr in front, all zero for a packet
	 * that was not coalesced. */
	if (len != VNET_HDR_LEN + r->size || memcmp(d, vh, sizeof(vh)) != 0)
		die("tun: unexpected message");
	make_inner(want, r->size, done_in, false);
	if (memcmp(d + VNET_HDR_LEN, want, r->size) != 0)
		die("tun: a packet came out changed");
	done_in++;
	r->got++;
}

/* The measured directions: the engine's callbacks run inside
 * event_base_loop; callgrind collects those alone. */
__attribute__((noinline)) static void
phase_encrypt(struct run *r, uint8_t (*inner)[PKT_MTU_MAX])
{
	uint8_t vh[VNET_HDR_LEN] = { 0 };
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	size_t i, b, k;

	for (i = 0; i < r->n; i += b) {
		b = r->n - i < BURST ? r->n - i : BURST;
		for (k = 0; k < b; k++) {
			iov[0] = (struct iovec){ vh, sizeof(vh) };
			iov[1] = (struct iovec){ inner[i + k], r->size };
			if (sendmsg(r->tun, &mh, 0) !=
			    (ssize_t)(sizeof(vh) + r->size))
				die("tun: write failed");
		}
		pump(r, r->peer, b, take_esp);
	}
}

__attribute__((noinline)) static void
phase_decrypt(struct run *r)
{
	struct mmsghdr mm[BURST];
	struct iovec iov[BURST];
	size_t i, b, k;
	int sent;

	for (i = 0; i < r->n; i += b) {
		b = r->n - i < BURST ? r->n - i : BURST;
		for (k = 0; k < b; k++) {
			iov[k] = (struct iovec){ r->wire[i + k],
			    r->wire_len[i + k] };
			memset(&mm[k], 0, sizeof(mm[k]));
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_name = &r->engine_addr;
			mm[k].msg_hdr.msg_namelen = sizeof(r->engine_addr);
		}
		for (k = 0; k < b; k += (size_t)sent)
			if ((sent = sendmmsg(r->peer, mm + k,
			    (unsigned)(b - k), 0)) <= 0)
				die("peer: send failed");
		pump(r, r->tun, b, take_inner);
	}
}

/* After phase_encrypt: every ESP packet decrypts, in order, to what went
 * into the tun. Not inlined: bench/projection dumps the first phase's
 * profile on entering it. */
__attribute__((noinline)) static size_t
check_encrypted(struct run *r, uint8_t (*inner)[PKT_MTU_MAX])
{
	size_t i, wire = 0;
	uint64_t seq;
	uint8_t nh;

	for (i = 0; i < r->n; i++) {
		pkt_reset(&scratch);
		memcpy(pkt_data(&scratch), r->wire[i], r->wire_len[i]);
		scratch.len = r->wire_len[i];
		if (be_get32(r->wire[i]) != SPI_OUT ||
		    esp_decap(&r->in, &scratch, &nh, &seq, false) != ESP_OK ||
		    !esp_accept(&r->in, seq) || seq != i + 2 || nh != 4 ||
		    scratch.len != r->size ||
		    memcmp(pkt_data(&scratch), inner[i], r->size) != 0)
			die("an ESP packet from the engine did not decrypt "
			    "to what went in");
		wire = r->wire_len[i];
	}
	return wire;
}

/* The peer's ESP for phase_decrypt, made before it starts. */
static void
prepare_inbound(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		pkt_reset(&scratch);
		make_inner(pkt_data(&scratch), r->size, i, false);
		scratch.len = r->size;
		if (esp_encap(&r->out, &scratch, 4) == -1)
			die("peer: cannot encrypt");
		memcpy(r->wire[i], pkt_data(&scratch), scratch.len);
		r->wire_len[i] = scratch.len;
	}
}

/* One packet each way first: the first use of each code path and PLT
 * entry is set-up, not the steady state. */
static void
warm_up(struct run *r, uint8_t (*inner)[PKT_MTU_MAX])
{
	size_t n = r->n;

	r->n = 1;
	phase_encrypt(r, inner);
	prepare_inbound(r);
	phase_decrypt(r);
	r->n = n;
	done_out = done_in = 0;
}

/* Not inlined: bench/projection dumps the warm-up's profile on entering
 * it, so that the measured phases start from nothing. */
__attribute__((noinline)) static void
measure_start(void)
{
	__asm__ volatile("" ::: "memory");
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	static struct run r;
	uint8_t (*inner)[PKT_MTU_MAX];
	char dir[] = "/tmp/engine_cost.XXXXXX";
	size_t i, wire;
	char *end;

	if (argc != 4) {
		fprintf(stderr, "usage: engine_cost CIPHER[-BITS]/AUTH SIZE "
		    "N\n");
		return 2;
	}
	r.size = strtoul(argv[2], &end, 10);
	if (*end != '\0' || r.size < SIZE_MIN || r.size > 1400)
		die("SIZE: 28 to 1400 bytes");
	r.n = strtoul(argv[3], &end, 10);
	if (*end != '\0' || r.n == 0 || r.n > N_MAX)
		die("N: 1 to 100000");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	log_init("engine_cost", LOG_LVL_WARN, false);
	start(&r, argv[1], dir);
	/* The first packet of each direction warms up; the measured ones
	 * follow, so that sequence numbers start at 2. */
	if ((inner = calloc(r.n + 1, sizeof(*inner))) == NULL ||
	    (r.wire = calloc(r.n + 1, sizeof(*r.wire))) == NULL ||
	    (r.wire_len = calloc(r.n + 1, sizeof(*r.wire_len))) == NULL)
		die("out of memory");
	make_inner(inner[0], r.size, 0, true);
	warm_up(&r, inner);
	for (i = 0; i < r.n; i++)
		make_inner(inner[i], r.size, i + 1, true);
	measure_start();
	phase_encrypt(&r, inner);
	wire = check_encrypted(&r, inner);
	prepare_inbound(&r);
	phase_decrypt(&r);
	if (done_in != r.n)
		die("not every packet reached the tun");
	printf("engine_cost: %s %zu bytes x %zu each way: %zu on the wire, "
	    "all came back\n", argv[1], r.size, r.n, wire);
	engine_free(r.e);
	free(r.cf);
	dev_double_cleanup(&r.dd);
	close(r.peer);
	sa_crypto_free(r.in.crypto);
	sa_crypto_free(r.out.crypto);
	replay_free(&r.in.replay);
	replay_free(&r.out.replay);
	free(inner);
	free(r.wire);
	free(r.wire_len);
	return nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : 1;
}

/* The forwarding path of a running engine, end to end, without a kernel
 * tun: the engine's tun is the device double (src/net/dev_double.h),
 * whose other end the test holds, and its peer is this test, with a UDP
 * socket on loopback in a private network namespace and the ESP library
 * keyed from the same key file (manual keying, explicit SPIs).
 *
 *   - what the engine configured on its tun (MTU, address, route, up)
 *     and undid at the end;
 *   - a packet written into the tun leaves as ESP to the peer: SPI,
 *     sequence numbers 1, 2, ..., decrypted bytes equal;
 *   - ESP from the peer comes out of the tun byte for byte;
 *   - malformed packets from the tun are dropped, counted, and take no
 *     sequence number;
 *   - a TCP super-packet (virtio_net_hdr, TSO) leaves as the right
 *     number of ESP packets holding valid TCP segments (checksums
 *     verified with an RFC 1071 sum of this file's own);
 *   - in-order TCP segments of one flow received in one batch are
 *     written to the tun as one super-packet with offloads, and one by
 *     one without. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "src/datapath/datapath.h"
#include "src/esp/esp.h"
#include "src/net/dev_double.h"
#include "src/net/netlink.h"
#include "tests/unit/conf_testutil.h"

#define PORT_ENGINE 46100
#define PORT_PEER   46101
#define SPI_IN      4097        /* the engine's inbound SPI */
#define SPI_OUT     8194        /* the engine's outbound SPI */
#define KEY_SEED    17
#define KEY_BLOCK   36          /* aes-gcm-256: 32 key + 4 salt */
#define TUN_F_CSUM_ 0x01        /* linux/if_tun.h, without its includes */
#define TUN_F_TSO4_ 0x02
#define TUN_F_TSO6_ 0x04
#define WAIT_MS     10000       /* bounded waits: a busy machine is slow */

/* One engine, its tun's double, and the peer this test plays. */
struct fwd {
	bool               started;
	bool               cf_loaded;
	struct config     *cf;
	struct engine     *e;
	struct dev_double  dd;
	int                tun;         /* the test's end of the tun */
	int                peer;        /* the peer's UDP socket */
	struct sockaddr_in engine_addr;
	struct esp_sa      in;          /* decrypts what the engine sends */
	struct esp_sa      out;         /* encrypts what the peer sends */
};

static struct pkt pk;                   /* big: off the stack */
static uint8_t buf[70000], sent[70000];

static int
setup(void **state)
{
	struct nl nl;
	char *k;
	int lo;

	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	if (nl_open(&nl) == -1 || (lo = nl_link_index(&nl, "lo")) <= 0 ||
	    nl_link_set_up(&nl, lo, true) == -1)
		return -1;
	nl_close(&nl);
	if (tdir_setup(state) == -1 || (k = key_hex(2 * KEY_BLOCK,
	    KEY_SEED)) == NULL)
		return -1;
	put_file("k.key", k, 0600);
	free(k);
	/* Manual SAs start without marks: -R. */
	engine_set_fresh_state(true);
	return 0;
}

/* A plain RFC 1071 sum, written independently of util/csum.h. */
static uint16_t
ref_sum(const uint8_t *d, size_t len, uint32_t start)
{
	uint64_t s = start;
	size_t i;

	for (i = 0; i < len; i++)
		s += (i & 1) ? d[i] : (uint32_t)d[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The TCP pseudo-header sum (RFC 793) of an IPv4 packet, folded. */
static uint16_t
pseudo4(const uint8_t *ip, size_t l4len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	put16(ph + 10, (uint16_t)l4len);
	return ref_sum(ph, sizeof(ph), 0);
}

static bool
ip4_csum_ok(const uint8_t *ip)
{
	return ref_sum(ip, (size_t)(ip[0] & 0x0f) * 4, 0) == 0xffff;
}

static bool
tcp4_csum_ok(const uint8_t *ip, size_t len)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;

	return ref_sum(ip + hl, len - hl, pseudo4(ip, len - hl)) == 0xffff;
}

/* An IPv4 header of total bytes, its checksum set. */
static void
ip4(uint8_t *b, size_t total, const char *src, const char *dst,
    uint8_t proto, uint16_t id)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)total);
	put16(b + 4, id);
	b[6] = 0x40;                    /* DF */
	b[8] = 64;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	put16(b + 10, (uint16_t)~ref_sum(b, 20, 0));
}

/* A UDP datagram of total bytes (checksum 0: none, RFC 768). */
static size_t
udp4(uint8_t *b, size_t total, const char *src, const char *dst,
    uint8_t fill)
{
	size_t i;

	ip4(b, total, src, dst, IPPROTO_UDP, 7);
	put16(b + 20, 5353);
	put16(b + 22, 9);
	put16(b + 24, (uint16_t)(total - 20));
	put16(b + 26, 0);
	for (i = 28; i < total; i++)
		b[i] = (uint8_t)(i * 13 + fill);
	return total;
}

#define TH_FIN 0x01
#define TH_PSH 0x08
#define TH_ACK 0x10

/* The payload byte at stream offset i. */
static uint8_t
pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + i / 251 + 3);
}

/* A TCP segment (20-byte header) carrying payload bytes of the stream
 * from offset off, its checksum complete; or, partial, the folded
 * pseudo-header sum the kernel leaves for CHECKSUM_PARTIAL. */
static size_t
tcp4(uint8_t *b, const char *src, const char *dst, uint16_t id,
    uint32_t seq, uint32_t off, size_t payload, uint8_t flags, bool partial)
{
	size_t total = 40 + payload, i;
	uint8_t *th = b + 20;

	ip4(b, total, src, dst, IPPROTO_TCP, id);
	memset(th, 0, 20);
	put16(th, 40000);
	put16(th + 2, 5001);
	put32(th + 4, seq + off);
	put32(th + 8, 777);
	th[12] = 5 << 4;
	th[13] = flags;
	put16(th + 14, 512);
	for (i = 0; i < payload; i++)
		th[20 + i] = pattern(off + (uint32_t)i);
	if (partial)
		put16(th + 16, pseudo4(b, total - 20));
	else
		put16(th + 16, (uint16_t)~ref_sum(th, total - 20,
		    pseudo4(b, total - 20)));
	return total;
}

static void
sa_keyed(struct esp_sa *sa, uint32_t spi, int block, bool encrypt)
{
	const struct cipher_info *ci = cipher_by_name("aes-gcm");
	uint8_t key[KEY_BLOCK];
	size_t i;

	/* key_hex: byte i of the file is KEY_SEED + i. */
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(KEY_SEED + block * KEY_BLOCK + i);
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->crypto = sa_crypto_new(ci, key, sizeof(key), auth_by_name("none"),
	    NULL, 0, encrypt);
	assert_non_null(sa->crypto);
	assert_int_equal(replay_init(&sa->replay, 1024, false), 0);
	crypto_wipe(key, sizeof(key));
}

/* Everything fwd_start made; also after a failed assertion (teardown). */
static void
fwd_stop(struct fwd *f)
{
	if (!f->started)
		return;
	f->started = false;
	if (f->e != NULL)
		engine_free(f->e);      /* frees what cf holds */
	else if (f->cf_loaded)
		config_free(f->cf);     /* engine_new failed: still ours */
	f->e = NULL;
	free(f->cf);
	f->cf = NULL;
	if (f->peer >= 0)
		close(f->peer);
	f->peer = -1;
	dev_double_cleanup(&f->dd);
	sa_crypto_free(f->in.crypto);
	sa_crypto_free(f->out.crypto);
	f->in.crypto = f->out.crypto = NULL;
	replay_free(&f->in.replay);
	replay_free(&f->out.replay);
}

/* The one fixture, so that a failed test's engine is stopped too. */
static struct fwd fw;

static int
teardown(void **state)
{
	(void)state;
	fwd_stop(&fw);
	return 0;
}

/* Starts a central site whose one remote peer is this test; tun offloads
 * asked for (and claimed by the double) or not. */
static void
fwd_start(struct fwd *f, bool offload, unsigned outer_mtu)
{
	struct conf_error err;
	struct sockaddr_in a;
	char text[2048], path[512];
	int one = 1;

	assert_false(f->started);
	memset(f, 0, sizeof(*f));
	f->peer = -1;
	dev_double_init(&f->dd);
	f->started = true;
	/* Each start begins at sequence number 1. */
	snprintf(path, sizeof(path), "%s/s.state", tdir);
	(void)unlink(path);
	snprintf(text, sizeof(text),
	    "site \"c\" {\n network 10.1.0.0/24\n outer 127.0.0.1\n"
	    " port %d\n tun vt0\n tun-offload %s\n outer-mtu %u\n"
	    " state-file \"%s/s.state\"\n control \"%s/c.sock\"\n}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n"
	    " endpoint 127.0.0.1 port %d\n cipher aes-gcm\n key \"k.key\"\n"
	    " keying manual\n spi in %d out %d\n keepalive 0\n}\n",
	    PORT_ENGINE, offload ? "yes" : "no", outer_mtu, tdir, tdir,
	    PORT_PEER, SPI_IN, SPI_OUT);
	f->cf = calloc(1, sizeof(*f->cf));
	assert_non_null(f->cf);
	if (config_load_string("site.conf", text, tdir, f->cf, &err) == -1)
		fail_msg("config: %s", err.msg);
	f->cf_loaded = true;
	f->e = engine_new(f->cf);
	assert_non_null(f->e);
	f->dd.port[DEV_TUN].offload = true;
	f->dd.port[DEV_TUN].features = TUN_F_CSUM_ | TUN_F_TSO4_ | TUN_F_TSO6_;
	engine_set_dev_ops(f->e, &dev_ops_double, &f->dd);
	assert_int_equal(engine_start(f->e), 0);
	f->tun = f->dd.port[DEV_TUN].fd;
	assert_true(f->tun >= 0);
	assert_int_equal(f->e->tun.offl.vnet_hdr, offload);

	f->peer = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->peer >= 0);
	(void)setsockopt(f->peer, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(PORT_PEER);
	assert_int_equal(bind(f->peer, (struct sockaddr *)&a, sizeof(a)), 0);
	f->engine_addr = a;
	f->engine_addr.sin_port = htons(PORT_ENGINE);
	/* Central -> remote is the key file's first block. */
	sa_keyed(&f->in, SPI_OUT, 0, false);
	sa_keyed(&f->out, SPI_IN, 1, true);
}

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

typedef bool (*cond_fn)(struct fwd *, const void *);

/* Runs the engine's loop until done says so; false after WAIT_MS. */
static bool
pump_until(struct fwd *f, cond_fn done, const void *arg)
{
	struct pollfd p[2] = {
		{ .fd = f->tun, .events = POLLIN },
		{ .fd = f->peer, .events = POLLIN },
	};
	long long end = ms_now() + WAIT_MS;

	for (;;) {
		assert_int_not_equal(event_base_loop(f->e->base,
		    EVLOOP_NONBLOCK), -1);
		if (done(f, arg))
			return true;
		if (ms_now() > end)
			return false;
		/* The engine's fds are its own: wake up often to look. */
		(void)poll(p, 2, 1);
	}
}

static bool
peer_readable(struct fwd *f, const void *arg)
{
	(void)arg;
	return readable(f->peer);
}

static bool
tun_readable(struct fwd *f, const void *arg)
{
	(void)arg;
	return readable(f->tun);
}

static bool
drops_reach(struct fwd *f, const void *arg)
{
	return f->e->drops[SITE_DROP_MALFORMED] >= *(const uint64_t *)arg;
}

static bool
received_reach(struct fwd *f, const void *arg)
{
	return f->e->socks[OSOCK_UDP4].rx_datagrams >= *(const uint64_t *)arg;
}

/* Writes what the kernel would hand the engine: behind a virtio_net_hdr
 * (vh, or all zero) when the tun has offloads. */
static void
tun_put(struct fwd *f, const struct virtio_net_hdr *vh, const uint8_t *d,
    size_t len)
{
	struct virtio_net_hdr zero;
	struct iovec iov[2];
	struct msghdr mh;
	int k = 0;

	memset(&zero, 0, sizeof(zero));
	if (f->e->tun.offl.vnet_hdr)
		iov[k++] = (struct iovec){ (void *)(uintptr_t)(vh != NULL ?
		    vh : &zero), sizeof(zero) };
	iov[k++] = (struct iovec){ (void *)(uintptr_t)d, len };
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)k;
	assert_int_equal(sendmsg(f->tun, &mh, 0),
	    (ssize_t)(len + (k == 2 ? sizeof(zero) : 0)));
}

/* The next message the engine wrote to its tun, into buf. */
static size_t
tun_get(struct fwd *f)
{
	ssize_t n;

	assert_true(pump_until(f, tun_readable, NULL));
	n = recv(f->tun, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 0);
	return (size_t)n;
}

/* Sends the inner packet d from the peer, as ESP. */
static void
peer_send(struct fwd *f, const uint8_t *d, size_t len)
{
	pkt_reset(&pk);
	memcpy(pkt_data(&pk), d, len);
	pk.len = len;
	assert_int_equal(esp_encap(&f->out, &pk, 4), 0);
	assert_int_equal(sendto(f->peer, pkt_data(&pk), pk.len, 0,
	    (struct sockaddr *)&f->engine_addr, sizeof(f->engine_addr)),
	    (ssize_t)pk.len);
}

/* The next ESP packet the engine sent the peer, decrypted into pk:
 * checked to come from the engine's socket with its outbound SPI and
 * the sequence number want. Returns the inner length. */
static size_t
peer_get(struct fwd *f, uint32_t want_seq)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint64_t seq;
	uint8_t nh;
	ssize_t n;

	assert_true(pump_until(f, peer_readable, NULL));
	pkt_reset(&pk);
	n = recvfrom(f->peer, pkt_data(&pk), PKT_MTU_MAX, MSG_DONTWAIT,
	    (struct sockaddr *)&from, &fl);
	assert_true(n >= ESP_HDR_LEN);
	assert_int_equal(ntohs(from.sin_port), PORT_ENGINE);
	assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	pk.len = (size_t)n;
	assert_int_equal(get32(pkt_data(&pk)), SPI_OUT);
	assert_int_equal(get32(pkt_data(&pk) + 4), want_seq);
	assert_int_equal(esp_decap(&f->in, &pk, &nh, &seq, false), ESP_OK);
	assert_int_equal(seq, want_seq);
	assert_true(esp_accept(&f->in, seq));
	assert_int_equal(nh, 4);
	return pk.len;
}

/* The tun as device.c set it up, and undone at the end. */
static void
test_device_setup(void **state)
{
	const struct dev_double_port *t;
	struct fwd *f = &fw;
	uint8_t a[4];

	(void)state;
	fwd_start(f, true, 1500);
	t = &f->dd.port[DEV_TUN];
	assert_int_equal(t->opens, 1);
	assert_string_equal(t->name, "vt0");
	assert_string_equal(f->e->tun_name, "vt0");
	assert_true(t->asked_offload);
	assert_int_equal(f->e->tun.offl.features, TUN_F_CSUM_ | TUN_F_TSO4_ |
	    TUN_F_TSO6_);
	assert_int_equal(t->mtu, f->e->mtu);
	assert_true(t->mtu >= 1400 && t->mtu < 1500);
	assert_true(t->up);
	/* Host 1 of the network, and a route to the peer's. */
	assert_int_equal(t->naddrs, 1);
	inet_pton(AF_INET, "10.1.0.1", a);
	assert_int_equal(t->addrs[0].af, AF_INET);
	assert_memory_equal(t->addrs[0].addr, a, 4);
	assert_int_equal(t->addrs[0].len, 24);
	assert_int_equal(t->nroutes, 1);
	inet_pton(AF_INET, "10.1.1.0", a);
	assert_memory_equal(t->routes[0].addr, a, 4);
	assert_int_equal(t->routes[0].len, 24);
	assert_null(f->e->br);
	engine_free(f->e);
	f->e = NULL;
	assert_int_equal(t->routes_deleted, 1);
	assert_int_equal(t->nroutes, 0);
	assert_int_equal(t->closes, 1);
	/* The engine's end is gone: the test's end reads end of file. */
	assert_int_equal(recv(f->tun, buf, sizeof(buf), MSG_DONTWAIT), 0);
	fwd_stop(f);
}

/* tun -> ESP, with and without offloads: SPI, sequence numbers 1..n in
 * order, the decrypted packet equal to what was written. */
static void
test_tun_to_esp(void **state)
{
	struct fwd *f = &fw;
	size_t len, got;
	uint32_t i;
	int mode;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		fwd_start(f, mode == 1, 1500);
		for (i = 1; i <= 5; i++) {
			len = udp4(sent, 100 + 250 * i, "10.1.0.7", "10.1.1.5",
			    (uint8_t)i);
			tun_put(f, NULL, sent, len);
			got = peer_get(f, i);
			assert_int_equal(got, len);
			assert_memory_equal(pkt_data(&pk), sent, len);
		}
		assert_int_equal(f->e->peers[0].st.packets_out, 5);
		assert_int_equal(f->dd.port[DEV_TUN].reads, 5);
		assert_false(readable(f->peer));
		fwd_stop(f);
	}
}

/* ESP -> tun: byte for byte, behind a zero header with offloads. */
static void
test_esp_to_tun(void **state)
{
	struct fwd *f = &fw;
	size_t len, n, hl;
	uint32_t i;
	int mode;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		fwd_start(f, mode == 1, 1500);
		hl = mode == 1 ? sizeof(struct virtio_net_hdr) : 0;
		for (i = 1; i <= 5; i++) {
			len = udp4(sent, 60 + 250 * i, "10.1.1.5", "10.1.0.7",
			    (uint8_t)(i + 40));
			peer_send(f, sent, len);
			n = tun_get(f);
			assert_int_equal(n, hl + len);
			if (hl > 0) {
				static const uint8_t zero[sizeof(struct
				    virtio_net_hdr)];

				assert_memory_equal(buf, zero, hl);
			}
			assert_memory_equal(buf + hl, sent, len);
		}
		assert_int_equal(f->e->peers[0].st.packets_in, 5);
		assert_int_equal(f->dd.port[DEV_TUN].writes, 5);
		fwd_stop(f);
	}
}

/* Junk from the tun is dropped and counted as malformed, and uses no
 * sequence number: the next good packet leaves as number 1. */
static void
test_malformed(void **state)
{
	static const uint8_t short3[3] = { 0x45, 0, 0 };
	struct virtio_net_hdr vh;
	struct fwd *f = &fw;
	uint64_t want;
	size_t len;
	int mode;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		fwd_start(f, mode == 1, 1500);
		want = f->e->drops[SITE_DROP_MALFORMED];
		/* Shorter than an IP header. */
		tun_put(f, NULL, short3, sizeof(short3));
		want++;
		assert_true(pump_until(f, drops_reach, &want));
		/* IP version 5. */
		len = udp4(sent, 200, "10.1.0.7", "10.1.1.5", 1);
		sent[0] = 0x55;
		tun_put(f, NULL, sent, len);
		want++;
		assert_true(pump_until(f, drops_reach, &want));
		/* Total length beyond what was read. */
		len = udp4(sent, 200, "10.1.0.7", "10.1.1.5", 1);
		put16(sent + 2, 400);
		tun_put(f, NULL, sent, len);
		want++;
		assert_true(pump_until(f, drops_reach, &want));
		if (mode == 1) {
			/* Shorter than the virtio_net_hdr itself. */
			assert_int_equal(send(f->tun, short3, sizeof(short3), 0),
			    3);
			want++;
			assert_true(pump_until(f, drops_reach, &want));
			/* TCP segmentation asked of a UDP datagram. */
			memset(&vh, 0, sizeof(vh));
			vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
			vh.hdr_len = 40;
			vh.gso_size = 100;
			vh.csum_start = 20;
			vh.csum_offset = 16;
			len = udp4(sent, 1000, "10.1.0.7", "10.1.1.5", 1);
			tun_put(f, &vh, sent, len);
			want++;
			assert_true(pump_until(f, drops_reach, &want));
		}
		len = udp4(sent, 300, "10.1.0.7", "10.1.1.5", 9);
		tun_put(f, NULL, sent, len);
		assert_int_equal(peer_get(f, 1), len);
		assert_memory_equal(pkt_data(&pk), sent, len);
		assert_false(readable(f->peer));
		assert_int_equal(f->e->drops[SITE_DROP_MALFORMED], want);
		assert_int_equal(f->e->peers[0].st.packets_out, 1);
		fwd_stop(f);
	}
}

/* A 20 KB TCP super-packet (TSO, gso_size 1400) leaves as tunnel-sized
 * segments with what the kernel's segmentation would give them. */
static void
check_tso(unsigned outer_mtu)
{
	const uint32_t seq0 = 1000000, payload = 20000;
	struct virtio_net_hdr vh;
	struct fwd *f = &fw;
	size_t len, mss, count, i, plen;
	const uint8_t *ip, *th;

	fwd_start(f, true, outer_mtu);
	len = tcp4(sent, "10.1.0.7", "10.1.1.5", 0x1234, seq0, 0, payload,
	    TH_ACK | TH_PSH, true);
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.hdr_len = 40;
	vh.gso_size = 1400;
	vh.csum_start = 20;
	vh.csum_offset = 16;
	tun_put(f, &vh, sent, len);
	/* TCP segments are cut to the tunnel's MTU when it is smaller. */
	mss = f->e->mtu_v4 - 40 < 1400 ? f->e->mtu_v4 - 40 : 1400;
	count = (payload + mss - 1) / mss;
	if (outer_mtu == 9000)
		assert_int_equal(count, 15);
	else
		assert_true(mss < 1400);
	for (i = 0; i < count; i++) {
		plen = i + 1 < count ? mss : payload - i * mss;
		assert_int_equal(peer_get(f, (uint32_t)i + 1), 40 + plen);
		ip = pkt_data(&pk);
		th = ip + 20;
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(get16(ip + 2), 40 + plen);
		assert_int_equal(get16(ip + 4), 0x1234 + i);
		assert_int_equal(ip[6] & 0x40, 0x40);
		assert_int_equal(ip[9], IPPROTO_TCP);
		assert_memory_equal(ip + 12, sent + 12, 8);
		assert_true(ip4_csum_ok(ip));
		assert_true(tcp4_csum_ok(ip, 40 + plen));
		assert_int_equal(get16(th), 40000);
		assert_int_equal(get16(th + 2), 5001);
		assert_int_equal(get32(th + 4), seq0 + i * mss);
		assert_int_equal(get32(th + 8), 777);
		/* PSH on the last segment only. */
		assert_int_equal(th[13], i + 1 < count ? TH_ACK :
		    TH_ACK | TH_PSH);
		assert_memory_equal(th + 20, sent + 40 + i * mss, plen);
	}
	assert_false(readable(f->peer));
	assert_int_equal(f->e->offl.super_in, 1);
	assert_int_equal(f->e->offl.segments_out, count);
	assert_int_equal(f->e->peers[0].st.packets_out, count);
	fwd_stop(f);
}

static void
test_tso(void **state)
{
	(void)state;
	check_tso(9000);        /* gso_size decides: 14 x 1400 + 400 */
	check_tso(1500);        /* the tunnel's MTU does */
}

/* Sends n in-order segments of one flow (payload bytes each) in one
 * burst; true if the engine received them with one recvmmsg. */
static bool
send_flow(struct fwd *f, uint32_t seq0, size_t n, size_t payload)
{
	struct outer_sock *s = &f->e->socks[OSOCK_UDP4];
	uint64_t calls = s->rx_calls, want = s->rx_datagrams + n;
	uint8_t seg[2000];
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = tcp4(seg, "10.1.1.5", "10.1.0.7", (uint16_t)(100 + i),
		    seq0, (uint32_t)(i * payload), payload, i + 1 < n ?
		    TH_ACK : TH_ACK | TH_PSH, false);
		memcpy(sent + i * len, seg, len);
		peer_send(f, seg, len);
	}
	assert_true(pump_until(f, received_reach, &want));
	return s->rx_calls == calls + 1;
}

/* Inbound segments of one flow in one batch: one coalesced write with
 * a virtio_net_hdr (TCPV4) when the tun has offloads, n writes of the
 * packets as they were without. */
static void
test_coalesce(void **state)
{
	const size_t n = 8, payload = 1000, seglen = 40 + 1000;
	struct virtio_net_hdr vh;
	struct fwd *f = &fw;
	uint32_t seq0 = 5000;
	uint64_t super, merged, in;
	size_t got, i;
	int tries;
	bool one = false;

	(void)state;
	/* Without offloads: every segment alone, unchanged. */
	fwd_start(f, false, 1500);
	(void)send_flow(f, seq0, n, payload);
	for (i = 0; i < n; i++) {
		assert_int_equal(tun_get(f), seglen);
		assert_memory_equal(buf, sent + i * seglen, seglen);
	}
	assert_false(readable(f->tun));
	assert_int_equal(f->dd.port[DEV_TUN].writes, n);
	assert_int_equal(f->e->offl.super_out, 0);
	fwd_stop(f);

	fwd_start(f, true, 1500);
	/* One batch is the premise: a burst that the kernel delivered in
	 * two (a busy machine) is sent again as a new flow. */
	for (tries = 0; tries < 5; tries++, seq0 += 100000) {
		super = f->e->offl.super_out;
		merged = f->e->offl.segments_in;
		in = f->e->peers[0].st.packets_in;
		one = send_flow(f, seq0, n, payload);
		if (one)
			break;
		while (readable(f->tun))
			(void)recv(f->tun, buf, sizeof(buf), MSG_DONTWAIT);
	}
	assert_true(one);
	got = tun_get(f);
	assert_false(readable(f->tun));
	assert_int_equal(got, sizeof(vh) + 40 + n * payload);
	memcpy(&vh, buf, sizeof(vh));
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, payload);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 20);
	assert_int_equal(vh.csum_offset, 16);
	assert_int_equal(vh.hdr_len, 40);
	{
		const uint8_t *ip = buf + sizeof(vh), *th = ip + 20;

		assert_int_equal(get16(ip + 2), 40 + n * payload);
		assert_memory_equal(ip + 12, sent + 12, 8);
		assert_true(ip4_csum_ok(ip));
		assert_int_equal(get32(th + 4), seq0);
		assert_int_equal(get32(th + 8), 777);
		/* The run's PSH, from its last segment. */
		assert_int_equal(th[13], TH_ACK | TH_PSH);
		/* CHECKSUM_PARTIAL: the pseudo-header sum, left for the
		 * kernel to finish. */
		assert_int_equal(get16(th + 16), pseudo4(ip, 20 + n * payload));
		for (i = 0; i < n * payload; i++)
			if (th[20 + i] != pattern((uint32_t)i))
				fail_msg("payload byte %zu differs", i);
	}
	assert_int_equal(f->e->offl.super_out, super + 1);
	assert_int_equal(f->e->offl.segments_in, merged + n);
	assert_int_equal(f->e->peers[0].st.packets_in, in + n);
	print_message("coalesce: one batch after %d retries\n", tries);
	fwd_stop(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_device_setup, teardown),
		cmocka_unit_test_teardown(test_tun_to_esp, teardown),
		cmocka_unit_test_teardown(test_esp_to_tun, teardown),
		cmocka_unit_test_teardown(test_malformed, teardown),
		cmocka_unit_test_teardown(test_tso, teardown),
		cmocka_unit_test_teardown(test_coalesce, teardown),
	};

	return cmocka_run_group_tests(tests, setup, tdir_teardown);
}

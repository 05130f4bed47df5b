/* udp-flood: floods a vpntund with ESP-looking junk, for
 * tests/integration/test_socket_filter.sh and bench/flood. Never aim it
 * at anything but a test namespace.
 *
 *   udp-flood -d DST [-t udp|esp] [-p PORT] [-n COUNT] [-r PPS] [-T SECS]
 *       [-l LEN] -j SRC/LEN [-s PEER_SRC -i SPI [-q SEQ] [-f PERCENT]]
 *
 * Sends COUNT packets (or for SECS seconds) to DST, ESP in UDP to PORT
 * (default 4500) or raw IP protocol 50, LEN bytes of ESP each (default
 * 120: a header, then random bytes). Two kinds, mixed:
 *   junk  from random addresses in SRC/LEN (-j), with a random SPI and
 *         sequence number;
 *   peer  from PEER_SRC (-s: a peer's spoofed address) on SPI (-i) with
 *         sequence numbers counting up from SEQ (-q, default 2^31), so
 *         that they pass the replay check and fail the ICV.
 * -f is the share of peer packets in percent (default 0 without -s, 50
 * with it). The IP header is ours (IPPROTO_RAW), so any source goes; UDP
 * checksums are computed. Packets leave in batches of 64 (sendmmsg),
 * paced by a token bucket at PPS (-r; default: as fast as it goes).
 * Prints one line at the end:
 *   sent N junk J peer P errors E secs S rate R
 * Needs CAP_NET_RAW. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH           64
#define LEN_MAX         1400
#define HDR_MAX         48              /* IPv6 + UDP */
#define PROTO_ESP       50
#define PROTO_UDP       17

struct opts {
	int                 af;
	struct in6_addr     dst, peer, junk;    /* IPv4 in the first 4 bytes */
	unsigned            junk_len;           /* prefix length */
	bool                have_peer;
	bool                udp;
	uint16_t            port;
	uint64_t            count;
	double              pps, secs;
	size_t              len;
	uint32_t            spi, seq;
	unsigned            peer_pct;
};

struct rng {
	uint64_t s;
};

/* splitmix64: fast, and good enough for junk. */
static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
usage(void)
{
	fprintf(stderr, "usage: udp-flood -d DST [-t udp|esp] [-p PORT] "
	    "[-n COUNT] [-r PPS] [-T SECS]\n\t[-l LEN] -j SRC/LEN "
	    "[-s PEER_SRC -i SPI [-q SEQ] [-f PERCENT]]\n");
	exit(2);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
parse_addr(const char *s, int *af, struct in6_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a) == 1) {
		*af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*af = AF_INET6;
		return 0;
	}
	return -1;
}

static unsigned long long
num(const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > max) {
		fprintf(stderr, "udp-flood: bad number \"%s\"\n", s);
		exit(2);
	}
	return v;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	bool have_dst = false, have_junk = false, have_pct = false;
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	int c, af;

	memset(o, 0, sizeof(*o));
	o->udp = true;
	o->port = 4500;
	o->len = 120;
	o->seq = 0x80000000u;
	while ((c = getopt(argc, argv, "d:t:p:n:r:T:l:j:s:i:q:f:")) != -1) {
		switch (c) {
		case 'd':
			if (parse_addr(optarg, &o->af, &o->dst) == -1)
				usage();
			have_dst = true;
			break;
		case 't':
			if (strcmp(optarg, "udp") != 0 &&
			    strcmp(optarg, "esp") != 0)
				usage();
			o->udp = strcmp(optarg, "udp") == 0;
			break;
		case 'p':
			o->port = (uint16_t)num(optarg, 65535);
			break;
		case 'n':
			o->count = num(optarg, UINT64_MAX);
			break;
		case 'r':
			o->pps = (double)num(optarg, 100000000);
			break;
		case 'T':
			o->secs = (double)num(optarg, 86400);
			break;
		case 'l':
			o->len = (size_t)num(optarg, LEN_MAX);
			break;
		case 'j':
			snprintf(buf, sizeof(buf), "%s", optarg);
			if ((slash = strchr(buf, '/')) == NULL)
				usage();
			*slash = '\0';
			if (parse_addr(buf, &af, &o->junk) == -1)
				usage();
			o->junk_len = (unsigned)num(slash + 1,
			    af == AF_INET ? 32 : 128);
			have_junk = true;
			break;
		case 's':
			if (parse_addr(optarg, &af, &o->peer) == -1)
				usage();
			o->have_peer = true;
			break;
		case 'i':
			o->spi = (uint32_t)num(optarg, UINT32_MAX);
			break;
		case 'q':
			o->seq = (uint32_t)num(optarg, UINT32_MAX);
			break;
		case 'f':
			o->peer_pct = (unsigned)num(optarg, 100);
			have_pct = true;
			break;
		default:
			usage();
		}
	}
	if (!have_dst || (o->count == 0 && o->secs == 0) || o->len < 8 ||
	    (o->have_peer && o->spi == 0))
		usage();
	if (!have_pct)
		o->peer_pct = o->have_peer ? 50 : 0;
	if (!o->have_peer)
		o->peer_pct = 0;
	if (!have_junk && o->peer_pct < 100)
		usage();
}

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
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

/* A random address inside the junk prefix that is not the peer's. */
static void
junk_src(const struct opts *o, struct rng *r, struct in6_addr *a)
{
	unsigned bits = o->af == AF_INET ? 32 : 128, i;
	uint8_t rnd[16];
	uint64_t x;

	do {
		x = rng_next(r);
		memcpy(rnd, &x, 8);
		x = rng_next(r);
		memcpy(rnd + 8, &x, 8);
		*a = o->junk;
		for (i = o->junk_len; i < bits; i++) {
			uint8_t m = (uint8_t)(0x80 >> (i % 8));

			a->s6_addr[i / 8] = (uint8_t)((a->s6_addr[i / 8] & ~m) |
			    (rnd[i / 8] & m));
		}
	} while (o->have_peer && memcmp(a, &o->peer, bits / 8) == 0);
}

/* Writes one packet into buf: IP header, UDP header if any, ESP. */
static size_t
build(const struct opts *o, struct rng *r, bool peer, uint32_t seq,
    const uint8_t *body, uint8_t *buf)
{
	struct in6_addr src;
	size_t iphl = o->af == AF_INET ? 20 : 40, udpl = o->udp ? 8 : 0;
	size_t esp = iphl + udpl, total = esp + o->len;
	uint32_t s;

	if (peer)
		src = o->peer;
	else
		junk_src(o, r, &src);
	memset(buf, 0, esp);
	if (o->af == AF_INET) {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)total);
		buf[6] = 0x40;                  /* DF */
		buf[8] = 64;
		buf[9] = o->udp ? PROTO_UDP : PROTO_ESP;
		memcpy(buf + 12, &src, 4);
		memcpy(buf + 16, &o->dst, 4);
		/* The kernel fills in the header checksum (and an ID). */
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(total - 40));
		buf[6] = o->udp ? PROTO_UDP : PROTO_ESP;
		buf[7] = 64;
		memcpy(buf + 8, &src, 16);
		memcpy(buf + 24, &o->dst, 16);
	}
	memcpy(buf + esp, body, o->len);
	put32(buf + esp, peer ? o->spi : (uint32_t)rng_next(r) | 0x100);
	put32(buf + esp + 4, peer ? seq : (uint32_t)rng_next(r));
	if (!o->udp)
		return total;
	put16(buf + iphl, peer ? 4500 : (uint16_t)(1024 + rng_next(r) % 60000));
	put16(buf + iphl + 2, o->port);
	put16(buf + iphl + 4, (uint16_t)(udpl + o->len));
	/* Pseudo-header (RFC 768, RFC 8200 8.1), then the datagram. */
	s = o->af == AF_INET ? sum16(buf + 12, 8, 0) : sum16(buf + 8, 32, 0);
	s += PROTO_UDP + (uint32_t)(udpl + o->len);
	s = sum16(buf + iphl, udpl + o->len, s);
	put16(buf + iphl + 6, fold(s) != 0 ? fold(s) : 0xffff);
	return total;
}

int
main(int argc, char **argv)
{
	static uint8_t pkts[BATCH][HDR_MAX + LEN_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to;
	uint8_t body[LEN_MAX];
	struct opts o;
	struct rng r;
	uint64_t sent = 0, junk = 0, peer = 0, errors = 0, want;
	uint32_t seq;
	double start, last, now, tokens = BATCH, end;
	int fd, i, n, k;
	bool is_peer[BATCH];

	parse_opts(argc, argv, &o);
	seq = o.seq;
	if (getrandom(&r.s, sizeof(r.s), 0) != sizeof(r.s) ||
	    getrandom(body, o.len, 0) != (ssize_t)o.len) {
		perror("udp-flood: getrandom");
		return 1;
	}
	fd = socket(o.af, SOCK_RAW, IPPROTO_RAW);
	if (fd == -1) {
		perror("udp-flood: raw socket");
		return 1;
	}
	memset(&to, 0, sizeof(to));
	to.ss_family = (sa_family_t)o.af;
	if (o.af == AF_INET)
		memcpy(&((struct sockaddr_in *)&to)->sin_addr, &o.dst, 4);
	else
		((struct sockaddr_in6 *)&to)->sin6_addr = o.dst;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = pkts[i];
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = o.af == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	start = last = now_s();
	end = o.secs > 0 ? start + o.secs : 0;
	for (;;) {
		now = now_s();
		if (end > 0 && now >= end)
			break;
		if (o.count > 0 && sent >= o.count)
			break;
		want = BATCH;
		if (o.count > 0 && o.count - sent < want)
			want = o.count - sent;
		/* Token bucket: at most one batch of burst. */
		if (o.pps > 0) {
			tokens += (now - last) * o.pps;
			if (tokens > 2 * BATCH)
				tokens = 2 * BATCH;
			last = now;
			if (tokens < (double)want) {
				struct timespec ts;
				double wait = ((double)want - tokens) / o.pps;

				ts.tv_sec = (time_t)wait;
				ts.tv_nsec = (long)((wait - (double)ts.tv_sec) *
				    1e9);
				nanosleep(&ts, NULL);
				continue;
			}
		}
		for (i = 0; i < (int)want; i++) {
			is_peer[i] = o.peer_pct > 0 &&
			    rng_next(&r) % 100 < o.peer_pct;
			iov[i].iov_len = build(&o, &r, is_peer[i],
			    is_peer[i] ? seq++ : 0, body, pkts[i]);
		}
		for (k = 0; k < (int)want; k += n) {
			n = sendmmsg(fd, msgs + k, (unsigned)((int)want - k), 0);
			if (n <= 0) {
				/* A full device queue: count it, go on. */
				errors++;
				if (errno != ENOBUFS && errno != EAGAIN &&
				    errno != EINTR) {
					perror("udp-flood: sendmmsg");
					return 1;
				}
				break;
			}
		}
		for (i = 0; i < k && i < (int)want; i++) {
			sent++;
			if (is_peer[i])
				peer++;
			else
				junk++;
		}
		tokens -= (double)want;
	}
	now = now_s();
	printf("sent %llu junk %llu peer %llu errors %llu secs %.3f rate %.0f\n",
	    (unsigned long long)sent, (unsigned long long)junk,
	    (unsigned long long)peer, (unsigned long long)errors, now - start,
	    (double)sent / (now - start));
	close(fd);
	return 0;
}

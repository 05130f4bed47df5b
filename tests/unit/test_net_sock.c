/* Outer sockets on loopback in a private network namespace: per-packet
 * TOS / traffic class both ways, RFC 3948 demultiplexing, raw ESP v4/v6,
 * DF and EMSGSIZE, batches (sendmmsg / recvmmsg), UDP GSO and GRO. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/net/netlink.h"
#include "src/net/sock.h"

#define PORT_RX 45000
#define PORT_TX 45001

static const uint8_t tos_values[] = { 0xb9, 0xb8, 0xba, 0xbb, 0x02, 0x00 };

static int lo_index;

static int
setup(void **state)
{
	struct nl nl;

	(void)state;
	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	if (nl_open(&nl) == -1 || (lo_index = nl_link_index(&nl, "lo")) <= 0 ||
	    nl_link_set_up(&nl, lo_index, true) == -1)
		return -1;
	nl_close(&nl);
	return 0;
}

static void
addr(struct sockaddr_storage *ss, sa_family_t af, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = af;
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons(port);
	}
}

static void
wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 2000), 1);
}

/* An ESP-looking datagram: SPI, sequence number, some bytes. */
static size_t
esp_payload(uint8_t *p, uint32_t seq, size_t len)
{
	size_t i;

	p[0] = 0x00; p[1] = 0x00; p[2] = 0x10; p[3] = 0x01;
	p[4] = seq >> 24; p[5] = seq >> 16; p[6] = seq >> 8; p[7] = seq;
	for (i = 8; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seq);
	return len;
}

static enum sock_rx
recv_one(int fd, enum outer_kind kind, sa_family_t af, uint8_t *buf,
    size_t cap, size_t *off, size_t *len, struct sockaddr_storage *src,
    uint8_t *tos)
{
	wait_readable(fd);
	return sock_recv(fd, kind, af, buf, cap, off, len, src, tos);
}

static void
udp_pair(sa_family_t af, const char *want_src)
{
	struct sockaddr_storage local, dst, src;
	uint8_t pkt[200], buf[2048], tos;
	size_t off, len, i, n;
	char s[64];
	int rx, tx;

	addr(&local, af, 0);
	rx = sock_udp_open(af, &local, PORT_RX);
	tx = sock_udp_open(af, NULL, PORT_TX);
	assert_true(rx >= 0 && tx >= 0);
	addr(&dst, af, PORT_RX);

	for (i = 0; i < sizeof(tos_values); i++) {
		n = esp_payload(pkt, (uint32_t)i + 1, 100 + i);
		assert_int_equal(sock_send(tx, OUTER_UDP, &dst, tos_values[i],
		    pkt, n), 0);
		assert_int_equal(recv_one(rx, OUTER_UDP, af, buf, sizeof(buf),
		    &off, &len, &src, &tos), SOCK_RX_ESP);
		assert_int_equal(off, 0);
		assert_int_equal(len, n);
		assert_memory_equal(buf + off, pkt, n);
		assert_int_equal(tos, tos_values[i]);
		assert_string_equal(sockaddr_ntop(&src, s, sizeof(s)), want_src);
	}

	/* NAT-keepalive (RFC 3948 2.3). */
	assert_int_equal(sock_send_keepalive(tx, &dst), 0);
	assert_int_equal(recv_one(rx, OUTER_UDP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_KEEPALIVE);
	assert_int_equal(len, 1);

	/* Non-ESP marker (RFC 3948 2.2): IKE on the same port. */
	memset(pkt, 0, 4);
	memset(pkt + 4, 0x5a, 40);
	assert_int_equal(sock_send(tx, OUTER_UDP, &dst, 0, pkt, 44), 0);
	assert_int_equal(recv_one(rx, OUTER_UDP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_NON_ESP);
	/* Runt: shorter than SPI + sequence number. */
	esp_payload(pkt, 9, 8);
	assert_int_equal(sock_send(tx, OUTER_UDP, &dst, 0, pkt, 7), 0);
	assert_int_equal(recv_one(rx, OUTER_UDP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_NON_ESP);
	/* Exactly 8 bytes is the smallest ESP header. */
	assert_int_equal(sock_send(tx, OUTER_UDP, &dst, 0, pkt, 8), 0);
	assert_int_equal(recv_one(rx, OUTER_UDP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_ESP);
	/* A datagram larger than the buffer is dropped whole. */
	n = esp_payload(pkt, 10, sizeof(pkt));
	assert_int_equal(sock_send(tx, OUTER_UDP, &dst, 0, pkt, n), 0);
	assert_int_equal(recv_one(rx, OUTER_UDP, af, buf, 64, &off, &len,
	    &src, &tos), SOCK_RX_NON_ESP);

	assert_int_equal(sock_recv(rx, OUTER_UDP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_AGAIN);
	close(rx);
	close(tx);
}

static void
test_udp_v4(void **state)
{
	(void)state;
	udp_pair(AF_INET, "127.0.0.1:45001");
}

static void
test_udp_v6(void **state)
{
	(void)state;
	udp_pair(AF_INET6, "[::1]:45001");
}

/* Raw sockets for protocol 50 each receive every ESP packet, so the
 * sender's own socket serves as receiver. */
static void
raw_esp(sa_family_t af)
{
	struct sockaddr_storage dst, src;
	uint8_t pkt[300], buf[2048], tos;
	size_t off, len, i, n;
	char s[64];
	int fd;

	fd = sock_esp_open(af, NULL);
	assert_true(fd >= 0);
	addr(&dst, af, 0);
	for (i = 0; i < sizeof(tos_values); i++) {
		n = esp_payload(pkt, (uint32_t)i + 100, 60 + 13 * i);
		assert_int_equal(sock_send(fd, OUTER_ESP, &dst, tos_values[i],
		    pkt, n), 0);
		assert_int_equal(recv_one(fd, OUTER_ESP, af, buf, sizeof(buf),
		    &off, &len, &src, &tos), SOCK_RX_ESP);
		if (af == AF_INET) {
			/* The IP header is skipped, and it had DF set. */
			assert_int_equal(off, 20);
			assert_int_equal(buf[9], IPPROTO_ESP);
			assert_true(buf[6] & 0x40);
			assert_string_equal(sockaddr_ntop(&src, s, sizeof(s)),
			    "127.0.0.1:0");
		} else {
			assert_int_equal(off, 0);
			assert_string_equal(sockaddr_ntop(&src, s, sizeof(s)),
			    "[::1]:0");
		}
		assert_int_equal(len, n);
		assert_memory_equal(buf + off, pkt, n);
		assert_int_equal(tos, tos_values[i]);
	}
	/* SPI 0 is reserved: never ESP. Runts are not ESP either. */
	memset(pkt, 0, 12);
	assert_int_equal(sock_send(fd, OUTER_ESP, &dst, 0, pkt, 12), 0);
	assert_int_equal(recv_one(fd, OUTER_ESP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_NON_ESP);
	esp_payload(pkt, 1, 8);
	assert_int_equal(sock_send(fd, OUTER_ESP, &dst, 0, pkt, 5), 0);
	assert_int_equal(recv_one(fd, OUTER_ESP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_NON_ESP);
	assert_int_equal(sock_recv(fd, OUTER_ESP, af, buf, sizeof(buf), &off,
	    &len, &src, &tos), SOCK_RX_AGAIN);
	close(fd);
}

static void
test_raw_esp_v4(void **state)
{
	(void)state;
	raw_esp(AF_INET);
}

static void
test_raw_esp_v6(void **state)
{
	(void)state;
	raw_esp(AF_INET6);
}

/* An independent look at the wire: a raw UDP socket sees the outer IPv4
 * header of what sock_send produced. */
static void
test_udp_v4_header(void **state)
{
	struct sockaddr_storage dst;
	uint8_t pkt[64], buf[256];
	ssize_t n;
	int tx, spy;

	(void)state;
	spy = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	assert_true(spy >= 0);
	tx = sock_udp_open(AF_INET, NULL, PORT_TX);
	assert_true(tx >= 0);
	addr(&dst, AF_INET, PORT_RX);
	esp_payload(pkt, 1, sizeof(pkt));
	assert_int_equal(sock_send(tx, OUTER_UDP, &dst, 0xb9, pkt,
	    sizeof(pkt)), 0);
	wait_readable(spy);
	n = recv(spy, buf, sizeof(buf), 0);
	assert_int_equal(n, 20 + 8 + sizeof(pkt));
	assert_int_equal(buf[1], 0xb9);         /* TOS: EF + ECT(1) */
	assert_true(buf[6] & 0x40);             /* DF */
	close(tx);
	close(spy);
}

static void
test_emsgsize(void **state)
{
	struct sockaddr_storage dst;
	struct nl nl;
	uint8_t pkt[1400];
	sa_family_t afs[] = { AF_INET, AF_INET6 };
	size_t i;
	int fd;

	(void)state;
	assert_int_equal(nl_open(&nl), 0);
	assert_int_equal(nl_link_set_mtu(&nl, lo_index, 1280), 0);
	esp_payload(pkt, 1, sizeof(pkt));
	for (i = 0; i < 2; i++) {
		addr(&dst, afs[i], PORT_RX);
		fd = sock_udp_open(afs[i], NULL, PORT_TX);
		assert_true(fd >= 0);
		assert_int_equal(sock_send(fd, OUTER_UDP, &dst, 0, pkt,
		    sizeof(pkt)), -1);
		assert_int_equal(errno, EMSGSIZE);
		close(fd);
		fd = sock_esp_open(afs[i], NULL);
		assert_true(fd >= 0);
		assert_int_equal(sock_send(fd, OUTER_ESP, &dst, 0, pkt,
		    sizeof(pkt)), -1);
		assert_int_equal(errno, EMSGSIZE);
		close(fd);
	}
	assert_int_equal(nl_link_set_mtu(&nl, lo_index, 65536), 0);
	nl_close(&nl);
}

/* A batch of 40 datagrams, two of which the kernel or the family refuse:
 * those two get their errno, the other 38 leave in order with their own
 * TOS, and one recvmmsg batch takes them in. Then the ESP batch on a raw
 * socket (IPv4: the header is skipped per datagram). */
static void
batch_roundtrip(enum outer_kind kind, sa_family_t af)
{
	enum { N = 40, BAD_FAMILY = 7, TOO_BIG = 23 };
	struct sockaddr_storage local, dst, unix_dst;
	struct sock_tx_slot tx[N];
	struct sock_rx_slot rx[SOCK_BATCH_MAX];
	static uint8_t pkt[N][1600], buf[SOCK_BATCH_MAX][2048];
	size_t i, j, len;
	int rfd, tfd, got, total = 0;

	addr(&local, af, 0);
	if (kind == OUTER_UDP) {
		rfd = sock_udp_open(af, &local, PORT_RX);
		tfd = sock_udp_open(af, NULL, PORT_TX);
	} else {
		rfd = sock_esp_open(af, &local);
		tfd = sock_esp_open(af, NULL);
	}
	assert_true(rfd >= 0 && tfd >= 0);
	addr(&dst, af, PORT_RX);
	memset(&unix_dst, 0, sizeof(unix_dst));
	unix_dst.ss_family = AF_UNIX;
	for (i = 0; i < N; i++) {
		len = i == TOO_BIG ? sizeof(pkt[i]) : 60 + i * 13;
		tx[i] = (struct sock_tx_slot){
			.data = pkt[i], .len = esp_payload(pkt[i],
			    (uint32_t)i + 1, len),
			.dst = i == BAD_FAMILY ? &unix_dst : &dst,
			.tos = tos_values[i % sizeof(tos_values)],
			.kind = kind, .err = -1,
		};
	}
	/* Over the loopback MTU set below, with DF: refused. */
	assert_int_equal(sock_send_batch(tfd, tx, N, NULL, NULL), N - 2);
	assert_int_equal(tx[BAD_FAMILY].err, EAFNOSUPPORT);
	assert_int_equal(tx[TOO_BIG].err, EMSGSIZE);

	j = 0;
	while (total < N - 2) {
		for (i = 0; i < SOCK_BATCH_MAX; i++) {
			rx[i].buf = buf[i];
			rx[i].cap = sizeof(buf[i]);
		}
		wait_readable(rfd);
		got = sock_recv_batch(rfd, kind, af, rx, SOCK_BATCH_MAX);
		assert_true(got > 0);
		for (i = 0; i < (size_t)got; i++, j++) {
			if (j == BAD_FAMILY || j == TOO_BIG)
				j++;
			if (j == BAD_FAMILY || j == TOO_BIG)
				j++;
			assert_int_equal(rx[i].what, SOCK_RX_ESP);
			assert_int_equal(rx[i].esp_len, tx[j].len);
			assert_memory_equal(rx[i].buf + rx[i].esp_off, pkt[j],
			    tx[j].len);
			assert_int_equal(rx[i].tos, tx[j].tos);
			assert_int_equal(rx[i].src.ss_family, af);
		}
		total += got;
	}
	assert_int_equal(total, N - 2);
	/* Nothing more to read: 0, not an error. */
	assert_int_equal(sock_recv_batch(rfd, kind, af, rx, 4), 0);
	close(rfd);
	close(tfd);
}

static void
test_batch(void **state)
{
	struct nl nl;

	(void)state;
	assert_int_equal(nl_open(&nl), 0);
	assert_int_equal(nl_link_set_mtu(&nl, lo_index, 1500), 0);
	batch_roundtrip(OUTER_UDP, AF_INET);
	batch_roundtrip(OUTER_UDP, AF_INET6);
	batch_roundtrip(OUTER_ESP, AF_INET);
	batch_roundtrip(OUTER_ESP, AF_INET6);
	assert_int_equal(nl_link_set_mtu(&nl, lo_index, 65536), 0);
	nl_close(&nl);
}

/* UDP GSO: runs of equal datagrams leave as one message each and arrive
 * as the datagrams they were, in order, each with its TOS, whether GSO
 * is on or off; a run the kernel refuses whole (segments over the MTU) is
 * sent datagram by datagram and each gets its own EMSGSIZE. */
static void
gso_roundtrip(sa_family_t af, bool on)
{
	enum { N = 50 };
	struct sockaddr_storage local, dst, dst2;
	struct sock_tx_slot tx[N];
	struct sock_rx_slot rx[SOCK_BATCH_MAX];
	struct sock_tx_stats st = { 0 };
	static uint8_t pkt[N][1600], buf[SOCK_BATCH_MAX][2048];
	size_t i, j = 0, len;
	bool gso = on;
	int rfd, rfd2, tfd, got, fd;
	int total = 0, total2 = 0;

	addr(&local, af, 0);
	rfd = sock_udp_open(af, &local, PORT_RX);
	rfd2 = sock_udp_open(af, &local, PORT_RX + 2);
	tfd = sock_udp_open(af, NULL, PORT_TX);
	assert_true(rfd >= 0 && rfd2 >= 0 && tfd >= 0);
	addr(&dst, af, PORT_RX);
	addr(&dst2, af, PORT_RX + 2);
	for (i = 0; i < N; i++) {
		/* 0..19 one run, 20 shorter ends it, 21..29 another TOS,
		 * 30 to another port, 31..49 a run again. */
		len = i == 20 ? 333 : 1000;
		tx[i] = (struct sock_tx_slot){
			.data = pkt[i], .len = esp_payload(pkt[i],
			    (uint32_t)i + 1, len),
			.dst = i == 30 ? &dst2 : &dst,
			.tos = i >= 21 && i <= 29 ? 0xb8 : 0x02,
			.kind = OUTER_UDP, .err = -1,
		};
	}
	assert_int_equal(sock_send_batch(tfd, tx, N, &gso, &st), N);
	assert_true(gso == on);
	/* Runs 0..20, 21..29, 30 and 31..49; one call. */
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.messages, on ? 4 : N);
	assert_int_equal(st.gso_messages, on ? 3 : 0);
	assert_int_equal(st.datagrams, N);
	for (i = 0; i < N; i++)
		assert_int_equal(tx[i].err, 0);
	while (total < N - 1) {
		for (i = 0; i < SOCK_BATCH_MAX; i++) {
			rx[i].buf = buf[i];
			rx[i].cap = sizeof(buf[i]);
		}
		wait_readable(rfd);
		got = sock_recv_batch(rfd, OUTER_UDP, af, rx, SOCK_BATCH_MAX);
		assert_true(got > 0);
		for (i = 0; i < (size_t)got; i++, j++) {
			if (j == 30)
				j++;
			assert_int_equal(rx[i].what, SOCK_RX_ESP);
			assert_int_equal(rx[i].esp_len, tx[j].len);
			assert_memory_equal(rx[i].buf, pkt[j], tx[j].len);
			assert_int_equal(rx[i].tos, tx[j].tos);
		}
		total += got;
	}
	for (i = 0; i < SOCK_BATCH_MAX; i++) {
		rx[i].buf = buf[i];
		rx[i].cap = sizeof(buf[i]);
	}
	wait_readable(rfd2);
	total2 = sock_recv_batch(rfd2, OUTER_UDP, af, rx, SOCK_BATCH_MAX);
	assert_int_equal(total2, 1);
	assert_memory_equal(rx[0].buf, pkt[30], tx[30].len);

	/* Over the MTU: the kernel refuses the run whole, and each
	 * datagram then gets its own answer. */
	for (i = 0; i < 5; i++) {
		tx[i].len = esp_payload(pkt[i], (uint32_t)i + 100, 1600);
		tx[i].dst = &dst;
	}
	fd = tfd;
	assert_int_equal(sock_send_batch(fd, tx, 5, &gso, NULL), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(tx[i].err, EMSGSIZE);
	/* Too large for this path is not "no GSO at all". */
	assert_true(gso == on);
	assert_int_equal(sock_recv_batch(rfd, OUTER_UDP, af, rx, 4), 0);
	close(rfd);
	close(rfd2);
	close(tfd);
}

static void
test_gso(void **state)
{
	struct nl nl;

	(void)state;
	assert_int_equal(nl_open(&nl), 0);
	assert_int_equal(nl_link_set_mtu(&nl, lo_index, 1500), 0);
	gso_roundtrip(AF_INET, true);
	gso_roundtrip(AF_INET, false);
	gso_roundtrip(AF_INET6, true);
	gso_roundtrip(AF_INET6, false);
	assert_int_equal(nl_link_set_mtu(&nl, lo_index, 65536), 0);
	nl_close(&nl);
}

/* Collects every datagram of messages received on fd into got[] (at
 * most max), splitting UDP GRO runs; counts the runs. */
static size_t
gro_collect(int fd, sa_family_t af, size_t want, uint8_t (*got)[2048],
    size_t *glen, enum sock_rx *gwhat, size_t *runs, size_t *msgs)
{
	static uint8_t buf[4][SOCK_GRO_MSG_MAX];
	struct sock_rx_slot rx[4];
	enum sock_rx what;
	size_t i, n = 0, pos, off, len;
	int r;

	*runs = 0;
	*msgs = 0;
	while (n < want) {
		for (i = 0; i < 4; i++) {
			rx[i].buf = buf[i];
			rx[i].cap = sizeof(buf[i]);
		}
		wait_readable(fd);
		r = sock_recv_batch(fd, OUTER_UDP, af, rx, 4);
		assert_true(r > 0);
		*msgs += (size_t)r;
		for (i = 0; i < (size_t)r; i++) {
			if (rx[i].what != SOCK_RX_GRO) {
				assert_true(n < want);
				assert_true(rx[i].esp_len <= sizeof(got[n]));
				memcpy(got[n], rx[i].buf + rx[i].esp_off,
				    rx[i].esp_len);
				glen[n] = rx[i].esp_len;
				gwhat[n++] = rx[i].what;
				continue;
			}
			(*runs)++;
			assert_true(rx[i].seg > 0 && rx[i].seg < rx[i].len);
			pos = 0;
			while (sock_rx_next(&rx[i], &pos, &what, &off, &len)) {
				assert_true(n < want);
				assert_true(len <= sizeof(got[n]));
				assert_true(off + len <= rx[i].len);
				memcpy(got[n], rx[i].buf + off, len);
				glen[n] = len;
				gwhat[n++] = what;
			}
		}
	}
	return n;
}

/* UDP GRO: a UDP GSO run on loopback reaches a socket with UDP_GRO as
 * one message, which splits into the datagrams sent, each classified on
 * its own (one in the run has a non-ESP marker); without UDP_GRO the
 * kernel hands them over one by one. Either way every datagram arrives
 * with its bytes, in order. */
static void
gro_roundtrip(sa_family_t af, bool on)
{
	enum { N = 40, RUNS = 3 };
	struct sockaddr_storage local, dst;
	struct sock_tx_slot tx[N];
	struct sock_tx_stats st = { 0 };
	static uint8_t pkt[RUNS * N + 1][1600], got[RUNS * N + 2][2048];
	size_t glen[RUNS * N + 2], i, k, len, runs, msgs, n;
	enum sock_rx gwhat[RUNS * N + 2];
	bool gso = true;
	int rfd, tfd, rcvbuf = 4 * 1024 * 1024;

	addr(&local, af, 0);
	rfd = sock_udp_open(af, &local, PORT_RX);
	tfd = sock_udp_open(af, NULL, PORT_TX);
	assert_true(rfd >= 0 && tfd >= 0);
	/* Every datagram is queued before the first is read. */
	assert_int_equal(setsockopt(rfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	assert_int_equal(sock_udp_gro(rfd, on), 0);
	addr(&dst, af, PORT_RX);
	/* Runs of 1200-byte datagrams and a shorter last one. */
	for (k = 0; k < RUNS; k++) {
		for (i = 0; i < N; i++) {
			uint8_t *p = pkt[k * N + i];

			len = i == N - 1 ? 333 : 1200;
			tx[i] = (struct sock_tx_slot){
				.data = p, .len = esp_payload(p,
				    (uint32_t)(k * N + i) + 1, len),
				.dst = &dst, .tos = 0x02, .kind = OUTER_UDP,
			};
			if (i == 7)
				memset(p, 0, 4);        /* IKE's marker */
		}
		assert_int_equal(sock_send_batch(tfd, tx, N, &gso, &st), N);
		assert_true(gso);
	}
	assert_int_equal(st.gso_messages, RUNS);
	assert_int_equal(sock_send_keepalive(tfd, &dst), 0);
	n = gro_collect(rfd, af, RUNS * N + 1, got, glen, gwhat, &runs,
	    &msgs);
	assert_int_equal(n, RUNS * N + 1);
	for (k = 0; k < RUNS; k++) {
		for (i = 0; i < N; i++) {
			size_t j = k * N + i;

			assert_int_equal(glen[j], i == N - 1 ? 333 : 1200);
			assert_memory_equal(got[j], pkt[j], glen[j]);
			assert_int_equal(gwhat[j], i == 7 ? SOCK_RX_NON_ESP :
			    SOCK_RX_ESP);
		}
	}
	assert_int_equal(glen[RUNS * N], 1);
	assert_int_equal(gwhat[RUNS * N], SOCK_RX_KEEPALIVE);
	if (on) {
		/* Loopback hands a GSO message over whole. */
		assert_true(runs >= 1);
		assert_true(msgs < n);
	} else {
		assert_int_equal(runs, 0);
		assert_int_equal(msgs, n);
	}
	close(rfd);
	close(tfd);
}

static void
test_gro(void **state)
{
	int fd;

	(void)state;
	gro_roundtrip(AF_INET, true);
	gro_roundtrip(AF_INET, false);
	gro_roundtrip(AF_INET6, true);
	gro_roundtrip(AF_INET6, false);
	/* A refusal is reported (outer.c then reads datagram by datagram):
	 * a raw socket has no UDP options. */
	fd = sock_esp_open(AF_INET, NULL);
	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(sock_udp_gro(fd, true), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	close(fd);
}

/* sock_rx_next on made-up slots: the last datagram shorter, nothing past
 * the bytes received, nothing from a slot that is no run. */
static void
test_gro_split(void **state)
{
	static uint8_t buf[4096];
	struct sock_rx_slot s = {
		.buf = buf, .cap = sizeof(buf), .what = SOCK_RX_GRO,
		.len = 2500, .seg = 1000,
	};
	enum sock_rx what;
	size_t pos = 0, off, len, i;

	(void)state;
	for (i = 0; i < 3; i++)
		esp_payload(buf + i * 1000, (uint32_t)i + 1, 1000);
	buf[2000] = 0xff;
	s.len = 2001;
	assert_true(sock_rx_next(&s, &pos, &what, &off, &len));
	assert_true(off == 0 && len == 1000 && what == SOCK_RX_ESP);
	assert_true(sock_rx_next(&s, &pos, &what, &off, &len));
	assert_true(off == 1000 && len == 1000 && what == SOCK_RX_ESP);
	assert_true(sock_rx_next(&s, &pos, &what, &off, &len));
	assert_true(off == 2000 && len == 1 && what == SOCK_RX_KEEPALIVE);
	assert_false(sock_rx_next(&s, &pos, &what, &off, &len));
	/* A runt at the end is no ESP. */
	pos = 0;
	s.len = 2005;
	assert_true(sock_rx_next(&s, &pos, &what, &off, &len));
	assert_true(sock_rx_next(&s, &pos, &what, &off, &len));
	assert_true(sock_rx_next(&s, &pos, &what, &off, &len));
	assert_true(len == 5 && what == SOCK_RX_NON_ESP);
	assert_false(sock_rx_next(&s, &pos, &what, &off, &len));
	/* No size, more than the buffer, or not a run: nothing. */
	pos = 0;
	s.seg = 0;
	assert_false(sock_rx_next(&s, &pos, &what, &off, &len));
	s.seg = 1000;
	s.len = sizeof(buf) + 1;
	assert_false(sock_rx_next(&s, &pos, &what, &off, &len));
	s.len = 2000;
	s.what = SOCK_RX_ESP;
	assert_false(sock_rx_next(&s, &pos, &what, &off, &len));
}

static void
test_open_errors(void **state)
{
	struct sockaddr_storage local;
	char s[8];

	(void)state;
	assert_int_equal(sock_udp_open(AF_UNIX, NULL, 1), -1);
	addr(&local, AF_INET6, 0);
	assert_int_equal(sock_udp_open(AF_INET, &local, 1), -1);
	assert_int_equal(sock_send(0, OUTER_UDP, NULL, 0, (const uint8_t *)"",
	    0), -1);
	/* sockaddr_ntop always terminates, even when the buffer is short. */
	addr(&local, AF_INET6, 4500);
	sockaddr_ntop(&local, s, sizeof(s));
	assert_int_equal(strlen(s), sizeof(s) - 1);
}

/* A peer's compact address carries what the socket calls need, both
 * families, and nothing for another. */
static void
test_sockaddr_inet(void **state)
{
	struct sockaddr_storage ss, back;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	union sockaddr_inet a;

	(void)state;
	assert_true(sizeof(a) <= sizeof(struct sockaddr_in6));
	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(4500);
	assert_int_equal(inet_pton(AF_INET, "198.18.0.2", &sin->sin_addr), 1);
	sockaddr_inet_set(&a, &ss);
	memset(&back, 0xee, sizeof(back));
	sockaddr_inet_get(&a, &back);
	assert_memory_equal(&back, &ss, sizeof(ss));
	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(4501);
	sin6->sin6_flowinfo = htonl(7);
	sin6->sin6_scope_id = 3;
	assert_int_equal(inet_pton(AF_INET6, "fd00::2", &sin6->sin6_addr), 1);
	sockaddr_inet_set(&a, &ss);
	memset(&back, 0xee, sizeof(back));
	sockaddr_inet_get(&a, &back);
	assert_memory_equal(&back, &ss, sizeof(ss));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	sockaddr_inet_set(&a, &ss);
	assert_int_equal(a.sa.sa_family, AF_UNSPEC);
	sockaddr_inet_get(&a, &back);
	assert_int_equal(back.ss_family, AF_UNSPEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockaddr_inet),
		cmocka_unit_test(test_udp_v4),
		cmocka_unit_test(test_udp_v6),
		cmocka_unit_test(test_raw_esp_v4),
		cmocka_unit_test(test_raw_esp_v6),
		cmocka_unit_test(test_udp_v4_header),
		cmocka_unit_test(test_emsgsize),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_gso),
		cmocka_unit_test(test_gro),
		cmocka_unit_test(test_gro_split),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

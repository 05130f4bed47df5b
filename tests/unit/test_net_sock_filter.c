/* The outer sockets' kernel filter: the programs sock_filter_build()
 * makes, run by a small classic-BPF interpreter over fake headers (every
 * listed address accepted, its neighbours and random others dropped, up
 * to what fits), then attached to real sockets in a private network
 * namespace, where the kernel runs them on UDP and raw ESP, IPv4 and
 * IPv6. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/net/netlink.h"
#include "src/net/sock.h"
#include "src/net/sock_filter.h"

#define STEPS_MAX 100000

static struct sock_filter prog[SOCK_FILTER_MAX];

/* A packet as the filter sees it: the IP header at SKF_NET_OFF, data
 * (a UDP or ESP header) at offset 0. */
struct fake_pkt {
	uint8_t net[40];
	uint8_t data[16];
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Loads a word at absolute offset k as the kernel does: negative
 * offsets from SKF_NET_OFF read the network header. */
static uint32_t
load_abs(const struct fake_pkt *pk, uint32_t k)
{
	int32_t off = (int32_t)k;

	if (off < 0) {
		assert_true(off >= SKF_NET_OFF);
		off -= SKF_NET_OFF;
		assert_true(off >= 0 && (size_t)off + 4 <= sizeof(pk->net));
		return get32(pk->net + off);
	}
	assert_true(off >= 0 && (size_t)off + 4 <= sizeof(pk->data));
	return get32(pk->data + off);
}

/* Runs prog over pk with the opcodes sock_filter_build emits (any other
 * fails the test) and the checks the kernel's checker makes: forward
 * jumps inside the program, scratch memory stored before it is loaded.
 * Returns the RET value. */
static uint32_t
bpf_run(const struct sock_filter *p, size_t len, const struct fake_pkt *pk,
    unsigned *steps)
{
	uint32_t a = 0, mem[BPF_MEMWORDS];
	bool set[BPF_MEMWORDS] = { false };
	size_t pc = 0;
	const struct sock_filter *f;

	for (*steps = 0; *steps < STEPS_MAX; (*steps)++) {
		assert_true(pc < len);
		f = &p[pc++];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			a = load_abs(pk, f->k);
			break;
		case BPF_LD | BPF_MEM:
			assert_true(f->k < BPF_MEMWORDS && set[f->k]);
			a = mem[f->k];
			break;
		case BPF_ST:
			assert_true(f->k < BPF_MEMWORDS);
			mem[f->k] = a;
			set[f->k] = true;
			break;
		case BPF_JMP | BPF_JA:
			assert_true(f->k < len - pc);
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
			assert_true(f->jt < len - pc && f->jf < len - pc);
			if ((f->code & 0xf0) == BPF_JEQ ? a == f->k : a > f->k)
				pc += f->jt;
			else
				pc += f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			fail_msg("opcode 0x%04x at %zu", f->code, pc - 1);
		}
	}
	fail_msg("no RET after %d steps", STEPS_MAX);
	return 0;
}

static void
ss4(struct sockaddr_storage *ss, uint32_t host_order)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(host_order);
	sin->sin_port = htons(4500);
}

static void
ss6(struct sockaddr_storage *ss, const uint32_t w[4])
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	uint32_t be[4];
	int i;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	for (i = 0; i < 4; i++)
		be[i] = htonl(w[i]);
	memcpy(&sin6->sin6_addr, be, 16);
}

/* Whether the program accepts a packet from the address: the IPv4
 * source at 12, the IPv6 one at 8, junk everywhere else. */
static bool
accepts_from(size_t len, const struct sockaddr_storage *src, unsigned *steps)
{
	struct fake_pkt pk;
	uint32_t r;

	memset(&pk, 0xa5, sizeof(pk));
	if (src->ss_family == AF_INET)
		memcpy(pk.net + 12,
		    &((const struct sockaddr_in *)src)->sin_addr, 4);
	else
		memcpy(pk.net + 8,
		    &((const struct sockaddr_in6 *)src)->sin6_addr, 16);
	r = bpf_run(prog, len, &pk, steps);
	assert_true(r == 0 || r == 0xffffffffu);
	return r != 0;
}

static uint32_t
rnd32(void)
{
	return (uint32_t)random() << 16 ^ (uint32_t)random();
}

static int
build(sa_family_t af, const struct sockaddr_storage *a, size_t n,
    size_t *naddrs)
{
	memset(prog, 0, sizeof(prog));
	return sock_filter_build(af, a, n, prog, SOCK_FILTER_MAX, naddrs);
}

static bool
in_list4(const uint32_t *v, size_t n, uint32_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* n random IPv4 addresses (some of them neighbours, some repeated):
 * each accepted, addresses one off and random ones dropped unless
 * listed. */
static void
check_v4(size_t n, unsigned *max_steps)
{
	struct sockaddr_storage *a = calloc(n, sizeof(*a)), probe;
	uint32_t *v = calloc(n, sizeof(*v)), x;
	size_t i, naddrs, distinct = 0;
	unsigned steps;
	int len, d;

	assert_non_null(a);
	assert_non_null(v);
	for (i = 0; i < n; i++) {
		if (i > 0 && i % 7 == 0)
			x = v[i - 1] + 1;       /* a neighbour */
		else if (i > 0 && i % 11 == 0)
			x = v[i / 2];           /* repeated */
		else
			x = rnd32();
		if (!in_list4(v, i, x))
			distinct++;
		v[i] = x;
		ss4(&a[i], x);
	}
	len = build(AF_INET, a, n, &naddrs);
	assert_true(len > 0 && len <= SOCK_FILTER_MAX);
	assert_int_equal(naddrs, distinct);
	*max_steps = 0;
	for (i = 0; i < n; i++) {
		for (d = -1; d <= 1; d++) {
			x = v[i] + (uint32_t)d;
			ss4(&probe, x);
			assert_int_equal(accepts_from((size_t)len, &probe,
			    &steps), in_list4(v, n, x));
			if (steps > *max_steps)
				*max_steps = steps;
		}
	}
	for (i = 0; i < 2000; i++) {
		x = rnd32();
		ss4(&probe, x);
		assert_int_equal(accepts_from((size_t)len, &probe, &steps),
		    in_list4(v, n, x));
	}
	/* The extremes of the address space. */
	ss4(&probe, 0);
	assert_int_equal(accepts_from((size_t)len, &probe, &steps),
	    in_list4(v, n, 0));
	ss4(&probe, 0xffffffffu);
	assert_int_equal(accepts_from((size_t)len, &probe, &steps),
	    in_list4(v, n, 0xffffffffu));
	free(a);
	free(v);
}

static void
test_v4_lists(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 16, 17, 33, 500, 2000 };
	unsigned steps;
	size_t i;

	(void)state;
	srandom(4500);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_v4(sizes[i], &steps);
		/* A tree, not a list: a packet takes about
		 * 2 log2(n / 16) + 16 comparisons. */
		if (sizes[i] == 2000)
			assert_true(steps < 64);
	}
}

/* IPv6: addresses that share their first words with a listed one and
 * differ in one word only, by one either way, are dropped. */
static void
check_v6(size_t n)
{
	struct sockaddr_storage *a = calloc(n, sizeof(*a)), probe;
	uint32_t (*v)[4] = calloc(n, sizeof(*v)), w[4];
	size_t i, j, naddrs;
	unsigned steps;
	int len, k, d;

	assert_non_null(a);
	assert_non_null(v);
	for (i = 0; i < n; i++) {
		/* Half in one /64, like peers of one provider. */
		v[i][0] = i % 2 ? 0x20010db8 : rnd32();
		v[i][1] = i % 2 ? 0 : rnd32();
		v[i][2] = i % 3 ? rnd32() : (uint32_t)i;  /* no repeats */
		v[i][3] = i % 5 ? rnd32() : 1;
		ss6(&a[i], v[i]);
	}
	len = build(AF_INET6, a, n, &naddrs);
	assert_true(len > 0 && len <= SOCK_FILTER_MAX);
	assert_int_equal(naddrs, n);
	for (i = 0; i < n; i++) {
		ss6(&probe, v[i]);
		assert_true(accepts_from((size_t)len, &probe, &steps));
		for (k = 0; k < 4; k++) {
			for (d = -1; d <= 1; d += 2) {
				memcpy(w, v[i], sizeof(w));
				w[k] += (uint32_t)d;
				for (j = 0; j < n; j++)
					if (memcmp(w, v[j], sizeof(w)) == 0)
						break;
				ss6(&probe, w);
				assert_int_equal(accepts_from((size_t)len,
				    &probe, &steps), j < n);
			}
		}
	}
	free(a);
	free(v);
}

static void
test_v6_lists(void **state)
{
	static const size_t sizes[] = { 1, 3, 16, 17, 100, 300 };
	size_t i;

	(void)state;
	srandom(4501);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_v6(sizes[i]);
}

/* Addresses of the other family are left out; none at all drops
 * everything; more than fits is E2BIG. */
static void
test_edges(void **state)
{
	struct sockaddr_storage a[3], probe, *many;
	static const uint32_t w6[4] = { 0x20010db8, 0, 0, 1 };
	size_t naddrs, i, n;
	unsigned steps;
	int len;

	(void)state;
	ss4(&a[0], 0xc6120001);
	ss6(&a[1], w6);
	ss4(&a[2], 0xc6120001);
	len = build(AF_INET, a, 3, &naddrs);
	assert_true(len > 0);
	assert_int_equal(naddrs, 1);
	assert_true(accepts_from((size_t)len, &a[0], &steps));
	len = build(AF_INET6, a, 3, &naddrs);
	assert_int_equal(naddrs, 1);
	assert_true(accepts_from((size_t)len, &a[1], &steps));
	len = build(AF_INET, a, 0, &naddrs);
	assert_int_equal(naddrs, 0);
	ss4(&probe, 0);
	assert_false(accepts_from((size_t)len, &probe, &steps));
	errno = 0;
	assert_int_equal(build(AF_UNIX, a, 3, &naddrs), -1);
	assert_int_equal(errno, EAFNOSUPPORT);

	/* What fits: at least 2,500 IPv4 and 350 IPv6 addresses. */
	n = 10000;
	many = calloc(n, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i < n; i++)
		ss4(&many[i], 0x0a000000 + 3 * (uint32_t)i);
	assert_true(build(AF_INET, many, 2500, &naddrs) > 0);
	errno = 0;
	assert_int_equal(build(AF_INET, many, n, &naddrs), -1);
	assert_int_equal(errno, E2BIG);
	for (i = 0; i < n; i++) {
		uint32_t w[4] = { 0x20010db8, (uint32_t)i, 0, 1 };

		ss6(&many[i], w);
	}
	assert_true(build(AF_INET6, many, 350, &naddrs) > 0);
	errno = 0;
	assert_int_equal(build(AF_INET6, many, 1000, &naddrs), -1);
	assert_int_equal(errno, E2BIG);
	/* A short buffer says E2BIG too, and writes nothing beyond it. */
	memset(prog, 0, sizeof(prog));
	errno = 0;
	assert_int_equal(sock_filter_build(AF_INET, many, 0, prog, 1,
	    &naddrs), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(prog[1].code, 0);
	free(many);
}

/* --- the kernel ------------------------------------------------------ */

static bool have_netns;

static void
set_addr(struct sockaddr_storage *ss, sa_family_t af, uint8_t host,
    uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = af;
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_addr.s_addr = htonl(0xc6120000 | host);  /* 198.18.0.x */
		sin->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		inet_pton(AF_INET6, "2001:db8::", &sin6->sin6_addr);
		sin6->sin6_addr.s6_addr[15] = host;
		sin6->sin6_port = htons(port);
	}
}

static int
setup(void **state)
{
	struct sockaddr_storage ss;
	struct nl nl;
	int lo, h;

	(void)state;
	if (unshare(CLONE_NEWNET) == -1)
		return 0;       /* the kernel tests skip */
	if (nl_open(&nl) == -1 || (lo = nl_link_index(&nl, "lo")) <= 0 ||
	    nl_link_set_up(&nl, lo, true) == -1)
		return -1;
	for (h = 1; h <= 3; h++) {
		set_addr(&ss, AF_INET, (uint8_t)h, 0);
		if (nl_addr_add(&nl, lo, AF_INET,
		    &((struct sockaddr_in *)&ss)->sin_addr, 32) == -1)
			return -1;
		set_addr(&ss, AF_INET6, (uint8_t)h, 0);
		if (nl_addr_add(&nl, lo, AF_INET6,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr, 128) == -1)
			return -1;
	}
	nl_close(&nl);
	have_netns = true;
	return 0;
}

static int
open_kind(enum outer_kind kind, sa_family_t af, uint8_t host, uint16_t port)
{
	struct sockaddr_storage ss;

	set_addr(&ss, af, host, port);
	return kind == OUTER_UDP ? sock_udp_open(af, &ss, port) :
	    sock_esp_open(af, &ss);
}

static void
send_from(enum outer_kind kind, sa_family_t af, uint8_t from, uint32_t seq)
{
	struct sockaddr_storage dst;
	uint8_t esp[64];
	int fd;

	fd = open_kind(kind, af, from, 4501);
	assert_true(fd >= 0);
	memset(esp, 0x5a, sizeof(esp));
	esp[0] = 0x12;                          /* SPI 0x12345678 */
	esp[1] = 0x34;
	esp[2] = 0x56;
	esp[3] = 0x78;
	esp[4] = (uint8_t)(seq >> 24);
	esp[5] = (uint8_t)(seq >> 16);
	esp[6] = (uint8_t)(seq >> 8);
	esp[7] = (uint8_t)seq;
	set_addr(&dst, af, 3, 4500);
	assert_int_equal(sock_send(fd, kind, &dst, 0, esp, sizeof(esp)), 0);
	close(fd);
}

/* The next datagram on fd within a while: its source host and sequence
 * number; false if none comes. */
static bool
recv_within(int fd, enum outer_kind kind, sa_family_t af, int ms,
    uint8_t *host, uint32_t *seq)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sockaddr_storage src;
	uint8_t buf[256], tos;
	size_t off, len;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	assert_int_equal(sock_recv(fd, kind, af, buf, sizeof(buf), &off, &len,
	    &src, &tos), SOCK_RX_ESP);
	assert_int_equal(len, 64);
	*seq = get32(buf + off + 4);
	if (af == AF_INET)
		*host = (uint8_t)ntohl(((struct sockaddr_in *)&src)->
		    sin_addr.s_addr);
	else
		*host = ((struct sockaddr_in6 *)&src)->sin6_addr.s6_addr[15];
	return true;
}

/* A receiver on host 3 that lists hosts 1 and 3: host 2's packets stay
 * in the kernel, host 1's come through; without the filter host 2's
 * come through too. */
static void
kernel_case(enum outer_kind kind, sa_family_t af)
{
	struct sockaddr_storage peers[2];
	uint32_t seq, drops0, drops1;
	size_t naddrs;
	uint8_t host;
	int rx;

	if (!have_netns)
		skip();
	rx = open_kind(kind, af, 3, 4500);
	assert_true(rx >= 0);
	set_addr(&peers[0], af, 1, 4500);
	set_addr(&peers[1], af, 3, 0);
	assert_int_equal(sock_filter_attach(rx, af, peers, 2, &naddrs), 0);
	assert_int_equal(naddrs, 2);
	assert_int_equal(sock_kernel_drops(rx, &drops0), 0);

	send_from(kind, af, 2, 1);
	send_from(kind, af, 1, 2);
	send_from(kind, af, 2, 3);
	assert_true(recv_within(rx, kind, af, 2000, &host, &seq));
	assert_int_equal(host, 1);
	assert_int_equal(seq, 2);
	assert_false(recv_within(rx, kind, af, 100, &host, &seq));
	assert_int_equal(sock_kernel_drops(rx, &drops1), 0);
	/* UDP counts what its filter refused as a drop; raw sockets
	 * do not. */
	assert_int_equal(drops1 - drops0, kind == OUTER_UDP ? 2 : 0);

	/* The whole program the kernel takes: as many addresses as fit. */
	{
		size_t n = af == AF_INET ? 2500 : 350, i;
		struct sockaddr_storage *many = calloc(n, sizeof(*many));

		assert_non_null(many);
		for (i = 0; i < n; i++) {
			struct sockaddr_in *sin = (void *)&many[i];
			struct sockaddr_in6 *sin6 = (void *)&many[i];

			set_addr(&many[i], af, 1, 0);
			if (af == AF_INET) {
				sin->sin_addr.s_addr =
				    htonl(0x0a000000 + (uint32_t)i);
			} else {
				sin6->sin6_addr.s6_addr[12] = (uint8_t)(i >> 8);
				sin6->sin6_addr.s6_addr[13] = (uint8_t)i;
			}
		}
		many[n / 2] = peers[0];
		assert_int_equal(sock_filter_attach(rx, af, many, n, &naddrs),
		    0);
		send_from(kind, af, 2, 4);
		send_from(kind, af, 1, 5);
		assert_true(recv_within(rx, kind, af, 2000, &host, &seq));
		assert_int_equal(host, 1);
		assert_int_equal(seq, 5);
		free(many);
	}

	assert_int_equal(sock_filter_detach(rx), 0);
	assert_int_equal(sock_filter_detach(rx), 0);
	send_from(kind, af, 2, 6);
	assert_true(recv_within(rx, kind, af, 2000, &host, &seq));
	assert_int_equal(host, 2);
	assert_int_equal(seq, 6);
	close(rx);
}

static void
test_kernel_udp4(void **state)
{
	(void)state;
	kernel_case(OUTER_UDP, AF_INET);
}

static void
test_kernel_udp6(void **state)
{
	(void)state;
	kernel_case(OUTER_UDP, AF_INET6);
}

static void
test_kernel_esp4(void **state)
{
	(void)state;
	kernel_case(OUTER_ESP, AF_INET);
}

static void
test_kernel_esp6(void **state)
{
	(void)state;
	kernel_case(OUTER_ESP, AF_INET6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_lists),
		cmocka_unit_test(test_v6_lists),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_kernel_udp4),
		cmocka_unit_test(test_kernel_udp6),
		cmocka_unit_test(test_kernel_esp4),
		cmocka_unit_test(test_kernel_esp6),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

/* tun + rtnetlink in a private network namespace: configure a tun with
 * nl_*, check the result through independent interfaces (ioctl,
 * getifaddrs, /proc routes), then ping the kernel through the tun. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/net/netlink.h"
#include "tests/unit/net_testutil.h"
#include "src/net/tun.h"

static struct nl nl;

static int
setup(void **state)
{
	int lo;

	(void)state;
	/* Everything below vanishes with this process's namespace. */
	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	if (nl_open(&nl) == -1 || (lo = nl_link_index(&nl, "lo")) <= 0 ||
	    nl_link_set_up(&nl, lo, true) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nl_close(&nl);
	return 0;
}

/* Is addr/prefixlen configured on ifname, according to getifaddrs()? */
static bool
has_addr(const char *ifname, sa_family_t af, const char *addr,
    unsigned prefixlen)
{
	struct ifaddrs *ifa, *i;
	char a[INET6_ADDRSTRLEN];
	const void *p, *m;
	unsigned bits, k, len;
	bool found = false;

	assert_int_equal(getifaddrs(&ifa), 0);
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != af ||
		    strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (af == AF_INET) {
			p = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			m = &((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
			len = 4;
		} else {
			p = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			m = &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
			len = 16;
		}
		inet_ntop(af, p, a, sizeof(a));
		for (bits = 0, k = 0; k < len; k++)
			bits += __builtin_popcount(((const uint8_t *)m)[k]);
		found = strcmp(a, addr) == 0 && bits == prefixlen;
	}
	freeifaddrs(ifa);
	return found;
}

/* Looks for a line in a /proc route table with all the given fields. */
static bool
proc_has(const char *path, const char *f1, const char *f2, const char *f3)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, f1) && strstr(line, f2) &&
		    (f3 == NULL || strstr(line, f3));
	fclose(f);
	return found;
}

/* /proc/net/route: "Iface Destination ..." with the address as a host-order
 * u32 in hex; /proc/net/ipv6_route: 32 hex digits then the prefix length. */
static bool
route4_present(void)
{
	return proc_has("/proc/net/route", "vtest0\t0001090A\t", "00FFFFFF",
	    NULL);
}

static bool
route6_present(void)
{
	return proc_has("/proc/net/ipv6_route",
	    "fd000009000100000000000000000000 40 ", "vtest0", NULL);
}

static uint16_t
csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 ICMP echo request 10.9.0.2 -> 10.9.0.1, 32 bytes of payload. */
static size_t
build_echo(uint8_t *p)
{
	static const uint8_t src[4] = { 10, 9, 0, 2 }, dst[4] = { 10, 9, 0, 1 };
	size_t len = 20 + 8 + 32, i;
	uint16_t c;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = len >> 8;
	p[3] = len & 0xff;
	p[4] = 0x12; p[5] = 0x34;       /* IP id */
	p[8] = 64;                      /* TTL */
	p[9] = IPPROTO_ICMP;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	c = csum(p, 20);
	p[10] = c >> 8;
	p[11] = c & 0xff;
	p[20] = 8;                      /* echo request */
	p[24] = 0xbe; p[25] = 0xef;     /* identifier */
	p[26] = 0x00; p[27] = 0x07;     /* sequence */
	for (i = 0; i < 32; i++)
		p[28 + i] = (uint8_t)(0xa0 + i);
	c = csum(p + 20, 8 + 32);
	p[22] = c >> 8;
	p[23] = c & 0xff;
	return len;
}

/* Reads from the tun until an IPv4 packet arrives (the kernel may send
 * IPv6 router solicitations or MLD reports first), within 2 s. */
static ssize_t
read_ipv4(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec t0, t;
	ssize_t n;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = 2000 - ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0)
			return -1;
		if (poll(&pfd, 1, (int)ms) != 1)
			return -1;
		n = read(fd, buf, cap);
		if (n > 0 && (buf[0] >> 4) == 4)
			return n;
	}
}

static void
test_configure_and_ping(void **state)
{
	static const uint8_t a4[4] = { 10, 9, 0, 1 }, r4[4] = { 10, 9, 1, 0 };
	struct in6_addr a6, r6;
	char actual[IFNAMSIZ];
	uint8_t req[128], rep[2048];
	struct ifreq ifr;
	ssize_t n;
	size_t len;
	int fd, idx;

	(void)state;
	inet_pton(AF_INET6, "fd00:9::1", &a6);
	inet_pton(AF_INET6, "fd00:9:1::", &r6);
	fd = tun_open("vtest0", actual);
	assert_true(fd >= 0);
	assert_string_equal(actual, "vtest0");
	idx = nl_link_index(&nl, "vtest0");
	assert_true(idx > 0);
	assert_int_equal(idx, (int)if_nametoindex("vtest0"));

	assert_int_equal(nl_link_set_mtu(&nl, idx, 1380), 0);
	assert_int_equal(nl_addr_add(&nl, idx, AF_INET, a4, 24), 0);
	assert_int_equal(nl_addr_add(&nl, idx, AF_INET6, &a6, 64), 0);
	/* Adding the same address again (daemon restart) is not an error. */
	assert_int_equal(nl_addr_add(&nl, idx, AF_INET, a4, 24), 0);
	assert_int_equal(nl_link_set_up(&nl, idx, true), 0);
	assert_int_equal(nl_route_add(&nl, idx, AF_INET, r4, 24), 0);
	assert_int_equal(nl_route_add(&nl, idx, AF_INET6, &r6, 64), 0);
	/* A route that exists already is reported, never replaced. */
	errno = 0;
	assert_int_equal(nl_route_add(&nl, idx, AF_INET, r4, 24), -1);
	assert_int_equal(errno, EEXIST);

	ifreq_get("vtest0", SIOCGIFMTU, &ifr);
	assert_int_equal(ifr.ifr_mtu, 1380);
	ifreq_get("vtest0", SIOCGIFFLAGS, &ifr);
	assert_true(ifr.ifr_flags & IFF_UP);
	assert_true(has_addr("vtest0", AF_INET, "10.9.0.1", 24));
	assert_true(has_addr("vtest0", AF_INET6, "fd00:9::1", 64));
	assert_true(route4_present());
	assert_true(route6_present());

	assert_int_equal(nl_route_del(&nl, idx, AF_INET, r4, 24), 0);
	assert_int_equal(nl_route_del(&nl, idx, AF_INET6, &r6, 64), 0);
	assert_false(route4_present());
	assert_false(route6_present());
	/* Deleting a route that is gone reports the kernel's ESRCH. */
	assert_int_equal(nl_route_del(&nl, idx, AF_INET, r4, 24), -1);
	assert_int_equal(errno, ESRCH);

	/* The kernel answers an echo request written into the tun. */
	len = build_echo(req);
	assert_int_equal(write(fd, req, len), (ssize_t)len);
	n = read_ipv4(fd, rep, sizeof(rep));
	assert_int_equal(n, (ssize_t)len);
	assert_int_equal(rep[0], 0x45);
	assert_int_equal(rep[9], IPPROTO_ICMP);
	assert_int_equal(csum(rep, 20), 0);
	assert_memory_equal(rep + 12, req + 16, 4);     /* src = old dst */
	assert_memory_equal(rep + 16, req + 12, 4);     /* dst = old src */
	assert_int_equal(rep[20], 0);                   /* echo reply */
	assert_int_equal(rep[21], 0);
	assert_int_equal(csum(rep + 20, len - 20), 0);
	assert_memory_equal(rep + 24, req + 24, 4);     /* id, seq */
	assert_memory_equal(rep + 28, req + 28, 32);    /* payload */

	assert_int_equal(nl_link_set_up(&nl, idx, false), 0);
	ifreq_get("vtest0", SIOCGIFFLAGS, &ifr);
	assert_false(ifr.ifr_flags & IFF_UP);

	/* Not persistent: closing the fd removes the device. */
	close(fd);
	assert_int_equal(nl_link_index(&nl, "vtest0"), -1);
	assert_int_equal(errno, ENODEV);
}

static void
test_link_del(void **state)
{
	char actual[IFNAMSIZ];
	int fd, idx;

	(void)state;
	fd = tun_open("vtest1", actual);
	assert_true(fd >= 0);
	idx = nl_link_index(&nl, "vtest1");
	assert_true(idx > 0);
	assert_int_equal(nl_link_del(&nl, idx), 0);
	assert_int_equal(nl_link_index(&nl, "vtest1"), -1);
	assert_int_equal(errno, ENODEV);
	close(fd);

	/* A template name gets the kernel's choice back. */
	fd = tun_open("vt%d", actual);
	assert_true(fd >= 0);
	assert_string_equal(actual, "vt0");
	close(fd);
}

static void
test_errors(void **state)
{
	static const uint8_t a4[4] = { 10, 9, 0, 1 };
	char actual[IFNAMSIZ];

	(void)state;
	assert_int_equal(nl_addr_add(&nl, 999999, AF_INET, a4, 24), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(nl_link_set_mtu(&nl, 999999, 1400), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(nl_link_index(&nl, "nonexist0"), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(nl_addr_add(&nl, 1, AF_INET, a4, 33), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(nl_route_add(&nl, 1, AF_UNIX, a4, 8), -1);
	assert_int_equal(errno, EINVAL);
	/* IFNAMSIZ - 1 characters fit; IFNAMSIZ do not. */
	assert_int_equal(tun_open("0123456789abcdef", actual), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	/* lo exists but is not a tun. */
	assert_int_equal(tun_open("lo", actual), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configure_and_ping),
		cmocka_unit_test(test_link_del),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* tap in a private network namespace: an Ethernet device with the
 * kernel's random MAC, MTU and link state set through rtnetlink, frames
 * sent by the kernel read back whole, and a frame longer than the read
 * buffer reported at the buffer's size (the caller's "too big"), never
 * passed on as if it were shorter. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/net/netlink.h"
#include "tests/unit/net_testutil.h"
#include "src/net/tap.h"

static struct nl nl;

static int
setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	return nl_open(&nl);
}

static int
teardown(void **state)
{
	(void)state;
	nl_close(&nl);
	return 0;
}

/* Sends a frame out of ifindex through a packet socket: the kernel
 * transmits it on the tap, so the tap's fd reads it. */
static void
send_frame(int ifindex, const uint8_t *f, size_t len)
{
	struct sockaddr_ll sll;
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, f, ETH_ALEN);
	assert_int_equal(sendto(s, f, len, 0, (struct sockaddr *)&sll,
	    sizeof(sll)), (ssize_t)len);
	close(s);
}

/* The next frame of ethertype 0x8137 (the kernel may send IPv6 router
 * solicitations of its own on a fresh link). */
static ssize_t
read_ipx(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int i;

	for (i = 0; i < 50; i++) {
		assert_true(poll(&pfd, 1, 1000) == 1);
		n = read(fd, buf, cap);
		assert_true(n >= 0);
		if (n >= 14 && buf[12] == 0x81 && buf[13] == 0x37)
			return n;
	}
	fail_msg("no IPX frame read from the tap");
	return -1;
}

static void
test_open_read(void **state)
{
	char name[IFNAMSIZ];
	uint8_t f[1514], buf[2048];
	struct ifreq ifr;
	int fd, idx;
	ssize_t n;

	(void)state;
	fd = tap_open("vtap0", name);
	assert_true(fd >= 0);
	assert_string_equal(name, "vtap0");
	ifreq_get(name, SIOCGIFHWADDR, &ifr);
	assert_int_equal(ifr.ifr_hwaddr.sa_family, ARPHRD_ETHER);
	/* Random, locally administered, unicast: the kernel's choice. */
	assert_int_equal(ifr.ifr_hwaddr.sa_data[0] & 0x03, 0x02);
	idx = nl_link_index(&nl, name);
	assert_true(idx > 0);
	assert_int_equal(nl_link_set_mtu(&nl, idx, 1404), 0);
	assert_int_equal(nl_link_set_up(&nl, idx, true), 0);
	ifreq_get(name, SIOCGIFMTU, &ifr);
	assert_int_equal(ifr.ifr_mtu, 1404);
	ifreq_get(name, SIOCGIFFLAGS, &ifr);
	assert_true(ifr.ifr_flags & IFF_UP);

	/* An IPX broadcast of 1404 + 14 bytes comes back whole. */
	memset(f, 0xa5, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x81;
	f[13] = 0x37;
	send_frame(idx, f, 1418);
	n = read_ipx(fd, buf, sizeof(buf));
	assert_int_equal(n, 1418);
	assert_memory_equal(buf, f, 1418);

	/* With less room than the frame, the read says so: the length
	 * returned is not a shorter, valid-looking frame below the limit. */
	send_frame(idx, f, 1418);
	n = read_ipx(fd, buf, 1000);
	assert_true(n >= 1000);
	close(fd);
	/* Not persistent: gone with the fd. */
	assert_true(nl_link_index(&nl, "vtap0") <= 0);
}

static void
test_errors(void **state)
{
	char name[IFNAMSIZ];

	(void)state;
	assert_int_equal(tap_open("averyveryverylongname", name), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_read),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

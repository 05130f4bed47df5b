/* Helpers shared by the device tests (tun, tap) of tests/unit/. Include
 * after <cmocka.h>. */
#ifndef VPNTUND_NET_TESTUTIL_H
#define VPNTUND_NET_TESTUTIL_H

#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One SIOCGIF* ioctl on the interface name, asserted to succeed. */
static inline void
ifreq_get(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	assert_int_equal(ioctl(s, req, ifr), 0);
	close(s);
}

#endif

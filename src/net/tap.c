/* tap(4) device: the Ethernet sibling of tun.c, for the bridge of issue 4. */
#include "src/net/tap.h"
#include "src/net/tun.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <unistd.h>

int
tap_open(const char *name, char actual[IFNAMSIZ])
{
	return tun_open_flags(name, IFF_TAP | IFF_NO_PI, actual);
}

ssize_t
tap_read(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n;

	for (;;) {
		n = read(fd, buf, cap);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

int
tap_write(int fd, const uint8_t *frame, size_t len)
{
	ssize_t n = write(fd, frame, len);

	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

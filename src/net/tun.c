/* tun(4) device: IFF_TUN | IFF_NO_PI, so reads and writes are bare IP
 * packets, each behind a struct virtio_net_hdr when offloads are on. The
 * device is not made persistent: it disappears with the fd, so a crashed
 * daemon leaves nothing behind. */
#include "src/net/tun.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
tun_open_flags(const char *name, short flags, char actual[IFNAMSIZ])
{
	struct ifreq ifr;
	size_t n;
	int fd, saved;

	if (name == NULL)
		name = "";
	n = strlen(name);
	/* The kernel needs a terminated name that fits in ifr_name. */
	if (n >= IFNAMSIZ) {
		log_warnx("tun: name \"%s\" too long: %zu >= %d", name, n,
		    IFNAMSIZ);
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		log_warn("tun: open /dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	memcpy(ifr.ifr_name, name, n + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		saved = errno;
		log_warn("%s: TUNSETIFF %s", (flags & IFF_TAP) ? "tap" : "tun",
		    n ? name : "(auto)");
		close(fd);
		errno = saved;
		return -1;
	}
	/* ifr_name comes back from the kernel; terminate it anyway. */
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	if (actual != NULL)
		memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

int
tun_open(const char *name, char actual[IFNAMSIZ])
{
	return tun_open_flags(name, IFF_TUN | IFF_NO_PI, actual);
}

#ifndef TUN_F_USO4
#define TUN_F_USO4 TUN_OFFLOAD_USO4
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 TUN_OFFLOAD_USO6
#endif

int
tun_open_offload(const char *name, bool want, char actual[IFNAMSIZ],
    struct tun_offload *got)
{
	/* Most first: USO needs Linux 6.2; TSO alone is older than git. */
	static const unsigned tries[] = {
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	};
	size_t i;
	int fd;

	memset(got, 0, sizeof(*got));
	if (!want)
		return tun_open(name, actual);
	fd = tun_open_flags(name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, actual);
	if (fd == -1) {
		log_info("tun: no IFF_VNET_HDR; offloads off");
		return tun_open(name, actual);
	}
	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) {
			got->vnet_hdr = true;
			got->features = tries[i];
			return fd;
		}
	}
	/* A header on every packet buys nothing without offloads. */
	log_info("tun: TUNSETOFFLOAD refused (%s); offloads off",
	    strerror(errno));
	close(fd);
	return tun_open(name, actual);
}

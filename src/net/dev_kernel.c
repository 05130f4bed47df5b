/* The kernel's devices behind struct dev_ops: tun(4) and tap(4) (tun.c,
 * tap.c), configured through one rtnetlink socket per device (netlink.h),
 * read and written with the plain system calls. */
#include "src/net/dev.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "src/net/netlink.h"
#include "src/net/tap.h"
#include "util/log.h"

static void
kernel_close(struct dev *d)
{
	struct nl *nl = d->priv;
	int saved = errno;

	if (nl != NULL) {
		nl_close(nl);
		free(nl);
	}
	/* Not persistent: closing the fd removes the device. */
	if (d->fd >= 0)
		close(d->fd);
	errno = saved;
}

static int
kernel_open(struct dev *d, const char *want, bool offload,
    char actual[IFNAMSIZ])
{
	struct nl *nl;

	if ((nl = calloc(1, sizeof(*nl))) == NULL) {
		log_warn("%s", want);
		return -1;
	}
	nl->fd = -1;
	d->priv = nl;
	if (d->kind == DEV_TUN)
		d->fd = tun_open_offload(want, offload, actual, &d->offl);
	else
		d->fd = tap_open(want, actual);
	if (d->fd == -1)
		goto fail;
	if (nl_open(nl) == -1) {
		log_warn("netlink");
		goto fail;
	}
	d->ifindex = nl_link_index(nl, actual);
	if (d->ifindex <= 0) {
		log_warn("%s: interface index", actual);
		goto fail;
	}
	return 0;
fail:
	kernel_close(d);
	d->fd = -1;
	d->priv = NULL;
	d->ifindex = 0;
	return -1;
}

static int
kernel_set_mtu(struct dev *d, unsigned mtu)
{
	return nl_link_set_mtu(d->priv, d->ifindex, mtu);
}

static int
kernel_addr_add(struct dev *d, sa_family_t af, const void *addr,
    uint8_t prefixlen)
{
	return nl_addr_add(d->priv, d->ifindex, af, addr, prefixlen);
}

static int
kernel_set_up(struct dev *d, bool up)
{
	return nl_link_set_up(d->priv, d->ifindex, up);
}

static int
kernel_route_add(struct dev *d, sa_family_t af, const void *dst,
    uint8_t prefixlen)
{
	return nl_route_add(d->priv, d->ifindex, af, dst, prefixlen);
}

static int
kernel_route_del(struct dev *d, sa_family_t af, const void *dst,
    uint8_t prefixlen)
{
	return nl_route_del(d->priv, d->ifindex, af, dst, prefixlen);
}

static ssize_t
kernel_read(struct dev *d, void *buf, size_t len)
{
	return read(d->fd, buf, len);
}

static ssize_t
kernel_readv(struct dev *d, const struct iovec *iov, int iovcnt)
{
	return readv(d->fd, iov, iovcnt);
}

static ssize_t
kernel_write(struct dev *d, const void *buf, size_t len)
{
	return write(d->fd, buf, len);
}

static ssize_t
kernel_writev(struct dev *d, const struct iovec *iov, int iovcnt)
{
	return writev(d->fd, iov, iovcnt);
}

const struct dev_ops dev_ops_kernel = {
	.name = "kernel",
	.open = kernel_open,
	.set_mtu = kernel_set_mtu,
	.addr_add = kernel_addr_add,
	.set_up = kernel_set_up,
	.route_add = kernel_route_add,
	.route_del = kernel_route_del,
	.read = kernel_read,
	.readv = kernel_readv,
	.write = kernel_write,
	.writev = kernel_writev,
	.close = kernel_close,
};

/* The test double of dev_double.h: socketpairs for devices, records for
 * their configuration. Reads and writes keep tun's meaning: one message a
 * packet, and a read with too little room returns the packet's whole
 * length (MSG_TRUNC), as tun_put_user does. */
#include "src/net/dev_double.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"

/* Room for a burst of 64 KiB super-packets either way. */
#define DOUBLE_SOCKBUF (4 * 1024 * 1024)

static struct dev_double_port *
port_of(struct dev *d)
{
	struct dev_double *dd = d->arg;

	return &dd->port[d->kind];
}

void
dev_double_init(struct dev_double *dd)
{
	int k;

	memset(dd, 0, sizeof(*dd));
	for (k = 0; k < DEV_KINDS; k++)
		dd->port[k].fd = -1;
}

void
dev_double_cleanup(struct dev_double *dd)
{
	int k;

	for (k = 0; k < DEV_KINDS; k++) {
		if (dd->port[k].fd >= 0)
			close(dd->port[k].fd);
		dd->port[k].fd = -1;
	}
}

static void
grow(int fd)
{
	int sz = DOUBLE_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static int
double_open(struct dev *d, const char *want, bool offload,
    char actual[IFNAMSIZ])
{
	struct dev_double_port *p = port_of(d);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("device double: socketpair");
		return -1;
	}
	/* The engine's end is non-blocking, as the kernel's tun fd. */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		log_warn("device double: O_NONBLOCK");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	grow(sv[0]);
	grow(sv[1]);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = sv[1];
	p->opens++;
	snprintf(p->name, sizeof(p->name), "%s", want != NULL && want[0] !=
	    '\0' ? want : d->kind == DEV_TUN ? "dtun0" : "dtap0");
	memcpy(actual, p->name, IFNAMSIZ);
	p->asked_offload = offload;
	d->fd = sv[0];
	d->ifindex = 1000 + (int)d->kind;
	memset(&d->offl, 0, sizeof(d->offl));
	if (d->kind == DEV_TUN && offload && p->offload) {
		d->offl.vnet_hdr = true;
		d->offl.features = p->features;
	}
	return 0;
}

static void
double_close(struct dev *d)
{
	struct dev_double_port *p = port_of(d);

	close(d->fd);
	p->closes++;
	p->up = false;
}

static int
double_set_mtu(struct dev *d, unsigned mtu)
{
	port_of(d)->mtu = mtu;
	return 0;
}

static int
double_set_up(struct dev *d, bool up)
{
	port_of(d)->up = up;
	return 0;
}

static size_t
find(const struct dev_double_prefix *v, size_t n, sa_family_t af,
    const void *addr, uint8_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].af == af && v[i].len == len &&
		    memcmp(v[i].addr, addr, af == AF_INET ? 4 : 16) == 0)
			break;
	return i;
}

/* Appends to v as the kernel would: EEXIST for a duplicate. */
static int
record(struct dev_double_prefix *v, size_t *n, sa_family_t af,
    const void *addr, uint8_t len)
{
	if (find(v, *n, af, addr, len) < *n) {
		errno = EEXIST;
		return -1;
	}
	if (*n == DEV_DOUBLE_MAX) {
		errno = ENOSPC;
		return -1;
	}
	memset(&v[*n], 0, sizeof(v[*n]));
	v[*n].af = af;
	v[*n].len = len;
	memcpy(v[*n].addr, addr, af == AF_INET ? 4 : 16);
	(*n)++;
	return 0;
}

static int
double_addr_add(struct dev *d, sa_family_t af, const void *addr,
    uint8_t len)
{
	struct dev_double_port *p = port_of(d);

	return record(p->addrs, &p->naddrs, af, addr, len);
}

static int
double_route_add(struct dev *d, sa_family_t af, const void *dst,
    uint8_t len)
{
	struct dev_double_port *p = port_of(d);

	return record(p->routes, &p->nroutes, af, dst, len);
}

static int
double_route_del(struct dev *d, sa_family_t af, const void *dst,
    uint8_t len)
{
	struct dev_double_port *p = port_of(d);
	size_t i = find(p->routes, p->nroutes, af, dst, len);

	if (i == p->nroutes) {
		errno = ESRCH;
		return -1;
	}
	p->routes[i] = p->routes[--p->nroutes];
	p->routes_deleted++;
	return 0;
}

static ssize_t
double_readv(struct dev *d, const struct iovec *iov, int iovcnt)
{
	struct msghdr mh = {
		.msg_iov = (struct iovec *)(uintptr_t)iov,
		.msg_iovlen = (size_t)iovcnt,
	};
	ssize_t n = recvmsg(d->fd, &mh, MSG_TRUNC);

	if (n >= 0)
		port_of(d)->reads++;
	return n;
}

static ssize_t
double_read(struct dev *d, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	return double_readv(d, &iov, 1);
}

static ssize_t
double_writev(struct dev *d, const struct iovec *iov, int iovcnt)
{
	struct msghdr mh = {
		.msg_iov = (struct iovec *)(uintptr_t)iov,
		.msg_iovlen = (size_t)iovcnt,
	};
	/* A test that closed its end gets EPIPE, not SIGPIPE. */
	ssize_t n = sendmsg(d->fd, &mh, MSG_NOSIGNAL);

	if (n >= 0)
		port_of(d)->writes++;
	return n;
}

static ssize_t
double_write(struct dev *d, const void *buf, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };

	return double_writev(d, &iov, 1);
}

const struct dev_ops dev_ops_double = {
	.name = "double",
	.open = double_open,
	.set_mtu = double_set_mtu,
	.addr_add = double_addr_add,
	.set_up = double_set_up,
	.route_add = double_route_add,
	.route_del = double_route_del,
	.read = double_read,
	.readv = double_readv,
	.write = double_write,
	.writev = double_writev,
	.close = double_close,
};

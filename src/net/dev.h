/* The engine's devices behind an ops table (tinc's device.h): everything
 * the engine asks of its tun and its tap, creating, configuring, reading,
 * writing and closing it, goes through struct dev_ops, so that a test can
 * put a socketpair where the kernel's device would be.
 *
 *   dev_ops_kernel  tun(4) / tap(4) and rtnetlink (dev_kernel.c)
 *   dev_ops_double  a test double over socketpairs (dev_double.h)
 *
 * Reads and writes keep the system calls' meaning (a count, or -1 with
 * errno; EAGAIN when nothing is waiting), one packet or frame per call,
 * behind a struct virtio_net_hdr when offl.vnet_hdr. They cost one
 * indirect call and allocate nothing. */
#ifndef VPNTUND_DEV_H
#define VPNTUND_DEV_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "src/net/tun.h"

enum dev_kind {
	DEV_TUN,        /* IP packets */
	DEV_TAP,        /* Ethernet frames */
	DEV_KINDS
};

struct dev;

struct dev_ops {
	const char *name;       /* for logs: "kernel", "double" */
	/* Creates the device `want` ("" lets the kernel pick) and writes
	 * the name it got into actual; fills in d->fd (non-blocking, what
	 * the event loop polls), d->ifindex and, for a tun asked for
	 * offloads, d->offl. 0, or -1 (logged) with nothing left open. */
	int     (*open)(struct dev *d, const char *want, bool offload,
	            char actual[IFNAMSIZ]);
	/* Configuration, each 0 or -1 with errno (EEXIST: already there,
	 * ESRCH: no such route). Addresses and routes are 4 or 16 bytes
	 * of family af. */
	int     (*set_mtu)(struct dev *d, unsigned mtu);
	int     (*addr_add)(struct dev *d, sa_family_t af, const void *addr,
	            uint8_t prefixlen);
	int     (*set_up)(struct dev *d, bool up);
	int     (*route_add)(struct dev *d, sa_family_t af, const void *dst,
	            uint8_t prefixlen);
	int     (*route_del)(struct dev *d, sa_family_t af, const void *dst,
	            uint8_t prefixlen);
	ssize_t (*read)(struct dev *d, void *buf, size_t len);
	ssize_t (*readv)(struct dev *d, const struct iovec *iov, int iovcnt);
	ssize_t (*write)(struct dev *d, const void *buf, size_t len);
	ssize_t (*writev)(struct dev *d, const struct iovec *iov, int iovcnt);
	/* Closes what open made; the device goes with it. */
	void    (*close)(struct dev *d);
};

/* One device. ops and arg are chosen before open; the rest is open's. */
struct dev {
	const struct dev_ops *ops;
	void                 *arg;      /* the ops' shared state (the double's) */
	enum dev_kind         kind;
	int                   fd;       /* -1: not open */
	int                   ifindex;
	struct tun_offload    offl;     /* tun only: header and TUN_F_* */
	void                 *priv;     /* the ops' per device state */
};

extern const struct dev_ops dev_ops_kernel;

/* A closed device of kind that will use ops (with arg). */
void dev_init(struct dev *d, enum dev_kind kind, const struct dev_ops *ops,
    void *arg);

static inline bool
dev_is_open(const struct dev *d)
{
	return d->fd >= 0;
}

static inline int
dev_open(struct dev *d, const char *want, bool offload,
    char actual[IFNAMSIZ])
{
	return d->ops->open(d, want, offload, actual);
}

/* Closes d if it is open; it stays ready for another dev_open. */
void dev_close(struct dev *d);

static inline int
dev_set_mtu(struct dev *d, unsigned mtu)
{
	return d->ops->set_mtu(d, mtu);
}

static inline int
dev_addr_add(struct dev *d, sa_family_t af, const void *addr, uint8_t len)
{
	return d->ops->addr_add(d, af, addr, len);
}

static inline int
dev_set_up(struct dev *d, bool up)
{
	return d->ops->set_up(d, up);
}

static inline int
dev_route_add(struct dev *d, sa_family_t af, const void *dst, uint8_t len)
{
	return d->ops->route_add(d, af, dst, len);
}

static inline int
dev_route_del(struct dev *d, sa_family_t af, const void *dst, uint8_t len)
{
	return d->ops->route_del(d, af, dst, len);
}

static inline ssize_t
dev_read(struct dev *d, void *buf, size_t len)
{
	return d->ops->read(d, buf, len);
}

static inline ssize_t
dev_readv(struct dev *d, const struct iovec *iov, int iovcnt)
{
	return d->ops->readv(d, iov, iovcnt);
}

static inline ssize_t
dev_write(struct dev *d, const void *buf, size_t len)
{
	return d->ops->write(d, buf, len);
}

static inline ssize_t
dev_writev(struct dev *d, const struct iovec *iov, int iovcnt)
{
	return d->ops->writev(d, iov, iovcnt);
}

#endif

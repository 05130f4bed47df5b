/* A test double for struct dev_ops (dev.h): each device is one end of a
 * socketpair(AF_UNIX, SOCK_SEQPACKET), whose message boundaries are those
 * of tun's packets and tap's frames. The test holds the other end: what
 * it writes there the engine reads as from the kernel, one message a
 * packet (behind a struct virtio_net_hdr when the double claimed
 * offloads), and every packet the engine writes arrives there as one
 * message. Configuration (MTU, addresses, routes, link state) is
 * recorded, not applied, so no privilege or namespace is needed.
 *
 * Only tests use it; the daemon does not link it. */
#ifndef VPNTUND_DEV_DOUBLE_H
#define VPNTUND_DEV_DOUBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "src/net/dev.h"

#define DEV_DOUBLE_MAX 32       /* addresses, routes per device */

struct dev_double_prefix {
	sa_family_t af;
	uint8_t     addr[16];
	uint8_t     len;
};

struct dev_double_port {
	/* Set by the test before the engine opens the device: */
	bool        offload;    /* claim IFF_VNET_HDR when asked for offloads */
	unsigned    features;   /* the TUN_F_* bits claimed then */
	/* The test's end of the socketpair once open; -1 before. It stays
	 * open after the engine closed its end, until dev_double_cleanup. */
	int         fd;
	/* What the engine did: */
	unsigned    opens, closes;
	char        name[IFNAMSIZ];
	bool        asked_offload;
	bool        up;
	unsigned    mtu;
	struct dev_double_prefix addrs[DEV_DOUBLE_MAX];
	size_t      naddrs;
	struct dev_double_prefix routes[DEV_DOUBLE_MAX];   /* in place now */
	size_t      nroutes;
	unsigned    routes_deleted;
	uint64_t    reads, writes;      /* calls that moved a message */
};

struct dev_double {
	struct dev_double_port port[DEV_KINDS];
};

/* Pass a struct dev_double as the ops' arg. */
extern const struct dev_ops dev_ops_double;

/* No offloads, nothing open. */
void dev_double_init(struct dev_double *dd);
/* Closes the test's ends. */
void dev_double_cleanup(struct dev_double *dd);

#endif

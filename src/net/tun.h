/* tun(4) devices (IFF_TUN | IFF_NO_PI): open, read, write. */
#ifndef VPNTUND_TUN_H
#define VPNTUND_TUN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Creates (or attaches to) the tun device `name`; on success returns a
 * non-blocking fd and writes the kernel's name into actual. */
int tun_open(const char *name, char actual[IFNAMSIZ]);
/* The same with the TUNSETIFF flags given (tap.c: IFF_TAP | IFF_NO_PI). */
int tun_open_flags(const char *name, short flags, char actual[IFNAMSIZ]);

/* TUN_F_USO4/6 (linux/if_tun.h), newer than Debian 12's headers (Linux
 * 6.2). */
#define TUN_OFFLOAD_USO4 0x20
#define TUN_OFFLOAD_USO6 0x40

/* What tun_open_offload obtained. */
struct tun_offload {
	bool     vnet_hdr;      /* every read and write begins with a struct
	                           virtio_net_hdr (10 bytes) */
	unsigned features;      /* the TUN_F_* bits the kernel took: with
	                           TUN_F_TSO4/6 (and USO4/6) reads may return
	                           TCP (UDP) super-packets of up to 64 KiB to
	                           segment, and writes may hand it such */
};
/* tun_open, and with want the device asks the kernel for checksum, TCP
 * and UDP segmentation offloads (IFF_VNET_HDR, TUNSETOFFLOAD), the most
 * it takes; when it takes none, a plain device as tun_open's. */
int tun_open_offload(const char *name, bool want, char actual[IFNAMSIZ],
    struct tun_offload *got);
#endif

/* tun(4) devices (IFF_TUN | IFF_NO_PI): open, read, write. */
#ifndef VPNTUND_TUN_H
#define VPNTUND_TUN_H

#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>

/* Creates (or attaches to) the tun device `name`; on success returns a
 * non-blocking fd and writes the kernel's name into actual. */
int tun_open(const char *name, char actual[IFNAMSIZ]);
/* The same with the TUNSETIFF flags given (tap.c: IFF_TAP | IFF_NO_PI). */
int tun_open_flags(const char *name, short flags, char actual[IFNAMSIZ]);
#endif

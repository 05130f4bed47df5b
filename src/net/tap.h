/* tap devices (IFF_TAP | IFF_NO_PI): reads and writes are bare Ethernet
 * frames, no preamble, no FCS, one a system call (the engine makes them
 * through src/net/dev.h). Like the tun, the device is not persistent
 * and disappears with the fd. */
#ifndef VPNTUND_TAP_H
#define VPNTUND_TAP_H

#include <net/if.h>

/* Creates (or attaches to) the tap `name`; on success returns a
 * non-blocking fd and writes the kernel's name into actual. The kernel
 * gives a new tap a random locally administered MAC address, which stays
 * for the life of the device: we leave it alone. */
int tap_open(const char *name, char actual[IFNAMSIZ]);

#endif

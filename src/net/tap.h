/* tap devices (IFF_TAP | IFF_NO_PI): reads and writes are bare Ethernet
 * frames, no preamble, no FCS. Like the tun, the device is not persistent
 * and disappears with the fd. */
#ifndef VPNTUND_TAP_H
#define VPNTUND_TAP_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates (or attaches to) the tap `name`; on success returns a
 * non-blocking fd and writes the kernel's name into actual. The kernel
 * gives a new tap a random locally administered MAC address, which stays
 * for the life of the device: we leave it alone. */
int tap_open(const char *name, char actual[IFNAMSIZ]);

/* One frame into buf of cap bytes. A read returns at most cap bytes, so
 * the caller passes more room than any frame it accepts and treats a
 * length above its limit as too big: a frame is never cut to fit. Returns
 * the length, 0 when nothing is waiting, -1 on error (errno). */
ssize_t tap_read(int fd, uint8_t *buf, size_t cap);

/* Writes one whole frame; -1 (errno) if it failed or was cut short. */
int tap_write(int fd, const uint8_t *frame, size_t len);

#endif

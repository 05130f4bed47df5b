/* A kernel filter for an outer socket (SO_ATTACH_FILTER, classic BPF):
 * only datagrams whose outer IP source is one of a set of addresses (the
 * static peers that use the socket) reach user space; the kernel drops
 * the rest before they cost a system call each. */
#ifndef VPNTUND_SOCK_FILTER_H
#define VPNTUND_SOCK_FILTER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The kernel's limit on a classic program (BPF_MAXINSNS). */
#define SOCK_FILTER_MAX 4096

/* Builds into prog (room for cap instructions) the program for a socket
 * of family af that accepts a datagram whole when its outer source
 * address is one of addrs[0..n-1] and drops it otherwise; ports do not
 * count, addresses of another family are left out, a repeated one
 * counts once. The same program serves UDP and raw ESP sockets: it reads
 * the source through SKF_NET_OFF, wherever the socket's data begins.
 * Sets *naddrs (if not NULL) to the number of distinct addresses and
 * returns the program's length, or -1 with errno E2BIG when it needs
 * more than cap instructions, ENOMEM or EAFNOSUPPORT. Touches no socket. */
int sock_filter_build(sa_family_t af, const struct sockaddr_storage *addrs,
    size_t n, struct sock_filter *prog, size_t cap, size_t *naddrs);

/* Builds the program and attaches it to fd, replacing any filter there.
 * Returns 0, or -1 with errno (E2BIG: too many addresses for one
 * program; ENOMEM: also when the kernel will not hold it, optmem_max);
 * the socket keeps its previous filter, if any, on failure. */
int sock_filter_attach(int fd, sa_family_t af,
    const struct sockaddr_storage *addrs, size_t n, size_t *naddrs);
/* Removes fd's filter; having none is no error. */
int sock_filter_detach(int fd);

/* The kernel's count of datagrams it dropped for fd instead of queueing
 * them (SO_MEMINFO, SK_MEMINFO_DROPS): a full receive buffer and, on UDP
 * sockets, what the filter refused. 0, or -1 with errno. */
int sock_kernel_drops(int fd, uint32_t *drops);

#endif

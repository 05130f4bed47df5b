/* Outer sockets: ESP in UDP (RFC 3948) or raw IP protocol 50, read and
 * written in batches (recvmmsg/sendmmsg) into the callers' buffers. */
#ifndef VPNTUND_SOCK_H
#define VPNTUND_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

enum outer_kind { OUTER_UDP, OUTER_ESP };

/* Non-blocking UDP socket bound to local (NULL or AF_UNSPEC = any address of
 * family af) and port, with IP_RECVTOS / IPV6_RECVTCLASS on and IPV6_V6ONLY
 * for AF_INET6. Returns fd or -1 (logged). */
int sock_udp_open(sa_family_t af, const struct sockaddr_storage *local, uint16_t port);
/* Non-blocking raw socket for IPPROTO_ESP of family af. */
int sock_esp_open(sa_family_t af, const struct sockaddr_storage *local);

/* Datagrams per sendmmsg / recvmmsg. */
#define SOCK_BATCH_MAX 64

/* Bytes of a struct sockaddr of family af; 0 if neither IPv4 nor IPv6. */
socklen_t sockaddr_len(sa_family_t af);

/* An IPv4 or IPv6 socket address in the room it needs (28 bytes, not
 * sockaddr_storage's 128): what is kept per peer. sa.sa_family is
 * AF_UNSPEC when it holds none. */
union sockaddr_inet {
	struct sockaddr     sa;
	struct sockaddr_in  sin;
	struct sockaddr_in6 sin6;
};
/* From and to the storage the socket calls take; another family than
 * AF_INET or AF_INET6 becomes AF_UNSPEC. */
void sockaddr_inet_set(union sockaddr_inet *a,
    const struct sockaddr_storage *ss);
void sockaddr_inet_get(const union sockaddr_inet *a,
    struct sockaddr_storage *ss);

/* One datagram of a batch to send. */
struct sock_tx_slot {
	const uint8_t                 *data;    /* ESP, SPI first */
	size_t                         len;
	const struct sockaddr_storage *dst;
	uint8_t                        tos;     /* outer DSCP and ECN */
	enum outer_kind                kind;
	int                            err;     /* out: 0 or the errno */
};
/* Sends n datagrams on fd with as few sendmmsg calls as the kernel
 * allows; a datagram it refuses does not stop the rest. Returns how many
 * left; each slot's err says why one did not (EMSGSIZE: over the path
 * MTU). With *gso (UDP only; gso may be NULL) runs of datagrams to one
 * destination with one length and TOS go as one UDP GSO message
 * (UDP_SEGMENT); one the kernel refuses whole is sent datagram by
 * datagram, and *gso becomes false if the kernel cannot do GSO at all. */
struct sock_tx_stats {
	uint64_t calls;         /* sendmmsg system calls */
	uint64_t messages;      /* messages they took */
	uint64_t gso_messages;  /* of which carried several datagrams */
	uint64_t datagrams;     /* datagrams that left */
};
/* st (may be NULL) adds what this batch cost. */
size_t sock_send_batch(int fd, struct sock_tx_slot *slots, size_t n,
    bool *gso, struct sock_tx_stats *st);

/* Sends len bytes of ESP (SPI first) to dst with outer TOS / traffic class
 * tos (DSCP and ECN bits) and the DF bit set for IPv4. Returns 0, or -1 with
 * errno (EMSGSIZE when the path MTU is exceeded). */
int sock_send(int fd, enum outer_kind kind, const struct sockaddr_storage *dst,
    uint8_t tos, const uint8_t *esp, size_t len);
/* Sends a one-byte 0xFF NAT-keepalive (RFC 3948 2.3). */
int sock_send_keepalive(int fd, const struct sockaddr_storage *dst);

enum sock_rx {
	SOCK_RX_ESP,            /* ESP at buf + *esp_off, *esp_len bytes */
	SOCK_RX_KEEPALIVE,      /* NAT-keepalive: ignore */
	SOCK_RX_NON_ESP,        /* non-ESP marker (IKE) or runt: drop, count */
	SOCK_RX_AGAIN,          /* nothing to read (EAGAIN) */
	SOCK_RX_ERROR,
	SOCK_RX_GRO,            /* UDP GRO: several datagrams of seg bytes,
	                           the last one maybe shorter: sock_rx_next */
};

/* One datagram of a received batch. */
struct sock_rx_slot {
	uint8_t                 *buf;           /* in: where it goes */
	size_t                   cap;
	enum sock_rx             what;          /* out: as sock_recv's */
	size_t                   esp_off, esp_len;
	size_t                   len;           /* out: bytes received */
	size_t                   seg;           /* out: SOCK_RX_GRO's size */
	struct sockaddr_storage  src;
	uint8_t                  tos;
};
/* Receives up to n (at most SOCK_BATCH_MAX) datagrams with one recvmmsg
 * call, without blocking. Returns how many slots were filled (0: nothing
 * to read), or -1 with errno. */
int sock_recv_batch(int fd, enum outer_kind kind, sa_family_t af,
    struct sock_rx_slot *slots, size_t n);

/* What one datagram (behind the UDP header, or raw ESP behind any IP
 * header) is: RFC 3948 2.2/2.3 demultiplexing. */
enum sock_rx sock_rx_classify(enum outer_kind kind, const uint8_t *p,
    size_t len);

/* UDP generic receive offload (UDP_GRO) on fd: the kernel may hand over
 * a run of datagrams from one source as one message (SOCK_RX_GRO), so
 * each slot then needs SOCK_GRO_MSG_MAX bytes or the run is cut short.
 * Returns 0, or -1 with errno (ENOPROTOOPT: a kernel without it). */
int sock_udp_gro(int fd, bool on);
#define SOCK_GRO_MSG_MAX 65536

/* The next datagram of a SOCK_RX_GRO slot from *pos on (0 at first):
 * SOCK_RX_ESP, _KEEPALIVE or _NON_ESP as *what, its bytes at s->buf +
 * *off, *len of them. Returns false when none is left. */
bool sock_rx_next(const struct sock_rx_slot *s, size_t *pos,
    enum sock_rx *what, size_t *off, size_t *len);

/* Receives one datagram into buf (cap bytes). For raw IPv4 the kernel hands
 * us the IP header: it is validated and skipped via *esp_off. Reports the
 * outer source and the outer TOS / traffic class. Not for a socket with
 * UDP GRO, whose runs need sock_recv_batch and sock_rx_next. */
enum sock_rx sock_recv(int fd, enum outer_kind kind, sa_family_t af,
    uint8_t *buf, size_t cap, size_t *esp_off, size_t *esp_len,
    struct sockaddr_storage *src, uint8_t *tos);

/* "198.18.0.1:4500" / "[fd00::1]:4500" */
const char *sockaddr_ntop(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif

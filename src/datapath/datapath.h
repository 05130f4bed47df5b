/* The packet path, in the order a packet meets it: tun_io.c reads and
 * writes the tun, outbound.c classifies what was read, qos.c schedules
 * it, transmit.c encrypts it and txq.c sends it in batches; inbound.c
 * takes ESP from the outer sockets back to tun, or to ebridge.c for
 * frames. Each stage calls only the ones after it; the one way back is
 * tun_write, for the ICMP errors outbound.c answers with. */
#ifndef VPNTUND_DATAPATH_H
#define VPNTUND_DATAPATH_H

#include "src/engine/engine_internal.h"

/* txq.c: the send batch (one sendmmsg per socket and batch). */
int  txq_init(struct engine *e);
void txq_free(struct engine *e);
/* The buffer the next txq_push takes without a copy (reset). */
struct pkt *txq_buf(struct engine *e);
/* Queues ESP in pk (copied unless pk is txq_buf's) for p's endpoint on
 * socket s; inner_len (an IP packet's or a frame's, by pk->meta.nh) is
 * counted once it left. */
void txq_push(struct engine *e, struct peer *p, struct outer_sock *s,
    struct pkt *pk, uint8_t tos, size_t inner_len);
/* Sends what is queued now. */
void txq_flush(struct engine *e);

/* outbound.c: tun -> policy -> QoS or transmit. */
void outbound_packet(struct engine *e, struct pkt *p);
/* Where a packet for outbound_packet or transmit_packet is best built:
 * the QoS read buffer, or the send batch's. */
struct pkt *outbound_buf(struct engine *e);

/* transmit.c: sequence number, ESP and the send batch for what p holds,
 * now: by p->meta.nh an IP packet (4, 41), EtherIP and a frame on the
 * frames' SA (97), or nothing (59, a dummy). */
void transmit_packet(struct engine *e, struct peer *peer, struct pkt *p);
/* An ESP dummy packet (RFC 4303 2.6, next header 59) on p's main SA: the
 * authenticated keepalive. */
void transmit_dummy(struct engine *e, struct peer *peer);

/* inbound.c: ESP -> policy -> tun or the bridge. */
void inbound_packet(struct engine *e, struct outer_sock *s, struct pkt *p,
    const struct sockaddr_storage *src, uint8_t outer_tos);
void outer_read_cb(int fd, short what, void *arg);

/* tun_io.c: reading and writing the tun, with or without offloads. */
int  tun_io_init(struct engine *e, const struct tun_offload *offl);
void tun_io_free(struct engine *e);
void tun_read_cb(int fd, short what, void *arg);
/* Writes an inner packet to tun; logs (rate-limited) on failure. Between
 * tun_collect and tun_flush (a received batch) the packet is only queued
 * for coalescing, and d must stay valid until tun_flush. */
int  tun_write(struct engine *e, const uint8_t *d, size_t len);
void tun_collect(struct engine *e);
void tun_flush(struct engine *e);

/* ebridge.c: the tap and the bridge path of frames. */
int  ebridge_init(struct engine *e);    /* engine_new, after the peers */
/* The tap's MTU against what fits in the tunnel (logged); -1 if it does
 * not fit. From the configuration alone: `vpntund -n` asks too. */
int  ebridge_check_config(const struct config *cf);
/* A port as status and logs name it: a peer's name, or "local". */
const char *ebridge_port_name(const struct engine *e, bridge_port_t port);
void ebridge_free(struct engine *e);
int  ebridge_open(struct engine *e);    /* engine_start, after the tun */
void ebridge_close(struct engine *e);
/* A frame (EtherIP in pk) decrypted on p's SA: 0 if it was a sane frame
 * from the peer (delivered or dropped by policy), -1 if not. */
int  ebridge_from_peer(struct engine *e, struct peer *p, struct pkt *pk);

#endif

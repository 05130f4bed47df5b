/* The last stage before the wire, for a packet the policy and the
 * scheduler let go: its SA, sequence number and ESP in place, then the
 * send batch (txq.c). Both the QoS dequeue and the unscheduled path end
 * here. */
#include "src/datapath/datapath.h"

#include "ipx/etherip.h"

void
transmit_packet(struct engine *e, struct peer *p, struct pkt *pk)
{
	struct outer_sock *s;
	enum sa_kind kind = SA_MAIN;
	size_t inner_len = pk->len;
	uint8_t tos = 0, nh = pk->meta.nh;

	/* Looked up again: a queued packet's peer may have moved. */
	if ((s = peer_sock(p)) == NULL) {
		if (nh != 59)
			e->drops[SITE_DROP_NO_ENDPOINT]++;
		return;
	}
	if (nh == ETHERIP_PROTO) {
		/* Frames have no TOS to copy: DSCP 0, Not-ECT. */
		kind = peer_frame_kind(p);
		inner_len -= ETHERIP_HDRLEN;
	} else if (nh == 59) {
		/* RFC 4303 2.6: a dummy, no payload. */
		inner_len = 0;
	} else {
		/* RFC 4301 5.1.2.1 / RFC 6040 4.1 normal mode: the outer
		 * header copies DSCP and ECN of the inner one. */
		tos = pk->meta.tos;
	}
	if (sa_out_encap(p, kind, pk, nh) == -1)
		return;
	txq_push(e, p, s, pk, tos, inner_len);
}

void
transmit_dummy(struct engine *e, struct peer *p)
{
	struct pkt *pk = e->pkt_ctl;

	pkt_reset(pk);
	pk->meta.nh = 59;
	transmit_packet(e, p, pk);
}

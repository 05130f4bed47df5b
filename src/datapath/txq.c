/* The send batch: encrypted packets wait here, in the order their
 * sequence numbers were taken, and leave with one sendmmsg per run of
 * packets for one socket: when the batch is full, or once the event loop
 * has run the callbacks that were ready (a deferred flush), so a burst
 * read from tun in one callback costs one system call, not one each.
 *
 * Each slot owns one packet buffer. A packet built in the buffer that
 * txq_buf() handed out is queued without a copy; one built elsewhere (a
 * QoS queue's buffer, a keepalive's) is copied in, since its owner reuses
 * it at once. */
#include "src/datapath/datapath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ipx/etherip.h"

#define TXQ_MAX SOCK_BATCH_MAX

struct txq_slot {
	struct pkt              *buf;
	struct peer             *peer;
	struct outer_sock       *sock;
	struct sockaddr_storage  dst;
	uint8_t                  tos;
	uint8_t                  nh;            /* what it carries */
	size_t                   inner_len;     /* counted when it left */
};

struct txq {
	struct engine   *eng;
	struct pkt      *pool;                  /* TXQ_MAX buffers */
	struct txq_slot  slot[TXQ_MAX];
	size_t           n;
	struct event    *flush_ev;
	bool             flush_due;
};

static void
flush_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	txq_flush(arg);
}

int
txq_init(struct engine *e)
{
	struct txq *q;
	void *mem;
	size_t i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	if (posix_memalign(&mem, 64, TXQ_MAX * sizeof(struct pkt)) != 0) {
		free(q);
		return -1;
	}
	q->pool = mem;
	for (i = 0; i < TXQ_MAX; i++) {
		q->slot[i].buf = &q->pool[i];
		pkt_reset(q->slot[i].buf);
	}
	q->eng = e;
	if ((q->flush_ev = event_new(e->base, -1, 0, flush_cb, e)) == NULL) {
		free(q->pool);
		free(q);
		return -1;
	}
	e->txq = q;
	return 0;
}

void
txq_free(struct engine *e)
{
	struct txq *q = e->txq;

	if (q == NULL)
		return;
	event_free(q->flush_ev);
	free(q->pool);
	free(q);
	e->txq = NULL;
}

struct pkt *
txq_buf(struct engine *e)
{
	struct txq *q = e->txq;
	struct pkt *pk = q->slot[q->n].buf;

	pkt_reset(pk);
	return pk;
}

void
txq_push(struct engine *e, struct peer *p, struct outer_sock *s,
    struct pkt *pk, uint8_t tos, size_t inner_len)
{
	struct txq *q = e->txq;
	struct txq_slot *sl = &q->slot[q->n];

	if (pk != sl->buf) {
		sl->buf->off = pk->off;
		sl->buf->len = pk->len;
		memcpy(pkt_data(sl->buf), pkt_data(pk), pk->len);
	}
	sl->peer = p;
	sl->sock = s;
	/* The endpoint as it is now: a packet already encrypted goes where
	 * the peer was when its sequence number was taken. */
	sockaddr_inet_get(&p->endpoint, &sl->dst);
	sl->tos = tos;
	sl->nh = pk->meta.nh;
	sl->inner_len = inner_len;
	if (++q->n == TXQ_MAX) {
		txq_flush(e);
		return;
	}
	if (!q->flush_due) {
		q->flush_due = true;
		event_active(q->flush_ev, EV_TIMEOUT, 0);
	}
}

static void
sent(struct engine *e, struct txq_slot *sl, int err)
{
	struct peer *p = sl->peer;
	char ep[128];

	if (err == 0) {
		if (sl->nh == 4 || sl->nh == 41) {
			p->st.packets_out++;
			p->st.bytes_out += sl->inner_len;
		} else if (sl->nh == ETHERIP_PROTO) {
			p->br.frames_out++;
			p->br.bytes_out += sl->inner_len;
		}
		return;
	}
	if (err == EMSGSIZE) {
		e->drops[SITE_DROP_TOO_BIG]++;
		log_ratelimited(&p->lim_out, LOG_LVL_INFO, "peer %s: %zu bytes "
		    "of ESP exceed the path MTU to %s", p->conf->name,
		    sl->buf->len, sockaddr_ntop(&sl->dst, ep, sizeof(ep)));
		return;
	}
	log_ratelimited(&p->lim_out, LOG_LVL_WARN, "peer %s: send to %s: %s",
	    p->conf->name, sockaddr_ntop(&sl->dst, ep, sizeof(ep)),
	    strerror(err));
}

void
txq_flush(struct engine *e)
{
	struct txq *q = e->txq;
	struct sock_tx_slot tx[TXQ_MAX];
	size_t i, j, k;
	bool gso;

	q->flush_due = false;
	/* Runs of one socket keep the order of the batch on each socket. */
	for (i = 0; i < q->n; i = j) {
		for (j = i; j < q->n && q->slot[j].sock == q->slot[i].sock; j++) {
			struct txq_slot *sl = &q->slot[j];

			tx[j - i] = (struct sock_tx_slot){
				.data = pkt_data(sl->buf), .len = sl->buf->len,
				.dst = &sl->dst, .tos = sl->tos,
				.kind = sl->sock->kind,
			};
		}
		gso = q->slot[i].sock->gso;
		(void)sock_send_batch(q->slot[i].sock->fd, tx, j - i,
		    &q->slot[i].sock->gso, &q->slot[i].sock->tx);
		if (gso && !q->slot[i].sock->gso)
			log_info("UDP GSO refused by the kernel on the %s "
			    "socket: sending datagram by datagram",
			    q->slot[i].sock->af == AF_INET ? "IPv4" : "IPv6");
		for (k = i; k < j; k++)
			sent(e, &q->slot[k], tx[k - i].err);
	}
	q->n = 0;
}

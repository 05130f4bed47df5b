/* ESP -> tun, in the order of RFC 4303 3.4 (DESIGN.md "Inbound order"):
 * SPI lookup, source check, esp_decap (length, replay, ICV, decrypt,
 * padding), esp_accept (window), then the inner header, policy, `in`
 * rules, ECN (RFC 6040) and MSS clamping. */
#include "src/datapath/datapath.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "ipx/etherip.h"
#include "src/datapath/inner.h"
#include "src/datapath/policy.h"
#include "src/datapath/qos.h"

static void
peer_drop(struct peer *p, enum esp_drop why, const char *detail)
{
	p->st.drops[why]++;
	log_ratelimited(&p->lim_in, LOG_LVL_DEBUG, "peer %s: dropped (%s)%s%s",
	    p->conf->name, esp_drop_name(why), detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

/* Checks the decrypted inner packet and hands it to tun; -1 if it was
 * dropped or was a dummy packet. */
static int
deliver(struct engine *e, struct peer *p, struct pkt *pk, uint8_t nh,
    uint8_t outer_tos, bool tap_sa)
{
	struct pkt_meta *h = &pk->meta;
	const char *why;
	uint8_t *d = pkt_data(pk);
	int ecn;

	/* RFC 4303 2.6: a dummy packet, to be discarded silently. */
	if (nh == 59)
		return -1;
	/* RFC 3378 EtherIP: a frame for the bridge. */
	if (nh == ETHERIP_PROTO)
		return ebridge_from_peer(e, p, pk);
	if (tap_sa) {
		peer_drop(p, ESP_DROP_MALFORMED, "IP on the tap SA");
		return -1;
	}
	if (nh != 4 && nh != 41) {
		peer_drop(p, ESP_DROP_MALFORMED, "next header not IP");
		return -1;
	}
	if (pkt_parse_ip(d, pk->len, h, &why) == -1) {
		peer_drop(p, ESP_DROP_MALFORMED, why);
		return -1;
	}
	if ((nh == 4) != (h->af == AF_INET)) {
		peer_drop(p, ESP_DROP_MALFORMED, "next header and IP version "
		    "disagree");
		return -1;
	}
	h->nh = nh;
	h->peer = (uint32_t)(p - e->peers);
	/* Anything after the header's length is TFC padding (RFC 4303 2.7). */
	pk->len = h->len;
	if (!policy_allows_in(p->conf, h->af, pkt_ip_src(d, h),
	    pkt_ip_dst(d, h)) || policy_excluded(&e->cf->site, h->af,
	    pkt_ip_src(d, h), pkt_ip_dst(d, h))) {
		peer_drop(p, ESP_DROP_POLICY, "inner addresses outside the "
		    "peer's policies");
		return -1;
	}
	if (e->qos != NULL && !qos_filter_in(e, pk)) {
		p->st.drop_filter++;
		log_ratelimited(&p->lim_in, LOG_LVL_DEBUG, "peer %s: dropped "
		    "(filter)", p->conf->name);
		return -1;
	}
	/* RFC 6040 4.2: a CE mark on the outer header over a Not-ECT inner
	 * packet cannot be passed on; the RFC says drop. We count it as
	 * malformed: the packet as a whole is not one we can forward. */
	ecn = ecn_decap(h->tos & ECN_MASK, outer_tos & ECN_MASK);
	if (ecn < 0) {
		peer_drop(p, ESP_DROP_MALFORMED, "outer CE over inner Not-ECT");
		return -1;
	}
	if ((uint8_t)ecn != (h->tos & ECN_MASK))
		inner_set_ecn(d, h, (uint8_t)ecn);
	/* The SYN-ACK from the far side: our hosts send small segments. */
	if (e->qos != NULL)
		qos_mss_clamp(e, pk);
	if (tun_write(e, d, pk->len) == -1)
		return -1;
	p->st.packets_in++;
	p->st.bytes_in += pk->len;
	return 0;
}

/* The packet came from whoever holds the key and moved the window
 * forward: its address (NAT traversal, RFC 3948) can be trusted as the
 * way back. A replayed or reordered packet cannot move the endpoint.
 * Without an ICV nothing in a data packet proves its sender: derived
 * keying asks from where it came, and the answer, which is
 * authenticated, moves the endpoint; manual keying never follows. */
static void
authentic(struct engine *e, struct peer *p,
    const struct sockaddr_storage *src, bool moved)
{
	struct timespec now;

	if (moved && p->integrity)
		peer_learn_endpoint(p, src);
	else if (moved && !peer_at(p, src))
		sync_poke(e, p, src);
	clock_gettime(CLOCK_REALTIME, &now);
	p->st.last_in = now.tv_sec;
	liveness_heard(e, p);
}

void
inbound_packet(struct engine *e, struct outer_sock *s, struct pkt *pk,
    const struct sockaddr_storage *src, uint8_t outer_tos)
{
	struct spi_ref *ref;
	struct sa_in_hit hit;
	struct peer *p;
	uint32_t spi;
	uint8_t nh;
	char a[128];
	int r;

	if (!esp_peek_spi(pkt_data(pk), pk->len, &spi)) {
		e->drops[SITE_DROP_MALFORMED]++;
		return;
	}
	ref = sa_table_lookup(&e->spis, spi);
	if (ref == NULL) {
		e->drops[SITE_DROP_NO_SA]++;
		log_ratelimited(&e->lim_spi, LOG_LVL_INFO, "ESP from %s with "
		    "unknown SPI 0x%08x", sockaddr_ntop(src, a, sizeof(a)), spi);
		return;
	}
	p = ref->peer;
	if (!peer_source_ok(p, src, s->kind)) {
		p->st.drops[ESP_DROP_POLICY]++;
		log_ratelimited(&p->lim_in, LOG_LVL_INFO, "peer %s: ESP on "
		    "its SPI from %s (%s), not its endpoint", p->conf->name,
		    sockaddr_ntop(src, a, sizeof(a)),
		    s->kind == OUTER_UDP ? "udp" : "esp");
		return;
	}
	if (ref->ctl) {
		sync_input(e, p, pk, src);
		return;
	}
	r = sa_in_decap(e, p, ref->kind, spi, pk, &nh, &hit);
	if (r == SA_IN_UNSYNCED) {
		/* Derived keying before the peer answered us: nothing it
		 * sent can be told from a replay yet. */
		p->st.drop_unsynced++;
		sync_poke(e, p, src);
		return;
	}
	if (r != ESP_OK) {
		peer_drop(p, (enum esp_drop)r, NULL);
		/* Perhaps the peer started anew with epochs we do not
		 * know: ask it (at most once a second). Without an ICV a
		 * replay may also mean a window pushed by a forged number:
		 * the answer sets it back (sa_in_install); ask the peer
		 * where we know it to be, not the packet's sender. */
		if (r == ESP_DROP_AUTH)
			sync_poke(e, p, src);
		else if (r == ESP_DROP_REPLAY && !p->integrity) {
			struct sockaddr_storage at;

			sockaddr_inet_get(&p->endpoint, &at);
			sync_poke(e, p, p->have_endpoint ? &at : src);
		}
		return;
	}
	/* With an ICV the packet is authentic: it counts as received even
	 * if the inner checks drop it. Without one (auth none) anyone can
	 * make a packet decrypt to something, so only a sane inner packet
	 * that passes policy may change any state (the window included). */
	if (!sa_in_durable(p, &hit))
		return;
	if (p->integrity) {
		authentic(e, p, src, sa_in_accept(p, &hit));
		if (nh == 59) {
			p->live.keepalives_in++;
			return;
		}
		(void)deliver(e, p, pk, nh, outer_tos, ref->kind == SA_TAP);
		return;
	}
	if (nh == 59 || deliver(e, p, pk, nh, outer_tos,
	    ref->kind == SA_TAP) == -1)
		return;
	authentic(e, p, src, sa_in_accept(p, &hit));
}

/* One datagram of a UDP GRO run, copied into the next pkt_in buffer:
 * ESP is decrypted in place, with room around it. When the buffers are
 * used up, what went to tun is written first so they can be reused. */
static void
gro_datagram(struct engine *e, struct outer_sock *s, enum sock_rx what,
    const uint8_t *d, size_t len, const struct sock_rx_slot *rx,
    size_t *used)
{
	static struct log_limit lim;
	struct pkt *pk;

	if (what == SOCK_RX_KEEPALIVE)
		return;
	if (what != SOCK_RX_ESP || len > PKT_MTU_MAX) {
		if (what == SOCK_RX_ESP)
			log_ratelimited(&lim, LOG_LVL_DEBUG, "outer datagram "
			    "larger than %d bytes", PKT_MTU_MAX);
		e->drops[SITE_DROP_MALFORMED]++;
		return;
	}
	if (*used == ENGINE_BUDGET) {
		tun_flush(e);
		tun_collect(e);
		*used = 0;
	}
	pk = &e->pkt_in[(*used)++];
	pkt_reset(pk);
	memcpy(pkt_data(pk), d, len);
	pk->len = len;
	inbound_packet(e, s, pk, &rx->src, rx->tos);
}

/* With UDP GRO a message may hold a run of datagrams from one source:
 * read into the large buffers and split. While runs arrive, a call asks
 * for OUTER_GRO_RUNS messages, so that one callback handles a few
 * hundred datagrams and not thousands before tun is read again; while
 * none do, for a plain batch's worth, so that datagrams the kernel did
 * not coalesce cost no more calls than without GRO. Reading goes on
 * until a batch's worth of datagrams went to tun as one collection. */
static void
read_gro(struct engine *e, struct outer_sock *s)
{
	struct sock_rx_slot rx[OUTER_GRO_MSGS];
	enum sock_rx what;
	size_t pos, off, len, used = 0, total = 0;
	bool collecting = false;
	int i, n, want;

	do {
		want = s->gro_runs_seen ? OUTER_GRO_RUNS : OUTER_GRO_MSGS;
		for (i = 0; i < want; i++) {
			rx[i].buf = e->gro_in + (size_t)i * SOCK_GRO_MSG_MAX;
			rx[i].cap = SOCK_GRO_MSG_MAX;
		}
		n = sock_recv_batch(s->fd, s->kind, s->af, rx, (size_t)want);
		if (n == -1)
			log_ratelimited(&e->lim_sock, LOG_LVL_WARN,
			    "outer socket: receive: %s", strerror(errno));
		if (n <= 0)
			break;
		s->rx_calls++;
		if (!collecting)
			tun_collect(e);
		collecting = true;
		s->gro_runs_seen = false;
		for (i = 0; i < n; i++) {
			if (rx[i].what != SOCK_RX_GRO) {
				total++;
				gro_datagram(e, s, rx[i].what, rx[i].buf +
				    rx[i].esp_off, rx[i].esp_len, &rx[i], &used);
				continue;
			}
			s->rx_gro_messages++;
			s->gro_runs_seen = true;
			pos = 0;
			while (sock_rx_next(&rx[i], &pos, &what, &off, &len)) {
				s->rx_gro_segments++;
				total++;
				gro_datagram(e, s, what, rx[i].buf + off, len,
				    &rx[i], &used);
			}
		}
	} while (n == want && total < ENGINE_BUDGET);
	s->rx_datagrams += total;
	if (collecting)
		tun_flush(e);
}

void
outer_read_cb(int fd, short what, void *arg)
{
	struct outer_sock *s = arg;
	struct engine *e = s->eng;
	struct sock_rx_slot rx[ENGINE_BUDGET];
	struct pkt *pk;
	int i, n;

	(void)what;
	if (s->gro == OSG_ON) {
		read_gro(e, s);
		goto relay;
	}
	for (i = 0; i < ENGINE_BUDGET; i++) {
		pk = &e->pkt_in[i];
		pkt_reset(pk);
		rx[i].buf = pkt_data(pk);
		/* Larger datagrams are dropped whole (MSG_TRUNC). */
		rx[i].cap = PKT_MTU_MAX;
	}
	n = sock_recv_batch(fd, s->kind, s->af, rx, ENGINE_BUDGET);
	if (n == -1)
		log_ratelimited(&e->lim_sock, LOG_LVL_WARN,
		    "outer socket: receive: %s", strerror(errno));
	if (n > 0) {
		s->rx_calls++;
		s->rx_datagrams += (uint64_t)n;
	}
	/* The batch's buffers live until the end of this callback: what
	 * goes to tun is coalesced and written then. */
	tun_collect(e);
	for (i = 0; i < n; i++) {
		pk = &e->pkt_in[i];
		switch (rx[i].what) {
		case SOCK_RX_ESP:
			pk->off += rx[i].esp_off;
			pk->len = rx[i].esp_len;
			inbound_packet(e, s, pk, &rx[i].src, rx[i].tos);
			break;
		case SOCK_RX_KEEPALIVE:
			break;
		case SOCK_RX_NON_ESP:
		default:
			e->drops[SITE_DROP_MALFORMED]++;
			break;
		}
	}
	tun_flush(e);
relay:
	/* Frames the central router relays to other peers were queued. */
	if (e->br != NULL && e->qos != NULL)
		qos_run(e);
}

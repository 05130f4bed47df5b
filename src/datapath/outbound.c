/* tun -> ESP, the first stage: filter rules, policy lookup, MTU checks
 * (answering with ICMP too-big), meters, then the QoS queue
 * (src/datapath/qos.h) or straight to transmit.c (RFC 4301 5.1 in
 * spirit). */
#include "src/datapath/datapath.h"

#include <string.h>
#include <time.h>

#include "src/datapath/icmp.h"
#include "src/datapath/inner.h"
#include "src/datapath/policy.h"
#include "src/datapath/qos.h"

#define ENGINE_ICMP_PER_SEC 100

/* Tells the sender its packet did not fit (RFC 1191 / RFC 8201). The
 * error claims to come from the packet's destination, as if the far end
 * of the tunnel had answered: from our own tun address Linux would drop
 * it as a martian (a local source arriving on a device), and the sender
 * could never learn the MTU. */
static void
send_too_big(struct engine *e, const uint8_t *d, const struct pkt_meta *h,
    unsigned mtu)
{
	struct pkt *ip = e->pkt_icmp;
	struct timespec now;
	uint8_t src[16];
	size_t n;

	/* Like the kernel's own ICMP, bounded: a flood of big packets must
	 * not become a flood of errors. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != e->icmp_sec) {
		e->icmp_sec = now.tv_sec;
		e->icmp_count = 0;
	}
	if (e->icmp_count >= ENGINE_ICMP_PER_SEC)
		return;
	e->icmp_count++;
	memcpy(src, pkt_ip_dst(d, h), h->af == AF_INET ? 4 : 16);
	pkt_reset(ip);
	if (h->af == AF_INET)
		n = icmp4_frag_needed(pkt_data(ip), PKT_MTU_MAX, d, h, src, mtu);
	else
		n = icmp6_packet_too_big(pkt_data(ip), PKT_MTU_MAX, d, h, src,
		    mtu);
	if (n > 0)
		tun_write(e, pkt_data(ip), n);
}

/* Returns true if the packet may go on. Counts and answers otherwise. */
static bool
check_size(struct engine *e, struct peer *p, const uint8_t *d,
    const struct pkt_meta *h)
{
	static struct log_limit lim;
	unsigned outer_mtu = e->cf->site.outer_mtu, fit;
	size_t oh = peer_overhead(p, p->endpoint.sa.sa_family);
	unsigned floor = h->af == AF_INET ? IPV4_MIN_MTU : IPV6_MIN_MTU;
	unsigned mtu = h->af == AF_INET ? e->mtu_v4 : e->mtu;

	if (h->len <= mtu && h->len + oh <= outer_mtu)
		return true;
	/* What fits through both the tun and the outer path. */
	fit = outer_mtu > oh ? outer_mtu - (unsigned)oh : 0;
	if (fit > mtu)
		fit = mtu;
	if (h->af == AF_INET && !h->df) {
		/* May be fragmented, but we do not fragment outer packets
		 * ourselves: send it if the outer path takes it. */
		if (h->len + oh <= outer_mtu)
			return true;
	} else if (fit >= floor) {
		send_too_big(e, d, h, fit);
	} else if (h->len + oh <= PKT_MTU_MAX) {
		/* The tun MTU was raised to the protocol minimum: no smaller
		 * MTU can be advertised, so let the outer path cope. */
		return true;
	}
	e->drops[SITE_DROP_TOO_BIG]++;
	log_ratelimited(&lim, LOG_LVL_INFO, "peer %s: packet of %zu bytes "
	    "exceeds %u (tun MTU %u, outer MTU %u)", p->conf->name, (size_t)h->len,
	    fit, mtu, outer_mtu);
	return false;
}

struct pkt *
outbound_buf(struct engine *e)
{
	/* QoS queues packets in its own buffers; without it they go to the
	 * send batch, which takes its own buffer without a copy. */
	return e->qos != NULL ? e->pkt_out : txq_buf(e);
}

void
outbound_packet(struct engine *e, struct pkt *pk)
{
	struct pkt_meta *h = &pk->meta;
	struct peer *p;
	const char *why;
	uint8_t *d = pkt_data(pk);
	long idx;

	if (pkt_parse_ip(d, pk->len, h, &why) == -1) {
		e->drops[SITE_DROP_MALFORMED]++;
		log_ratelimited(&e->lim_malformed, LOG_LVL_DEBUG,
		    "%s: %zu bytes: %s", e->tun_name, pk->len, why);
		return;
	}
	pk->len = h->len;
	h->nh = h->af == AF_INET ? 4 : 41;
	if (policy_excluded(&e->cf->site, h->af, pkt_ip_src(d, h),
	    pkt_ip_dst(d, h))) {
		e->drops[SITE_DROP_NO_POLICY]++;
		return;
	}
	if (e->qos != NULL && (h->rule = qos_filter_out(e, pk)) == -2)
		return;
	idx = policy_table_lookup(&e->pol, h->af, pkt_ip_src(d, h),
	    pkt_ip_dst(d, h));
	if (idx < 0) {
		/* Link-scoped kernel chatter is expected and not a policy
		 * failure worth counting. */
		if (!inner_link_scoped(d, h))
			e->drops[SITE_DROP_NO_POLICY]++;
		return;
	}
	p = &e->peers[idx];
	/* A dynamic peer not heard from yet (or heard over a family we
	 * have no socket for): nowhere to send. */
	if (peer_sock(p) == NULL) {
		e->drops[SITE_DROP_NO_ENDPOINT]++;
		return;
	}
	if (!check_size(e, p, d, h))
		return;
	if (e->qos != NULL) {
		if (!qos_condition(e, pk))
			return;
		qos_mss_clamp(e, pk);
		if (qos_enqueue(e, p, pk))
			return;
	}
	transmit_packet(e, p, pk);
}

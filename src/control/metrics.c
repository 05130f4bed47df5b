/* /metrics (and the control socket's "metrics", which vpntunctl top
 * reads): the counters of "status json" in the Prometheus text format,
 * one family at a time, with the peer, the direction, the reason of a
 * drop and the QoS class as labels. Counters are the same variables the
 * status reads, so the two agree at any one moment. */
#include "src/control/control.h"

#include <event2/buffer.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "src/control/monitor.h"
#include "src/datapath/datapath.h"
#include "src/datapath/qos.h"

#define COUNTER "counter"
#define GAUGE   "gauge"

static const char *const dirs[2] = { "in", "out" };

static uint64_t
mono_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void
site_metrics(const struct engine *e, struct evbuffer *out)
{
	const struct site_conf *s = &e->cf->site;
	struct prom_label l[3];
	struct timespec now;
	int d;

	prom_family(out, "vpntund_info", GAUGE, "The site this daemon runs, "
	    "always 1.");
	l[0] = (struct prom_label){ "site", s->name };
	l[1] = (struct prom_label){ "role", s->role == ROLE_CENTRAL ?
	    "central" : "remote" };
	l[2] = (struct prom_label){ "tun", e->tun_name };
	prom_sample(out, "vpntund_info", l, 3, 1);

	clock_gettime(CLOCK_MONOTONIC, &now);
	prom_family(out, "vpntund_uptime_seconds", GAUGE, "Seconds since the "
	    "daemon started.");
	prom_sample(out, "vpntund_uptime_seconds", NULL, 0,
	    (uint64_t)(now.tv_sec - e->started.tv_sec));

	prom_family(out, "vpntund_drops_total", COUNTER, "Packets the site "
	    "dropped before a peer was known, by reason.");
	for (d = 0; d < SITE_DROP_MAX; d++) {
		l[0] = (struct prom_label){ "reason", site_drop_name(d) };
		prom_sample(out, "vpntund_drops_total", l, 1, e->drops[d]);
	}

	prom_family(out, "vpntund_reloads_total", COUNTER, "Configuration "
	    "reloads, applied or refused.");
	l[0] = (struct prom_label){ "result", "applied" };
	prom_sample(out, "vpntund_reloads_total", l, 1, e->reloads_done);
	l[0] = (struct prom_label){ "result", "refused" };
	prom_sample(out, "vpntund_reloads_total", l, 1, e->reloads_failed);

	prom_family(out, "vpntund_rules", GAUGE, "Filter and classification "
	    "rules in use.");
	prom_sample(out, "vpntund_rules", NULL, 0, e->cf->nrules);
}

/* One family with an in and an out sample per peer. */
static void
peer_inout(const struct engine *e, struct evbuffer *out, const char *name,
    const char *help, size_t in_off, size_t out_off)
{
	struct prom_label l[2];
	const struct peer *p;
	size_t i;
	int k;

	prom_family(out, name, COUNTER, help);
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		l[0] = (struct prom_label){ "peer", p->conf->name };
		for (k = 0; k < 2; k++) {
			l[1] = (struct prom_label){ "direction", dirs[k] };
			prom_sample(out, name, l, 2, *(const uint64_t *)
			    (const void *)((const char *)p +
			    (k == 0 ? in_off : out_off)));
		}
	}
}

#define PEER_OFF(m) offsetof(struct peer, m)

static void
peer_drops(const struct engine *e, struct evbuffer *out)
{
	static const char name[] = "vpntund_peer_drops_total";
	struct prom_label l[3];
	const struct peer *p;
	size_t i;
	int d;

	prom_family(out, name, COUNTER, "Packets of a peer dropped, by "
	    "direction and reason.");
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		l[0] = (struct prom_label){ "peer", p->conf->name };
		l[1] = (struct prom_label){ "direction", "in" };
		for (d = ESP_DROP_MALFORMED; d < ESP_DROP_MAX; d++) {
			l[2] = (struct prom_label){ "reason", esp_drop_name(d) };
			prom_sample(out, name, l, 3, p->st.drops[d]);
		}
		l[2] = (struct prom_label){ "reason", "filter" };
		prom_sample(out, name, l, 3, p->st.drop_filter);
		l[2] = (struct prom_label){ "reason", "unsynced" };
		prom_sample(out, name, l, 3, p->st.drop_unsynced);
		l[2] = (struct prom_label){ "reason", "state" };
		prom_sample(out, name, l, 3, p->st.drop_state);
		l[1] = (struct prom_label){ "direction", "out" };
		for (d = 0; d < SA_OUT_DROP_MAX; d++) {
			l[2] = (struct prom_label){ "reason",
			    sa_out_drop_name(d) };
			prom_sample(out, name, l, 3, p->out.drops[d] +
			    (p->tap != NULL ? p->tap->out.drops[d] : 0));
		}
	}
}

static void
peer_metrics(const struct engine *e, struct evbuffer *out)
{
	static const enum live_state states[] = { LIVE_UP, LIVE_STALE,
	    LIVE_DOWN };
	struct prom_label l[2];
	const struct peer *p;
	size_t i, k;

	prom_family(out, "vpntund_peer_state", GAUGE, "1 for the state a "
	    "peer is in (up, stale, down), 0 for the others.");
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		l[0] = (struct prom_label){ "peer", p->conf->name };
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			l[1] = (struct prom_label){ "state",
			    live_state_name(states[k]) };
			prom_sample(out, "vpntund_peer_state", l, 2,
			    p->live.state == states[k]);
		}
	}
	prom_family(out, "vpntund_peer_state_changes_total", COUNTER,
	    "Changes of a peer's state.");
	for (i = 0; i < e->npeers; i++) {
		l[0] = (struct prom_label){ "peer", e->peers[i].conf->name };
		prom_sample(out, "vpntund_peer_state_changes_total", l, 1,
		    e->peers[i].live.changes);
	}
	peer_inout(e, out, "vpntund_peer_packets_total", "ESP packets "
	    "received from (in) and sent to (out) a peer.",
	    PEER_OFF(st.packets_in), PEER_OFF(st.packets_out));
	peer_inout(e, out, "vpntund_peer_bytes_total", "Bytes of the "
	    "packets in vpntund_peer_packets_total.",
	    PEER_OFF(st.bytes_in), PEER_OFF(st.bytes_out));
	peer_inout(e, out, "vpntund_peer_keepalives_total", "Keepalives "
	    "(ESP dummy packets) received from and sent to a peer.",
	    PEER_OFF(live.keepalives_in), PEER_OFF(live.keepalives_out));
	peer_drops(e, out);
	prom_family(out, "vpntund_peer_last_packet_timestamp_seconds", GAUGE,
	    "When the last authenticated packet of a peer arrived (Unix "
	    "time); absent before the first.");
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		if (p->st.last_in == 0)
			continue;
		l[0] = (struct prom_label){ "peer", p->conf->name };
		prom_sample(out, "vpntund_peer_last_packet_timestamp_seconds",
		    l, 1, (uint64_t)p->st.last_in);
	}
}

/* The class's counters as "status json" gives them: the drops for want
 * of a pool buffer added to the scheduler's own. */
static void
class_stats(const struct engine *e, unsigned c, uint64_t now,
    struct cbq_class_stats *st)
{
	cbq_class_stats(e->qos->cbq, c, now, st);
	st->drops += e->qos->pool_drops[c];
}

enum qos_field { Q_PACKETS, Q_BYTES, Q_DROPS, Q_MARKS, Q_BORROWED, Q_RATE,
    Q_QLEN, Q_QBYTES, Q_QDELAY, Q_MAX };

static const struct {
	const char *name, *type, *help;
} qos_families[Q_MAX] = {
	[Q_PACKETS] = { "vpntund_qos_class_packets_total", COUNTER,
	    "Packets a QoS class sent." },
	[Q_BYTES] = { "vpntund_qos_class_bytes_total", COUNTER,
	    "Wire bytes a QoS class sent." },
	[Q_DROPS] = { "vpntund_qos_class_drops_total", COUNTER,
	    "Packets a QoS class dropped (queue limit, CoDel, no buffer)." },
	[Q_MARKS] = { "vpntund_qos_class_ecn_marks_total", COUNTER,
	    "Packets a QoS class marked CE instead of dropping them." },
	[Q_BORROWED] = { "vpntund_qos_class_borrowed_bytes_total", COUNTER,
	    "Wire bytes a QoS class sent above its own rate." },
	[Q_RATE] = { "vpntund_qos_class_rate_bytes_per_second", GAUGE,
	    "A QoS class's sending rate, moving average." },
	[Q_QLEN] = { "vpntund_qos_class_queue_packets", GAUGE,
	    "Packets in a QoS class's queue now." },
	[Q_QBYTES] = { "vpntund_qos_class_queue_bytes", GAUGE,
	    "Wire bytes in a QoS class's queue now." },
	[Q_QDELAY] = { "vpntund_qos_class_queue_delay_seconds", GAUGE,
	    "How long the packet at the head of a QoS class's queue has "
	    "waited." },
};

static void
qos_metrics(const struct engine *e, struct evbuffer *out)
{
	struct cbq_class_stats st;
	struct prom_label l[1];
	uint64_t now = mono_ns(), v = 0;
	size_t c, n;
	int f;

	if (e->qos == NULL || e->qos->cbq == NULL)
		return;
	n = cbq_nclasses(e->qos->cbq);
	prom_family(out, "vpntund_qos_bandwidth_bytes_per_second", GAUGE,
	    "The bandwidth of the qos block.");
	prom_sample(out, "vpntund_qos_bandwidth_bytes_per_second", NULL, 0,
	    e->cf->qos.bandwidth / 8);
	for (f = 0; f < Q_MAX; f++) {
		prom_family(out, qos_families[f].name, qos_families[f].type,
		    qos_families[f].help);
		for (c = 0; c < n; c++) {
			class_stats(e, (unsigned)c, now, &st);
			l[0] = (struct prom_label){ "class",
			    cbq_class_name(e->qos->cbq, (unsigned)c) };
			if (f == Q_QDELAY) {
				prom_sample_f(out, qos_families[f].name, l, 1,
				    (double)st.qdelay_ns / 1e9);
				continue;
			}
			switch (f) {
			case Q_PACKETS:  v = st.packets; break;
			case Q_BYTES:    v = st.bytes; break;
			case Q_DROPS:    v = st.drops; break;
			case Q_MARKS:    v = st.marks; break;
			case Q_BORROWED: v = st.borrowed; break;
			case Q_RATE:     v = st.rate / 8; break;
			case Q_QLEN:     v = st.qlen; break;
			case Q_QBYTES:   v = st.qbytes; break;
			}
			prom_sample(out, qos_families[f].name, l, 1, v);
		}
	}
}

static void
bridge_metrics(const struct engine *e, struct evbuffer *out)
{
	const struct ebridge *b = e->br;
	struct prom_label l[3];
	const struct peer *p;
	size_t i;
	int d;

	if (b == NULL)
		return;
	prom_family(out, "vpntund_bridge_macs", GAUGE, "MAC addresses the "
	    "bridge has learned.");
	prom_sample(out, "vpntund_bridge_macs", NULL, 0,
	    bridge_count(b->tab, mono_ns()));
	prom_family(out, "vpntund_bridge_drops_total", COUNTER, "Frames the "
	    "bridge dropped before a peer was known, by reason.");
	for (d = 0; d < BR_SITE_DROP_MAX; d++) {
		l[0] = (struct prom_label){ "reason", br_site_drop_name(d) };
		prom_sample(out, "vpntund_bridge_drops_total", l, 1,
		    b->drops[d]);
	}
	peer_inout(e, out, "vpntund_peer_bridge_frames_total", "Ethernet "
	    "frames bridged from (in) and to (out) a peer.",
	    PEER_OFF(br.frames_in), PEER_OFF(br.frames_out));
	peer_inout(e, out, "vpntund_peer_bridge_bytes_total", "Bytes of the "
	    "frames in vpntund_peer_bridge_frames_total.",
	    PEER_OFF(br.bytes_in), PEER_OFF(br.bytes_out));
	prom_family(out, "vpntund_peer_bridge_drops_total", COUNTER,
	    "Frames of a peer the bridge dropped, by reason.");
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		l[0] = (struct prom_label){ "peer", p->conf->name };
		for (d = 0; d < BR_PEER_DROP_MAX; d++) {
			l[1] = (struct prom_label){ "reason",
			    br_peer_drop_name(d) };
			prom_sample(out, "vpntund_peer_bridge_drops_total", l,
			    2, p->br.drops[d]);
		}
	}
}

int
metrics_write(struct engine *e, struct evbuffer *out)
{
	site_metrics(e, out);
	peer_metrics(e, out);
	qos_metrics(e, out);
	bridge_metrics(e, out);
	return 0;
}

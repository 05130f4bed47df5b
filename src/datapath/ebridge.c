/* The tap and the bridge path of frames. Every site with a tap
 * runs the learning bridge of ipx/bridge.h over its bridge peers and its
 * own tap (BRIDGE_PORT_LOCAL); a remote has one peer port, the central,
 * and the central relays frames between its remotes.
 *
 *   tap -> size -> classify/select -> `out` rules (device tap) -> learn on
 *       LOCAL -> forward -> flood limit of LOCAL -> per peer port: copy,
 *       EtherIP, QoS (class `bridge`) or straight to ESP (next header 97)
 *   ESP nh 97 from peer X -> EtherIP decap -> classify/select -> learn on
 *       X -> forward -> flood limit of X -> tap and/or other peer ports
 *
 * A flooded frame goes to several ports and ESP encrypts in place, so each
 * peer port gets its own copy in e->pkt_out (a pool buffer when there is
 * a scheduler): nothing is allocated per frame. */
#include "src/datapath/datapath.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ipx/etherip.h"
#include "ipx/frame.h"
#include "src/datapath/qos.h"

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *const site_drop_names[BR_SITE_DROP_MAX] = {
	[BR_SITE_NOT_SELECTED] = "not_selected",
	[BR_SITE_TOO_BIG] = "too_big",
	[BR_SITE_FLOOD] = "flood",
	[BR_SITE_FILTER] = "filter",
};

static const char *const peer_drop_names[BR_PEER_DROP_MAX] = {
	[BR_PEER_NOT_SELECTED] = "not_selected",
	[BR_PEER_TOO_BIG] = "too_big",
	[BR_PEER_ETHERIP] = "etherip",
	[BR_PEER_FLOOD] = "flood",
	[BR_PEER_NO_TAP] = "no_tap",
};

const char *
br_site_drop_name(enum br_site_drop d)
{
	return (unsigned)d < BR_SITE_DROP_MAX ? site_drop_names[d] : "unknown";
}

const char *
br_peer_drop_name(enum br_peer_drop d)
{
	return (unsigned)d < BR_PEER_DROP_MAX ? peer_drop_names[d] : "unknown";
}

/* The largest outer overhead of the bridge peers (peer_worst_overhead,
 * as the tun's MTU is chosen). Without bridge peers, the largest of all. */
static size_t
worst_overhead(const struct config *cf)
{
	size_t worst = 0, oh, i;
	bool any_port = false;
	int pass;

	for (pass = 0; pass < 2 && !any_port; pass++) {
		for (i = 0; i < cf->npeers; i++) {
			if (pass == 0 && !cf->peers[i].bridge)
				continue;
			any_port = true;
			oh = peer_conf_worst_overhead(cf, &cf->peers[i]);
			if (oh > worst)
				worst = oh;
		}
	}
	return worst;
}

/* The largest frame the tunnels carry, and the tap MTU that keeps frames
 * within it. -1 (logged) if an explicit MTU is larger or nothing fits. */
static int
fit_sizes(const struct config *cf, size_t *worst, size_t *frame_max,
    unsigned *fit)
{
	const struct site_conf *site = &cf->site;

	*worst = worst_overhead(cf);
	*frame_max = frame_max_in_tunnel(site->outer_mtu, *worst);
	*fit = frame_tap_mtu(*frame_max);
	if (site->tap_mtu != 0 && site->tap_mtu > *fit) {
		log_warnx("%s:%d: tap mtu %u exceeds what fits in the tunnel "
		    "(%u)", cf->file, site->tap_line, site->tap_mtu, *fit);
		return -1;
	}
	if (*fit < 68) {
		log_warnx("%s:%d: tap %s: no room for frames in the tunnel "
		    "(outer-mtu %u, overhead %zu)", cf->file, site->tap_line,
		    site->tap, site->outer_mtu, *worst);
		return -1;
	}
	return 0;
}

int
ebridge_check_config(const struct config *cf)
{
	size_t worst, frame_max;
	unsigned fit;

	if (cf->site.tap[0] == '\0')
		return 0;
	return fit_sizes(cf, &worst, &frame_max, &fit);
}

static int
choose_sizes(struct engine *e, struct ebridge *b)
{
	const struct site_conf *site = &e->cf->site;
	size_t worst;
	unsigned fit;

	if (fit_sizes(e->cf, &worst, &b->frame_max, &fit) == -1)
		return -1;
	b->mtu = site->tap_mtu != 0 ? site->tap_mtu : fit;
	log_info("tap %s: MTU %u (%s; frames up to %zu bytes fit, ESP "
	    "overhead %zu + EtherIP 2)", site->tap, b->mtu, site->tap_mtu != 0 ?
	    "configured" : "derived", b->frame_max, worst);
	return 0;
}

int
ebridge_init(struct engine *e)
{
	const struct site_conf *site = &e->cf->site;
	struct bridge_conf bc;
	struct ebridge *b;
	void *mem;

	if (site->tap[0] == '\0')
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warn("bridge");
		return -1;
	}
	e->br = b;
	dev_init(&b->dev, DEV_TAP, e->dev_ops, e->dev_arg);
	b->mode = site->bridge_all ? BRIDGE_MODE_ALL : BRIDGE_MODE_IPX;
	if (choose_sizes(e, b) == -1)
		return -1;
	bridge_conf_defaults(&bc, e->npeers);
	bc.capacity = site->bridge_table;
	bc.age_ns = (uint64_t)site->bridge_age * 1000000000ULL;
	bc.flood_rate = site->bridge_flood_rate;
	bc.flood_burst = site->bridge_flood_burst;
	/* Keyed so that a remote cannot aim source MACs at one window. */
	if (getrandom(&bc.seed, sizeof(bc.seed), 0) != sizeof(bc.seed)) {
		log_warn("bridge: getrandom");
		return -1;
	}
	b->nports = e->npeers + 1;
	b->ports = calloc(b->nports, sizeof(*b->ports));
	if (posix_memalign(&mem, 64, sizeof(struct pkt)) != 0)
		mem = NULL;
	b->frame = mem;
	if ((b->tab = bridge_new(&bc)) == NULL || b->ports == NULL ||
	    b->frame == NULL) {
		log_warnx("bridge: cannot allocate a table of %u entries",
		    site->bridge_table);
		return -1;
	}
	b->nonip_rule = qos_nonip_rule(e->cf);
	return 0;
}

void
ebridge_free(struct engine *e)
{
	struct ebridge *b = e->br;

	if (b == NULL)
		return;
	ebridge_close(e);
	bridge_free(b->tab);
	free(b->ports);
	free(b->frame);
	free(b);
	e->br = NULL;
}

/* Sends a copy of the frame d to peer p: EtherIP, then the scheduler or
 * ESP at once. */
static void
emit(struct engine *e, struct peer *p, const uint8_t *d, size_t len,
    int rule)
{
	struct pkt *pk;

	/* A dynamic peer not heard from yet: nowhere to send a copy. */
	if (peer_sock(p) == NULL)
		return;
	pk = outbound_buf(e);
	pkt_reset(pk);
	memcpy(pkt_data(pk), d, len);
	pk->len = len;
	if (etherip_encap(pk) != ETHERIP_OK)
		return;
	/* A frame has no IP parse of its own to carry (its rule was
	 * decided on the frame): what ESP carries and that rule. */
	memset(&pk->meta, 0, sizeof(pk->meta));
	pk->meta.nh = ETHERIP_PROTO;
	pk->meta.rule = rule;
	if (e->qos != NULL && qos_enqueue(e, p, pk))
		return;
	transmit_packet(e, p, pk);
}

static void
learn(struct engine *e, const struct frame_info *fi, bridge_port_t port,
    uint64_t now)
{
	struct ebridge *b = e->br;
	bridge_port_t old;

	if (bridge_learn(b->tab, fi->src, port, now, &old) !=
	    BRIDGE_LEARN_MOVED)
		return;
	log_ratelimited(&b->lim_moved, LOG_LVL_INFO, "bridge: "
	    "%02x:%02x:%02x:%02x:%02x:%02x moved from %s to %s",
	    fi->src[0], fi->src[1], fi->src[2], fi->src[3], fi->src[4],
	    fi->src[5], ebridge_port_name(e, old), ebridge_port_name(e, port));
}

const char *
ebridge_port_name(const struct engine *e, bridge_port_t port)
{
	if (port == BRIDGE_PORT_LOCAL)
		return "local";
	return port < e->npeers ? e->peers[port].conf->name : "?";
}

/* The ports the frame goes to, its flood limit applied; 0 if none. */
static size_t
ports_for(struct engine *e, const struct frame_info *fi, bridge_port_t in,
    uint64_t now, bool *flood_dropped)
{
	struct ebridge *b = e->br;
	bool flooded;
	size_t n;

	*flood_dropped = false;
	n = bridge_forward(b->tab, fi, in, now, b->ports, b->nports, &flooded);
	if (n > 0 && flooded && !bridge_flood_allowed(b->tab, in, now)) {
		*flood_dropped = true;
		return 0;
	}
	return n;
}

static void
from_tap(struct engine *e, struct pkt *pk)
{
	struct ebridge *b = e->br;
	const uint8_t *d = pkt_data(pk);
	struct frame_info fi;
	uint64_t now;
	size_t n, i;
	bool flood;
	int rule;

	/* Read with room to spare: a longer frame is seen, never cut. */
	if (pk->len > b->frame_max) {
		b->drops[BR_SITE_TOO_BIG]++;
		log_ratelimited(&b->lim_tap, LOG_LVL_DEBUG, "%s: frame of %zu "
		    "bytes exceeds the %zu that fit in the tunnel", b->name,
		    pk->len, b->frame_max);
		return;
	}
	if (!frame_selected(b->mode, frame_classify(d, pk->len, &fi))) {
		b->drops[BR_SITE_NOT_SELECTED]++;
		return;
	}
	rule = qos_filter_frame(e, d, pk->len, frame_ip_offset(&fi),
	    b->nonip_rule);
	if (rule == -2) {
		b->drops[BR_SITE_FILTER]++;
		return;
	}
	now = mono_ns();
	learn(e, &fi, BRIDGE_PORT_LOCAL, now);
	n = ports_for(e, &fi, BRIDGE_PORT_LOCAL, now, &flood);
	if (flood)
		b->drops[BR_SITE_FLOOD]++;
	for (i = 0; i < n; i++)
		if (b->ports[i] < e->npeers &&
		    e->peers[b->ports[i]].bridge_port)
			emit(e, &e->peers[b->ports[i]], d, pk->len, rule);
}

/* One whole frame to the tap. */
static void
tap_put(struct ebridge *b, const uint8_t *d, size_t len)
{
	ssize_t n = dev_write(&b->dev, d, len);

	if (n == -1 || (size_t)n != len)
		log_ratelimited(&b->lim_tap, LOG_LVL_WARN, "%s: write of %zu "
		    "bytes: %s", b->name, len, n == -1 ? strerror(errno) :
		    "short");
}

int
ebridge_from_peer(struct engine *e, struct peer *p, struct pkt *pk)
{
	struct ebridge *b = e->br;
	bridge_port_t in = (bridge_port_t)(p - e->peers);
	struct frame_info fi;
	struct peer *to;
	const uint8_t *d;
	uint64_t now;
	size_t n, i;
	bool flood;

	if (b == NULL || !p->bridge_port) {
		p->br.drops[BR_PEER_NO_TAP]++;
		log_ratelimited(&p->lim_in, LOG_LVL_DEBUG, "peer %s: EtherIP "
		    "dropped: %s", p->conf->name, b == NULL ? "this site has "
		    "no tap" : "the peer is not a bridge port");
		return -1;
	}
	if (etherip_decap(pk) != ETHERIP_OK) {
		p->br.drops[BR_PEER_ETHERIP]++;
		log_ratelimited(&p->lim_in, LOG_LVL_DEBUG, "peer %s: bad "
		    "EtherIP header or short frame (%zu bytes)", p->conf->name,
		    pk->len);
		return -1;
	}
	d = pkt_data(pk);
	if (!frame_selected(b->mode, frame_classify(d, pk->len, &fi))) {
		p->br.drops[BR_PEER_NOT_SELECTED]++;
		return 0;
	}
	now = mono_ns();
	learn(e, &fi, in, now);
	n = ports_for(e, &fi, in, now, &flood);
	if (flood) {
		p->br.drops[BR_PEER_FLOOD]++;
		return 0;
	}
	p->br.frames_in++;
	p->br.bytes_in += pk->len;
	for (i = 0; i < n; i++) {
		if (b->ports[i] == BRIDGE_PORT_LOCAL) {
			tap_put(b, d, pk->len);
			continue;
		}
		if (b->ports[i] >= e->npeers)
			continue;
		to = &e->peers[b->ports[i]];
		if (!to->bridge_port)
			continue;
		if (pk->len > b->frame_max) {
			to->br.drops[BR_PEER_TOO_BIG]++;
			continue;
		}
		/* Relayed frames are not the tap's: no `out` rule, the
		 * class marked bridge. */
		emit(e, to, d, pk->len, -1);
	}
	return 0;
}

/* One frame into buf of cap bytes. A frame longer than cap is cut and
 * its read returns at least cap, so the caller passes more room than any
 * frame it accepts and treats a length above its limit as too big: a
 * frame is never cut to fit. 0 when nothing is waiting, -1 (errno) on
 * error. */
static ssize_t
tap_get(struct ebridge *b, uint8_t *buf, size_t cap)
{
	ssize_t n;

	for (;;) {
		n = dev_read(&b->dev, buf, cap);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

static void
tap_read_cb(int fd, short what, void *arg)
{
	struct engine *e = arg;
	struct ebridge *b = e->br;
	struct pkt *pk = b->frame;
	ssize_t n;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < ENGINE_BUDGET; i++) {
		pkt_reset(pk);
		/* The whole buffer: anything above frame_max is too big. */
		n = tap_get(b, pkt_data(pk), PKT_MTU_MAX);
		if (n == -1) {
			log_ratelimited(&b->lim_tap, LOG_LVL_WARN, "%s: read: %s",
			    b->name, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		pk->len = (size_t)n;
		from_tap(e, pk);
	}
	if (e->qos != NULL)
		qos_run(e);
}

int
ebridge_open(struct engine *e)
{
	struct ebridge *b = e->br;
	const char *want = e->cf->site.tap;
	size_t nbridge = 0, i;

	if (b == NULL)
		return 0;
	if (dev_open(&b->dev, want, false, b->name) == -1) {
		log_warnx("cannot create tap device %s", want);
		return -1;
	}
	if (dev_set_mtu(&b->dev, b->mtu) == -1) {
		log_warn("%s: set MTU %u", b->name, b->mtu);
		return -1;
	}
	if (dev_set_up(&b->dev, true) == -1) {
		log_warn("%s: set up", b->name);
		return -1;
	}
	b->ev = event_new(e->base, b->dev.fd, EV_READ | EV_PERSIST,
	    tap_read_cb, e);
	if (b->ev == NULL || event_add(b->ev, NULL) == -1) {
		log_warnx("event for %s", b->name);
		return -1;
	}
	for (i = 0; i < e->npeers; i++)
		nbridge += e->peers[i].bridge_port;
	log_info("%s up, MTU %u, bridge %s, %zu bridge peer%s", b->name, b->mtu,
	    b->mode == BRIDGE_MODE_ALL ? "all" : "ipx", nbridge,
	    nbridge == 1 ? "" : "s");
	return 0;
}

void
ebridge_close(struct engine *e)
{
	struct ebridge *b = e->br;

	if (b == NULL)
		return;
	if (b->ev != NULL)
		event_free(b->ev);
	b->ev = NULL;
	/* Not persistent: closing removes the device. */
	dev_close(&b->dev);
}

/* The QoS path of the engine (see qos.h): filter rules compiled into one
 * matcher per direction, the meters, and one CBQ scheduler for the uplink
 * with a preallocated pool of packet buffers. */
#include "src/datapath/datapath.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/datapath/qos.h"
#include "ipx/etherip.h"
#include "src/datapath/qos_pkt.h"

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The rules of one direction (dir, or `any`) in config order. */
static int
compile_dir(const struct config *cf, enum rule_dir dir, struct matcher **m,
    uint32_t **map, struct match_cache **cache)
{
	struct match_rule *mr;
	size_t n = 0, i;

	*m = NULL;
	*map = NULL;
	*cache = NULL;
	for (i = 0; i < cf->nrules; i++)
		if (cf->rules[i].dir == dir || cf->rules[i].dir == RULE_DIR_ANY)
			n++;
	if (n == 0)
		return 0;
	mr = calloc(n, sizeof(*mr));
	*map = calloc(n, sizeof(**map));
	if (mr == NULL || *map == NULL) {
		free(mr);
		return -1;
	}
	for (n = 0, i = 0; i < cf->nrules; i++) {
		if (cf->rules[i].dir != dir && cf->rules[i].dir != RULE_DIR_ANY)
			continue;
		mr[n] = cf->rules[i].match;
		mr[n].result = (uint32_t)i;
		(*map)[n++] = (uint32_t)i;
	}
	*m = matcher_compile(mr, n);
	free(mr);
	if (*m == NULL)
		return -1;
	*cache = match_cache_new(MATCH_CACHE_ENTRIES);
	return *cache != NULL ? 0 : -1;
}

static int
check_rules(const struct config *cf, const struct cbq *q)
{
	const struct rule_conf *r;
	size_t i;

	for (i = 0; i < cf->nrules; i++) {
		r = &cf->rules[i];
		if (r->meter >= 0 && (size_t)r->meter >= cf->nmeters) {
			log_warnx("%s:%d: rule names meter %d of %zu", cf->file,
			    r->line, r->meter, cf->nmeters);
			return -1;
		}
		if (r->queue < 0 || q == NULL)
			continue;
		if ((size_t)r->queue >= cbq_nclasses(q) ||
		    !cbq_class_is_leaf(q, (unsigned)r->queue)) {
			log_warnx("%s:%d: rule queues into class %d, which is "
			    "not a leaf class", cf->file, r->line, r->queue);
			return -1;
		}
	}
	return 0;
}

/* Queue slots the class limits allow, as cbq sizes its rings: packets,
 * or a byte bound over the smallest packet (64 bytes). */
static uint64_t
class_slots(const struct cbq_class_conf *c)
{
	switch (c->limit_kind) {
	case CBQ_LIMIT_PACKETS:
		return c->limit;
	case CBQ_LIMIT_BYTES:
		return c->limit / 64 + 1;
	case CBQ_LIMIT_MS:
	default:
		return c->rate / 8 * c->limit / 1000 / 64 + 1;
	}
}

static void timer_cb(int fd, short what, void *arg);

/* The scheduler of cf and its pool, not yet in use: pool[0] is to be the
 * buffer tun is read into (attach_pool). */
static int
sched_init(struct engine *e, const struct config *cf, struct eqos *q)
{
	const struct qos_conf *qc = &cf->qos;
	struct cbq_conf cc;
	char err[256];
	uint64_t slots = 0;
	size_t i;
	void *mem;

	cc.bandwidth = qc->bandwidth;
	cc.classes = qc->classes;
	cc.nclasses = qc->nclasses;
	if ((q->cbq = cbq_new(&cc, err, sizeof(err))) == NULL) {
		log_warnx("%s:%d: qos: %s", cf->file, qc->line, err);
		return -1;
	}
	for (i = 0; i < cbq_nclasses(q->cbq); i++)
		if (cbq_class_is_leaf(q->cbq, (unsigned)i))
			slots += class_slots(&qc->classes[i]);
	if (slots > QOS_POOL_MAX)
		slots = QOS_POOL_MAX;
	/* One more: the buffer tun is read into. Not zeroed, so pages are
	 * touched only as the queues actually fill. */
	q->npool = (size_t)slots + 1;
	if (posix_memalign(&mem, 64, q->npool * sizeof(struct pkt)) != 0) {
		log_warnx("qos: no memory for %zu packet buffers", q->npool);
		return -1;
	}
	q->pool = mem;
	q->free = calloc(q->npool, sizeof(*q->free));
	q->timer = event_new(e->base, -1, 0, timer_cb, e);
	if (q->free == NULL ||
	    q->timer == NULL) {
		log_warnx("qos: out of memory");
		return -1;
	}
	for (i = q->npool; i > 1; i--)
		q->free[q->nfree++] = (uint32_t)(i - 1);
	log_info("qos: %zu classes, bandwidth %llu bit/s, %zu packet "
	    "buffers", cbq_nclasses(q->cbq), (unsigned long long)qc->bandwidth,
	    q->npool - 1);
	return 0;
}

/* The read buffer becomes pool[0]: queueing swaps it for a free one
 * instead of copying the packet. The buffer it replaces is freed unless
 * it belongs to a pool (of the QoS path a reload replaces). */
static void
attach_pool(struct engine *e, struct eqos *q, const struct eqos *old)
{
	bool in_old = old != NULL && old->pool != NULL &&
	    e->pkt_out >= old->pool && e->pkt_out < old->pool + old->npool;

	pkt_reset(&q->pool[0]);
	if (!in_old)
		free(e->pkt_out);
	e->pkt_out = &q->pool[0];
}

static void
eqos_free(struct eqos *q)
{
	if (q == NULL)
		return;
	if (q->timer != NULL)
		event_free(q->timer);
	cbq_free(q->cbq);
	free(q->pool);
	free(q->free);
	matcher_free(q->filt_out);
	matcher_free(q->filt_in);
	match_cache_free(q->cache_out);
	match_cache_free(q->cache_in);
	free(q->rule_out);
	free(q->rule_in);
	free(q->hits);
	free(q->meters);
	free(q);
}

/* The QoS path of cf, built aside; with_sched false leaves out the
 * scheduler (a reload that keeps the running one). *out is NULL when cf
 * has no rules and no qos block. 0, or -1 (logged, nothing left). */
static int
qos_build(struct engine *e, const struct config *cf, bool with_sched,
    struct eqos **out)
{
	struct eqos *q;
	uint64_t now = mono_ns();
	size_t i;

	*out = NULL;
	if (!cf->qos.enabled && cf->nrules == 0)
		return 0;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		log_warn("qos");
		return -1;
	}
	if (cf->qos.enabled && with_sched && sched_init(e, cf, q) == -1)
		goto fail;
	if (check_rules(cf, q->cbq) == -1)
		goto fail;
	if (compile_dir(cf, RULE_DIR_OUT, &q->filt_out, &q->rule_out,
	    &q->cache_out) == -1 ||
	    compile_dir(cf, RULE_DIR_IN, &q->filt_in, &q->rule_in,
	    &q->cache_in) == -1) {
		log_warnx("rules: out of memory compiling %zu rules",
		    cf->nrules);
		goto fail;
	}
	if (cf->nrules > 0 &&
	    (q->hits = calloc(cf->nrules, sizeof(*q->hits))) == NULL) {
		log_warn("rules");
		goto fail;
	}
	if (cf->nmeters > 0) {
		q->meters = calloc(cf->nmeters, sizeof(*q->meters));
		if (q->meters == NULL) {
			log_warn("meters");
			goto fail;
		}
		q->nmeters = cf->nmeters;
		for (i = 0; i < cf->nmeters; i++)
			meter_init(&q->meters[i], &cf->meters[i].conf, now);
	}
	*out = q;
	return 0;
fail:
	eqos_free(q);
	return -1;
}

int
qos_init(struct engine *e)
{
	if (qos_build(e, e->cf, true, &e->qos) == -1)
		return -1;
	if (e->qos != NULL && e->qos->pool != NULL)
		attach_pool(e, e->qos, NULL);
	return 0;
}

void
qos_free(struct engine *e)
{
	struct eqos *q = e->qos;

	if (q == NULL)
		return;
	if (q->pool != NULL && e->pkt_out >= q->pool &&
	    e->pkt_out < q->pool + q->npool)
		e->pkt_out = NULL;
	eqos_free(q);
	e->qos = NULL;
}

/* Are two qos blocks the same scheduler? (mss-clamp is read per packet
 * and tunnel-mtu cannot change: neither needs a new one.) */
static bool
same_sched(const struct qos_conf *a, const struct qos_conf *b)
{
	return a->enabled && b->enabled && a->bandwidth == b->bandwidth &&
	    a->nclasses == b->nclasses && a->bridge_class == b->bridge_class &&
	    memcmp(a->classes, b->classes, a->nclasses *
	    sizeof(a->classes[0])) == 0;
}

/* A meter the reload did not change keeps its buckets: a new file must
 * not hand a flow a fresh burst. */
static void
keep_meters(struct eqos *nq, const struct config *ncf, const struct eqos *old,
    const struct config *ocf)
{
	size_t i, j;

	for (i = 0; i < nq->nmeters; i++)
		for (j = 0; old != NULL && j < old->nmeters; j++)
			if (strcmp(ncf->meters[i].name, ocf->meters[j].name) ==
			    0 && memcmp(&ncf->meters[i].conf,
			    &ocf->meters[j].conf, sizeof(ncf->meters[i].conf)) ==
			    0) {
				nq->meters[i] = old->meters[j];
				break;
			}
}

/* The class of a new scheduler that a packet queued in the old one's
 * class cls goes to: the leaf of the same name, else the default. */
static unsigned
class_after(const struct cbq *nq, const struct cbq *oq, unsigned cls)
{
	unsigned i;

	for (i = 0; i < cbq_nclasses(nq); i++)
		if (cbq_class_is_leaf(nq, i) && strcmp(cbq_class_name(nq, i),
		    cbq_class_name(oq, cls)) == 0)
			return i;
	return cbq_default_class(nq);
}

/* Every packet queued in old, in its order within each class, into nq's
 * scheduler: copied into nq's pool and queued in class_after(). What does
 * not fit is dropped and counted on its new class. Allocates nothing. */
static void
move_queued(struct eqos *nq, struct eqos *old, struct qos_moved *mv)
{
	struct cbq_item it;
	struct pkt *from, *to;
	uint64_t now = mono_ns();
	unsigned c, nc;
	size_t ti;

	for (c = 0; c < cbq_nclasses(old->cbq); c++) {
		nc = class_after(nq->cbq, old->cbq, c);
		while (cbq_pop(old->cbq, c, &it)) {
			from = it.pkt;
			if (nq->nfree == 0) {
				nq->pool_drops[nc]++;
				mv->dropped++;
				continue;
			}
			ti = nq->free[--nq->nfree];
			to = &nq->pool[ti];
			to->off = from->off;
			to->len = from->len;
			to->meta = from->meta;
			memcpy(pkt_data(to), pkt_data(from), from->len);
			it.pkt = to;
			if (cbq_enqueue(nq->cbq, nc, &it, now) == -1) {
				nq->free[nq->nfree++] = (uint32_t)ti;
				mv->dropped++;
				continue;
			}
			mv->moved++;
		}
	}
}

/* ESP and the send for pk, a buffer of the pool, to the peer it was
 * queued for. */
static void
send_pooled(struct engine *e, struct pkt *pk)
{
	transmit_packet(e, &e->peers[pk->meta.peer], pk);
}

/* Without a scheduler packets go out at once: so do the queued ones. */
static void
send_queued(struct engine *e, struct eqos *old, struct qos_moved *mv)
{
	struct cbq_item it;
	unsigned c;

	for (c = 0; c < cbq_nclasses(old->cbq); c++)
		while (cbq_pop(old->cbq, c, &it)) {
			mv->sent++;
			send_pooled(e, it.pkt);
		}
}

int
qos_reload(struct engine *e, const struct config *ncf, struct qos_moved *mv)
{
	struct eqos *old = e->qos, *nq;
	struct pkt *rd = NULL;
	bool keep = old != NULL && old->cbq != NULL &&
	    same_sched(&e->cf->qos, &ncf->qos);

	/* Everything that can fail first: the running path stays as it is
	 * until the new one is whole. */
	memset(mv, 0, sizeof(*mv));
	if (qos_build(e, ncf, !keep, &nq) == -1)
		return -1;
	if ((nq == NULL || nq->pool == NULL) && old != NULL &&
	    old->pool != NULL && !keep) {
		/* The read buffer was the old pool's: it needs its own. */
		if (posix_memalign((void **)&rd, 64, sizeof(*rd)) != 0) {
			log_warnx("reload: no memory for a packet buffer");
			eqos_free(nq);
			return -1;
		}
		pkt_reset(rd);
	}
	if (nq != NULL)
		keep_meters(nq, ncf, old, e->cf);
	if (keep) {
		/* The same classes: the scheduler, its queues and counters
		 * go on; only the rules and meters are new. */
		nq->cbq = old->cbq;
		nq->pool = old->pool;
		nq->npool = old->npool;
		nq->free = old->free;
		nq->nfree = old->nfree;
		nq->timer = old->timer;
		memcpy(nq->pool_drops, old->pool_drops, sizeof(nq->pool_drops));
		old->cbq = NULL;
		old->pool = NULL;
		old->free = NULL;
		old->timer = NULL;
	} else if (old != NULL && old->cbq != NULL) {
		if (nq != NULL && nq->cbq != NULL)
			move_queued(nq, old, mv);
		else
			send_queued(e, old, mv);
	}
	if (nq != NULL && nq->pool != NULL && !keep)
		attach_pool(e, nq, old);
	else if (rd != NULL)
		e->pkt_out = rd;
	eqos_free(old);
	e->qos = nq;
	return 0;
}

static void
hit(struct eqos *q, long r, size_t len)
{
	q->hits[r].packets++;
	q->hits[r].bytes += len;
}

static long
filter(struct eqos *q, const struct matcher *m, struct match_cache *c,
    const uint32_t *map, const struct pkt *pk, struct match_pkt *mp)
{
	const uint8_t *d = pkt_data((struct pkt *)(uintptr_t)pk);
	long r;

	if (match_pkt_from_meta(d, &pk->meta, MATCH_IF_TUN, mp) == -1)
		return -2;
	r = match_cache_lookup(c, m, mp);
	if (r < 0)
		return -1;
	r = (long)map[r];
	hit(q, r, pk->meta.len);
	return r;
}

int
qos_filter_out(struct engine *e, const struct pkt *pk)
{
	static struct log_limit lim;
	struct eqos *q = e->qos;
	struct match_pkt mp;
	long r;

	if (q->filt_out == NULL)
		return -1;
	r = filter(q, q->filt_out, q->cache_out, q->rule_out, pk, &mp);
	if (r == -2) {
		e->drops[SITE_DROP_MALFORMED]++;
		return -2;
	}
	if (r < 0)
		return -1;
	if (e->cf->rules[r].action == RULE_BLOCK) {
		e->drops[SITE_DROP_FILTER]++;
		log_ratelimited(&lim, LOG_LVL_DEBUG, "%s: blocked by the rule "
		    "at line %d", e->tun_name, e->cf->rules[r].line);
		return -2;
	}
	return (int)r;
}

bool
qos_filter_in(struct engine *e, const struct pkt *pk)
{
	struct eqos *q = e->qos;
	struct match_pkt mp;
	long r;

	if (q->filt_in == NULL)
		return true;
	r = filter(q, q->filt_in, q->cache_in, q->rule_in, pk, &mp);
	/* Inbound packets that the matcher cannot read (a truncated
	 * transport header) are blocked: rules must not be bypassed. */
	if (r == -2)
		return false;
	return r < 0 || e->cf->rules[r].action != RULE_BLOCK;
}

int
qos_filter_frame(struct engine *e, const uint8_t *d, size_t len,
    size_t ip_off, int nonip_rule)
{
	struct eqos *q = e->qos;
	struct match_pkt mp;
	long r;

	if (q == NULL || q->filt_out == NULL)
		return -1;
	if (ip_off == 0) {
		r = nonip_rule;
	} else {
		/* Rules must not be bypassed by a header they cannot read. */
		if (match_pkt_parse(d + ip_off, len - ip_off, MATCH_IF_TAP,
		    &mp) == -1)
			return -2;
		r = match_cache_lookup(q->cache_out, q->filt_out, &mp);
		r = r < 0 ? -1 : (long)q->rule_out[r];
	}
	if (r < 0)
		return -1;
	hit(q, r, len);
	return e->cf->rules[r].action == RULE_BLOCK ? -2 : (int)r;
}

static bool
rule_has_ip_condition(const struct match_rule *m)
{
	return m->af != AF_UNSPEC || m->src.len != 0 || m->dst.len != 0 ||
	    m->proto != -1 || m->sport_lo != 0 || m->sport_hi != 65535 ||
	    m->dport_lo != 0 || m->dport_hi != 65535 || m->tos_mask != 0 ||
	    m->icmp_type != -1;
}

int
qos_nonip_rule(const struct config *cf)
{
	const struct rule_conf *r;
	size_t i;

	for (i = 0; i < cf->nrules; i++) {
		r = &cf->rules[i];
		if (r->dir == RULE_DIR_IN)
			continue;
		if (r->match.iface != MATCH_IF_ANY &&
		    r->match.iface != MATCH_IF_TAP)
			continue;
		if (!rule_has_ip_condition(&r->match))
			return (int)i;
	}
	return -1;
}

bool
qos_condition(struct engine *e, struct pkt *pk)
{
	const struct rule_conf *rc;
	struct pkt_meta *h = &pk->meta;
	struct meter *m;
	enum meter_color pre = METER_GREEN, c;
	uint8_t tos = h->tos;
	int rule = h->rule;

	if (rule < 0)
		return true;
	rc = &e->cf->rules[rule];
	if (rc->meter < 0)
		return true;
	m = &e->qos->meters[rc->meter];
	if (m->conf.color_aware)
		pre = meter_color_of_dscp((uint8_t)(h->tos >> 2));
	/* Meters see the plaintext packet, as it left the LAN. */
	c = meter_color(m, mono_ns(), (uint32_t)h->len, pre);
	if (!meter_apply(m, c, &tos)) {
		e->drops[SITE_DROP_METER]++;
		return false;
	}
	if (tos != h->tos)
		inner_set_dscp(pkt_data(pk), h, tos);
	return true;
}

void
qos_mss_clamp(struct engine *e, struct pkt *pk)
{
	const struct pkt_meta *h = &pk->meta;
	unsigned mtu = h->af == AF_INET ? e->mtu_v4 : e->mtu;

	if (!e->cf->qos.mss_clamp || h->hdr_proto != IPPROTO_TCP)
		return;
	(void)tcp_mss_clamp(pkt_data(pk), h, tcp_mss_for_mtu(h->af, mtu));
}

/* What the packet occupies on the bottleneck after ESP: outer IP, UDP
 * (RFC 3948), ESP header, IV, padded payload, ICV. Link framing (Ethernet,
 * DOCSIS) is not counted: bandwidth is an IP-level rate. */
static size_t
wire_len(const struct peer *p, size_t inner_len)
{
	size_t n = p->endpoint.sa.sa_family == AF_INET6 ? 40 : 20;

	if (p->conf->transport == TRANSPORT_UDP)
		n += 8;
	return n + esp_suite_wire_len(p->conf->suite_out.cipher,
	    p->conf->suite_out.auth,
	    inner_len);
}

/* Queues pk in class cls; true in every case but "no scheduler". */
static bool
enqueue(struct engine *e, struct peer *p, struct pkt *pk, unsigned cls,
    size_t wire, bool ect)
{
	struct eqos *q = e->qos;
	struct cbq_item it;

	if (pk < q->pool || pk >= q->pool + q->npool)
		fatalx("qos: packet %p outside the pool", (void *)pk);
	if (q->nfree == 0) {
		/* Every buffer is queued: as good as a full queue. */
		q->pool_drops[cls]++;
		return true;
	}
	it.pkt = pk;
	it.wire_len = wire;
	it.ect = ect;
	it.enq_ns = 0;
	if (cbq_enqueue(q->cbq, cls, &it, mono_ns()) == -1)
		return true;            /* counted by the class; pk is reused */
	pk->meta.peer = (uint32_t)(p - e->peers);
	e->pkt_out = &q->pool[q->free[--q->nfree]];
	return true;
}

bool
qos_enqueue(struct engine *e, struct peer *p, struct pkt *pk)
{
	struct eqos *q = e->qos;
	int rule = pk->meta.rule;
	bool frame = pk->meta.nh == ETHERIP_PROTO;
	unsigned cls;

	if (q == NULL || q->cbq == NULL)
		return false;
	cls = cbq_default_class(q->cbq);
	if (frame && e->cf->qos.bridge_class >= 0)
		cls = (unsigned)e->cf->qos.bridge_class;
	if (rule >= 0 && e->cf->rules[rule].queue >= 0)
		cls = (unsigned)e->cf->rules[rule].queue;
	/* pk->len: an IP packet trimmed to its header's length, or a frame
	 * with EtherIP's 2 bytes, which go on the wire too. */
	return enqueue(e, p, pk, cls, wire_len(p, pk->len), !frame &&
	    (pk->meta.tos & ECN_MASK) != ECN_NOT_ECT);
}

static void
recycle(struct eqos *q, struct pkt *pk)
{
	q->free[q->nfree++] = (uint32_t)(pk - q->pool);
}

static void
drop_cb(void *pkt, void *arg)
{
	recycle(arg, pkt);
}

/* RFC 3168 5 / RFC 8289 5.1: the congestion signal, on the inner header
 * (the outer one copies it when encapsulated, RFC 6040 4.1). */
static void
mark_ce(struct pkt *pk)
{
	if (pk->meta.af == AF_INET || pk->meta.af == AF_INET6)
		inner_set_ecn(pkt_data(pk), &pk->meta, ECN_CE);
}

void
qos_run(struct engine *e)
{
	struct eqos *q = e->qos;
	struct cbq_item it;
	struct timeval tv;
	struct pkt *pk;
	uint64_t now, next, delta;
	unsigned cls, n;
	bool ce;

	if (q == NULL || q->cbq == NULL)
		return;
	now = mono_ns();
	for (n = 0; n < QOS_RUN_BUDGET; n++) {
		if (!cbq_dequeue(q->cbq, now, &it, &cls, &ce, drop_cb, q))
			break;
		pk = it.pkt;
		/* A frame is never ECN-capable: CoDel dropped it or let it
		 * be. */
		if (ce && pk->meta.nh != ETHERIP_PROTO)
			mark_ce(pk);
		send_pooled(e, pk);
		recycle(q, pk);
	}
	next = n == QOS_RUN_BUDGET ? now : cbq_next_ns(q->cbq, now);
	if (next == UINT64_MAX)
		return;
	/* At least 10 us, so a bucket a hair short of a packet cannot spin
	 * the loop; libevent rounds up to its backend's resolution (1 ms
	 * with epoll), and the buckets make up for the lateness. */
	delta = next > now ? next - now : 0;
	if (delta < 10000)
		delta = 10000;
	tv.tv_sec = (time_t)(delta / 1000000000u);
	tv.tv_usec = (suseconds_t)(delta % 1000000000u / 1000);
	if (evtimer_add(q->timer, &tv) == -1)
		log_warnx("qos: cannot arm the pacing timer");
}

static void
timer_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	qos_run(arg);
}

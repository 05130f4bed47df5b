/* Peers: their two SAs, sequence-number reservations, endpoints (static,
 * or learned as in RFC 3948 NAT traversal) and NAT keepalives. */
#include "src/engine/engine_internal.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static int
sa_new(struct esp_sa *sa, const struct peer_conf *pc, uint32_t spi,
    const struct sa_keys *k, bool encrypt)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->esn = pc->esn;
	sa->crypto = sa_crypto_new(pc->cipher, k->enc, k->enc_len, pc->auth,
	    k->auth_len > 0 ? k->auth : NULL, k->auth_len, encrypt);
	if (sa->crypto == NULL) {
		log_warnx("peer %s: cannot key the %s SA 0x%08x", pc->name,
		    encrypt ? "outbound" : "inbound", spi);
		return -1;
	}
	return 0;
}

static void
suite_name(const struct peer_conf *pc, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%zu/%s", pc->cipher->name, pc->key_bits,
	    pc->auth != NULL ? pc->auth->name : "none");
}

static uint16_t
ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static void
ss_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool
ss_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

static int
sa_insert(struct engine *e, struct peer *p, uint32_t spi, const char *what)
{
	struct peer *other;

	if (sa_table_insert(&e->spis, spi, p) == 0)
		return 0;
	other = sa_table_lookup(&e->spis, spi);
	log_warnx("peers %s and %s: same inbound SPI 0x%08x%s",
	    other != NULL ? other->conf->name : "?", p->conf->name, spi, what);
	return -1;
}

/* An SA pair of pc: the outbound and inbound cipher contexts, keyed once,
 * and the inbound replay window. The keys live on only inside the cipher
 * contexts: the config's copies are wiped. what names the pair in errors
 * ("" or "tap SA "). */
static int
sa_pair_init(struct esp_sa *out, struct esp_sa *in, struct peer_conf *pc,
    uint32_t spi_out, uint32_t spi_in, struct sa_keys *key_out,
    struct sa_keys *key_in, const char *what)
{
	int rc = 0;

	if (sa_new(out, pc, spi_out, key_out, true) == -1 ||
	    sa_new(in, pc, spi_in, key_in, false) == -1)
		rc = -1;
	crypto_wipe(key_out, sizeof(*key_out));
	crypto_wipe(key_in, sizeof(*key_in));
	if (rc == 0 && replay_init(&in->replay, pc->replay_window,
	    pc->esn) == -1) {
		log_warnx("peer %s: %sreplay window of %u", pc->name, what,
		    pc->replay_window);
		rc = -1;
	}
	return rc;
}

/* Never reuse a sequence number across restarts (state.h): start above
 * the saved mark, and reserve the next block in peers_init's write. */
static int
seq_init(struct engine *e, struct esp_sa *sa, struct state_sa **mark)
{
	uint64_t m;

	if ((*mark = state_sa_get(e->state, STATE_OUT, sa->spi)) == NULL)
		return -1;
	(void)state_sa_loaded(*mark, &m);
	sa->seq = m;
	state_sa_set(*mark, m > UINT64_MAX - PEER_SEQ_AHEAD ? UINT64_MAX :
	    m + PEER_SEQ_AHEAD);
	return 0;
}

/* `tap-sa dedicated`: the frames' own SA pair, with its own replay
 * window and sequence numbers kept in the state file like any SA. */
static int
tap_sa_init(struct engine *e, struct peer *p, struct peer_conf *pc)
{
	p->tap_sa = true;
	if (sa_pair_init(&p->tap_out, &p->tap_in, pc, pc->tap_spi_out,
	    pc->tap_spi_in, &pc->tap_key_out, &pc->tap_key_in, "tap SA ") == -1)
		return -1;
	if (sa_insert(e, p, pc->tap_spi_in, " (tap SA)") == -1)
		return -1;
	return seq_init(e, &p->tap_out, &p->tap_mark);
}

static int
peer_init(struct engine *e, struct peer *p, struct peer_conf *pc)
{
	p->eng = e;
	p->conf = pc;
	suite_name(pc, p->suite, sizeof(p->suite));
	if (sa_pair_init(&p->out, &p->in, pc, pc->spi_out, pc->spi_in,
	    &pc->key_out, &pc->key_in, "") == -1)
		return -1;
	p->esp_overhead = esp_overhead(&p->out);
	p->integrity = sa_crypto_icv_len(p->in.crypto) > 0;
	p->bridge_port = pc->bridge;
	if (pc->tap_sa && tap_sa_init(e, p, pc) == -1)
		return -1;

	if (sa_insert(e, p, pc->spi_in, "") == -1)
		return -1;

	if (seq_init(e, &p->out, &p->mark) == -1)
		return -1;

	if (!pc->dynamic) {
		p->endpoint = pc->endpoint;
		if (pc->transport == TRANSPORT_UDP && ss_port(&p->endpoint) == 0)
			ss_set_port(&p->endpoint, pc->port != 0 ? pc->port :
			    CONF_PORT_DEFAULT);
		p->have_endpoint = true;
	}
	return 0;
}

int
peers_init(struct engine *e)
{
	size_t i, nsa;

	e->npeers = e->cf->npeers;
	for (nsa = e->npeers, i = 0; i < e->npeers; i++)
		nsa += e->cf->peers[i].tap_sa;
	e->peers = calloc(e->npeers > 0 ? e->npeers : 1, sizeof(*e->peers));
	if (e->peers == NULL || sa_table_init(&e->spis, nsa) == -1) {
		log_warn("peers");
		return -1;
	}
	for (i = 0; i < e->npeers; i++)
		if (peer_init(e, &e->peers[i], &e->cf->peers[i]) == -1)
			return -1;
	/* One write for all SAs, so that an unwritable state file stops us
	 * before any device exists. */
	return state_write_now(e->state);
}

void
peers_free(struct engine *e)
{
	struct peer *p;
	size_t i;

	for (i = 0; e->peers != NULL && i < e->npeers; i++) {
		p = &e->peers[i];
		if (p->keepalive != NULL)
			event_free(p->keepalive);
		replay_free(&p->in.replay);
		sa_crypto_free(p->in.crypto);
		sa_crypto_free(p->out.crypto);
		replay_free(&p->tap_in.replay);
		sa_crypto_free(p->tap_in.crypto);
		sa_crypto_free(p->tap_out.crypto);
	}
	free(e->peers);
	e->peers = NULL;
	sa_table_free(&e->spis);
}

/* Whether the state file's durable mark covers sa's next number (the
 * state writer raises it ahead of need). */
static int
reserve(struct peer *p, struct esp_sa *sa, struct state_sa *mark)
{
	if (state_sa_allow(mark, sa->seq + 1))
		return 0;
	log_ratelimited(&p->lim_out, LOG_LVL_ERR,
	    "peer %s: cannot reserve sequence numbers in the state "
	    "file: not sending", p->conf->name);
	return -1;
}

int
peer_reserve_seq(struct peer *p)
{
	return reserve(p, &p->out, p->mark);
}

int
peer_reserve_seq_tap(struct peer *p)
{
	if (!p->tap_sa)
		return peer_reserve_seq(p);
	return reserve(p, &p->tap_out, p->tap_mark);
}

struct outer_sock *
peer_sock(struct peer *p)
{
	struct outer_sock *s;
	int i;

	if (!p->have_endpoint)
		return NULL;
	i = p->conf->transport == TRANSPORT_UDP ? OSOCK_UDP4 : OSOCK_ESP4;
	if (p->endpoint.ss_family == AF_INET6)
		i++;
	s = &p->eng->socks[i];
	return s->fd >= 0 ? s : NULL;
}

bool
peer_source_ok(const struct peer *p, const struct sockaddr_storage *src,
    enum outer_kind kind)
{
	if ((kind == OUTER_UDP) != (p->conf->transport == TRANSPORT_UDP))
		return false;
	if (p->conf->dynamic)
		return true;
	/* Behind NAT the port may change; the address may not. */
	return ss_addr_equal(&p->endpoint, src);
}

void
peer_learn_endpoint(struct peer *p, const struct sockaddr_storage *src)
{
	char was[128], now[128];
	bool udp = p->conf->transport == TRANSPORT_UDP;

	if (p->have_endpoint && ss_addr_equal(&p->endpoint, src) &&
	    (!udp || ss_port(&p->endpoint) == ss_port(src)))
		return;
	if (!p->conf->dynamic && !ss_addr_equal(&p->endpoint, src))
		return;         /* peer_source_ok() has already refused it */
	if (p->have_endpoint)
		sockaddr_ntop(&p->endpoint, was, sizeof(was));
	else
		snprintf(was, sizeof(was), "unknown");
	/* RFC 3948 3.5 spirit: answer where authenticated traffic comes
	 * from, so a NAT rebinding does not cut the tunnel. */
	p->endpoint = *src;
	if (!udp)
		ss_set_port(&p->endpoint, 0);
	p->have_endpoint = true;
	log_info("peer %s: endpoint %s (was %s)", p->conf->name,
	    sockaddr_ntop(&p->endpoint, now, sizeof(now)), was);
}

static size_t
outer_header_len(sa_family_t af, enum transport t)
{
	return (af == AF_INET ? 20 : 40) + (t == TRANSPORT_UDP ? 8 : 0);
}

size_t
peer_overhead(const struct peer *p, sa_family_t outer_af)
{
	return outer_header_len(outer_af, p->conf->transport) +
	    p->esp_overhead;
}

size_t
peer_conf_worst_overhead(const struct config *cf, const struct peer_conf *pc)
{
	sa_family_t af = pc->endpoint.ss_family;

	if (pc->dynamic)
		af = cf->site.outer.ss_family != AF_UNSPEC ?
		    cf->site.outer.ss_family : AF_INET6;
	return outer_header_len(af, pc->transport) +
	    esp_suite_overhead(pc->cipher, pc->auth);
}

size_t
peer_worst_overhead(const struct peer *p)
{
	return peer_conf_worst_overhead(p->eng->cf, p->conf);
}

/* RFC 3948 4: keep the NAT mapping open while the tunnel is idle. */
static void
keepalive_cb(int fd, short what, void *arg)
{
	struct peer *p = arg;
	struct outer_sock *s = peer_sock(p);

	(void)fd;
	(void)what;
	if (s == NULL)
		return;
	if (sock_send_keepalive(s->fd, &p->endpoint) == -1)
		log_ratelimited(&p->lim_out, LOG_LVL_WARN,
		    "peer %s: NAT keepalive", p->conf->name);
}

int
peers_start_keepalives(struct engine *e)
{
	struct timeval tv;
	struct peer *p;
	size_t i;

	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		if (p->conf->keepalive == 0 ||
		    p->conf->transport != TRANSPORT_UDP)
			continue;
		p->keepalive = event_new(e->base, -1, EV_PERSIST, keepalive_cb, p);
		if (p->keepalive == NULL)
			return -1;
		tv.tv_sec = p->conf->keepalive;
		tv.tv_usec = 0;
		if (event_add(p->keepalive, &tv) == -1)
			return -1;
	}
	return 0;
}

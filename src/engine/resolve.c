/* Named endpoints: evdns lookups at start and on expiry (see resolve.h).
 * Each named peer asks A and AAAA for the families it has a socket for;
 * the endpoint stays while its address is among the answers (round-robin
 * DNS moves nothing) and else moves to the first usable one, IPv4 first.
 * A failure keeps the last good address and asks again sooner. */
#include "src/engine/engine_internal.h"
#include "src/engine/resolve.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOLVE_ANSWERS_MAX  8          /* addresses kept per family */
#define RESOLVE_RETRY_FIRST  5          /* s after a failure, doubled ... */
#define RESOLVE_RETRY_STEPS  4          /* ... this often at most */
#define RESOLVE_LOG_EVERY    600        /* s between repeated failures' logs */

enum { Q_A, Q_AAAA, Q_MAX };

/* A query's callback argument: evdns reports a failure without the
 * query's type, so each query says which it is. */
struct resolve_query {
	struct resolve_peer     *rp;
	int                      q;
};

struct resolve_peer {
	struct resolver         *res;
	struct resolve_query     query[Q_MAX];
	struct peer             *peer;
	struct event            *timer;
	struct evdns_request    *req[Q_MAX];
	/* The lookup under way: what each query answered. */
	struct sockaddr_storage  ans[Q_MAX][RESOLVE_ANSWERS_MAX];
	size_t                   nans[Q_MAX];
	int                      err[Q_MAX];
	int                      ttl;           /* smallest answer's, s */
	/* What status shows. */
	time_t                   resolved, next;
	unsigned                 interval;
	uint64_t                 lookups, failures, moves;
	unsigned                 failing;
	time_t                   logged;        /* last failure logged */
	char                     error[64];
};

struct resolver {
	struct engine           *eng;
	struct evdns_base       *dns;
	struct resolve_peer     *peers;
	size_t                   npeers;
};

static void lookup(struct resolve_peer *rp);

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lookup(arg);
}

static void
schedule(struct resolve_peer *rp, unsigned secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };

	rp->interval = secs;
	rp->next = time(NULL) + secs;
	evtimer_add(rp->timer, &tv);
}

/* The socket of p's transport for af exists: else answers of af are
 * skipped (a v6 answer for a site whose `outer` is IPv4). */
static bool
family_usable(struct peer *p, sa_family_t af)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = af;
	return peer_sock_to(p, &ss) != NULL;
}

static void
failed(struct resolve_peer *rp, const char *why)
{
	const struct site_conf *site = &rp->res->eng->cf->site;
	const struct peer *p = rp->peer;
	struct sockaddr_storage ss;
	unsigned retry, steps;
	char at[128];
	time_t now = time(NULL);

	rp->failures++;
	rp->failing++;
	snprintf(rp->error, sizeof(rp->error), "%s", why);
	steps = rp->failing - 1 < RESOLVE_RETRY_STEPS ? rp->failing - 1 :
	    RESOLVE_RETRY_STEPS;
	retry = RESOLVE_RETRY_FIRST << steps;
	if (retry > site->resolve_min)
		retry = site->resolve_min;
	if (p->have_endpoint) {
		sockaddr_inet_get(&p->endpoint, &ss);
		sockaddr_ntop(&ss, at, sizeof(at));
	} else
		snprintf(at, sizeof(at), "none yet");
	/* Said when it starts, then every RESOLVE_LOG_EVERY seconds: a
	 * name that stays down must not fill the log. */
	if (rp->failing == 1 || now - rp->logged >= RESOLVE_LOG_EVERY) {
		rp->logged = now;
		log_warnx("peer %s: cannot resolve %s: %s (%u in a row); "
		    "endpoint %s, next try in %us", p->conf->name,
		    p->conf->endpoint_name, why, rp->failing, at, retry);
	}
	schedule(rp, retry);
}

/* Both queries are in: keep, move or fail. */
static void
decide(struct resolve_peer *rp)
{
	const struct site_conf *site = &rp->res->eng->cf->site;
	struct engine *e = rp->res->eng;
	struct peer *p = rp->peer;
	const struct sockaddr_storage *to = NULL;
	unsigned next;
	size_t q, i;
	int err = DNS_ERR_NONE;

	for (q = 0; q < Q_MAX; q++) {
		if (rp->err[q] != DNS_ERR_NONE && err == DNS_ERR_NONE)
			err = rp->err[q];
		for (i = 0; i < rp->nans[q]; i++) {
			if (peer_endpoint_is(p, &rp->ans[q][i]))
				to = &rp->ans[q][i];
			else if (to == NULL && q == Q_A)
				to = &rp->ans[q][i];
		}
	}
	if (to == NULL && rp->nans[Q_AAAA] > 0)
		to = &rp->ans[Q_AAAA][0];
	if (to == NULL) {
		failed(rp, err != DNS_ERR_NONE ? evdns_err_to_string(err) :
		    "no address of a usable family");
		return;
	}
	if (rp->failing > 0)
		log_info("peer %s: %s resolves again, after %u failures",
		    p->conf->name, p->conf->endpoint_name, rp->failing);
	rp->failing = 0;
	rp->error[0] = '\0';
	rp->resolved = time(NULL);
	if (!peer_endpoint_is(p, to)) {
		rp->moves++;
		peer_move_endpoint(p, to);
		/* The kernel filter passes the new source, and a derived
		 * peer learns our epochs from whoever is there now. */
		outer_filter_all(e);
		sync_endpoint_moved(e, p);
	}
	next = rp->ttl < 0 ? site->resolve_min : (unsigned)rp->ttl;
	if (next < site->resolve_min)
		next = site->resolve_min;
	if (next > site->resolve_max)
		next = site->resolve_max;
	schedule(rp, next);
}

static void
answer_cb(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
	const struct resolve_query *query = arg;
	struct resolve_peer *rp = query->rp;
	int q = query->q;
	size_t i, n;

	rp->req[q] = NULL;
	if (result == DNS_ERR_SHUTDOWN || result == DNS_ERR_CANCEL)
		return;
	rp->err[q] = result;
	n = count < 0 ? 0 : (size_t)count;
	if (n > RESOLVE_ANSWERS_MAX)
		n = RESOLVE_ANSWERS_MAX;
	if (result == DNS_ERR_NONE && ttl >= 0 && (rp->ttl < 0 || ttl < rp->ttl))
		rp->ttl = ttl;
	for (i = 0; result == DNS_ERR_NONE && i < n; i++) {
		struct sockaddr_storage *ss = &rp->ans[q][rp->nans[q]];

		memset(ss, 0, sizeof(*ss));
		if (type == DNS_IPv4_A && q == Q_A) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, (const uint8_t *)addresses +
			    i * 4, 4);
		} else if (type == DNS_IPv6_AAAA && q == Q_AAAA) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, (const uint8_t *)addresses +
			    i * 16, 16);
		} else
			break;
		rp->nans[q]++;
	}
	if (rp->req[Q_A] == NULL && rp->req[Q_AAAA] == NULL)
		decide(rp);
}

static void
lookup(struct resolve_peer *rp)
{
	struct evdns_base *dns = rp->res->dns;
	struct peer *p = rp->peer;
	const char *name = p->conf->endpoint_name;
	bool v4 = family_usable(p, AF_INET), v6 = family_usable(p, AF_INET6);

	memset(rp->nans, 0, sizeof(rp->nans));
	rp->err[Q_A] = rp->err[Q_AAAA] = DNS_ERR_NONE;
	rp->ttl = -1;
	rp->lookups++;
	/* Answers arrive from the loop, so both requests are out before
	 * either is seen. */
	if (v4 && (rp->req[Q_A] = evdns_base_resolve_ipv4(dns, name,
	    DNS_QUERY_NO_SEARCH, answer_cb, &rp->query[Q_A])) == NULL)
		rp->err[Q_A] = DNS_ERR_UNKNOWN;
	if (v6 && (rp->req[Q_AAAA] = evdns_base_resolve_ipv6(dns, name,
	    DNS_QUERY_NO_SEARCH, answer_cb, &rp->query[Q_AAAA])) == NULL)
		rp->err[Q_AAAA] = DNS_ERR_UNKNOWN;
	if (rp->req[Q_A] == NULL && rp->req[Q_AAAA] == NULL)
		failed(rp, !v4 && !v6 ? "no outer socket for its transport" :
		    "the request could not be made");
}

static void
server_addr(const struct prefix *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		memcpy(&sin->sin_addr, a->addr.b, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(53);
		memcpy(&sin6->sin6_addr, a->addr.b, 16);
	}
}

/* The DNS servers: `resolver` statements, else /etc/resolv.conf (with
 * ip netns exec, the namespace's), read now and never again. */
static int
servers(struct resolver *r, const struct site_conf *site)
{
	struct sockaddr_storage ss;
	char b[INET6_ADDRSTRLEN + 8];
	size_t i;
	int rc;

	if (site->nresolvers == 0) {
		rc = evdns_base_resolv_conf_parse(r->dns, DNS_OPTION_NAMESERVERS |
		    DNS_OPTION_MISC | DNS_OPTION_NAMESERVERS_NO_DEFAULT, "/etc/resolv.conf");
		if (rc != 0 && rc != 6)
			log_warnx("/etc/resolv.conf: cannot read it (evdns "
			    "error %d)", rc);
	}
	for (i = 0; i < site->nresolvers; i++) {
		server_addr(&site->resolvers[i], &ss);
		if (evdns_base_nameserver_sockaddr_add(r->dns,
		    (const struct sockaddr *)&ss, ss.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
		    0) != 0) {
			log_warnx("resolver %s: cannot use it",
			    prefix_ntop(&site->resolvers[i], b, sizeof(b)));
			return -1;
		}
	}
	if (evdns_base_count_nameservers(r->dns) == 0)
		log_warnx("no DNS server (none in /etc/resolv.conf and no "
		    "\"resolver\"): named endpoints will not resolve");
	/* A lookup is not worth the tunnel's silence for long: a failure
	 * is retried by the timer of the peer anyway. */
	(void)evdns_base_set_option(r->dns, "timeout:", "3");
	(void)evdns_base_set_option(r->dns, "attempts:", "2");
	return 0;
}

int
resolve_start(struct engine *e)
{
	struct resolver *r;
	size_t i, n;

	for (n = 0, i = 0; i < e->npeers; i++)
		n += e->peers[i].conf->endpoint_name != NULL;
	if (n == 0)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->peers = calloc(n, sizeof(*r->peers))) == NULL) {
		free(r);
		log_warn("resolver");
		return -1;
	}
	r->eng = e;
	e->res = r;
	/* Seeded now, while the random source may still be opened: query
	 * IDs and source ports come from it. */
	if (evutil_secure_rng_init() == -1 ||
	    (r->dns = evdns_base_new(e->base, 0)) == NULL) {
		log_warnx("resolver: evdns cannot start");
		return -1;
	}
	if (servers(r, &e->cf->site) == -1)
		return -1;
	for (i = 0; i < e->npeers; i++) {
		struct resolve_peer *rp;

		if (e->peers[i].conf->endpoint_name == NULL)
			continue;
		rp = &r->peers[r->npeers++];
		rp->res = r;
		rp->peer = &e->peers[i];
		rp->query[Q_A] = (struct resolve_query){ rp, Q_A };
		rp->query[Q_AAAA] = (struct resolve_query){ rp, Q_AAAA };
		e->peers[i].named = rp;
		if ((rp->timer = evtimer_new(e->base, timer_cb, rp)) == NULL) {
			log_warnx("resolver: timer");
			return -1;
		}
		/* From the loop: start-up never waits for DNS. */
		schedule(rp, 0);
	}
	log_info("%zu named peer%s, resolved by %d DNS server%s", n,
	    n == 1 ? "" : "s", evdns_base_count_nameservers(r->dns),
	    evdns_base_count_nameservers(r->dns) == 1 ? "" : "s");
	return 0;
}

void
resolve_stop(struct engine *e)
{
	struct resolver *r = e->res;
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->npeers; i++) {
		if (r->peers[i].timer != NULL)
			event_free(r->peers[i].timer);
		r->peers[i].peer->named = NULL;
	}
	/* Requests under way are dropped without their callbacks. */
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	free(r->peers);
	free(r);
	e->res = NULL;
}

int
resolve_peer_info(const struct peer *p, struct resolve_info *info)
{
	const struct resolve_peer *rp = p->named;

	if (rp == NULL)
		return -1;
	info->name = p->conf->endpoint_name;
	info->resolved = rp->resolved;
	info->ttl = rp->interval;
	info->next = rp->next;
	info->lookups = rp->lookups;
	info->failures = rp->failures;
	info->moves = rp->moves;
	info->failing = rp->failing;
	info->error = rp->error;
	return 0;
}

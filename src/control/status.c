/* Answers on the control socket: "status" (a table for people) and
 * "status json" (the fixed format scripts and tests parse), and "reload";
 * "rules" and "rules json" are answered by rules_status.c, "bridge" and
 * "bridge json" by bridge_status.c, "metrics" by metrics.c. */
#include "src/control/control.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/control/monitor.h"
#include "src/datapath/qos.h"
#include "src/engine/resolve.h"
#include "src/net/sock_filter.h"
#include "util/json.h"

/* The buffer the JSON is written through, a piece at a time: the site
 * part, or one peer (some 2000 bytes; a margin). */
#define STATUS_JSON_BASE   4096
#define STATUS_JSON_PEER   4096
#define STATUS_JSON_CLASS  320
#define STATUS_JSON_RELOAD (6 * CONF_ERR_MAX)  /* a message, escaped */
#define STATUS_JSON_SOCK   128

static const char *const site_drop_names[SITE_DROP_MAX] = {
	[SITE_DROP_NO_SA] = "no_sa",
	[SITE_DROP_MALFORMED] = "malformed",
	[SITE_DROP_NO_POLICY] = "no_policy",
	[SITE_DROP_TOO_BIG] = "too_big",
	[SITE_DROP_NO_ENDPOINT] = "no_endpoint",
	[SITE_DROP_FILTER] = "filter",
	[SITE_DROP_METER] = "meter",
};

const char *
site_drop_name(enum site_drop d)
{
	if ((unsigned)d >= SITE_DROP_MAX)
		return "unknown";
	return site_drop_names[d];
}

static long long
uptime(const struct engine *e)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - e->started.tv_sec);
}

/* "198.18.1.2:4500" / "[fd00::1]:4500" as docs/vpntunctl.8.md fixes it;
 * raw ESP has no ports and shows port 0. */
static const char *
endpoint_ntop(const struct peer *p, char *buf, size_t len)
{
	struct sockaddr_storage ss;

	sockaddr_inet_get(&p->endpoint, &ss);
	return sockaddr_ntop(&ss, buf, len);
}

static void
json_hex64(struct json *j, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
	json_string(j, key, buf);
}

static void
json_spi(struct json *j, const char *key, uint32_t spi)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%08x", spi);
	json_string(j, key, buf);
}

static void
json_time(struct json *j, const char *key, time_t t)
{
	if (t != 0)
		json_int(j, key, (int64_t)t);
	else
		json_null(j, key);
}

/* Each SA in use, both directions: where its epoch and numbers stand. */
static void
json_sas(struct json *j, const struct peer *p)
{
	static const char *const kinds[SA_KINDS] = { "main", "tap" };
	const struct sa_out *o;
	const struct sa_in *in;
	int k, d;

	json_array_begin(j, "sas");
	for (k = 0; k < SA_KINDS; k++) {
		if (k == SA_TAP && p->tap == NULL)
			continue;
		o = peer_out(p, k);
		in = peer_in(p, k);
		json_object_begin(j, NULL);
		json_string(j, "kind", kinds[k]);
		json_string(j, "dir", "out");
		json_spi(j, "spi", o->esp.spi);
		json_hex64(j, "epoch", o->epoch);
		json_uint(j, "seq", o->esp.seq);
		json_uint(j, "packets", o->packets);
		json_uint(j, "bytes", o->bytes);
		json_uint(j, "epochs_begun", o->switches);
		json_bool(j, "soft_passed", o->soft_logged);
		json_bool(j, "spent", o->spent);
		json_object_begin(j, "drops");
		for (d = 0; d < SA_OUT_DROP_MAX; d++)
			json_uint(j, sa_out_drop_name(d), o->drops[d]);
		json_object_end(j);
		json_object_end(j);
		json_object_begin(j, NULL);
		json_string(j, "kind", kinds[k]);
		json_string(j, "dir", "in");
		json_spi(j, "spi", in->cur != NULL ? in->cur->esp.spi :
		    in->root.spi);
		json_bool(j, "ready", in->ready);
		/* 0: anti-replay off (replay-window 0). */
		json_uint(j, "window", in->cur != NULL &&
		    !in->cur->esp.replay.off ? in->cur->esp.replay.size : 0);
		if (in->ready && in->cur != NULL) {
			json_hex64(j, "epoch", in->cur->epoch);
			json_uint(j, "top", in->cur->esp.replay.top);
		} else {
			json_null(j, "epoch");
			json_null(j, "top");
		}
		json_bool(j, "previous_kept", in->prev != NULL);
		json_uint(j, "epochs_taken", in->switches);
		json_object_end(j);
	}
	json_array_end(j);
}

static void
json_sync(struct json *j, const struct peer *p)
{
	const struct peer_sync *y = &p->sync;

	json_object_begin(j, "sync");
	if (p->derived) {
		json_spi(j, "spi_out", y->spi_out);
		json_spi(j, "spi_in", y->spi_in);
	}
	json_bool(j, "inbound", p->in.ready);
	json_bool(j, "outbound", sa_out_ready(p));
	json_bool(j, "asking", y->asking);
	json_uint(j, "requests_out", y->requests_out);
	json_uint(j, "answers_out", y->answers_out);
	json_uint(j, "requests_in", y->requests_in);
	json_uint(j, "answers_in", y->answers_in);
	json_uint(j, "stale", y->stale);
	json_uint(j, "rejected", y->rejected);
	json_uint(j, "limited", y->limited);
	json_uint(j, "send_fails", y->send_fails);
	json_time(j, "last", y->last_sync);
	json_object_end(j);
}

static void
json_liveness(struct json *j, const struct peer *p)
{
	const struct peer_live *l = &p->live;

	json_object_begin(j, "liveness");
	json_string(j, "state", live_state_name(l->state));
	json_time(j, "since", l->since);
	json_uint(j, "changes", l->changes);
	json_uint(j, "keepalives_out", l->keepalives_out);
	json_uint(j, "keepalives_in", l->keepalives_in);
	json_object_end(j);
}

/* A named peer's lookups (resolve.h); null for the others. */
static void
json_resolve(struct json *j, const struct peer *p)
{
	struct resolve_info ri;

	if (resolve_peer_info(p, &ri) == -1) {
		json_null(j, "resolve");
		return;
	}
	json_object_begin(j, "resolve");
	json_string(j, "name", ri.name);
	json_time(j, "resolved", ri.resolved);
	json_uint(j, "interval", ri.ttl);
	json_time(j, "next", ri.next);
	json_uint(j, "lookups", ri.lookups);
	json_uint(j, "failures", ri.failures);
	json_uint(j, "failing", ri.failing);
	json_uint(j, "moves", ri.moves);
	if (ri.error[0] != '\0')
		json_string(j, "error", ri.error);
	else
		json_null(j, "error");
	json_object_end(j);
}

static void
text_resolve(const struct peer *p, const struct timespec *now,
    struct evbuffer *out)
{
	struct resolve_info ri;

	if (resolve_peer_info(p, &ri) == -1)
		return;
	evbuffer_add_printf(out, "%16s name %s, ", "", ri.name);
	if (ri.resolved != 0)
		evbuffer_add_printf(out, "resolved %llds ago",
		    (long long)(now->tv_sec - ri.resolved));
	else
		evbuffer_add_printf(out, "not resolved yet");
	evbuffer_add_printf(out, ", next in %llds; %llu lookups, %llu "
	    "failed, %llu moves", (long long)(ri.next - now->tv_sec),
	    (unsigned long long)ri.lookups, (unsigned long long)ri.failures,
	    (unsigned long long)ri.moves);
	if (ri.failing > 0)
		evbuffer_add_printf(out, "; failing %u in a row: %s",
		    ri.failing, ri.error);
	evbuffer_add_printf(out, "\n");
}

static void
json_peer(struct json *j, const struct peer *p)
{
	char buf[128];
	int d;

	json_object_begin(j, NULL);
	json_string(j, "name", p->conf->name);
	if (p->have_endpoint)
		json_string(j, "endpoint", endpoint_ntop(p, buf, sizeof(buf)));
	else
		json_null(j, "endpoint");
	json_bool(j, "dynamic", p->conf->dynamic);
	json_resolve(j, p);
	json_string(j, "transport", p->conf->transport == TRANSPORT_UDP ?
	    "udp" : "esp");
	/* "suite" is what we send with; `sa in` and `sa out` may differ. */
	json_string(j, "suite", peer_suite(p, buf, sizeof(buf)));
	json_string(j, "suite_in", peer_suite_in(p, buf, sizeof(buf)));
	json_string(j, "keying", p->derived ? "derived" : "manual");
	json_uint(j, "replay_window", p->conf->replay_window);
	json_string(j, "padding", padding_name(p->conf->padding));
	json_spi(j, "spi_in", p->in.root.spi);
	json_spi(j, "spi_out", p->out.esp.spi);
	json_uint(j, "packets_in", p->st.packets_in);
	json_uint(j, "bytes_in", p->st.bytes_in);
	json_uint(j, "packets_out", p->st.packets_out);
	json_uint(j, "bytes_out", p->st.bytes_out);
	json_object_begin(j, "drops");
	for (d = ESP_DROP_MALFORMED; d < ESP_DROP_MAX; d++)
		json_uint(j, esp_drop_name(d), p->st.drops[d]);
	json_uint(j, "filter", p->st.drop_filter);
	json_uint(j, "unsynced", p->st.drop_unsynced);
	json_uint(j, "state", p->st.drop_state);
	json_object_end(j);
	json_time(j, "last_packet", p->st.last_in);
	json_uint(j, "seq_out", p->out.esp.seq);
	json_liveness(j, p);
	json_sync(j, p);
	json_sas(j, p);
	bridge_json_peer(j, p);
	json_object_end(j);
}

/* The state file of manual keying. */
static void
json_state_file(struct json *j, const struct engine *e)
{
	struct state_health h;

	json_object_begin(j, "state_file");
	json_string(j, "path", e->cf->site.state_file);
	json_bool(j, "in_use", e->state != NULL);
	json_bool(j, "missing_at_start", e->state_missing);
	if (e->state != NULL) {
		state_health(e->state, &h);
		json_uint(j, "entries", h.entries);
		json_uint(j, "writes", h.writes);
		json_uint(j, "errors", h.errors);
		json_time(j, "last_ok", h.last_ok);
		json_time(j, "last_error", h.last_error);
		json_string(j, "error", h.error);
	}
	json_object_end(j);
}

static uint64_t
now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* A class's counters, with the drops for want of a pool buffer added to
 * the scheduler's own. */
static void
class_stats(const struct engine *e, unsigned c, uint64_t now,
    struct cbq_class_stats *st)
{
	cbq_class_stats(e->qos->cbq, c, now, st);
	st->drops += e->qos->pool_drops[c];
}

static bool
qos_on(const struct engine *e)
{
	return e->qos != NULL && e->qos->cbq != NULL;
}

static void
json_qos(struct json *j, const struct engine *e)
{
	struct cbq_class_stats st;
	uint64_t now = now_ns();
	size_t c;

	if (!qos_on(e)) {
		json_null(j, "qos");
		return;
	}
	json_object_begin(j, "qos");
	json_uint(j, "bandwidth", e->cf->qos.bandwidth);
	json_uint(j, "tunnel_mtu", e->cf->qos.tunnel_mtu);
	json_array_begin(j, "classes");
	for (c = 0; c < cbq_nclasses(e->qos->cbq); c++) {
		class_stats(e, (unsigned)c, now, &st);
		json_object_begin(j, NULL);
		json_string(j, "name", cbq_class_name(e->qos->cbq, (unsigned)c));
		json_uint(j, "packets", st.packets);
		json_uint(j, "bytes", st.bytes);
		json_uint(j, "drops", st.drops);
		json_uint(j, "marks", st.marks);
		json_uint(j, "rate", st.rate);
		json_uint(j, "qlen", st.qlen);
		json_uint(j, "qdelay_ms", (st.qdelay_ns + 500000) / 1000000);
		json_uint(j, "borrowed", st.borrowed);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* Moves what j holds to doc; -1 once something did not fit. */
static int
json_piece(struct json *j, struct evbuffer *doc)
{
	if (j->overflow || evbuffer_add(doc, j->buf, j->len) == -1)
		return -1;
	json_restart(j);
	return 0;
}

/* Written a piece at a time into an evbuffer, which the control socket
 * then sends without a copy: a site of many peers needs no buffer sized
 * for all of them. */
static int
status_json(struct engine *e, struct evbuffer *out)
{
	const struct site_conf *site = &e->cf->site;
	struct evbuffer *doc;
	struct json j;
	size_t cap = STATUS_JSON_BASE + STATUS_JSON_PEER +
	    CBQ_CLASSES_MAX * STATUS_JSON_CLASS + STATUS_JSON_RELOAD +
	    OSOCK_MAX * STATUS_JSON_SOCK, i;
	char *buf;
	int d, rc;

	buf = malloc(cap);
	doc = evbuffer_new();
	if (buf == NULL || doc == NULL) {
		free(buf);
		if (doc != NULL)
			evbuffer_free(doc);
		evbuffer_add_printf(out, "error: out of memory\n");
		return 0;
	}
	json_init(&j, buf, cap);
	json_object_begin(&j, NULL);
	json_string(&j, "site", site->name);
	json_string(&j, "role", site->role == ROLE_CENTRAL ? "central" :
	    "remote");
	json_string(&j, "tun", e->tun_name);
	json_uint(&j, "mtu", e->mtu);
	json_int(&j, "uptime", uptime(e));
	json_object_begin(&j, "drops");
	for (d = 0; d < SITE_DROP_MAX; d++)
		json_uint(&j, site_drop_name(d), e->drops[d]);
	json_object_end(&j);
	json_uint(&j, "rules", e->cf->nrules);
	json_object_begin(&j, "reload");
	json_uint(&j, "done", e->reloads_done);
	json_uint(&j, "failed", e->reloads_failed);
	json_string(&j, "last", e->reload_last);
	json_object_end(&j);
	json_state_file(&j, e);
	outer_json(&j, e);
	json_qos(&j, e);
	bridge_json_site(&j, e);
	json_array_begin(&j, "peers");
	rc = json_piece(&j, doc);
	for (i = 0; rc == 0 && i < e->npeers; i++) {
		json_peer(&j, &e->peers[i]);
		rc = json_piece(&j, doc);
	}
	if (rc == 0) {
		json_array_end(&j);
		json_object_end(&j);
		rc = json_piece(&j, doc);
	}
	if (rc == 0)
		rc = evbuffer_add(doc, "\n", 1);
	if (rc == 0)
		rc = evbuffer_add_buffer(out, doc);
	if (rc == -1)
		evbuffer_add_printf(out, "error: status too large\n");
	evbuffer_free(doc);
	free(buf);
	return 0;
}

static uint64_t
peer_drops(const struct peer *p)
{
	uint64_t n = 0;
	int d;

	for (d = ESP_DROP_MALFORMED; d < ESP_DROP_MAX; d++)
		n += p->st.drops[d];
	for (d = 0; d < SA_OUT_DROP_MAX; d++)
		n += p->out.drops[d] + (p->tap != NULL ?
		    p->tap->out.drops[d] : 0);
	return n + p->st.drop_filter + p->st.drop_unsynced + p->st.drop_state;
}

static void
text_qos(const struct engine *e, struct evbuffer *out)
{
	struct cbq_class_stats st;
	uint64_t now = now_ns();
	size_t c;

	if (!qos_on(e))
		return;
	evbuffer_add_printf(out, "\nqos: bandwidth %llu bit/s, tunnel-mtu ",
	    (unsigned long long)e->cf->qos.bandwidth);
	if (e->cf->qos.tunnel_mtu != 0)
		evbuffer_add_printf(out, "%u", e->cf->qos.tunnel_mtu);
	else
		evbuffer_add_printf(out, "-");
	evbuffer_add_printf(out, ", mss-clamp %s\n%-16s %10s %12s %8s %8s "
	    "%10s %6s %8s %12s\n", e->cf->qos.mss_clamp ? "yes" : "no",
	    "CLASS", "PKTS", "BYTES", "DROPS", "MARKS", "RATE", "QLEN",
	    "QDELAY", "BORROWED");
	for (c = 0; c < cbq_nclasses(e->qos->cbq); c++) {
		class_stats(e, (unsigned)c, now, &st);
		evbuffer_add_printf(out, "%-16s %10llu %12llu %8llu %8llu "
		    "%10llu %6u %6llums %12llu\n",
		    cbq_class_name(e->qos->cbq, (unsigned)c),
		    (unsigned long long)st.packets,
		    (unsigned long long)st.bytes,
		    (unsigned long long)st.drops,
		    (unsigned long long)st.marks,
		    (unsigned long long)st.rate, st.qlen,
		    (unsigned long long)((st.qdelay_ns + 500000) / 1000000),
		    (unsigned long long)st.borrowed);
	}
}

static void
text_state_file(const struct engine *e, struct evbuffer *out)
{
	struct state_health h;

	if (e->state == NULL)
		return;
	state_health(e->state, &h);
	evbuffer_add_printf(out, "state file %s: %zu entries, %llu writes, "
	    "%llu errors%s%s%s\n", e->cf->site.state_file, h.entries,
	    (unsigned long long)h.writes, (unsigned long long)h.errors,
	    e->state_missing ? "; MISSING at start" : "",
	    h.error[0] != '\0' ? "; last error: " : "", h.error);
}

/* The line under a peer: how it is keyed and since when it is in its
 * state. */
static void
text_peer_keys(const struct peer *p, const struct timespec *now,
    struct evbuffer *out)
{
	evbuffer_add_printf(out, "%16s %s keying, %s for %llds", "",
	    p->derived ? "derived" : "manual", live_state_name(p->live.state),
	    (long long)(now->tv_sec - p->live.since));
	if (p->derived)
		evbuffer_add_printf(out, "; sync: in %s, out %s%s",
		    p->in.ready ? "yes" : "no",
		    sa_out_ready(p) ? "yes" : "no",
		    p->sync.asking ? ", asking" : "");
	evbuffer_add_printf(out, "; out epoch %016llx seq %llu\n",
	    (unsigned long long)p->out.epoch,
	    (unsigned long long)p->out.esp.seq);
}

/* What the SUITE column (the out direction) and the defaults leave
 * unsaid: the in suite of `sa in`, anti-replay off, loose padding. */
static void
text_peer_in(const struct peer *p, struct evbuffer *out)
{
	char a[PEER_SUITE_MAX], b[PEER_SUITE_MAX];

	if (strcmp(peer_suite(p, a, sizeof(a)),
	    peer_suite_in(p, b, sizeof(b))) == 0 &&
	    p->conf->replay_window != 0 && p->conf->padding == PADDING_STRICT)
		return;
	evbuffer_add_printf(out, "%16s in: suite %s, replay-window %u%s, "
	    "padding %s\n", "", b, p->conf->replay_window,
	    p->conf->replay_window == 0 ? " (off)" : "",
	    padding_name(p->conf->padding));
}

static int
status_text(struct engine *e, struct evbuffer *out)
{
	const struct site_conf *site = &e->cf->site;
	const struct peer *p;
	struct timespec now;
	char ep[128], last[32], suite[PEER_SUITE_MAX];
	size_t i;
	int d;

	clock_gettime(CLOCK_REALTIME, &now);
	evbuffer_add_printf(out, "site %s (%s), tun %s, MTU %u, up %llds\n",
	    site->name, site->role == ROLE_CENTRAL ? "central" : "remote",
	    e->tun_name, e->mtu, uptime(e));
	evbuffer_add_printf(out, "site drops:");
	for (d = 0; d < SITE_DROP_MAX; d++)
		evbuffer_add_printf(out, " %s %llu", site_drop_name(d),
		    (unsigned long long)e->drops[d]);
	evbuffer_add_printf(out, "\n");
	evbuffer_add_printf(out, "rules %zu; reloads %llu done, %llu refused",
	    e->cf->nrules, (unsigned long long)e->reloads_done,
	    (unsigned long long)e->reloads_failed);
	if (e->reload_last[0] != '\0')
		evbuffer_add_printf(out, "; last: %s", e->reload_last);
	evbuffer_add_printf(out, "\n");
	text_state_file(e, out);
	outer_text(e, out);
	text_qos(e, out);
	bridge_text_site(e, out);
	evbuffer_add_printf(out, "\n%-16s %-6s %-28s %-4s %-32s %10s %12s "
	    "%10s %12s %8s %s\n", "PEER", "STATE", "ENDPOINT", "VIA", "SUITE",
	    "PKTS-IN", "BYTES-IN", "PKTS-OUT", "BYTES-OUT", "DROPS", "LAST-IN");
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		if (p->have_endpoint)
			endpoint_ntop(p, ep, sizeof(ep));
		else
			snprintf(ep, sizeof(ep), "%s", p->conf->dynamic ?
			    "(dynamic, unknown)" : p->named != NULL ?
			    "(named, unresolved)" : "-");
		if (p->st.last_in != 0)
			snprintf(last, sizeof(last), "%llds ago",
			    (long long)(now.tv_sec - p->st.last_in));
		else
			snprintf(last, sizeof(last), "never");
		evbuffer_add_printf(out, "%-16s %-6s %-28s %-4s %-32s %10llu "
		    "%12llu %10llu %12llu %8llu %s\n", p->conf->name,
		    live_state_name(p->live.state), ep,
		    p->conf->transport == TRANSPORT_UDP ? "udp" : "esp",
		    peer_suite(p, suite, sizeof(suite)),
		    (unsigned long long)p->st.packets_in,
		    (unsigned long long)p->st.bytes_in,
		    (unsigned long long)p->st.packets_out,
		    (unsigned long long)p->st.bytes_out,
		    (unsigned long long)peer_drops(p), last);
		text_peer_keys(p, &now, out);
		text_peer_in(p, out);
		text_resolve(p, &now, out);
		bridge_text_peer(p, out);
		if (peer_drops(p) == 0)
			continue;
		evbuffer_add_printf(out, "%16s drops:", "");
		for (d = ESP_DROP_MALFORMED; d < ESP_DROP_MAX; d++)
			evbuffer_add_printf(out, " %s %llu", esp_drop_name(d),
			    (unsigned long long)p->st.drops[d]);
		evbuffer_add_printf(out, " filter %llu unsynced %llu state "
		    "%llu", (unsigned long long)p->st.drop_filter,
		    (unsigned long long)p->st.drop_unsynced,
		    (unsigned long long)p->st.drop_state);
		for (d = 0; d < SA_OUT_DROP_MAX; d++)
			evbuffer_add_printf(out, " out-%s %llu",
			    sa_out_drop_name(d), (unsigned long long)
			    (p->out.drops[d] + (p->tap != NULL ?
			    p->tap->out.drops[d] : 0)));
		evbuffer_add_printf(out, "\n");
	}
	return 0;
}

void
status_json_send(const struct json *j, char *buf, struct evbuffer *out,
    const char *what)
{
	if (j->overflow)
		evbuffer_add_printf(out, "error: %s too large\n", what);
	else
		evbuffer_add_printf(out, "%s\n", buf);
	free(buf);
}

int
status_handler(const char *cmd, struct evbuffer *out, void *arg)
{
	struct engine *e = arg;

	if (strcmp(cmd, "status") == 0)
		return status_text(e, out);
	if (strcmp(cmd, "status json") == 0)
		return status_json(e, out);
	if (strcmp(cmd, "reload") == 0) {
		char msg[CONF_ERR_MAX + 64];

		if (engine_reload(e, msg, sizeof(msg)) == -1)
			evbuffer_add_printf(out, "error: %s\n", msg);
		else
			evbuffer_add_printf(out, "%s\n", msg);
		return 0;
	}
	if (strcmp(cmd, "rules") == 0)
		return rules_text(e, out);
	if (strcmp(cmd, "rules json") == 0)
		return rules_json(e, out);
	if (strcmp(cmd, "bridge") == 0)
		return bridge_table_text(e, out);
	if (strcmp(cmd, "bridge json") == 0)
		return bridge_table_json(e, out);
	if (strcmp(cmd, "metrics") == 0)
		return metrics_write(e, out);
	return -1;
}

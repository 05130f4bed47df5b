/* The bridge in the control socket's answers: its part of
 * "status" and "status json", and "bridge" / "bridge json", the learned
 * MAC addresses with their port and age (docs/vpntunctl.8.md). */
#include "src/control/control.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/datapath/datapath.h"
#include "util/json.h"

#define MAC_STR_LEN     18      /* "02:00:00:00:00:01" */
#define TABLE_JSON_BASE 64
#define TABLE_JSON_MAC  (80 + CONF_NAME_MAX)

static uint64_t
now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static const char *
mac_str(const uint8_t *m, char buf[MAC_STR_LEN])
{
	snprintf(buf, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
	    m[2], m[3], m[4], m[5]);
	return buf;
}

void
bridge_json_site(struct json *j, const struct engine *e)
{
	const struct ebridge *b = e->br;
	int d;

	if (b == NULL) {
		json_null(j, "bridge");
		return;
	}
	json_object_begin(j, "bridge");
	json_string(j, "tap", b->name[0] != '\0' ? b->name : e->cf->site.tap);
	json_uint(j, "mtu", b->mtu);
	json_string(j, "mode", b->mode == BRIDGE_MODE_ALL ? "all" : "ipx");
	json_uint(j, "macs", bridge_count(b->tab, now_ns()));
	json_object_begin(j, "drops");
	for (d = 0; d < BR_SITE_DROP_MAX; d++)
		json_uint(j, br_site_drop_name(d), b->drops[d]);
	json_object_end(j);
	json_object_end(j);
}

void
bridge_json_peer(struct json *j, const struct peer *p)
{
	int d;

	json_object_begin(j, "bridge");
	json_uint(j, "frames_in", p->br.frames_in);
	json_uint(j, "bytes_in", p->br.bytes_in);
	json_uint(j, "frames_out", p->br.frames_out);
	json_uint(j, "bytes_out", p->br.bytes_out);
	json_object_begin(j, "drops");
	for (d = 0; d < BR_PEER_DROP_MAX; d++)
		json_uint(j, br_peer_drop_name(d), p->br.drops[d]);
	json_object_end(j);
	json_object_end(j);
}

void
bridge_text_site(const struct engine *e, struct evbuffer *out)
{
	const struct ebridge *b = e->br;
	int d;

	if (b == NULL)
		return;
	evbuffer_add_printf(out, "\nbridge: tap %s, MTU %u, mode %s, %zu MAC "
	    "address%s learned\nbridge drops:", b->name, b->mtu,
	    b->mode == BRIDGE_MODE_ALL ? "all" : "ipx",
	    bridge_count(b->tab, now_ns()),
	    bridge_count(b->tab, now_ns()) == 1 ? "" : "es");
	for (d = 0; d < BR_SITE_DROP_MAX; d++)
		evbuffer_add_printf(out, " %s %llu", br_site_drop_name(d),
		    (unsigned long long)b->drops[d]);
	evbuffer_add_printf(out, "\n");
}

/* One line under the peer's, when it has bridged or dropped a frame. */
void
bridge_text_peer(const struct peer *p, struct evbuffer *out)
{
	const struct peer_bridge_stats *s = &p->br;
	uint64_t drops = 0;
	int d;

	for (d = 0; d < BR_PEER_DROP_MAX; d++)
		drops += s->drops[d];
	if (s->frames_in == 0 && s->frames_out == 0 && drops == 0)
		return;
	evbuffer_add_printf(out, "%16s bridge: frames in %llu (%llu bytes), "
	    "out %llu (%llu bytes); drops:", "",
	    (unsigned long long)s->frames_in, (unsigned long long)s->bytes_in,
	    (unsigned long long)s->frames_out,
	    (unsigned long long)s->bytes_out);
	for (d = 0; d < BR_PEER_DROP_MAX; d++)
		evbuffer_add_printf(out, " %s %llu", br_peer_drop_name(d),
		    (unsigned long long)s->drops[d]);
	evbuffer_add_printf(out, "\n");
}

/* Our tap first, then the peers in the order of the configuration. */
static unsigned
port_rank(bridge_port_t port)
{
	return port == BRIDGE_PORT_LOCAL ? 0 : (unsigned)port + 1;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct bridge_entry *x = a, *y = b;
	unsigned rx = port_rank(x->port), ry = port_rank(y->port);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return memcmp(x->mac, y->mac, sizeof(x->mac));
}

/* The learned MACs, sorted by port and then MAC, as both answers list
 * them. NULL (and *n 0) if there are none or no memory (*oom). */
static struct bridge_entry *
table_sorted(const struct engine *e, uint64_t now, size_t *n, bool *oom)
{
	struct bridge_entry *v;
	size_t cur = 0, cap = bridge_count(e->br->tab, now);

	*n = 0;
	*oom = false;
	if (cap == 0)
		return NULL;
	if ((v = calloc(cap, sizeof(*v))) == NULL) {
		*oom = true;
		return NULL;
	}
	while (*n < cap && bridge_iter(e->br->tab, &cur, now, &v[*n]))
		(*n)++;
	qsort(v, *n, sizeof(*v), cmp_entry);
	return v;
}

int
bridge_table_text(struct engine *e, struct evbuffer *out)
{
	struct bridge_entry *v;
	char mac[MAC_STR_LEN];
	size_t n, i, w = strlen("PORT");
	bool oom;

	if (e->br == NULL) {
		evbuffer_add_printf(out, "error: this site has no tap\n");
		return 0;
	}
	v = table_sorted(e, now_ns(), &n, &oom);
	if (oom) {
		evbuffer_add_printf(out, "error: out of memory\n");
		return 0;
	}
	for (i = 0; i < n; i++)
		if (strlen(ebridge_port_name(e, v[i].port)) > w)
			w = strlen(ebridge_port_name(e, v[i].port));
	evbuffer_add_printf(out, "%-*s  %-*s  AGE\n", MAC_STR_LEN - 1, "MAC",
	    (int)w, "PORT");
	for (i = 0; i < n; i++)
		evbuffer_add_printf(out, "%s  %-*s  %llus\n", mac_str(v[i].mac,
		    mac), (int)w, ebridge_port_name(e, v[i].port),
		    (unsigned long long)(v[i].age_ns / 1000000000u));
	free(v);
	return 0;
}

int
bridge_table_json(struct engine *e, struct evbuffer *out)
{
	struct bridge_entry *v;
	char mac[MAC_STR_LEN], *buf;
	size_t n, i, cap;
	struct json j;
	bool oom;

	if (e->br == NULL) {
		evbuffer_add_printf(out, "error: this site has no tap\n");
		return 0;
	}
	v = table_sorted(e, now_ns(), &n, &oom);
	cap = TABLE_JSON_BASE + n * TABLE_JSON_MAC;
	if (oom || (buf = malloc(cap)) == NULL) {
		free(v);
		evbuffer_add_printf(out, "error: out of memory\n");
		return 0;
	}
	json_init(&j, buf, cap);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "macs");
	for (i = 0; i < n; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "mac", mac_str(v[i].mac, mac));
		json_string(&j, "port", ebridge_port_name(e, v[i].port));
		json_uint(&j, "age", v[i].age_ns / 1000000000u);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	status_json_send(&j, buf, out, "bridge table");
	free(v);
	return 0;
}

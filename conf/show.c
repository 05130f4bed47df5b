/* The configuration as vpntund resolved it (vpntund -n -v): macros with
 * their evaluated values, every default filled in, the SPIs the engine
 * will use, and the policies and rules in the order packets meet them.
 * It reads like site.conf, so that what was meant and what was understood
 * can be compared line by line. Key files are named with their size;
 * their bytes are never printed. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"
#include "util/log.h"

#define PFX_STR (INET6_ADDRSTRLEN + 8)

static const char *
pfx(const struct prefix *p, char *buf, size_t len)
{
	return prefix_ntop(p, buf, len);
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* An address and port, IPv6 in brackets; "any" for AF_UNSPEC. */
static const char *
sockaddr_str(const struct sockaddr_storage *ss, bool with_port, char *buf,
    size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		port = ntohs(sin->sin_port);
		if (with_port)
			snprintf(buf, len, "%s port %u", a, port);
		else
			snprintf(buf, len, "%s", a);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		port = ntohs(sin6->sin6_port);
		if (with_port)
			snprintf(buf, len, "%s port %u", a, port);
		else
			snprintf(buf, len, "%s", a);
	} else
		snprintf(buf, len, "any");
	return buf;
}

static void
show_spi(FILE *out, const char *what, uint32_t spi)
{
	fprintf(out, "\t%-24s 0x%08x (%u)\n", what, spi, spi);
}

static void
show_site(FILE *out, const struct config *cf)
{
	const struct site_conf *s = &cf->site;
	char b[PFX_STR + 16];
	size_t i;

	fprintf(out, "site \"%s\" {\n", s->name);
	fprintf(out, "\trole %s\n", role_name(s->role));
	for (i = 0; i < s->nnetworks; i++)
		fprintf(out, "\tnetwork %s%s\n", pfx(&s->networks[i], b,
		    sizeof(b)), i == 0 ? "\t# primary" : "");
	for (i = 0; i < s->naddresses; i++)
		fprintf(out, "\taddress %s\n", pfx(&s->addresses[i], b,
		    sizeof(b)));
	for (i = 0; i < s->nexcludes; i++)
		fprintf(out, "\texclude %s\n", pfx(&s->excludes[i], b,
		    sizeof(b)));
	fprintf(out, "\ttun %s\n", s->tun);
	if (s->mtu != 0)
		fprintf(out, "\tmtu %u\n", s->mtu);
	else
		fprintf(out, "\tmtu 0\t# derived from outer-mtu\n");
	if (s->tap[0] != '\0') {
		if (s->tap_mtu != 0)
			fprintf(out, "\ttap %s mtu %u\n", s->tap, s->tap_mtu);
		else
			fprintf(out, "\ttap %s\t# mtu derived from the tunnel\n",
			    s->tap);
		fprintf(out, "\tbridge %s\n", s->bridge_all ? "all" : "ipx");
		fprintf(out, "\tbridge-age %u\n", s->bridge_age);
		fprintf(out, "\tbridge-table %u\n", s->bridge_table);
		fprintf(out, "\tbridge-flood %u burst %u\n",
		    s->bridge_flood_rate, s->bridge_flood_burst);
	}
	fprintf(out, "\touter %s\n", sockaddr_str(&s->outer, false, b,
	    sizeof(b)));
	fprintf(out, "\tport %u\n", s->port);
	fprintf(out, "\touter-mtu %u\n", s->outer_mtu);
	fprintf(out, "\tcontrol \"%s\"\n", s->control);
	if (s->monitor.ss_family != AF_UNSPEC)
		fprintf(out, "\tmonitor %s\n", sockaddr_str(&s->monitor, true,
		    b, sizeof(b)));
	for (i = 0; i < s->nresolvers; i++)
		fprintf(out, "\tresolver %s\n", inet_ntop(s->resolvers[i].af,
		    s->resolvers[i].addr.b, b, sizeof(b)));
	fprintf(out, "\tresolve-interval %u %u\n", s->resolve_min,
	    s->resolve_max);
	if (s->user[0] != '\0')
		fprintf(out, "\tuser %s\n", s->user);
	else
		fprintf(out, "\t# no user: the daemon stays root throughout\n");
	fprintf(out, "\tstate-file \"%s\"\n", s->state_file);
	fprintf(out, "\tstate-ahead %llu\n",
	    (unsigned long long)s->state_ahead);
	if (s->up[0] != '\0')
		fprintf(out, "\tup \"%s\"\n", s->up);
	if (s->down[0] != '\0')
		fprintf(out, "\tdown \"%s\"\n", s->down);
	if (s->peer_up[0] != '\0')
		fprintf(out, "\tpeer-up \"%s\"\n", s->peer_up);
	if (s->peer_down[0] != '\0')
		fprintf(out, "\tpeer-down \"%s\"\n", s->peer_down);
	fprintf(out, "\thook-timeout %u\n", s->hook_timeout);
	fprintf(out, "\tlog %s\n", s->log_syslog ? "syslog" : "stderr");
	/* The level in force: vpntund raises the file's by each -v. */
	fprintf(out, "\tlog-level %s\n", s->log_level <= LOG_LVL_ERR ? "error" :
	    s->log_level == LOG_LVL_WARN ? "warning" :
	    s->log_level == LOG_LVL_INFO ? "info" : "debug");
	fprintf(out, "\tsocket-filter %s\n", yes_no(s->socket_filter));
	fprintf(out, "\tudp-gso %s\n", yes_no(s->udp_gso));
	fprintf(out, "\tudp-gro %s\n", yes_no(s->udp_gro));
	fprintf(out, "\ttun-offload %s\n", yes_no(s->tun_offload));
	fprintf(out, "}\n");
}

static void
show_policy(FILE *out, const struct policy_conf *pol)
{
	char l[PFX_STR], r[PFX_STR];

	fprintf(out, "%s %s <-> %s", pol->funnel ? "funnel" : "tunnel",
	    pfx(&pol->local, l, sizeof(l)), pfx(&pol->remote, r, sizeof(r)));
}

static const char *
auth_name(const struct auth_info *ai)
{
	return ai != NULL ? ai->name : "none";
}

/* `sa in` or `sa out` as it would be written, every default filled in. */
static void
show_sa(FILE *out, const char *dir, uint32_t spi, const struct sa_suite *su,
    const char *key_file)
{
	fprintf(out, "\tsa %s spi 0x%08x cipher %s keysize %zu auth %s key "
	    "\"%s\"\t# %d bytes\n", dir, spi, su->cipher->name, su->key_bits,
	    auth_name(su->auth), key_file != NULL ? key_file : "",
	    suite_block_len(su));
}

static void
show_peer(FILE *out, const struct config *cf, const struct peer_conf *pc)
{
	const struct site_conf *s = &cf->site;
	bool derived = pc->keying == KEYING_DERIVED;
	char b[PFX_STR + 16];
	size_t i;

	fprintf(out, "peer \"%s\" {\n", pc->name);
	fprintf(out, "\trole %s\n", role_name(pc->role));
	fprintf(out, "\tnetwork %s\n", pfx(&pc->network, b, sizeof(b)));
	if (pc->dynamic)
		fprintf(out, "\tendpoint dynamic\n");
	else if (pc->endpoint_name != NULL)
		fprintf(out, "\tendpoint %s\t# resolved by the running "
		    "daemon\n", pc->endpoint_name);
	else
		fprintf(out, "\tendpoint %s\n", sockaddr_str(&pc->endpoint,
		    false, b, sizeof(b)));
	if (pc->transport == TRANSPORT_UDP)
		fprintf(out, "\ttransport udp port %u\n", pc->port);
	else
		fprintf(out, "\ttransport esp\n");
	if (pc->sa_split) {
		fprintf(out, "\tkeying manual\n");
		show_sa(out, "in", pc->spi_in, &pc->suite_in,
		    pc->sa_key_file_in);
		show_sa(out, "out", pc->spi_out, &pc->suite_out,
		    pc->sa_key_file_out);
	} else {
		fprintf(out, "\tcipher %s keysize %zu\n",
		    pc->suite_out.cipher->name, pc->suite_out.key_bits);
		fprintf(out, "\tauth %s\n", auth_name(pc->suite_out.auth));
		fprintf(out, "\tkeying %s\n", derived ? "derived" : "manual");
		fprintf(out, "\tkey \"%s\"\t# %d bytes per direction\n",
		    pc->key_file != NULL ? pc->key_file : "",
		    key_block_len(pc));
	}
	if (pc->allow_weak_cipher)
		fprintf(out, "\tallow-weak-cipher yes\n");
	fprintf(out, "\treplay-window %u%s\n", pc->replay_window,
	    pc->replay_window == 0 ? "\t# off: no anti-replay" : "");
	fprintf(out, "\tpadding %s\n", padding_name(pc->padding));
	fprintf(out, "\tesn %s\n", yes_no(pc->esn));
	fprintf(out, "\tlifetime bytes %llu soft %llu\n",
	    (unsigned long long)pc->life_bytes,
	    (unsigned long long)pc->life_bytes_soft);
	fprintf(out, "\tlifetime packets %llu soft %llu\n",
	    (unsigned long long)pc->life_packets,
	    (unsigned long long)pc->life_packets_soft);
	fprintf(out, "\tkeepalive %u\n", pc->keepalive);
	fprintf(out, "\tdead %u\n", pc->dead);
	if (s->tap[0] != '\0')
		fprintf(out, "\tbridge %s\n", yes_no(pc->bridge));
	if (pc->tap_sa)
		fprintf(out, "\ttap-sa dedicated key \"%s\"\t# %d bytes per "
		    "direction\n", pc->tap_key_file != NULL ?
		    pc->tap_key_file : "", key_block_len(pc));
	/* As written: the order within the peer; the whole site's order of
	 * lookup follows in the policies section. */
	for (i = 0; i < pc->npolicies; i++) {
		fputc('\t', out);
		show_policy(out, &pc->policies[i]);
		fprintf(out, "%s\n", pc->policies[i].implied ? "\t# the default: "
		    "no tunnel or funnel written" : "");
	}
	fprintf(out, "\t# SPIs, hex (decimal); %s\n", pc->sa_split ?
	    "set with sa" : pc->spi_explicit ? "set with spi" :
	    "derived (site.conf(5), SPI DERIVATION)");
	show_spi(out, "spi out", pc->spi_out);
	show_spi(out, "spi in", pc->spi_in);
	if (derived) {
		/* Odd key epochs flip the low bit (site.conf(5)); the
		 * control channel has its own label (conf/spi.c). */
		show_spi(out, "spi out, odd epochs", pc->spi_out ^ 1);
		show_spi(out, "spi in, odd epochs", pc->spi_in ^ 1);
		show_spi(out, "control spi out", spi_derive_ctl(&s->networks[0],
		    s->role, &pc->network));
		show_spi(out, "control spi in", spi_derive_ctl(&pc->network,
		    pc->role, &s->networks[0]));
	}
	if (pc->tap_sa) {
		show_spi(out, "tap spi out", pc->tap_spi_out);
		show_spi(out, "tap spi in", pc->tap_spi_in);
		if (derived) {
			show_spi(out, "tap spi out, odd epochs",
			    pc->tap_spi_out ^ 1);
			show_spi(out, "tap spi in, odd epochs",
			    pc->tap_spi_in ^ 1);
		}
	}
	fprintf(out, "}\n");
}

static void
show_policy_order(FILE *out, const struct config *cf)
{
	struct policy_ref *v;
	size_t n, i;

	fprintf(out, "# policies, in the order outbound packets are matched "
	    "(longest remote prefix first, then as written; the first "
	    "match picks the peer)\n");
	if ((v = policy_order(cf->peers, cf->npeers, &n)) == NULL) {
		fprintf(out, "#\t(out of memory)\n");
		return;
	}
	for (i = 0; i < n; i++) {
		fprintf(out, "#\t%zu. peer \"%s\": ", i + 1,
		    cf->peers[v[i].peer].name);
		show_policy(out, &cf->peers[v[i].peer].policies[v[i].idx]);
		fprintf(out, "\n");
	}
	free(v);
}

static const char *
limit_str(const struct cbq_class_conf *c, char *buf, size_t len)
{
	static const char *const unit[] = { "packets", "bytes", "ms" };

	snprintf(buf, len, "%u %s", c->limit, unit[c->limit_kind]);
	return buf;
}

static void
show_qos(FILE *out, const struct config *cf)
{
	const struct qos_conf *q = &cf->qos;
	const struct cbq_class_conf *c;
	char r[32], l[32];
	size_t i;

	if (!q->enabled)
		return;
	fprintf(out, "qos {\n");
	fprintf(out, "\tbandwidth %s\n", rate_str(q->bandwidth, r, sizeof(r)));
	if (q->tunnel_mtu != 0)
		fprintf(out, "\ttunnel-mtu %u\n", q->tunnel_mtu);
	fprintf(out, "\tmss-clamp %s\n", yes_no(q->mss_clamp));
	for (i = 0; i < q->nclasses; i++) {
		c = &q->classes[i];
		fprintf(out, "\tclass \"%s\"", c->name);
		if (c->parent >= 0)
			fprintf(out, " parent \"%s\"", q->classes[c->parent].name);
		fprintf(out, " rate %s priority %u", rate_str(c->rate, r,
		    sizeof(r)), c->prio);
		if (c->borrow)
			fprintf(out, " borrow ceil %s", rate_str(c->ceil, r,
			    sizeof(r)));
		fprintf(out, " limit %s", limit_str(c, l, sizeof(l)));
		if (c->codel)
			fprintf(out, " codel target %uus interval %uus",
			    c->codel_target_us, c->codel_interval_us);
		if (c->is_default)
			fprintf(out, " default");
		if (q->bridge_class == (int)i)
			fprintf(out, " bridge");
		fprintf(out, "\n");
	}
	fprintf(out, "}\n");
}

static const char *
action_str(const struct meter_action *a, char *buf, size_t len)
{
	if (a->kind == METER_MARK)
		snprintf(buf, len, "mark %u", a->dscp);
	else
		snprintf(buf, len, "%s", a->kind == METER_DROP ? "drop" :
		    "pass");
	return buf;
}

static void
show_meters(FILE *out, const struct config *cf)
{
	static const char *const colour[] = { "green", "yellow", "red" };
	const struct meter_conf *m;
	char r[32], a[32];
	size_t i, c;

	for (i = 0; i < cf->nmeters; i++) {
		m = &cf->meters[i].conf;
		fprintf(out, "meter \"%s\" %s cir %s cbs %llu", cf->meters[i].name,
		    m->kind == METER_SRTCM ? "srtcm" : "trtcm",
		    rate_str(m->cir, r, sizeof(r)), (unsigned long long)m->cbs);
		if (m->kind == METER_SRTCM)
			fprintf(out, " ebs %llu", (unsigned long long)m->ebs);
		else
			fprintf(out, " pir %s pbs %llu", rate_str(m->pir, r,
			    sizeof(r)), (unsigned long long)m->pbs);
		if (m->color_aware)
			fprintf(out, " color-aware");
		for (c = 0; c < 3; c++)
			fprintf(out, " %s %s", colour[c], action_str(&m->action[c],
			    a, sizeof(a)));
		fprintf(out, "\n");
	}
}

static void
show_ports(FILE *out, uint16_t lo, uint16_t hi)
{
	if (lo == 0 && hi == 65535)
		return;
	if (lo == hi)
		fprintf(out, " port %u", lo);
	else
		fprintf(out, " port %u:%u", lo, hi);
}

static void
show_rule(FILE *out, const struct config *cf, const struct rule_conf *r)
{
	const struct match_rule *m = &r->match;
	char b[PFX_STR];

	fprintf(out, "%s", r->action == RULE_PASS ? "pass" : "block");
	if (r->dir != RULE_DIR_ANY)
		fprintf(out, " %s", r->dir == RULE_DIR_IN ? "in" : "out");
	if (m->iface != MATCH_IF_ANY)
		fprintf(out, " on %s", m->iface == MATCH_IF_TUN ? "tun" : "tap");
	if (m->af != AF_UNSPEC)
		fprintf(out, " %s", m->af == AF_INET ? "inet" : "inet6");
	if (m->proto >= 0)
		fprintf(out, " proto %s", rule_proto_name(m->proto, b,
		    sizeof(b)));
	if (m->src.len != 0 || m->sport_lo != 0 || m->sport_hi != 65535) {
		fprintf(out, " from %s", m->src.len != 0 ? pfx(&m->src, b,
		    sizeof(b)) : "any");
		show_ports(out, m->sport_lo, m->sport_hi);
	}
	if (m->dst.len != 0 || m->dport_lo != 0 || m->dport_hi != 65535) {
		fprintf(out, " to %s", m->dst.len != 0 ? pfx(&m->dst, b,
		    sizeof(b)) : "any");
		show_ports(out, m->dport_lo, m->dport_hi);
	}
	if (m->tos_mask == 0xfc)
		fprintf(out, " dscp %u", m->tos_value >> 2);
	else if (m->tos_mask != 0)
		fprintf(out, " tos 0x%02x/0x%02x", m->tos_value, m->tos_mask);
	if (m->icmp_type >= 0)
		fprintf(out, " icmp-type %d", m->icmp_type);
	if (r->queue >= 0)
		fprintf(out, " queue \"%s\"", cf->qos.classes[r->queue].name);
	if (r->meter >= 0)
		fprintf(out, " meter \"%s\"", cf->meters[r->meter].name);
}

static void
show_rules(FILE *out, const struct config *cf)
{
	size_t i;

	if (cf->nrules == 0)
		return;
	fprintf(out, "# rules, in the order they are evaluated (the first "
	    "match decides; no match: pass, default class)\n");
	for (i = 0; i < cf->nrules; i++) {
		show_rule(out, cf, &cf->rules[i]);
		fprintf(out, "\t# %zu, line %d\n", i + 1, cf->rules[i].line);
	}
}

void
config_show(FILE *out, const struct config *cf)
{
	size_t i;

	fprintf(out, "# %s, as loaded\n", cf->file);
	for (i = 0; i < cf->nvars; i++)
		fprintf(out, "%s = %s\n", cf->vars[i].name, cf->vars[i].value);
	show_site(out, cf);
	for (i = 0; i < cf->npeers; i++)
		show_peer(out, cf, &cf->peers[i]);
	show_policy_order(out, cf);
	show_qos(out, cf);
	show_meters(out, cf);
	show_rules(out, cf);
}

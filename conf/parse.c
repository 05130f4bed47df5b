/* The site.conf grammar: top-level statements (macros, include, site, peer,
 * and the QoS ones: qos, meter, pass, block, in parse_qos.c and
 * parse_rule.c) and one handler per keyword inside the blocks, as
 * wireguard-tools does with its parse_* functions. Defaults that depend on
 * other statements (peer role, auth, keepalive, tunnels) are filled in by
 * check.c. */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf/conf_int.h"
#include "util/log.h"

#define DESC(t, d) tok_describe((t), (d), sizeof(d))

int
next_option(struct parser *p, const char *const *opts, struct token *t)
{
	const struct token *pk = lex_peek(&p->lx);
	int o;

	if (pk->type == T_EOS || pk->type == T_EOF || pk->type == T_RBRACE ||
	    pk->type == T_ERROR)
		return OPT_END;
	lex_next(&p->lx, t);
	for (o = 0; opts[o] != NULL; o++)
		if (t->type == T_WORD && strcmp(t->text, opts[o]) == 0)
			return o;
	return OPT_UNKNOWN;
}

int
get_word(struct parser *p, const struct token *kw, const char *what,
    struct token *t)
{
	char d[CONF_TOKEN_MAX + 8];

	lex_next(&p->lx, t);
	if (t->type == T_ERROR)
		return -1;
	/* A quoted word is a word: macros often hold strings. */
	if (t->type != T_WORD && t->type != T_STRING) {
		conf_errt(&p->lx, t, "expected %s after \"%s\", got %s", what,
		    kw->text, DESC(t, d));
		return -1;
	}
	return 0;
}

/* Paths and names: a quoted string, or a bare word for the simple ones. */
int
get_string(struct parser *p, const struct token *kw, const char *what,
    char *out, size_t outlen)
{
	char d[CONF_TOKEN_MAX + 8];
	struct token t;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if ((t.type != T_STRING && t.type != T_WORD) || t.text[0] == '\0') {
		conf_errt(&p->lx, &t, "expected %s after \"%s\", got %s", what,
		    kw->text, DESC(&t, d));
		return -1;
	}
	if (strlen(t.text) >= outlen) {
		conf_errt(&p->lx, &t, "%s after \"%s\" is longer than %zu "
		    "characters", what, kw->text, outlen - 1);
		return -1;
	}
	snprintf(out, outlen, "%s", t.text);
	return 0;
}

int
get_number(struct parser *p, const struct token *kw, uint64_t min,
    uint64_t max, uint64_t *v)
{
	char d[CONF_TOKEN_MAX + 8];
	struct token t;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type == T_WORD && parse_u64(t.text, 0, UINT64_MAX, v) == 0) {
		if (*v >= min && *v <= max)
			return 0;
		conf_errt(&p->lx, &t, "%s %s is out of range, expected "
		    "%llu..%llu", kw->text, t.text, (unsigned long long)min,
		    (unsigned long long)max);
		return -1;
	}
	conf_errt(&p->lx, &t, "expected a number %llu..%llu after \"%s\", got %s",
	    (unsigned long long)min, (unsigned long long)max, kw->text,
	    DESC(&t, d));
	return -1;
}

static void
append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s", s);
}

/* One of a fixed set of words; returns its index. */
int
get_choice(struct parser *p, const struct token *kw, const char *const *set,
    int *idx)
{
	char d[CONF_TOKEN_MAX + 8], list[256] = "";
	struct token t;
	int i;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	for (i = 0; set[i] != NULL; i++) {
		if ((t.type == T_WORD || t.type == T_STRING) &&
		    strcmp(t.text, set[i]) == 0) {
			*idx = i;
			return 0;
		}
		if (i > 0)
			append(list, sizeof(list), set[i + 1] == NULL ?
			    " or " : ", ");
		append(list, sizeof(list), set[i]);
	}
	conf_errt(&p->lx, &t, "expected %s after \"%s\", got %s", list,
	    kw->text, DESC(&t, d));
	return -1;
}

static const char *const roles[] = { "central", "remote", NULL };
const char *const yesno[] = { "no", "yes", NULL };

/* site block */

static int
site_role(struct parser *p, const struct token *kw)
{
	int i;

	if (get_choice(p, kw, roles, &i) == -1)
		return -1;
	p->cf->site.role = i == 0 ? ROLE_CENTRAL : ROLE_REMOTE;
	return 0;
}

static int
add_prefix(struct parser *p, const struct token *kw, struct prefix *arr,
    size_t *n, size_t max)
{
	struct prefix pf;

	if (expr_prefix(&p->lx, kw->text, &pf) == -1)
		return -1;
	if (*n >= max) {
		conf_errt(&p->lx, kw, "too many \"%s\" statements, at most %zu",
		    kw->text, max);
		return -1;
	}
	arr[(*n)++] = pf;
	return 0;
}

static int
site_network(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;

	return add_prefix(p, kw, s->networks, &s->nnetworks,
	    sizeof(s->networks) / sizeof(s->networks[0]));
}

static int
site_address(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;

	if (add_prefix(p, kw, s->addresses, &s->naddresses,
	    sizeof(s->addresses) / sizeof(s->addresses[0])) == -1)
		return -1;
	p->sx.address_file[s->naddresses - 1] = kw->file;
	p->sx.address_line[s->naddresses - 1] = kw->line;
	return 0;
}

static int
site_exclude(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;

	if (add_prefix(p, kw, s->excludes, &s->nexcludes,
	    sizeof(s->excludes) / sizeof(s->excludes[0])) == -1)
		return -1;
	p->sx.exclude_file[s->nexcludes - 1] = kw->file;
	p->sx.exclude_line[s->nexcludes - 1] = kw->line;
	return 0;
}

int
get_ifname(struct parser *p, const struct token *kw, char out[IFNAMSIZ])
{
	struct token t;
	char *c;

	if (get_word(p, kw, "an interface name", &t) == -1)
		return -1;
	if (strlen(t.text) >= IFNAMSIZ) {
		conf_errt(&p->lx, &t, "interface name \"%s\" is longer than %d "
		    "characters", t.text, IFNAMSIZ - 1);
		return -1;
	}
	for (c = t.text; *c != '\0'; c++) {
		if (*c == ':' || *c == '/') {
			conf_errt(&p->lx, &t, "interface name \"%s\" may not "
			    "hold '%c'", t.text, *c);
			return -1;
		}
	}
	copy_str(out, IFNAMSIZ, t.text);
	return 0;
}

static int
site_tun(struct parser *p, const struct token *kw)
{
	return get_ifname(p, kw, p->cf->site.tun);
}

static void
set_sockaddr(struct sockaddr_storage *ss, const struct prefix *a,
    uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (a->af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->addr.v4;
		sin->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->addr.v6;
		sin6->sin6_port = htons(port);
	}
}

static int
site_outer(struct parser *p, const struct token *kw)
{
	const struct token *pk = lex_peek(&p->lx);
	struct prefix a;
	struct token t;

	if (pk->type == T_WORD && strcmp(pk->text, "any") == 0) {
		lex_next(&p->lx, &t);
		memset(&p->cf->site.outer, 0, sizeof(p->cf->site.outer));
		p->cf->site.outer.ss_family = AF_UNSPEC;
		return 0;
	}
	if (expr_address(&p->lx, kw->text, &a) == -1)
		return -1;
	set_sockaddr(&p->cf->site.outer, &a, 0);
	return 0;
}

/* `resolver ADDRESS`, up to CONF_RESOLVERS_MAX: the DNS servers asked
 * for named endpoints instead of those of /etc/resolv.conf. */
static int
site_resolver(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;

	if (s->nresolvers == CONF_RESOLVERS_MAX) {
		conf_errt(&p->lx, kw, "more than %d resolver statements",
		    CONF_RESOLVERS_MAX);
		return -1;
	}
	if (expr_address(&p->lx, kw->text, &s->resolvers[s->nresolvers]) == -1)
		return -1;
	s->nresolvers++;
	return 0;
}

/* `resolve-interval MIN MAX`: the bounds on a named endpoint's TTL. */
static int
site_resolve_interval(struct parser *p, const struct token *kw)
{
	uint64_t lo, hi;

	if (get_number(p, kw, 1, 86400, &lo) == -1 ||
	    get_number(p, kw, 1, 86400, &hi) == -1)
		return -1;
	if (lo > hi) {
		conf_errt(&p->lx, kw, "resolve-interval %llu %llu: the "
		    "minimum exceeds the maximum", (unsigned long long)lo,
		    (unsigned long long)hi);
		return -1;
	}
	p->cf->site.resolve_min = (unsigned)lo;
	p->cf->site.resolve_max = (unsigned)hi;
	return 0;
}

static int
site_port(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, 1, 65535, &v) == -1)
		return -1;
	p->cf->site.port = (uint16_t)v;
	return 0;
}

static int
site_outer_mtu(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, 576, 9000, &v) == -1)
		return -1;
	p->cf->site.outer_mtu = (unsigned)v;
	return 0;
}

static int
site_mtu(struct parser *p, const struct token *kw)
{
	uint64_t v;
	const struct token *pk = lex_peek(&p->lx);

	/* 0 means "derive from outer-mtu"; otherwise the IPv6 minimum. */
	if (pk->type == T_WORD && strcmp(pk->text, "0") == 0) {
		struct token t;

		lex_next(&p->lx, &t);
		p->cf->site.mtu = 0;
		return 0;
	}
	if (get_number(p, kw, 576, 9000, &v) == -1)
		return -1;
	p->cf->site.mtu = (unsigned)v;
	return 0;
}

static int
site_state_file(struct parser *p, const struct token *kw)
{
	return get_string(p, kw, "a path", p->cf->site.state_file,
	    sizeof(p->cf->site.state_file));
}

static int
site_control(struct parser *p, const struct token *kw)
{
	return get_string(p, kw, "a path", p->cf->site.control,
	    sizeof(p->cf->site.control));
}

static int
site_user(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;

	s->user_line = kw->line;
	return get_string(p, kw, "a user name", s->user, sizeof(s->user));
}

/* A hook script's path, kept as written (vpntund makes it absolute
 * against the directory it started in) and checked at the end. */
static int
site_hook(struct parser *p, const struct token *kw, enum hook h, char *out,
    size_t outlen)
{
	if (get_string(p, kw, "a path", out, outlen) == -1)
		return -1;
	p->sx.hook_file[h] = kw->file;
	p->sx.hook_line[h] = kw->line;
	return 0;
}

static int
site_up(struct parser *p, const struct token *kw)
{
	return site_hook(p, kw, HOOK_UP, p->cf->site.up,
	    sizeof(p->cf->site.up));
}

static int
site_down(struct parser *p, const struct token *kw)
{
	return site_hook(p, kw, HOOK_DOWN, p->cf->site.down,
	    sizeof(p->cf->site.down));
}

static int
site_peer_up(struct parser *p, const struct token *kw)
{
	return site_hook(p, kw, HOOK_PEER_UP, p->cf->site.peer_up,
	    sizeof(p->cf->site.peer_up));
}

static int
site_peer_down(struct parser *p, const struct token *kw)
{
	return site_hook(p, kw, HOOK_PEER_DOWN, p->cf->site.peer_down,
	    sizeof(p->cf->site.peer_down));
}

static int
site_hook_timeout(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, 1, 3600, &v) == -1)
		return -1;
	p->cf->site.hook_timeout = (unsigned)v;
	return 0;
}

static int
site_state_ahead(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, CONF_STATE_AHEAD_MIN, CONF_STATE_AHEAD_MAX,
	    &v) == -1)
		return -1;
	p->cf->site.state_ahead = v;
	return 0;
}

static int
site_log(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "stderr", "syslog", NULL };
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->cf->site.log_syslog = i == 1;
	return 0;
}

static int
site_log_level(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "error", "warning", "info",
	    "debug", NULL };
	static const int lvl[] = { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO,
	    LOG_LVL_DEBUG };
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->cf->site.log_level = lvl[i];
	return 0;
}

/* `yes` or `no` into *v. */
static int
get_yes_no(struct parser *p, const struct token *kw, bool *v)
{
	int i;

	if (get_choice(p, kw, yesno, &i) == -1)
		return -1;
	*v = i == 1;
	return 0;
}

static int
site_socket_filter(struct parser *p, const struct token *kw)
{
	return get_yes_no(p, kw, &p->cf->site.socket_filter);
}

static int
site_udp_gso(struct parser *p, const struct token *kw)
{
	return get_yes_no(p, kw, &p->cf->site.udp_gso);
}

static int
site_udp_gro(struct parser *p, const struct token *kw)
{
	return get_yes_no(p, kw, &p->cf->site.udp_gro);
}

static int
site_tun_offload(struct parser *p, const struct token *kw)
{
	return get_yes_no(p, kw, &p->cf->site.tun_offload);
}

/* `monitor [ADDRESS] port N`: the HTTP status server (vpntund(8),
 * MONITORING), on loopback unless an address is given. */
static int
site_monitor(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	const struct token *pk = lex_peek(&p->lx);
	struct prefix a;
	struct token t;
	uint64_t v;

	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.addr.v4.s_addr = htonl(INADDR_LOOPBACK);
	if ((pk->type != T_WORD || strcmp(pk->text, "port") != 0) &&
	    expr_address(&p->lx, kw->text, &a) == -1)
		return -1;
	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type != T_WORD || strcmp(t.text, "port") != 0) {
		conf_errt(&p->lx, &t, "expected \"port\" after \"%s\" and its "
		    "address, got %s", kw->text, DESC(&t, d));
		return -1;
	}
	if (get_number(p, &t, 1, 65535, &v) == -1)
		return -1;
	set_sockaddr(&p->cf->site.monitor, &a, (uint16_t)v);
	return 0;
}

static const struct keyword site_keywords[] = {
	{ "address",    site_address },
	{ "bridge",     site_bridge },
	{ "bridge-age", site_bridge_age },
	{ "bridge-flood", site_bridge_flood },
	{ "bridge-table", site_bridge_table },
	{ "control",    site_control },
	{ "down",       site_down },
	{ "exclude",    site_exclude },
	{ "hook-timeout", site_hook_timeout },
	{ "log",        site_log },
	{ "log-level",  site_log_level },
	{ "monitor",    site_monitor },
	{ "mtu",        site_mtu },
	{ "network",    site_network },
	{ "outer",      site_outer },
	{ "outer-mtu",  site_outer_mtu },
	{ "peer-down",  site_peer_down },
	{ "peer-up",    site_peer_up },
	{ "port",       site_port },
	{ "resolve-interval", site_resolve_interval },
	{ "resolver",   site_resolver },
	{ "role",       site_role },
	{ "socket-filter", site_socket_filter },
	{ "state-ahead", site_state_ahead },
	{ "state-file", site_state_file },
	{ "tap",        site_tap },
	{ "tun",        site_tun },
	{ "tun-offload", site_tun_offload },
	{ "udp-gro",    site_udp_gro },
	{ "udp-gso",    site_udp_gso },
	{ "up",         site_up },
	{ "user",       site_user },
	{ NULL,         NULL }
};

/* peer block */

static int
peer_role(struct parser *p, const struct token *kw)
{
	int i;

	if (get_choice(p, kw, roles, &i) == -1)
		return -1;
	p->peer->role = i == 0 ? ROLE_CENTRAL : ROLE_REMOTE;
	p->extra->have_role = true;
	return 0;
}

static int
peer_network(struct parser *p, const struct token *kw)
{
	if (p->extra->have_network) {
		conf_errt(&p->lx, kw, "peer \"%s\" has a network already; a "
		    "peer has one primary network, add others with \"tunnel\"",
		    p->peer->name);
		return -1;
	}
	if (expr_prefix(&p->lx, kw->text, &p->peer->network) == -1)
		return -1;
	p->extra->have_network = true;
	p->extra->network_file = kw->file;
	p->extra->network_line = kw->line;
	return 0;
}

/* The optional `port N` after endpoint and transport udp. */
static int
peer_opt_port(struct parser *p, const struct token *kw)
{
	const struct token *pk = lex_peek(&p->lx);
	struct token t;
	uint64_t v;

	if (pk->type != T_WORD || strcmp(pk->text, "port") != 0)
		return 0;
	lex_next(&p->lx, &t);
	if (get_number(p, &t, 1, 65535, &v) == -1)
		return -1;
	if (p->extra->have_port && p->peer->port != v) {
		conf_errt(&p->lx, kw, "peer \"%s\": port %llu contradicts port "
		    "%u given at line %d", p->peer->name,
		    (unsigned long long)v, p->peer->port, p->extra->port_line);
		return -1;
	}
	p->peer->port = (uint16_t)v;
	p->extra->have_port = true;
	p->extra->port_line = kw->line;
	return 0;
}

/* A word that is no address and no address function (net(), host(),
 * mask()) is taken for a host name: checked, then kept as written. */
static bool
endpoint_is_name(const struct token *pk)
{
	struct prefix a;

	if (pk->type != T_WORD || addr_parse(pk->text, &a) == 0)
		return false;
	return strcmp(pk->text, "net") != 0 && strcmp(pk->text, "host") != 0 &&
	    strcmp(pk->text, "mask") != 0;
}

static int
peer_endpoint_name(struct parser *p, const struct token *kw)
{
	char why[128];
	struct token t;

	lex_next(&p->lx, &t);
	if (hostname_check(t.text, why, sizeof(why)) == -1) {
		conf_errt(&p->lx, &t, "expected an address or a host name "
		    "after \"%s\", got \"%.64s\": %s", kw->text, t.text, why);
		return -1;
	}
	if ((p->peer->endpoint_name = strdup(t.text)) == NULL) {
		conf_errt(&p->lx, &t, "out of memory");
		return -1;
	}
	return 0;
}

static int
peer_endpoint(struct parser *p, const struct token *kw)
{
	const struct token *pk = lex_peek(&p->lx);
	struct prefix a;
	struct token t;

	free(p->peer->endpoint_name);
	p->peer->endpoint_name = NULL;
	memset(&p->peer->endpoint, 0, sizeof(p->peer->endpoint));
	p->peer->dynamic = false;
	if (pk->type == T_WORD && strcmp(pk->text, "dynamic") == 0) {
		lex_next(&p->lx, &t);
		p->peer->dynamic = true;
	} else if (endpoint_is_name(pk)) {
		if (peer_endpoint_name(p, kw) == -1)
			return -1;
	} else {
		if (expr_address(&p->lx, kw->text, &a) == -1)
			return -1;
		p->peer->dynamic = false;
		/* The port is filled in by check.c once it is known. */
		set_sockaddr(&p->peer->endpoint, &a, 0);
	}
	p->extra->have_endpoint = true;
	return peer_opt_port(p, kw);
}

static int
peer_transport(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "udp", "esp", NULL };
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->peer->transport = i == 0 ? TRANSPORT_UDP : TRANSPORT_ESP;
	if (i == 0)
		return peer_opt_port(p, kw);
	return 0;
}

static const char auth_list[] = AUTH_NAMES;

/* A cipher name and its optional keysize into su; the auth default
 * is set later, when it is known whether an auth was written. */
int
get_cipher(struct parser *p, const struct token *kw, struct sa_suite *su)
{
	const struct cipher_info *c;
	const struct token *pk;
	struct token t, ks;
	uint64_t bits;

	if (get_word(p, kw, "a cipher name", &t) == -1)
		return -1;
	if ((c = cipher_by_name(t.text)) == NULL) {
		conf_errt(&p->lx, &t, "unknown cipher \"%s\", expected one of "
		    "%s", t.text, cipher_names());
		return -1;
	}
	su->cipher = c;
	su->key_bits = c->key_default * 8;
	pk = lex_peek(&p->lx);
	if (pk->type != T_WORD || strcmp(pk->text, "keysize") != 0)
		return 0;
	lex_next(&p->lx, &ks);
	if (c->key_min == c->key_max) {
		conf_errt(&p->lx, &ks, "cipher %s has a fixed key size of %zu "
		    "bits, \"keysize\" is not allowed", c->name,
		    c->key_min * 8);
		return -1;
	}
	if (get_word(p, &ks, "a key size in bits", &t) == -1)
		return -1;
	if (parse_u64(t.text, 0, UINT64_MAX, &bits) == -1 || bits % 8 != 0 ||
	    bits / 8 < c->key_min || bits / 8 > c->key_max ||
	    (c->key_step != 0 && (bits / 8 - c->key_min) % c->key_step != 0)) {
		conf_errt(&p->lx, &t, "keysize %s is not valid for %s, expected "
		    "%zu..%zu in steps of %zu", t.text, c->name, c->key_min * 8,
		    c->key_max * 8, (c->key_step ? c->key_step : 1) * 8);
		return -1;
	}
	su->key_bits = (size_t)bits;
	return 0;
}

int
get_auth(struct parser *p, const struct token *kw, struct sa_suite *su)
{
	const struct auth_info *a;
	struct token t;

	if (get_word(p, kw, "an authentication algorithm", &t) == -1)
		return -1;
	if ((a = auth_by_name(t.text)) == NULL) {
		conf_errt(&p->lx, &t, "unknown auth \"%s\", expected one of %s",
		    t.text, auth_list);
		return -1;
	}
	su->auth = a;
	return 0;
}

static int
peer_cipher(struct parser *p, const struct token *kw)
{
	if (get_cipher(p, kw, &p->peer->suite_out) == -1)
		return -1;
	p->peer->suite_in.cipher = p->peer->suite_out.cipher;
	p->peer->suite_in.key_bits = p->peer->suite_out.key_bits;
	p->extra->cipher_file = kw->file;
	p->extra->cipher_line = kw->line;
	return 0;
}

static int
peer_auth(struct parser *p, const struct token *kw)
{
	if (get_auth(p, kw, &p->peer->suite_out) == -1)
		return -1;
	p->peer->suite_in.auth = p->peer->suite_out.auth;
	p->extra->have_auth = true;
	p->extra->auth_file = kw->file;
	p->extra->auth_line = kw->line;
	return 0;
}

int
get_path(struct parser *p, const struct token *kw, const char *what,
    char **out)
{
	char path[PATH_MAX], full[PATH_MAX], *dup;
	int n;

	if (get_string(p, kw, what, path, sizeof(path)) == -1)
		return -1;
	/* Relative to the file that holds this statement. */
	if (path[0] == '/' || kw->dir[0] == '\0')
		n = snprintf(full, sizeof(full), "%s", path);
	else
		n = snprintf(full, sizeof(full), "%s/%s", kw->dir, path);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		conf_errt(&p->lx, kw, "%s too long", what);
		return -1;
	}
	if ((dup = strdup(full)) == NULL) {
		conf_errt(&p->lx, kw, "out of memory");
		return -1;
	}
	free(*out);
	*out = dup;
	return 0;
}

static int
peer_key(struct parser *p, const struct token *kw)
{
	if (get_path(p, kw, "a key file path", &p->peer->key_file) == -1)
		return -1;
	p->extra->have_key = true;
	p->extra->key_file_conf = kw->file;
	p->extra->key_line = kw->line;
	return 0;
}

static int
peer_spi(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	bool got_in = false, got_out = false;
	struct token t;
	uint64_t v;

	while (!got_in || !got_out) {
		lex_next(&p->lx, &t);
		if (t.type == T_ERROR)
			return -1;
		if (t.type != T_WORD || (strcmp(t.text, "in") != 0 &&
		    strcmp(t.text, "out") != 0) ||
		    (strcmp(t.text, "in") == 0 && got_in) ||
		    (strcmp(t.text, "out") == 0 && got_out)) {
			conf_errt(&p->lx, &t, "expected \"%s\" after \"spi\", "
			    "got %s", got_in ? "out" : "in", DESC(&t, d));
			return -1;
		}
		if (get_number(p, &t, 256, UINT32_MAX, &v) == -1)
			return -1;
		if (strcmp(t.text, "in") == 0) {
			got_in = true;
			p->peer->spi_in = (uint32_t)v;
		} else {
			got_out = true;
			p->peer->spi_out = (uint32_t)v;
		}
	}
	p->peer->spi_explicit = true;
	p->extra->spi_file = kw->file;
	p->extra->spi_line = kw->line;
	return 0;
}

/* 64..65536, or 0: anti-replay off (RFC 4303 3.4.3), for manual SAs of
 * peers that restart their counter (conf_finish checks the keying). */
static int
peer_replay_window(struct parser *p, const struct token *kw)
{
	struct token t;
	uint64_t v;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type != T_WORD || parse_u64(t.text, 0, UINT64_MAX, &v) == -1 ||
	    (v != 0 && (v < 64 || v > 65536))) {
		char d[CONF_TOKEN_MAX + 8];

		if (t.type == T_WORD && parse_u64(t.text, 0, UINT64_MAX,
		    &v) == 0)
			conf_errt(&p->lx, &t, "replay-window %s is out of "
			    "range, expected 0 (off) or 64..65536", t.text);
		else
			conf_errt(&p->lx, &t, "expected a number 0 or "
			    "64..65536 after \"replay-window\", got %s",
			    DESC(&t, d));
		return -1;
	}
	/* The bitmap is kept in 64-bit words. 0 turns anti-replay off
	 * (RFC 4303 3.4.3); conf_finish allows it with manual keying only. */
	p->peer->replay_window = (uint32_t)((v + 63) / 64 * 64);
	p->extra->replay_file = kw->file;
	p->extra->replay_line = kw->line;
	return 0;
}

static int
peer_padding(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "strict", "zero", "any", NULL };
	static const enum padding val[] = { PADDING_STRICT, PADDING_ZERO,
	    PADDING_ANY };
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->peer->padding = val[i];
	return 0;
}

static int
peer_esn(struct parser *p, const struct token *kw)
{
	int i;

	if (get_choice(p, kw, yesno, &i) == -1)
		return -1;
	p->peer->esn = i == 1;
	return 0;
}

/* `allow-weak-cipher yes`: the peer may use a cipher the table marks
 * weak (des-cbc); check.c refuses it otherwise. */
static int
peer_allow_weak(struct parser *p, const struct token *kw)
{
	int i;

	if (get_choice(p, kw, yesno, &i) == -1)
		return -1;
	p->peer->allow_weak_cipher = i == 1;
	return 0;
}

static int
peer_keying(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "derived", "manual", NULL };
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->peer->keying = i == 0 ? KEYING_DERIVED : KEYING_MANUAL;
	return 0;
}

/* lifetime bytes: decimal (kB = 1000 bytes) or binary (KiB = 1024)
 * multiples, as disks and ip-xfrm(8) write them. */
static const struct unit size_units[] = {
	{ "bytes", 1 }, { "byte", 1 },
	{ "kb", 1000ULL }, { "mb", 1000000ULL }, { "gb", 1000000000ULL },
	{ "tb", 1000000000000ULL },
	{ "kib", 1ULL << 10 }, { "mib", 1ULL << 20 }, { "gib", 1ULL << 30 },
	{ "tib", 1ULL << 40 }, { NULL, 0 }
};

/* A byte count min..max: "65536", "64MiB", "64 MiB", "1 gb". */
static int
get_byte_count(struct parser *p, const struct token *kw, uint64_t min,
    uint64_t max, const char *note, uint64_t *bytes)
{
	char shown[CONF_TOKEN_MAX + 16];
	const struct unit *u;
	struct token t;
	uint64_t v, mult;

	if (get_quantity(p, kw, "a size such as 64MiB", size_units,
	    "bytes, kB, MB, GB, TB, KiB, MiB, GiB or TiB", &v, &u, &t, shown,
	    sizeof(shown)) == -1)
		return -1;
	mult = u != NULL ? u->mult : 1;
	if (v > max / mult || v * mult < min) {
		conf_errt(&p->lx, &t, "%s %s is out of range, expected "
		    "%llu..%llu bytes%s", kw->text, shown,
		    (unsigned long long)min, (unsigned long long)max, note);
		return -1;
	}
	*bytes = v * mult;
	return 0;
}

/* lifetime bytes SIZE [soft SIZE] | lifetime packets N [soft N]: the
 * hard limit, and a soft one at or below it; once per kind. */
static int
peer_lifetime(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "bytes", "packets", NULL };
	struct peer_extra *x = p->extra;
	const struct token *pk;
	struct token name, st;
	uint64_t hard, soft;
	int k, rv;

	if (get_choice(p, kw, set, &k) == -1)
		return -1;
	if (x->life_line[k] != 0) {
		conf_errt(&p->lx, kw, "peer \"%s\": lifetime %s is given "
		    "twice, first at line %d", p->peer->name, set[k], x->life_line[k]);
		return -1;
	}
	/* Messages name the statement: "lifetime bytes 100 is ..." */
	name = *kw;
	snprintf(name.text, sizeof(name.text), "lifetime %s", set[k]);
	if (k == LIFE_BYTES)
		rv = get_byte_count(p, &name, CONF_LIFE_BYTES_MIN,
		    CONF_LIFE_BYTES_MAX, "", &hard);
	else
		rv = get_number(p, &name, CONF_LIFE_PACKETS_MIN, UINT64_MAX,
		    &hard);
	if (rv == -1)
		return -1;
	x->life_file[k] = kw->file;
	x->life_line[k] = kw->line;
	soft = hard;
	pk = lex_peek(&p->lx);
	if (pk->type == T_WORD && strcmp(pk->text, "soft") == 0) {
		lex_next(&p->lx, &st);
		snprintf(name.text, sizeof(name.text), "lifetime %s soft",
		    set[k]);
		if (k == LIFE_BYTES)
			rv = get_byte_count(p, &name, 1, hard,
			    " (at most the hard limit)", &soft);
		else
			rv = get_number(p, &name, 1, hard, &soft);
		if (rv == -1)
			return -1;
		x->life_soft[k] = true;
	}
	if (k == LIFE_BYTES) {
		p->peer->life_bytes = hard;
		p->peer->life_bytes_soft = soft;
	} else {
		p->peer->life_packets = hard;
		p->peer->life_packets_soft = soft;
	}
	return 0;
}

static int
peer_keepalive(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, 0, 3600, &v) == -1)
		return -1;
	p->peer->keepalive = (unsigned)v;
	p->extra->have_keepalive = true;
	p->extra->keepalive_line = kw->line;
	return 0;
}

static int
peer_dead(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, 0, 86400, &v) == -1)
		return -1;
	p->peer->dead = (unsigned)v;
	p->extra->have_dead = true;
	p->extra->dead_file = kw->file;
	p->extra->dead_line = kw->line;
	return 0;
}

static int
peer_policy(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	struct policy_conf pc, *np;
	const char **nf;
	struct token t;

	memset(&pc, 0, sizeof(pc));
	pc.funnel = strcmp(kw->text, "funnel") == 0;
	pc.line = kw->line;
	if (expr_prefix(&p->lx, kw->text, &pc.local) == -1)
		return -1;
	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type != T_ARROW) {
		conf_errt(&p->lx, &t, "expected \"<->\" between the local and "
		    "remote prefix of \"%s\", got %s", kw->text, DESC(&t, d));
		return -1;
	}
	if (expr_prefix(&p->lx, kw->text, &pc.remote) == -1)
		return -1;
	if (pc.local.af != pc.remote.af) {
		conf_errt(&p->lx, kw, "%s: both sides of \"<->\" must be of "
		    "the same address family", kw->text);
		return -1;
	}
	np = reallocarray(p->peer->policies, p->peer->npolicies + 1,
	    sizeof(*np));
	if (np == NULL) {
		conf_errt(&p->lx, kw, "out of memory");
		return -1;
	}
	p->peer->policies = np;
	nf = reallocarray(p->extra->policy_file, p->peer->npolicies + 1,
	    sizeof(*nf));
	if (nf == NULL) {
		conf_errt(&p->lx, kw, "out of memory");
		return -1;
	}
	p->extra->policy_file = nf;
	nf[p->peer->npolicies] = kw->file;
	np[p->peer->npolicies++] = pc;
	return 0;
}

static const struct keyword peer_keywords[] = {
	{ "allow-weak-cipher", peer_allow_weak },
	{ "auth",          peer_auth },
	{ "bridge",        peer_bridge },
	{ "cipher",        peer_cipher },
	{ "dead",          peer_dead },
	{ "endpoint",      peer_endpoint },
	{ "esn",           peer_esn },
	{ "funnel",        peer_policy },
	{ "keepalive",     peer_keepalive },
	{ "key",           peer_key },
	{ "keying",        peer_keying },
	{ "lifetime",      peer_lifetime },
	{ "network",       peer_network },
	{ "padding",       peer_padding },
	{ "replay-window", peer_replay_window },
	{ "role",          peer_role },
	{ "sa",            peer_sa },
	{ "spi",           peer_spi },
	{ "tap-sa",        peer_tap_sa },
	{ "transport",     peer_transport },
	{ "tunnel",        peer_policy },
	{ NULL,            NULL }
};

/* A statement ends at a newline, ';', or the '}' of its block. */
int
end_statement(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	const struct token *pk = lex_peek(&p->lx);
	struct token t;

	if (pk->type == T_RBRACE)
		return 0;
	lex_next(&p->lx, &t);
	if (t.type == T_EOS || t.type == T_EOF)
		return 0;
	if (t.type != T_ERROR)
		conf_errt(&p->lx, &t, "expected end of line after the \"%s\" "
		    "statement, got %s", kw->text, DESC(&t, d));
	return -1;
}

static int do_include(struct parser *, const struct token *);

int
parse_block(struct parser *p, const struct token *opener, const char *kind,
    const struct keyword *kws)
{
	char d[CONF_TOKEN_MAX + 8];
	const struct keyword *k;
	struct token t;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type != T_LBRACE) {
		/* Named blocks say which; the qos block has no name. */
		if (strcmp(opener->text, kind) == 0)
			conf_errt(&p->lx, &t, "expected '{' after \"%s\", got "
			    "%s", kind, DESC(&t, d));
		else
			conf_errt(&p->lx, &t, "expected '{' after %s \"%s\", "
			    "got %s", kind, opener->text, DESC(&t, d));
		return -1;
	}
	for (;;) {
		lex_next(&p->lx, &t);
		switch (t.type) {
		case T_ERROR:
			return -1;
		case T_EOS:
			continue;
		case T_RBRACE:
			return 0;
		case T_EOF:
			conf_errt(&p->lx, &t, "expected '}' to close the %s "
			    "block of line %d", kind, opener->line);
			return -1;
		case T_WORD:
			if (strcmp(t.text, "include") == 0) {
				if (do_include(p, &t) == -1)
					return -1;
				continue;
			}
			for (k = kws; k->name != NULL; k++)
				if (strcmp(k->name, t.text) == 0)
					break;
			if (k->name != NULL) {
				if (k->fn(p, &t) == -1 ||
				    end_statement(p, &t) == -1)
					return -1;
				continue;
			}
			if (strcmp(t.text, "site") == 0 ||
			    strcmp(t.text, "peer") == 0 ||
			    strcmp(t.text, "qos") == 0 ||
			    strcmp(t.text, "meter") == 0 ||
			    strcmp(t.text, "pass") == 0 ||
			    strcmp(t.text, "block") == 0)
				conf_errt(&p->lx, &t, "expected '}' to close "
				    "the %s block of line %d before \"%s\"",
				    kind, opener->line, t.text);
			else
				conf_errt(&p->lx, &t, "unknown keyword \"%s\" "
				    "in %s block", t.text, kind);
			return -1;
		default:
			conf_errt(&p->lx, &t, "expected a keyword in the %s "
			    "block, got %s", kind, DESC(&t, d));
			return -1;
		}
	}
}

int
get_name(struct parser *p, const struct token *kw, struct token *t)
{
	char d[CONF_TOKEN_MAX + 8];

	lex_next(&p->lx, t);
	if (t->type == T_ERROR)
		return -1;
	if ((t->type != T_STRING && t->type != T_WORD) || t->text[0] == '\0') {
		conf_errt(&p->lx, t, "expected a name after \"%s\", got %s",
		    kw->text, DESC(t, d));
		return -1;
	}
	if (strlen(t->text) >= CONF_NAME_MAX) {
		conf_errt(&p->lx, t, "%s name \"%s\" is longer than %d "
		    "characters", kw->text, t->text, CONF_NAME_MAX - 1);
		return -1;
	}
	return 0;
}

static int
do_site(struct parser *p, const struct token *kw)
{
	struct token name;

	if (get_name(p, kw, &name) == -1)
		return -1;
	if (p->have_site) {
		conf_errt(&p->lx, kw, "a second site block; the site is "
		    "already defined at %s:%d", p->sx.file, p->sx.line);
		return -1;
	}
	p->have_site = true;
	p->sx.file = kw->file;
	p->sx.line = kw->line;
	copy_str(p->cf->site.name, sizeof(p->cf->site.name), name.text);
	return parse_block(p, &name, "site", site_keywords);
}

static int
do_peer(struct parser *p, const struct token *kw)
{
	struct peer_conf *np;
	struct peer_extra *nx;
	struct token name;

	if (get_name(p, kw, &name) == -1)
		return -1;
	if (p->cf->npeers == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;

		if ((np = reallocarray(p->cf->peers, cap, sizeof(*np))) == NULL) {
			conf_errt(&p->lx, kw, "out of memory");
			return -1;
		}
		p->cf->peers = np;
		if ((nx = reallocarray(p->px, cap, sizeof(*nx))) == NULL) {
			conf_errt(&p->lx, kw, "out of memory");
			return -1;
		}
		p->px = nx;
		p->cap = cap;
	}
	p->peer = &p->cf->peers[p->cf->npeers];
	p->extra = &p->px[p->cf->npeers];
	p->cf->npeers++;
	memset(p->peer, 0, sizeof(*p->peer));
	memset(p->extra, 0, sizeof(*p->extra));
	copy_str(p->peer->name, sizeof(p->peer->name), name.text);
	p->peer->line = kw->line;
	p->peer->transport = TRANSPORT_UDP;
	p->peer->port = CONF_PORT_DEFAULT;
	p->peer->suite_out.cipher = cipher_by_name(CONF_CIPHER_DEFAULT);
	p->peer->suite_out.key_bits = p->peer->suite_out.cipher ?
	    p->peer->suite_out.cipher->key_default * 8 : 0;
	p->peer->suite_in = p->peer->suite_out;
	p->peer->replay_window = 1024;
	p->peer->keying = KEYING_DERIVED;
	p->extra->file = kw->file;
	return parse_block(p, &name, "peer", peer_keywords);
}

static int
do_include(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	struct token t, t2;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type != T_STRING) {
		conf_errt(&p->lx, &t, "expected a quoted file name after "
		    "\"include\", got %s", DESC(&t, d));
		return -1;
	}
	/* Finish this statement first, without looking further ahead: the
	 * included file comes before the next token of this one. */
	lex_next(&p->lx, &t2);
	if (t2.type == T_ERROR)
		return -1;
	if (t2.type != T_EOS && t2.type != T_EOF) {
		conf_errt(&p->lx, &t2, "expected end of line after the "
		    "\"include\" statement, got %s", DESC(&t2, d));
		return -1;
	}
	return lex_include(&p->lx, kw, t.text);
}

/* name = value: a single word or string is kept as a token; anything else
 * is evaluated as an address expression right away, so later macros and
 * uses see the value, not the text. */
static int
do_macro(struct parser *p, const struct token *name)
{
	char d[CONF_TOKEN_MAX + 8];
	struct addr_value v;
	struct token t, eq;
	const struct token *pk;

	lex_next(&p->lx, &eq);
	pk = lex_peek(&p->lx);
	if (pk->type == T_ERROR)
		return -1;
	if (pk->type == T_STRING || pk->type == T_WORD) {
		lex_next(&p->lx, &t);
		pk = lex_peek(&p->lx);
		if (pk->type == T_EOS || pk->type == T_EOF) {
			if (t.type == T_WORD && addr_parse(t.text, &v.p) == 0) {
				v.has_len = false;
				v.is_mask = false;
				if (lex_define(&p->lx, name, NULL, &v) == -1)
					return -1;
			} else if (lex_define(&p->lx, name, &t, NULL) == -1)
				return -1;
			return end_statement(p, name);
		}
		if (t.type == T_STRING || (pk->type != T_PLUS &&
		    pk->type != T_MINUS && pk->type != T_SLASH &&
		    pk->type != T_LPAREN)) {
			lex_next(&p->lx, &t);
			conf_errt(&p->lx, &t, "expected end of line after macro "
			    "$%s, got %s", name->text, DESC(&t, d));
			return -1;
		}
		/* An expression after all: put the first token back. */
		lex_unget(&p->lx, &t);
	}
	if (expr_parse(&p->lx, name->text, "a value", &v) == -1 ||
	    lex_define(&p->lx, name, NULL, &v) == -1)
		return -1;
	lex_next(&p->lx, &t);
	if (t.type == T_EOS || t.type == T_EOF)
		return 0;
	if (t.type != T_ERROR)
		conf_errt(&p->lx, &t, "expected end of line after macro $%s, "
		    "got %s", name->text, DESC(&t, d));
	return -1;
}

static int
parse_top(struct parser *p)
{
	char d[CONF_TOKEN_MAX + 8];
	struct token t;

	for (;;) {
		lex_next(&p->lx, &t);
		switch (t.type) {
		case T_ERROR:
			return -1;
		case T_EOS:
			continue;
		case T_EOF:
			if (!p->have_site) {
				conf_errt(&p->lx, &t, "expected a site block, "
				    "found none");
				return -1;
			}
			if (p->cf->npeers == 0) {
				conf_errt(&p->lx, &t, "expected at least one "
				    "peer block, found none");
				return -1;
			}
			return 0;
		case T_WORD:
			if (lex_peek(&p->lx)->type == T_EQ) {
				if (do_macro(p, &t) == -1)
					return -1;
			} else if (strcmp(t.text, "site") == 0) {
				if (do_site(p, &t) == -1 ||
				    end_statement(p, &t) == -1)
					return -1;
			} else if (strcmp(t.text, "peer") == 0) {
				if (do_peer(p, &t) == -1 ||
				    end_statement(p, &t) == -1)
					return -1;
			} else if (strcmp(t.text, "qos") == 0) {
				if (do_qos(p, &t) == -1 ||
				    end_statement(p, &t) == -1)
					return -1;
			} else if (strcmp(t.text, "meter") == 0) {
				if (do_meter(p, &t) == -1 ||
				    end_statement(p, &t) == -1)
					return -1;
			} else if (strcmp(t.text, "pass") == 0 ||
			    strcmp(t.text, "block") == 0) {
				if (do_rule(p, &t) == -1 ||
				    end_statement(p, &t) == -1)
					return -1;
			} else if (strcmp(t.text, "include") == 0) {
				if (do_include(p, &t) == -1)
					return -1;
			} else {
				conf_errt(&p->lx, &t, "unknown keyword \"%s\", "
				    "expected site, peer, qos, meter, pass, "
				    "block, include or a macro definition",
				    t.text);
				return -1;
			}
			continue;
		default:
			conf_errt(&p->lx, &t, "expected site, peer, qos, meter, "
			    "pass, block, include or a macro definition, got %s",
			    DESC(&t, d));
			return -1;
		}
	}
}

static void
site_defaults(struct site_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->role = ROLE_CENTRAL;
	snprintf(s->tun, sizeof(s->tun), "vpn0");
	s->outer.ss_family = AF_UNSPEC;
	s->port = CONF_PORT_DEFAULT;
	s->outer_mtu = 1500;
	s->log_level = LOG_LVL_INFO;
	s->socket_filter = true;
	s->hook_timeout = CONF_HOOK_TIMEOUT_DEFAULT;
	s->state_ahead = CONF_STATE_AHEAD_DEFAULT;
	s->bridge_age = CONF_BRIDGE_AGE_DEFAULT;
	s->bridge_table = CONF_BRIDGE_TABLE_DEFAULT;
	s->bridge_flood_rate = CONF_BRIDGE_RATE_DEFAULT;
	s->bridge_flood_burst = CONF_BRIDGE_BURST_DEFAULT;
	s->udp_gso = true;
	s->udp_gro = true;
	s->tun_offload = true;
	s->resolve_min = CONF_RESOLVE_MIN_DEFAULT;
	s->resolve_max = CONF_RESOLVE_MAX_DEFAULT;
}

/* The array grew by doubling: give back what no peer uses, which with
 * thousands of peers is megabytes. */
static void
trim_peers(struct parser *p)
{
	struct peer_conf *np;

	if (p->cf->npeers == 0 || p->cf->npeers == p->cap)
		return;
	np = reallocarray(p->cf->peers, p->cf->npeers, sizeof(*np));
	if (np == NULL)
		return;         /* the larger array serves as well */
	p->cf->peers = np;
	p->cap = p->cf->npeers;
	p->peer = NULL;
}

static int
load(struct parser *p, struct config *cf, const char *file, bool keys)
{
	size_t i;
	int rv;

	memset(cf, 0, sizeof(*cf));
	site_defaults(&cf->site);
	cf->qos.bridge_class = -1;
	snprintf(cf->file, sizeof(cf->file), "%s", file);
	p->cf = cf;
	rv = parse_top(p);
	if (rv == 0)
		trim_peers(p);
	if (rv == 0)
		rv = conf_finish(&p->lx, cf, p->px, &p->qx, &p->bx, &p->sx,
		    keys);
	if (rv == 0)
		rv = lex_export_macros(&p->lx, cf);
	for (i = 0; i < cf->npeers && p->px != NULL; i++)
		free(p->px[i].policy_file);
	free(p->px);
	free(p->qx.rules);
	free(p->qx.meter_files);
	lex_free(&p->lx);
	if (rv == -1)
		config_free(cf);
	return rv;
}

static int
load_file(const char *path, struct config *cf, struct conf_error *err,
    bool keys)
{
	struct parser p;

	memset(&p, 0, sizeof(p));
	memset(cf, 0, sizeof(*cf));
	if (lex_init_file(&p.lx, path, err) == -1) {
		lex_free(&p.lx);
		return -1;
	}
	return load(&p, cf, path, keys);
}

int
config_load(const char *path, struct config *cf, struct conf_error *err)
{
	return load_file(path, cf, err, true);
}

int
config_load_nokeys(const char *path, struct config *cf,
    struct conf_error *err)
{
	return load_file(path, cf, err, false);
}

int
config_load_string(const char *name, const char *text, const char *base_dir,
    struct config *cf, struct conf_error *err)
{
	struct parser p;

	memset(&p, 0, sizeof(p));
	memset(cf, 0, sizeof(*cf));
	if (lex_init_string(&p.lx, name, text, base_dir ? base_dir : ".",
	    err) == -1) {
		lex_free(&p.lx);
		return -1;
	}
	return load(&p, cf, name, true);
}

void
config_drop_keys(struct config *cf)
{
	size_t i;

	for (i = 0; i < cf->npeers; i++)
		keyfile_drop(&cf->peers[i]);
}

void
config_free(struct config *cf)
{
	size_t i;

	if (cf->peers != NULL) {
		for (i = 0; i < cf->npeers; i++) {
			free(cf->peers[i].policies);
			free(cf->peers[i].key_file);
			free(cf->peers[i].endpoint_name);
			free(cf->peers[i].tap_key_file);
			free(cf->peers[i].sa_key_file_in);
			free(cf->peers[i].sa_key_file_out);
			keyfile_drop(&cf->peers[i]);
		}
		/* The keys are gone; the rest goes as thoroughly. */
		OPENSSL_cleanse(cf->peers, cf->npeers * sizeof(*cf->peers));
		free(cf->peers);
	}
	free(cf->rules);
	free(cf->meters);
	free(cf->vars);
	memset(cf, 0, sizeof(*cf));
}

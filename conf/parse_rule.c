/* pass and block rules, in the words of pf.conf:
 *
 *   (pass|block) [in|out] [on tun|tap] [inet|inet6] [proto P]
 *       [from ADDR [port P]] [to ADDR [port P]] [dscp D | tos V[/M]]
 *       [icmp-type T] [queue NAME] [meter NAME]
 *
 * Options may come in any order, each once. Unlike pf, the first matching
 * rule decides. Queue and meter names are resolved by check_qos.c once the
 * whole file is read, so a rule may name a meter defined after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_int.h"

#define DESC(t, d) tok_describe((t), (d), sizeof(d))

struct named {
	const char *name;
	int         value;
};

static const struct named protos[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
	{ "esp", 50 }, { "icmp6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 },
	{ "udplite", 136 }, { NULL, 0 }
};

/* A few well-known ports (RFC 6335 registry names). */
static const struct named ports[] = {
	{ "ssh", 22 }, { "smtp", 25 }, { "domain", 53 }, { "http", 80 },
	{ "ntp", 123 }, { "https", 443 }, { "isakmp", 500 }, { "rtsp", 554 },
	{ "ipsec-nat-t", 4500 }, { "sip", 5060 }, { NULL, 0 }
};

/* pf.conf's ICMP type names, by family. */
static const struct named icmp4_types[] = {
	{ "echorep", 0 }, { "unreach", 3 }, { "echoreq", 8 }, { "timex", 11 },
	{ NULL, 0 }
};
static const struct named icmp6_types[] = {
	{ "unreach", 1 }, { "toobig", 2 }, { "timex", 3 }, { "echoreq", 128 },
	{ "echorep", 129 }, { NULL, 0 }
};

static int
lookup(const struct named *t, const char *s)
{
	for (; t->name != NULL; t++)
		if (strcmp(t->name, s) == 0)
			return t->value;
	return -1;
}

static bool
proto_has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

const char *
rule_proto_name(int proto, char *buf, size_t len)
{
	const struct named *n;

	for (n = protos; n->name != NULL; n++)
		if (n->value == proto) {
			snprintf(buf, len, "%s", n->name);
			return buf;
		}
	snprintf(buf, len, "%d", proto);
	return buf;
}

static const char *
family_name(sa_family_t af)
{
	return af == AF_INET ? "IPv4" : "IPv6";
}

/* Options of one group exclude each other: in/out, inet/inet6, dscp/tos,
 * all/from, all/to. */
enum ropt { R_DIR, R_ON, R_AF, R_PROTO, R_FROM, R_TO, R_TOS, R_ICMP,
    R_QUEUE, R_METER, R_N };

struct rule_state {
	struct rule_conf  r;
	struct rule_extra x;
	struct token      seen[R_N];        /* type T_EOF = not seen */
	bool              have_port;
	int               port_line;
	sa_family_t       src_af, dst_af;   /* of written addresses */
	char              icmp_name[CONF_NAME_MAX];
	struct token      icmp_tok;
};

static int
get_port_one(struct parser *p, const struct token *t, const char *s,
    uint16_t *port)
{
	uint64_t v;
	int n;

	if (parse_u64(s, 0, UINT64_MAX, &v) == 0) {
		if (v > 65535) {
			conf_errt(&p->lx, t, "port %s is out of range, expected "
			    "0..65535", s);
			return -1;
		}
		*port = (uint16_t)v;
		return 0;
	}
	if ((n = lookup(ports, s)) == -1) {
		conf_errt(&p->lx, t, "expected a port (0..65535, a range such "
		    "as 80:443, or one of ssh, smtp, domain, http, ntp, https, "
		    "isakmp, rtsp, ipsec-nat-t, sip) after \"port\", got \"%s\"",
		    s);
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
}

/* N, N:M, or a name; the lexer keeps "80:443" as one word. */
static int
get_ports(struct parser *p, const struct token *kw, uint16_t *lo,
    uint16_t *hi)
{
	char buf[CONF_TOKEN_MAX], *colon;
	struct token t;

	if (get_word(p, kw, "a port or port range", &t) == -1)
		return -1;
	copy_str(buf, sizeof(buf), t.text);
	if ((colon = strchr(buf, ':')) == NULL) {
		if (get_port_one(p, &t, buf, lo) == -1)
			return -1;
		*hi = *lo;
		return 0;
	}
	*colon = '\0';
	if (get_port_one(p, &t, buf, lo) == -1 ||
	    get_port_one(p, &t, colon + 1, hi) == -1)
		return -1;
	if (*lo > *hi) {
		conf_errt(&p->lx, &t, "port range %s is empty; write the lower "
		    "port first", t.text);
		return -1;
	}
	return 0;
}

/* from/to [ADDR | any] [port P] */
static int
rule_addr(struct parser *p, const struct token *kw, struct rule_state *st,
    struct prefix *pf, sa_family_t *af, uint16_t *lo, uint16_t *hi)
{
	const struct token *pk = lex_peek(&p->lx);
	struct token t;

	memset(pf, 0, sizeof(*pf));
	*af = AF_UNSPEC;
	if (pk->type == T_WORD && strcmp(pk->text, "any") == 0)
		lex_next(&p->lx, &t);
	else if (!(pk->type == T_WORD && strcmp(pk->text, "port") == 0)) {
		if (expr_prefix(&p->lx, kw->text, pf) == -1)
			return -1;
		prefix_network(pf);
		*af = pf->af;
	}
	pk = lex_peek(&p->lx);
	if (pk->type == T_WORD && strcmp(pk->text, "port") == 0) {
		lex_next(&p->lx, &t);
		if (get_ports(p, &t, lo, hi) == -1)
			return -1;
		if (!st->have_port)
			st->port_line = t.line;
		st->have_port = true;
	}
	return 0;
}

static int
rule_tos(struct parser *p, const struct token *kw, struct match_rule *m)
{
	uint64_t v, mask = 0xff;
	struct token t;

	if (get_number(p, kw, 0, 255, &v) == -1)
		return -1;
	if (lex_peek(&p->lx)->type == T_SLASH) {
		lex_next(&p->lx, &t);
		if (get_number(p, &t, 0, 255, &mask) == -1)
			return -1;
	}
	if ((v & ~mask) != 0) {
		conf_errt(&p->lx, kw, "tos 0x%02llx/0x%02llx: the value has bits "
		    "outside the mask", (unsigned long long)v,
		    (unsigned long long)mask);
		return -1;
	}
	m->tos_value = (uint8_t)v;
	m->tos_mask = (uint8_t)mask;
	return 0;
}

static const char *const rule_words[] = { "in", "out", "on", "inet", "inet6",
    "proto", "from", "to", "all", "dscp", "tos", "icmp-type", "queue",
    "meter", NULL };
static const enum ropt rule_group[] = { R_DIR, R_DIR, R_ON, R_AF, R_AF,
    R_PROTO, R_FROM, R_TO, R_FROM, R_TOS, R_TOS, R_ICMP, R_QUEUE, R_METER };

static int
rule_option(struct parser *p, const struct token *t, struct rule_state *st)
{
	static const char *const ifs[] = { "tun", "tap", NULL };
	char d[CONF_TOKEN_MAX + 8];
	struct match_rule *m = &st->r.match;
	struct token w;
	uint64_t v;
	uint8_t dscp;
	int i;

	if (strcmp(t->text, "in") == 0 || strcmp(t->text, "out") == 0) {
		st->r.dir = t->text[0] == 'i' ? RULE_DIR_IN : RULE_DIR_OUT;
		return 0;
	}
	if (strcmp(t->text, "on") == 0) {
		if (get_choice(p, t, ifs, &i) == -1)
			return -1;
		m->iface = i == 0 ? MATCH_IF_TUN : MATCH_IF_TAP;
		return 0;
	}
	if (strcmp(t->text, "inet") == 0 || strcmp(t->text, "inet6") == 0) {
		m->af = t->text[4] == '6' ? AF_INET6 : AF_INET;
		return 0;
	}
	if (strcmp(t->text, "proto") == 0) {
		if (get_word(p, t, "a protocol", &w) == -1)
			return -1;
		if (parse_u64(w.text, 0, UINT64_MAX, &v) == 0) {
			if (v > 255) {
				conf_errt(&p->lx, &w, "proto %s is out of range, "
				    "expected 0..255", w.text);
				return -1;
			}
			m->proto = (int)v;
		} else if ((m->proto = lookup(protos, w.text)) == -1) {
			conf_errt(&p->lx, &w, "unknown protocol %s, expected tcp, "
			    "udp, icmp, icmp6, sctp, udplite, esp, gre or a "
			    "number 0..255", DESC(&w, d));
			return -1;
		}
		return 0;
	}
	if (strcmp(t->text, "from") == 0)
		return rule_addr(p, t, st, &m->src, &st->src_af, &m->sport_lo,
		    &m->sport_hi);
	if (strcmp(t->text, "to") == 0)
		return rule_addr(p, t, st, &m->dst, &st->dst_af, &m->dport_lo,
		    &m->dport_hi);
	if (strcmp(t->text, "all") == 0) {
		if (st->seen[R_TO].type != T_EOF) {
			conf_errt(&p->lx, t, "\"all\" cannot be combined with "
			    "\"to\" in one rule");
			return -1;
		}
		st->seen[R_TO] = *t;
		return 0;
	}
	if (strcmp(t->text, "dscp") == 0) {
		if (get_dscp(p, t, &dscp) == -1)
			return -1;
		m->tos_value = (uint8_t)(dscp << 2);
		m->tos_mask = 0xfc;
		return 0;
	}
	if (strcmp(t->text, "tos") == 0)
		return rule_tos(p, t, m);
	if (strcmp(t->text, "icmp-type") == 0) {
		if (get_word(p, t, "an ICMP type", &w) == -1)
			return -1;
		if (parse_u64(w.text, 0, UINT64_MAX, &v) == 0) {
			if (v > 255) {
				conf_errt(&p->lx, &w, "icmp-type %s is out of "
				    "range, expected 0..255", w.text);
				return -1;
			}
			m->icmp_type = (int)v;
		} else {
			/* A name; its number depends on the family. */
			copy_str(st->icmp_name, sizeof(st->icmp_name), w.text);
			st->icmp_tok = w;
		}
		return 0;
	}
	if (get_name(p, t, &w) == -1)
		return -1;
	if (strcmp(t->text, "queue") == 0) {
		copy_str(st->x.queue, sizeof(st->x.queue), w.text);
		st->x.queue_line = w.line;
	} else {
		copy_str(st->x.meter, sizeof(st->x.meter), w.text);
		st->x.meter_line = w.line;
	}
	return 0;
}

/* The family of a rule: inet/inet6, else its addresses, else its ICMP
 * protocol; they must agree. */
static int
rule_family(struct parser *p, const struct token *kw, struct rule_state *st)
{
	struct match_rule *m = &st->r.match;
	sa_family_t icmp_af = m->proto == 1 ? AF_INET : m->proto == 58 ?
	    AF_INET6 : AF_UNSPEC;

	if (st->src_af != AF_UNSPEC && st->dst_af != AF_UNSPEC &&
	    st->src_af != st->dst_af) {
		conf_errt(&p->lx, kw, "rule mixes address families: \"from\" is "
		    "%s, \"to\" is %s", family_name(st->src_af),
		    family_name(st->dst_af));
		return -1;
	}
	if (m->af != AF_UNSPEC) {
		if ((st->src_af != AF_UNSPEC && st->src_af != m->af) ||
		    (st->dst_af != AF_UNSPEC && st->dst_af != m->af)) {
			conf_errt(&p->lx, kw, "\"%s\" rule with an %s address",
			    m->af == AF_INET ? "inet" : "inet6",
			    family_name(m->af == AF_INET ? AF_INET6 : AF_INET));
			return -1;
		}
	} else if (st->src_af != AF_UNSPEC)
		m->af = st->src_af;
	else
		m->af = st->dst_af;
	if (icmp_af != AF_UNSPEC) {
		if (m->af != AF_UNSPEC && m->af != icmp_af) {
			conf_errt(&p->lx, kw, "proto %s is for %s; use \"proto "
			    "%s\" in an %s rule", icmp_af == AF_INET ? "icmp" :
			    "icmp6", family_name(icmp_af), icmp_af == AF_INET ?
			    "icmp6" : "icmp", family_name(m->af));
			return -1;
		}
		m->af = icmp_af;
	}
	if (m->src.len == 0)
		m->src.af = m->af;
	if (m->dst.len == 0)
		m->dst.af = m->af;
	return 0;
}

static int
rule_finish(struct parser *p, const struct token *kw, struct rule_state *st)
{
	struct match_rule *m = &st->r.match;
	char b[32];
	int n;

	if (rule_family(p, kw, st) == -1)
		return -1;
	if (st->have_port && m->proto != -1 && !proto_has_ports(m->proto)) {
		conf_err(&p->lx, kw->file, st->port_line, "\"port\" needs a "
		    "protocol with ports (tcp, udp, sctp or udplite), not "
		    "proto %s", rule_proto_name(m->proto, b, sizeof(b)));
		return -1;
	}
	if (st->seen[R_ICMP].type != T_EOF && m->proto != 1 && m->proto != 58) {
		conf_errt(&p->lx, &st->seen[R_ICMP], "icmp-type needs \"proto "
		    "icmp\" or \"proto icmp6\"");
		return -1;
	}
	if (st->icmp_name[0] != '\0') {
		n = lookup(m->proto == 1 ? icmp4_types : icmp6_types,
		    st->icmp_name);
		if (n == -1) {
			conf_errt(&p->lx, &st->icmp_tok, "unknown icmp-type "
			    "\"%s\" for proto %s, expected %s or 0..255",
			    st->icmp_name, m->proto == 1 ? "icmp" : "icmp6",
			    m->proto == 1 ? "echorep, unreach, echoreq, timex" :
			    "unreach, toobig, timex, echoreq, echorep");
			return -1;
		}
		m->icmp_type = n;
	}
	if (st->r.action == RULE_BLOCK && (st->x.queue[0] != '\0' ||
	    st->x.meter[0] != '\0')) {
		conf_errt(&p->lx, st->x.queue[0] != '\0' ? &st->seen[R_QUEUE] :
		    &st->seen[R_METER], "a block rule cannot have a %s: its "
		    "packets are dropped", st->x.queue[0] != '\0' ? "queue" :
		    "meter");
		return -1;
	}
	/* Queues and meters act on packets read from tun/tap (config.h). */
	if (st->r.dir == RULE_DIR_IN && (st->x.queue[0] != '\0' ||
	    st->x.meter[0] != '\0')) {
		conf_errt(&p->lx, st->x.queue[0] != '\0' ? &st->seen[R_QUEUE] :
		    &st->seen[R_METER], "a %s applies to outgoing packets; it "
		    "cannot be used in a \"pass in\" rule",
		    st->x.queue[0] != '\0' ? "queue" : "meter");
		return -1;
	}
	return 0;
}

static int
rule_store(struct parser *p, const struct token *kw, struct rule_state *st)
{
	struct config *cf = p->cf;
	struct qos_extra *qx = &p->qx;
	struct rule_conf *nr;
	struct rule_extra *nx;

	if (cf->nrules >= CONF_RULES_MAX) {
		conf_errt(&p->lx, kw, "too many rules, at most %d",
		    CONF_RULES_MAX);
		return -1;
	}
	if (cf->nrules == qx->rules_cap) {
		size_t cap = qx->rules_cap ? qx->rules_cap * 2 : 16;

		if ((nr = reallocarray(cf->rules, cap, sizeof(*nr))) == NULL) {
			conf_errt(&p->lx, kw, "out of memory");
			return -1;
		}
		cf->rules = nr;
		if ((nx = reallocarray(qx->rules, cap, sizeof(*nx))) == NULL) {
			conf_errt(&p->lx, kw, "out of memory");
			return -1;
		}
		qx->rules = nx;
		qx->rules_cap = cap;
	}
	st->r.match.result = (uint32_t)cf->nrules;
	qx->rules[cf->nrules] = st->x;
	cf->rules[cf->nrules++] = st->r;
	return 0;
}

int
do_rule(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	struct rule_state st;
	struct match_rule *m = &st.r.match;
	struct token t;
	size_t i;
	int w;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < R_N; i++)
		st.seen[i].type = T_EOF;
	st.r.action = strcmp(kw->text, "block") == 0 ? RULE_BLOCK : RULE_PASS;
	st.r.dir = RULE_DIR_ANY;
	st.r.queue = -1;
	st.r.meter = -1;
	st.r.line = kw->line;
	st.x.file = kw->file;
	m->af = AF_UNSPEC;
	m->proto = -1;
	m->sport_hi = m->dport_hi = 65535;
	m->icmp_type = -1;
	m->iface = MATCH_IF_ANY;
	while ((w = next_option(p, rule_words, &t)) != OPT_END) {
		if (w == OPT_UNKNOWN && strcmp(t.text, "port") == 0) {
			conf_errt(&p->lx, &t, "\"port\" belongs to \"from\" or "
			    "\"to\": write \"to port N\" or \"from any port N\"");
			return -1;
		}
		if (w == OPT_UNKNOWN) {
			conf_errt(&p->lx, &t, "expected in, out, on, inet, inet6, "
			    "proto, from, to, all, dscp, tos, icmp-type, queue or "
			    "meter in the \"%s\" rule, got %s", kw->text,
			    DESC(&t, d));
			return -1;
		}
		if (st.seen[rule_group[w]].type != T_EOF) {
			const struct token *f = &st.seen[rule_group[w]];

			if (strcmp(f->text, t.text) == 0)
				conf_errt(&p->lx, &t, "\"%s\" given twice in the "
				    "rule", t.text);
			else
				conf_errt(&p->lx, &t, "\"%s\" cannot be combined "
				    "with \"%s\" in one rule", t.text, f->text);
			return -1;
		}
		st.seen[rule_group[w]] = t;
		if (rule_option(p, &t, &st) == -1)
			return -1;
	}
	if (lex_peek(&p->lx)->type == T_ERROR)
		return -1;
	if (rule_finish(p, kw, &st) == -1)
		return -1;
	return rule_store(p, kw, &st);
}

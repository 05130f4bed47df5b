/* The QoS parts of site.conf: the qos block, meters and rules as parsed
 * into struct config, and the errors each must produce (file:line). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf_testutil.h"

#define SITE "site \"s\" {\n network 10.1.0.0/24\n}\n"
#define PEER "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.2.2\n" \
	" key \"k.key\"\n}\n"
/* SITE and PEER take lines 1-8; what follows starts at line 9. */
#define HEAD SITE PEER

static const char full[] = HEAD
    "lan = 10.2.1.0/24\n"                                          /* 9 */
    "qos {\n"                                                      /* 10 */
    "\tbandwidth 128kbit\n"
    "\ttunnel-mtu 576\n"
    "\tclass \"camera\" rate 10kbit priority 0 limit 20 packets\n" /* 13 */
    "\tclass \"audio\"  rate 64kbit priority 1 limit 30 packets\n"
    "\tclass \"web\"    rate 10kbit priority 2 borrow ceil 100kbit limit 64000 bytes\n"
    "\tclass \"video\"  rate 20kbit priority 3 borrow limit 300 ms codel default\n"
    "\tclass \"bulk\"   parent \"web\" rate 5kbit borrow\n"        /* 17 */
    "\tclass \"mail\"   parent \"web\" rate 5000 codel target 2ms interval 50 ms\n"
    "\tclass \"bridge\" rate 8Kb limit 100ms\n"                    /* 19 */
    "}\n";

static char *
valid_text(void)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s", full);
	strcat(buf,
	    "meter \"audio-in\" srtcm cir 64kbit cbs 3000 ebs 6000 green pass "
	    "yellow pass red drop\n"                                       /* 21 */
	    "pass out on tun proto udp dscp ef queue audio\n"              /* 22 */
	    "pass out proto tcp to port 8554 queue camera meter \"cam-in\"\n"
	    "pass out proto tcp from $lan to 172.16.0.0/16 port 80:443 queue bulk\n"
	    "pass out on tap queue bridge\n"                               /* 25 */
	    "block in from 192.168.0.0/16\n"
	    "block out inet6 proto icmp6 icmp-type 128\n"                  /* 27 */
	    "pass out tos 0xb8/0xfc queue audio meter audio-in\n"
	    "pass in\n"                                                    /* 29 */
	    "pass out proto udp from any port domain to fd00::/8 port 1000:2000 "
	    "dscp af41 queue mail\n"                                       /* 30 */
	    "pass out proto icmp icmp-type echoreq queue bulk\n"           /* 31 */
	    "pass proto 132 from host($lan, 5)/32 tos 0x10 queue video\n"     /* 32 */
	    "meter \"cam-in\" trtcm cir 20kbit cbs 3000 pir 128kbit pbs 6000 "
	    "green mark af41 yellow mark af42 red mark af43 color-aware\n");
	return buf;
}

static void
load_ok(const char *text, struct config *cf)
{
	struct conf_error err;

	put_default_key("k.key");
	memset(&err, 0, sizeof(err));
	if (config_load_string("site.conf", text, tdir, cf, &err) != 0)
		fail_msg("refused: %s", err.msg);
}

static void
test_qos_block(void **state)
{
	struct config cf;
	const struct qos_conf *q;
	const struct cbq_class_conf *c;

	(void)state;
	load_ok(valid_text(), &cf);
	q = &cf.qos;
	assert_true(q->enabled);
	assert_int_equal(q->line, 10);
	assert_int_equal(q->bandwidth, 128000);
	assert_int_equal(q->tunnel_mtu, 576);
	assert_true(q->mss_clamp);          /* default with tunnel-mtu */
	assert_int_equal(q->nclasses, 7);

	c = &q->classes[0];
	assert_string_equal(c->name, "camera");
	assert_int_equal(q->class_line[0], 13);
	assert_int_equal(c->parent, -1);
	assert_int_equal(c->rate, 10000);
	assert_int_equal(c->ceil, 10000);   /* = rate without borrow */
	assert_false(c->borrow);
	assert_int_equal(c->prio, 0);
	assert_int_equal(c->limit_kind, CBQ_LIMIT_PACKETS);
	assert_int_equal(c->limit, 20);
	assert_false(c->is_default);
	assert_false(c->codel);

	c = &q->classes[1];
	assert_string_equal(c->name, "audio");
	assert_int_equal(c->rate, 64000);
	assert_int_equal(c->prio, 1);
	assert_int_equal(c->limit, 30);

	c = &q->classes[2];
	assert_string_equal(c->name, "web");
	assert_true(c->borrow);
	assert_int_equal(c->ceil, 100000);
	assert_int_equal(c->limit_kind, CBQ_LIMIT_BYTES);
	assert_int_equal(c->limit, 64000);

	c = &q->classes[3];
	assert_string_equal(c->name, "video");
	assert_true(c->borrow);
	assert_int_equal(c->ceil, 128000);  /* top level: the bandwidth */
	assert_int_equal(c->limit_kind, CBQ_LIMIT_MS);
	assert_int_equal(c->limit, 300);
	assert_true(c->is_default);
	assert_true(c->codel);
	assert_int_equal(c->codel_target_us, 5000);
	assert_int_equal(c->codel_interval_us, 100000);

	c = &q->classes[4];
	assert_string_equal(c->name, "bulk");
	assert_int_equal(c->parent, 2);
	assert_int_equal(c->rate, 5000);
	assert_true(c->borrow);
	assert_int_equal(c->ceil, 100000);  /* the parent's ceil */
	assert_int_equal(c->prio, 4);       /* default priority */
	assert_int_equal(c->limit_kind, CBQ_LIMIT_PACKETS);
	assert_int_equal(c->limit, 50);     /* default limit */

	c = &q->classes[5];
	assert_string_equal(c->name, "mail");
	assert_int_equal(c->parent, 2);
	assert_int_equal(c->rate, 5000);
	assert_int_equal(c->ceil, 5000);
	assert_true(c->codel);
	assert_int_equal(c->codel_target_us, 2000);
	assert_int_equal(c->codel_interval_us, 50000);

	c = &q->classes[6];
	assert_string_equal(c->name, "bridge");
	assert_int_equal(c->rate, 8000);
	assert_int_equal(c->limit_kind, CBQ_LIMIT_MS);
	assert_int_equal(c->limit, 100);
	config_free(&cf);
}

static void
test_meters(void **state)
{
	struct config cf;
	const struct meter_def *m;

	(void)state;
	load_ok(valid_text(), &cf);
	assert_int_equal(cf.nmeters, 2);
	m = &cf.meters[0];
	assert_string_equal(m->name, "audio-in");
	assert_int_equal(m->line, 21);
	assert_int_equal(m->conf.kind, METER_SRTCM);
	assert_int_equal(m->conf.cir, 64000);
	assert_int_equal(m->conf.cbs, 3000);
	assert_int_equal(m->conf.ebs, 6000);
	assert_false(m->conf.color_aware);
	assert_int_equal(m->conf.action[METER_GREEN].kind, METER_PASS);
	assert_int_equal(m->conf.action[METER_YELLOW].kind, METER_PASS);
	assert_int_equal(m->conf.action[METER_RED].kind, METER_DROP);

	m = &cf.meters[1];
	assert_string_equal(m->name, "cam-in");
	assert_int_equal(m->conf.kind, METER_TRTCM);
	assert_int_equal(m->conf.cir, 20000);
	assert_int_equal(m->conf.cbs, 3000);
	assert_int_equal(m->conf.pir, 128000);
	assert_int_equal(m->conf.pbs, 6000);
	assert_true(m->conf.color_aware);
	assert_int_equal(m->conf.action[METER_GREEN].kind, METER_MARK);
	assert_int_equal(m->conf.action[METER_GREEN].dscp, 34);
	assert_int_equal(m->conf.action[METER_YELLOW].dscp, 36);
	assert_int_equal(m->conf.action[METER_RED].kind, METER_MARK);
	assert_int_equal(m->conf.action[METER_RED].dscp, 38);
	config_free(&cf);

	/* Defaults: green pass, yellow pass, red drop; "bytes" optional. */
	load_ok(HEAD "meter m trtcm cir 1Mbit cbs 1500 bytes pir 2Mbit "
	    "pbs 3000bytes\n", &cf);
	m = &cf.meters[0];
	assert_int_equal(m->conf.cir, 1000000);
	assert_int_equal(m->conf.pir, 2000000);
	assert_int_equal(m->conf.cbs, 1500);
	assert_int_equal(m->conf.pbs, 3000);
	assert_int_equal(m->conf.action[METER_GREEN].kind, METER_PASS);
	assert_int_equal(m->conf.action[METER_YELLOW].kind, METER_PASS);
	assert_int_equal(m->conf.action[METER_RED].kind, METER_DROP);
	config_free(&cf);
}

static void
expect_prefix(const struct prefix *p, const char *s)
{
	char b[64];

	assert_string_equal(prefix_ntop(p, b, sizeof(b)), s);
}

static void
test_rules(void **state)
{
	struct config cf;
	const struct rule_conf *r;
	const struct match_rule *m;
	size_t i;

	(void)state;
	load_ok(valid_text(), &cf);
	assert_int_equal(cf.nrules, 11);
	for (i = 0; i < cf.nrules; i++)
		assert_int_equal(cf.rules[i].match.result, i);

	r = &cf.rules[0];   /* pass out on tun proto udp dscp ef queue audio */
	m = &r->match;
	assert_int_equal(r->line, 22);
	assert_int_equal(r->action, RULE_PASS);
	assert_int_equal(r->dir, RULE_DIR_OUT);
	assert_int_equal(m->iface, MATCH_IF_TUN);
	assert_int_equal(m->af, AF_UNSPEC);
	assert_int_equal(m->proto, 17);
	assert_int_equal(m->src.len, 0);
	assert_int_equal(m->dst.len, 0);
	assert_int_equal(m->sport_lo, 0);
	assert_int_equal(m->sport_hi, 65535);
	assert_int_equal(m->dport_lo, 0);
	assert_int_equal(m->dport_hi, 65535);
	assert_int_equal(m->tos_value, 46 << 2);
	assert_int_equal(m->tos_mask, 0xfc);
	assert_int_equal(m->icmp_type, -1);
	assert_int_equal(r->queue, 1);
	assert_int_equal(r->meter, -1);

	r = &cf.rules[1];   /* to port 8554 queue camera meter "cam-in" */
	m = &r->match;
	assert_int_equal(m->proto, 6);
	assert_int_equal(m->iface, MATCH_IF_ANY);
	assert_int_equal(m->dport_lo, 8554);
	assert_int_equal(m->dport_hi, 8554);
	assert_int_equal(m->sport_hi, 65535);
	assert_int_equal(m->tos_mask, 0);
	assert_int_equal(r->queue, 0);
	assert_int_equal(r->meter, 1);      /* defined after the rule */

	r = &cf.rules[2];   /* from $lan to 172.16.0.0/16 port 80:443 queue bulk */
	m = &r->match;
	assert_int_equal(m->af, AF_INET);
	expect_prefix(&m->src, "10.2.1.0/24");
	expect_prefix(&m->dst, "172.16.0.0/16");
	assert_int_equal(m->dport_lo, 80);
	assert_int_equal(m->dport_hi, 443);
	assert_int_equal(r->queue, 4);      /* bulk, a leaf under web */

	r = &cf.rules[3];   /* pass out on tap queue bridge */
	assert_int_equal(r->match.iface, MATCH_IF_TAP);
	assert_int_equal(r->queue, 6);

	r = &cf.rules[4];   /* block in from 192.168.0.0/16 */
	assert_int_equal(r->action, RULE_BLOCK);
	assert_int_equal(r->dir, RULE_DIR_IN);
	assert_int_equal(r->match.af, AF_INET);
	expect_prefix(&r->match.src, "192.168.0.0/16");
	assert_int_equal(r->queue, -1);

	r = &cf.rules[5];   /* block out inet6 proto icmp6 icmp-type 128 */
	assert_int_equal(r->match.af, AF_INET6);
	assert_int_equal(r->match.proto, 58);
	assert_int_equal(r->match.icmp_type, 128);
	assert_int_equal(r->line, 27);

	r = &cf.rules[6];   /* tos 0xb8/0xfc queue audio meter audio-in */
	assert_int_equal(r->match.tos_value, 0xb8);
	assert_int_equal(r->match.tos_mask, 0xfc);
	assert_int_equal(r->queue, 1);
	assert_int_equal(r->meter, 0);

	r = &cf.rules[7];   /* pass in */
	assert_int_equal(r->action, RULE_PASS);
	assert_int_equal(r->dir, RULE_DIR_IN);
	assert_int_equal(r->match.af, AF_UNSPEC);
	assert_int_equal(r->match.proto, -1);
	assert_int_equal(r->queue, -1);

	r = &cf.rules[8];   /* from any port domain to fd00::/8 port 1000:2000 */
	m = &r->match;
	assert_int_equal(m->af, AF_INET6);
	assert_int_equal(m->src.len, 0);
	expect_prefix(&m->dst, "fd00::/8");
	assert_int_equal(m->sport_lo, 53);
	assert_int_equal(m->sport_hi, 53);
	assert_int_equal(m->dport_lo, 1000);
	assert_int_equal(m->dport_hi, 2000);
	assert_int_equal(m->tos_value, 34 << 2);
	assert_int_equal(r->queue, 5);

	r = &cf.rules[9];   /* proto icmp icmp-type echoreq: implies inet */
	assert_int_equal(r->match.af, AF_INET);
	assert_int_equal(r->match.proto, 1);
	assert_int_equal(r->match.icmp_type, 8);
	assert_int_equal(r->queue, 4);

	r = &cf.rules[10];  /* pass proto 132 from host($lan, 5)/32 tos 0x10 */
	m = &r->match;
	assert_int_equal(r->dir, RULE_DIR_ANY);
	assert_int_equal(m->proto, 132);
	expect_prefix(&m->src, "10.2.1.5/32");
	assert_int_equal(m->tos_value, 0x10);
	assert_int_equal(m->tos_mask, 0xff);
	assert_int_equal(r->queue, 3);
	config_free(&cf);
}

/* Rules without any qos block are a filter; mss-clamp and units. */
static void
test_misc(void **state)
{
	struct config cf;

	(void)state;
	load_ok(HEAD "block in proto tcp to port ssh\npass all\n", &cf);
	assert_false(cf.qos.enabled);
	assert_int_equal(cf.nrules, 2);
	assert_int_equal(cf.rules[0].match.dport_lo, 22);
	assert_int_equal(cf.rules[1].match.af, AF_UNSPEC);
	config_free(&cf);

	load_ok(HEAD "qos {\n bandwidth 2 Gbit\n class a rate 1000000 default\n"
	    " class b rate 1Gb priority 7 borrow ceil 2gbit\n}\n", &cf);
	assert_int_equal(cf.qos.bandwidth, 2000000000ULL);
	assert_int_equal(cf.qos.tunnel_mtu, 0);
	assert_false(cf.qos.mss_clamp);
	assert_int_equal(cf.qos.classes[0].rate, 1000000);
	assert_int_equal(cf.qos.classes[1].rate, 1000000000ULL);
	assert_int_equal(cf.qos.classes[1].ceil, 2000000000ULL);
	config_free(&cf);

	load_ok(HEAD "qos { bandwidth 1Mbit; tunnel-mtu 1400; mss-clamp no\n"
	    " class a rate 1Mbit default }\n", &cf);
	assert_int_equal(cf.qos.tunnel_mtu, 1400);
	assert_false(cf.qos.mss_clamp);
	config_free(&cf);
}

struct bad {
	const char *text;
	const char *msg;        /* substring of the message */
};

#define Q(classes) HEAD "qos {\n bandwidth 128kbit\n" classes "}\n"
#define DEF " class d rate 10kbit default\n"

static const struct bad bad[] = {
	/* values */
	{ Q(" class a rate 10kbps default\n"),
	  "site.conf:11: unknown unit \"kbps\" in \"10kbps\" after \"rate\", "
	  "expected bit, kbit, Mbit, Gbit, b, Kb, Mb or Gb" },
	{ Q(" class a rate 0 default\n"),
	  "site.conf:11: rate 0 is out of range, expected 1bit..100Gbit" },
	{ Q(" class a rate 0kbit default\n"),
	  "site.conf:11: rate 0kbit is out of range" },
	{ Q(" class a rate 99999999999999999999999 default\n"),
	  "site.conf:11: rate 99999999999999999999999 is out of range" },
	{ Q(" class a rate 1.5Mbit default\n"),
	  "site.conf:11: \"1.5Mbit\" after \"rate\" is not a whole number" },
	{ Q(" class a rate fast default\n"),
	  "site.conf:11: expected a rate such as 64kbit after \"rate\", got "
	  "\"fast\"" },
	{ HEAD "qos {\n bandwidth 200Gbit\n}\n",
	  "site.conf:10: bandwidth 200Gbit is out of range" },
	{ Q(" class a rate 10kbit priority 8 default\n"),
	  "site.conf:11: priority 8 is out of range, expected 0..7" },
	{ Q(" class a rate 10kbit limit 20000 packets default\n"),
	  "site.conf:11: limit 20000 packets is out of range, expected "
	  "1..16384 packets" },
	{ Q(" class a rate 10kbit limit 20 frames default\n"),
	  "site.conf:11: expected a class option (rate, priority, borrow, "
	  "ceil, limit, default, codel, target, interval, parent or bridge) in "
	  "class \"a\", got \"frames\"" },
	{ Q(" class a rate 10kbit limit 20kb default\n"),
	  "site.conf:11: unknown unit \"kb\" in \"20kb\" after \"limit\", "
	  "expected packets, bytes or ms" },
	{ Q(" class a rate 10kbit fast default\n"),
	  "site.conf:11: expected a class option (rate, priority, borrow, "
	  "ceil, limit, default, codel, target, interval, parent or bridge) in "
	  "class \"a\", got \"fast\"" },
	{ Q(" class a rate 10kbit rate 20kbit default\n"),
	  "site.conf:11: \"rate\" given twice in class \"a\"" },
	{ Q(" class a priority 1 default\n"),
	  "site.conf:11: class \"a\" has no rate" },
	{ Q(" class a rate 10kbit target 5ms default\n"),
	  "site.conf:11: class \"a\": \"target\" needs \"codel\"" },
	{ Q(" class a rate 10kbit codel target 100ms interval 100ms default\n"),
	  "site.conf:11: class \"a\": codel target 100000us must be below its "
	  "interval 100000us" },
	{ Q(DEF " class d rate 10kbit\n"),
	  "site.conf:12: class \"d\" is defined twice, first at site.conf:11" },
	/* the tree */
	{ Q(" class a rate 10kbit default\n class b rate 10kbit default\n"),
	  "site.conf:12: class \"b\" is a second default class; \"a\" "
	  "(line 11) is the default already" },
	{ Q(" class a rate 10kbit\n"),
	  "site.conf:9: the qos block has no default class" },
	{ Q(" class a rate 10kbit default\n class b parent a rate 5kbit\n"),
	  "site.conf:11: default class \"a\" has children" },
	{ Q(DEF " class b parent web rate 5kbit\n"),
	  "site.conf:12: class \"b\": unknown parent \"web\"" },
	{ Q(DEF " class b parent web rate 5kbit\n class web rate 10kbit\n"),
	  "site.conf:12: class \"b\": parent \"web\" must be declared before "
	  "its children (it is at line 13)" },
	{ Q(DEF " class a rate 100kbit\n class b rate 20kbit\n"),
	  "site.conf:13: class \"b\": the rates of the top-level classes add "
	  "up to 130kbit, above the bandwidth 128kbit" },
	{ Q(DEF " class a rate 10kbit\n class b parent a rate 6kbit\n"
	    " class c parent a rate 5kbit\n"),
	  "site.conf:14: class \"c\": the rates of the children of \"a\" add up "
	  "to 11kbit, above its rate 10kbit" },
	{ Q(" class a rate 200kbit default\n"),
	  "site.conf:11: class \"a\": rate 200kbit is above the bandwidth "
	  "128kbit" },
	{ Q(" class a rate 20kbit ceil 10kbit default\n"),
	  "site.conf:11: class \"a\": ceil 10kbit is below its rate 20kbit" },
	{ Q(" class a rate 20kbit ceil 1Mbit default\n"),
	  "site.conf:11: class \"a\": ceil 1Mbit is above the bandwidth "
	  "128kbit" },
	{ Q(DEF " class a rate 20kbit\n class b parent a rate 5kbit ceil 30kbit\n"),
	  "site.conf:13: class \"b\": ceil 30kbit is above the ceil 20kbit of "
	  "its parent \"a\"" },
	{ HEAD "qos {\n class a rate 10kbit default\n}\n",
	  "site.conf:9: the qos block has no bandwidth" },
	{ HEAD "qos {\n bandwidth 1Mbit\n}\n",
	  "site.conf:9: the qos block has no class" },
	{ Q(DEF) "qos {\n bandwidth 1Mbit\n class a rate 1kbit default\n}\n",
	  "site.conf:13: a second qos block; the qos block is already defined "
	  "at site.conf:9" },
	{ HEAD "qos {\n bandwidth 1Mbit\n tunnel-mtu 100\n}\n",
	  "site.conf:11: tunnel-mtu 100 is out of range, expected 576..9000" },
	{ HEAD "qos {\n bandwidth 1Mbit\n colour red\n}\n",
	  "site.conf:11: unknown keyword \"colour\" in qos block" },
	{ HEAD "qos {\n bandwidth 1Mbit\n" DEF "pass out\n",
	  "site.conf:12: expected '}' to close the qos block of line 9 before "
	  "\"pass\"" },
	{ HEAD "qos bandwidth 1Mbit\n",
	  "site.conf:9: expected '{' after \"qos\", got \"bandwidth\"" },
	{ "site \"s\" {\n network 10.1.0.0/24\n mtu 1000\n}\n" PEER
	  "qos {\n bandwidth 1Mbit\n tunnel-mtu 1400\n" DEF "}\n",
	  "site.conf:10: tunnel-mtu 1400 is above the site's mtu 1000" },
	/* rules */
	{ Q(DEF) "pass out queue nosuch\n",
	  "site.conf:13: unknown queue \"nosuch\"; the qos block at "
	  "site.conf:9 has no such class" },
	{ Q(DEF " class web rate 10kbit\n class bulk parent web rate 5kbit\n")
	  "pass out queue web\n",
	  "site.conf:15: queue \"web\" is not a leaf class (\"bulk\" is its "
	  "child)" },
	{ HEAD "pass out queue audio\n",
	  "site.conf:9: queue \"audio\" needs a qos block, and there is none" },
	{ HEAD "pass out meter m\n",
	  "site.conf:9: unknown meter \"m\"; no meter statement defines it" },
	{ HEAD "block out proto udp queue audio\n",
	  "site.conf:9: a block rule cannot have a queue" },
	{ HEAD "block out meter m\n",
	  "site.conf:9: a block rule cannot have a meter" },
	{ Q(DEF) "pass in queue d\n",
	  "site.conf:13: a queue applies to outgoing packets" },
	{ HEAD "pass out proto tcp icmp-type 8\n",
	  "site.conf:9: icmp-type needs \"proto icmp\" or \"proto icmp6\"" },
	{ HEAD "pass out icmp-type 8\n",
	  "site.conf:9: icmp-type needs \"proto icmp\" or \"proto icmp6\"" },
	{ HEAD "pass out proto icmp icmp-type toobig\n",
	  "site.conf:9: unknown icmp-type \"toobig\" for proto icmp" },
	{ HEAD "pass out from 10.0.0.0/8 to fd00::/8\n",
	  "site.conf:9: rule mixes address families: \"from\" is IPv4, \"to\" "
	  "is IPv6" },
	{ HEAD "pass out inet6 from 10.0.0.0/8\n",
	  "site.conf:9: \"inet6\" rule with an IPv4 address" },
	{ HEAD "pass out inet6 proto icmp\n",
	  "site.conf:9: proto icmp is for IPv4; use \"proto icmp6\" in an IPv6 "
	  "rule" },
	{ HEAD "pass out proto icmp to any port 80\n",
	  "site.conf:9: \"port\" needs a protocol with ports (tcp, udp, sctp or "
	  "udplite), not proto icmp" },
	{ HEAD "pass out proto 47 from any port 80\n",
	  "site.conf:9: \"port\" needs a protocol with ports (tcp, udp, sctp or "
	  "udplite), not proto gre" },
	{ HEAD "pass out proto tcp port 80\n",
	  "site.conf:9: \"port\" belongs to \"from\" or \"to\": write \"to "
	  "port N\" or \"from any port N\"" },
	{ HEAD "pass out proto tcp from any to any port 80 port 81\n",
	  "site.conf:9: \"port\" belongs to \"from\" or \"to\"" },
	{ HEAD "pass out proto tcp to port 443:80\n",
	  "site.conf:9: port range 443:80 is empty" },
	{ HEAD "pass out proto tcp to port 70000\n",
	  "site.conf:9: port 70000 is out of range, expected 0..65535" },
	{ HEAD "pass out proto tcp to port www\n",
	  "site.conf:9: expected a port (0..65535, a range such as 80:443, or "
	  "one of ssh" },
	{ HEAD "pass out proto xtp\n",
	  "site.conf:9: unknown protocol \"xtp\", expected tcp, udp, icmp, "
	  "icmp6, sctp, udplite, esp, gre or a number 0..255" },
	{ HEAD "pass out proto 256\n",
	  "site.conf:9: proto 256 is out of range, expected 0..255" },
	{ HEAD "pass out dscp af44\n",
	  "site.conf:9: expected a DSCP (be, cs0..cs7, af11..af43, ef, va or "
	  "0..63) after \"dscp\", got \"af44\"" },
	{ HEAD "pass out dscp 64\n",
	  "site.conf:9: dscp 64 is out of range, expected 0..63" },
	{ HEAD "pass out dscp ef tos 0xb8\n",
	  "site.conf:9: \"tos\" cannot be combined with \"dscp\" in one rule" },
	{ HEAD "pass out tos 0xb9/0xfc\n",
	  "site.conf:9: tos 0xb9/0xfc: the value has bits outside the mask" },
	{ HEAD "pass in out\n",
	  "site.conf:9: \"out\" cannot be combined with \"in\" in one rule" },
	{ HEAD "pass out proto tcp proto udp\n",
	  "site.conf:9: \"proto\" given twice in the rule" },
	{ HEAD "pass out on eth0\n",
	  "site.conf:9: expected tun or tap after \"on\", got \"eth0\"" },
	{ HEAD "pass out quick\n",
	  "site.conf:9: expected in, out, on, inet, inet6, proto, from, to, "
	  "all, dscp, tos, icmp-type, queue or meter in the \"pass\" rule, got "
	  "\"quick\"" },
	{ HEAD "pass out from 10.1.0.300\n",
	  "site.conf:9: expected an address or prefix after \"from\", got "
	  "\"10.1.0.300\"" },
	/* meters */
	{ HEAD "meter v trtcm cir 20kbit cbs 3000 pir 10kbit pbs 6000\n",
	  "site.conf:9: meter \"v\": pir 10kbit is below cir 20kbit; RFC 2698 "
	  "requires pir >= cir" },
	{ HEAD "meter v srtcm cir 20kbit cbs 3000\n",
	  "site.conf:9: meter \"v\": srtcm needs \"ebs\"" },
	{ HEAD "meter v trtcm cir 20kbit cbs 3000 pbs 3000\n",
	  "site.conf:9: meter \"v\": trtcm needs \"pir\"" },
	{ HEAD "meter v srtcm cir 20kbit cbs 3000 ebs 0 pir 30kbit\n",
	  "site.conf:9: meter \"v\": \"pir\" is not a parameter of srtcm" },
	{ HEAD "meter v xtcm cir 1kbit\n",
	  "site.conf:9: expected srtcm or trtcm after \"v\", got \"xtcm\"" },
	{ HEAD "meter v srtcm cir 1kbit cbs 0 ebs 0\n",
	  "site.conf:9: cbs 0 is out of range, expected 1..4294967295 bytes" },
	{ HEAD "meter v srtcm cir 1kbit cbs 1 ebs 0 red paint\n",
	  "site.conf:9: expected pass, drop or mark after \"red\", got "
	  "\"paint\"" },
	{ HEAD "meter v srtcm cir 1kbit cbs 1 ebs 0 red mark 99\n",
	  "site.conf:9: mark 99 is out of range, expected 0..63" },
	{ HEAD "meter v srtcm cir 1kbit cbs 1 ebs 0\n"
	  "meter v srtcm cir 1kbit cbs 1 ebs 0\n",
	  "site.conf:10: meter \"v\" is defined twice, first at site.conf:9" },
	{ HEAD "meter v srtcm cir 1kbit cbs 1 ebs 0 color-aware color-blind\n",
	  "site.conf:9: \"color-aware/blind\" given twice in meter \"v\"" },
	/* top level */
	{ HEAD "shaper {\n}\n",
	  "site.conf:9: unknown keyword \"shaper\", expected site, peer, qos, "
	  "meter, pass, block, include or a macro definition" },
};

static void
test_errors(void **state)
{
	struct config cf;
	struct conf_error err;
	size_t i;

	(void)state;
	put_default_key("k.key");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (config_load_string("site.conf", bad[i].text, tdir, &cf,
		    &err) != -1) {
			config_free(&cf);
			fail_msg("case %zu loaded, expected \"%s\"", i,
			    bad[i].msg);
		}
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", expected \"%s\"", i,
			    err.msg, bad[i].msg);
		/* Nothing is left allocated on error (ASan checks the rest). */
		assert_null(cf.rules);
		assert_null(cf.meters);
		assert_int_equal(cf.nrules, 0);
	}
}

static char *
slurp_example(const char *file)
{
	char path[PATH_MAX];
	size_t n = strlen(TEST_DATA_DIR) - strlen("/tests/data");

	snprintf(path, sizeof(path), "%.*s/conf/examples/%s", (int)n,
	    TEST_DATA_DIR, file);
	return slurp(path);
}

/* conf/examples/remote.conf: the paper's uplink, sized for the wire. */
static void
test_example(void **state)
{
	struct config cf;
	char dir[PATH_MAX], *text;
	const struct qos_conf *q;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/keys", tdir);
	mkdir(dir, 0700);
	put_example_key("keys/physician1.key");
	text = slurp_example("remote.conf");
	load_ok(text, &cf);
	free(text);
	q = &cf.qos;
	assert_true(q->enabled);
	assert_int_equal(q->bandwidth, 128000);
	assert_int_equal(q->tunnel_mtu, 576);
	assert_true(q->mss_clamp);
	assert_int_equal(q->nclasses, 5);
	assert_string_equal(q->classes[0].name, "audio");
	assert_int_equal(q->classes[0].prio, 0);
	assert_string_equal(q->classes[3].name, "video");
	assert_true(q->classes[3].is_default);
	assert_true(q->classes[3].codel);
	assert_int_equal(q->classes[3].ceil, 128000);
	/* the tap's IPX frames have their own class */
	assert_string_equal(cf.site.tap, "ipx0");
	assert_false(cf.site.bridge_all);
	assert_int_equal(q->bridge_class, 4);
	assert_string_equal(q->classes[4].name, "netware");
	assert_int_equal(q->classes[4].ceil, 64000);
	assert_int_equal(cf.nmeters, 1);
	assert_int_equal(cf.nrules, 5);
	assert_int_equal(cf.rules[0].queue, 0);
	assert_int_equal(cf.rules[0].match.tos_value, 0xb8);
	assert_int_equal(cf.rules[1].queue, 1);
	assert_int_equal(cf.rules[1].match.dport_lo, 5000);
	expect_prefix(&cf.rules[1].match.dst, "10.1.0.0/24");
	assert_int_equal(cf.rules[2].queue, 2);
	expect_prefix(&cf.rules[2].match.src, "10.2.1.0/24");
	expect_prefix(&cf.rules[2].match.dst, "172.16.0.0/16");
	assert_int_equal(cf.rules[3].match.dport_lo, 443);
	assert_int_equal(cf.rules[4].queue, -1);
	assert_int_equal(cf.rules[4].meter, 0);
	config_free(&cf);
}

/* A qos block in an included file: errors name that file. */
static void
test_include(void **state)
{
	struct config cf;
	struct conf_error err;

	(void)state;
	put_default_key("k.key");
	put_file("qos.conf", "qos {\n bandwidth 128kbit\n"
	    " class a rate 10kbit\n}\n", 0644);
	assert_int_equal(config_load_string("site.conf",
	    HEAD "include \"qos.conf\"\n", tdir, &cf, &err), -1);
	assert_non_null(strstr(err.msg, "/qos.conf:1: the qos block has no "
	    "default class"));
	put_file("qos.conf", "qos {\n bandwidth 128kbit\n"
	    " class a rate 10kbit default\n}\n", 0644);
	assert_int_equal(config_load_string("site.conf",
	    HEAD "include \"qos.conf\"\npass out queue b\n", tdir, &cf, &err),
	    -1);
	assert_non_null(strstr(err.msg, "site.conf:10: unknown queue \"b\"; "
	    "the qos block at "));
	assert_non_null(strstr(err.msg, "/qos.conf:1 has no such class"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qos_block),
		cmocka_unit_test(test_meters),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, tdir_setup, tdir_teardown);
}

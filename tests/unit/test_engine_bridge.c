/* The engine's bridge without devices: engine_new derives the
 * tap MTU from the tunnel and refuses an explicit one that does not fit;
 * frames from a peer are decapsulated, selected, learned, flooded to the
 * tap (the device double's socketpair) within the flood limit, and every drop is
 * counted by its reason; `out` rules that frames without IP can match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipx/etherip.h"
#include "src/datapath/datapath.h"
#include "src/datapath/qos.h"
#include "src/net/dev_double.h"
#include "tests/unit/conf_testutil.h"

/* A key file for each peer (every SA needs its own key): aes-gcm-256,
 * 2 x (32 key + 4 salt). */
static int
setup(void **state)
{
	char *k;

	if (tdir_setup(state) == -1 || (k = key_hex(72, 1)) == NULL)
		return -1;
	put_file("k.key", k, 0600);
	free(k);
	if ((k = key_hex(72, 100)) == NULL)
		return -1;
	put_file("q.key", k, 0600);
	free(k);
	return 0;
}

/* A central site with two remote peers; site_extra goes into the site
 * block, peer_extra into peer "q". */
static struct engine *
engine_with(struct config *cf, const char *site_extra, const char *q_extra,
    const char *top_extra)
{
	struct conf_error err;
	char text[2048];

	snprintf(text, sizeof(text),
	    "site \"c\" {\n network 10.1.0.0/24\n state-file \"%s/s.state\"\n"
	    " control \"%s/c.sock\"\n%s}\n"
	    "peer \"p\" {\n network 10.1.1.0/24\n endpoint 198.18.1.2\n"
	    " cipher aes-gcm\n key \"k.key\"\n}\n"
	    "peer \"q\" {\n network 10.1.2.0/24\n endpoint 198.18.2.2\n"
	    " cipher aes-gcm\n key \"q.key\"\n%s}\n%s", tdir, tdir, site_extra,
	    q_extra, top_extra);
	if (config_load_string("site.conf", text, tdir, cf, &err) == -1)
		fail_msg("config: %s", err.msg);
	return engine_new(cf);
}

static void
test_mtu(void **state)
{
	struct config *cf = calloc(1, sizeof(*cf));
	struct engine *e;
	size_t fit;

	(void)state;
	e = engine_with(cf, " tap vtap0\n", "", "");
	assert_non_null(e);
	assert_non_null(e->br);
	/* IPv4 UDP, aes-gcm: what the tun loses, and EtherIP + Ethernet. */
	fit = 1500 - peer_overhead(&e->peers[0], AF_INET) - 2;
	assert_int_equal(e->br->frame_max, fit);
	assert_int_equal(e->br->mtu, fit - 14);
	assert_int_equal(e->br->mode, BRIDGE_MODE_IPX);
	assert_true(e->peers[0].bridge_port && e->peers[1].bridge_port);
	engine_free(e);
	free(cf);

	/* Exactly what fits is fine; one more byte is not. */
	cf = calloc(1, sizeof(*cf));
	{
		char site[64];

		snprintf(site, sizeof(site), " tap vtap0 mtu %zu\n", fit - 14);
		e = engine_with(cf, site, "", "");
		assert_non_null(e);
		engine_free(e);
		free(cf);
		cf = calloc(1, sizeof(*cf));
		snprintf(site, sizeof(site), " tap vtap0 mtu %zu\n", fit - 13);
		e = engine_with(cf, site, "", "");
		assert_null(e);
		config_free(cf);
	}
	free(cf);

	/* No tap, no bridge. */
	cf = calloc(1, sizeof(*cf));
	e = engine_with(cf, "", "", "");
	assert_non_null(e);
	assert_null(e->br);
	engine_free(e);
	free(cf);
}

/* EtherIP + an IPX frame (Ethernet II) from src to dst into pk. */
static void
frame(struct pkt *pk, const char *dst, uint8_t src_last, uint16_t type,
    const uint8_t hdr[2])
{
	uint8_t *d;

	pkt_reset(pk);
	d = pkt_data(pk);
	memset(d, 0, 2 + 14 + 46);
	memcpy(d, hdr, 2);
	memcpy(d + 2, dst, 6);
	memcpy(d + 8, "\x02\x00\x00\x00\x00", 5);
	d[13] = src_last;
	d[14] = (uint8_t)(type >> 8);
	d[15] = (uint8_t)type;
	d[16] = d[17] = 0xff;           /* IPX checksum */
	d[19] = 46;                     /* IPX length */
	pk->len = 2 + 14 + 46;
}

static const char bcast[] = "\xff\xff\xff\xff\xff\xff";

/* The tap made by the device double (src/net/dev_double.h): opened and
 * configured as engine_start would; returns the test's end. */
static int
tap_double(struct engine *e, struct dev_double *dd)
{
	const struct dev_double_port *tap = &dd->port[DEV_TAP];

	dev_double_init(dd);
	engine_set_dev_ops(e, &dev_ops_double, dd);
	assert_int_equal(ebridge_open(e), 0);
	assert_int_equal(tap->opens, 1);
	assert_string_equal(tap->name, "vtap0");
	assert_string_equal(e->br->name, "vtap0");
	assert_false(tap->asked_offload);
	assert_int_equal(tap->mtu, e->br->mtu);
	assert_true(tap->up);
	assert_true(tap->fd >= 0);
	return tap->fd;
}

/* Reads one frame from the tap side, or returns 0 if none is waiting. */
static ssize_t
tap_got(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	return n < 0 ? 0 : n;
}

static void
test_from_peer(void **state)
{
	static const uint8_t rfc[2] = { 0x30, 0x00 }, bsd[2] = { 0x00, 0x30 },
	    bad[2] = { 0x40, 0x00 };
	struct config *cf = calloc(1, sizeof(*cf));
	struct pkt *pk = calloc(1, sizeof(*pk));
	struct dev_double dd;
	struct engine *e;
	struct peer *p, *q;
	uint8_t buf[2048];
	int sv[2];

	(void)state;
	e = engine_with(cf, " tap vtap0\n bridge-flood 1 burst 3\n", "", "");
	assert_non_null(e);
	sv[1] = tap_double(e, &dd);
	p = &e->peers[0];
	q = &e->peers[1];

	/* A broadcast reaches the tap once, byte for byte, in both
	 * EtherIP byte orders. */
	frame(pk, bcast, 1, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, p, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 60);
	assert_int_equal(buf[11], 1);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 0);
	frame(pk, bcast, 1, 0x8137, bsd);
	assert_int_equal(ebridge_from_peer(e, p, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 60);
	assert_int_equal(p->br.frames_in, 2);
	assert_int_equal(p->br.bytes_in, 120);
	assert_int_equal(bridge_count(e->br->tab, 0) >= 1, 1);

	/* Unicast to the MAC learned on p, from q: goes to p (which has
	 * no socket here), not to the tap; learned on q. */
	frame(pk, "\x02\x00\x00\x00\x00\x01", 2, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, q, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 0);
	assert_int_equal(q->br.frames_in, 1);
	/* Back to q's MAC from p: to q, again not the tap. */
	frame(pk, "\x02\x00\x00\x00\x00\x02", 1, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, p, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 0);

	/* Drops by reason. */
	frame(pk, bcast, 1, 0x8137, bad);
	assert_int_equal(ebridge_from_peer(e, p, pk), -1);
	assert_int_equal(p->br.drops[BR_PEER_ETHERIP], 1);
	frame(pk, bcast, 1, 0x8137, rfc);
	pk->len = 2 + 13;
	assert_int_equal(ebridge_from_peer(e, p, pk), -1);
	assert_int_equal(p->br.drops[BR_PEER_ETHERIP], 2);
	frame(pk, bcast, 1, 0x0806, rfc);
	assert_int_equal(ebridge_from_peer(e, p, pk), 0);
	assert_int_equal(p->br.drops[BR_PEER_NOT_SELECTED], 1);
	/* Burst 3 at 1/s: the third broadcast from p in this second is over
	 * (two went before). */
	frame(pk, bcast, 1, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, p, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 60);
	frame(pk, bcast, 1, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, p, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 0);
	assert_int_equal(p->br.drops[BR_PEER_FLOOD], 1);
	/* Two broadcasts, one unicast, one broadcast: the dropped ones
	 * (EtherIP, not selected, flood) are not frames in. */
	assert_int_equal(p->br.frames_in, 4);
	/* q's bucket is its own. */
	frame(pk, bcast, 2, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, q, pk), 0);
	assert_int_equal(tap_got(sv[1], buf, sizeof(buf)), 60);
	engine_free(e);
	assert_int_equal(dd.port[DEV_TAP].closes, 1);
	dev_double_cleanup(&dd);
	free(cf);
	free(pk);
}

static void
test_no_tap(void **state)
{
	static const uint8_t rfc[2] = { 0x30, 0x00 };
	struct config *cf = calloc(1, sizeof(*cf));
	struct pkt *pk = calloc(1, sizeof(*pk));
	struct engine *e;

	(void)state;
	e = engine_with(cf, "", "", "");
	assert_non_null(e);
	frame(pk, bcast, 1, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, &e->peers[0], pk), -1);
	assert_int_equal(e->peers[0].br.drops[BR_PEER_NO_TAP], 1);
	engine_free(e);
	free(cf);

	/* A tap, but q is no bridge port. */
	cf = calloc(1, sizeof(*cf));
	e = engine_with(cf, " tap vtap0\n", " bridge no\n", "");
	assert_non_null(e);
	assert_false(e->peers[1].bridge_port);
	frame(pk, bcast, 1, 0x8137, rfc);
	assert_int_equal(ebridge_from_peer(e, &e->peers[1], pk), -1);
	assert_int_equal(e->peers[1].br.drops[BR_PEER_NO_TAP], 1);
	engine_free(e);
	free(cf);
	free(pk);
}

/* Hostile input: random lengths and bytes after ESP never crash, and
 * each frame ends in exactly one of: accepted, or a counted drop. */
static void
test_random(void **state)
{
	struct config *cf = calloc(1, sizeof(*cf));
	struct pkt *pk = calloc(1, sizeof(*pk));
	uint64_t before, after;
	struct dev_double dd;
	struct engine *e;
	struct peer *p;
	uint8_t buf[2048];
	int sv[2], i, d;
	size_t j;

	(void)state;
	e = engine_with(cf, " tap vtap0\n bridge all\n bridge-flood 0\n", "",
	    "");
	assert_non_null(e);
	sv[1] = tap_double(e, &dd);
	p = &e->peers[0];
	srandom(4);
	for (i = 0; i < 20000; i++) {
		pkt_reset(pk);
		pk->len = (size_t)(random() % 120);
		for (j = 0; j < pk->len; j++)
			pkt_data(pk)[j] = (uint8_t)random();
		/* Mostly valid headers, so frames get past EtherIP. */
		if (pk->len >= 2 && i % 4 != 0) {
			pkt_data(pk)[0] = i % 2 ? 0x30 : 0x00;
			pkt_data(pk)[1] = i % 2 ? 0x00 : 0x30;
		}
		for (before = p->br.frames_in, d = 0; d < BR_PEER_DROP_MAX; d++)
			before += p->br.drops[d];
		(void)ebridge_from_peer(e, p, pk);
		for (after = p->br.frames_in, d = 0; d < BR_PEER_DROP_MAX; d++)
			after += p->br.drops[d];
		assert_int_equal(after, before + 1);
		while (tap_got(sv[1], buf, sizeof(buf)) > 0)
			;
	}
	assert_true(p->br.frames_in > 0);
	assert_true(p->br.drops[BR_PEER_ETHERIP] > 0);
	engine_free(e);
	assert_int_equal(dd.port[DEV_TAP].closes, 1);
	dev_double_cleanup(&dd);
	free(cf);
	free(pk);
}

static void
test_nonip_rule(void **state)
{
	struct conf_error err;
	struct config cf;
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "site \"c\" {\n network 10.1.0.0/24\n"
	    " tap t\n}\npeer \"p\" {\n network 10.1.1.0/24\n endpoint "
	    "198.18.1.2\n cipher aes-gcm\n key \"k.key\"\n}\n"
	    "block out on tap proto udp\n"     /* IP condition */
	    "pass in on tap\n"                 /* wrong direction */
	    "pass out on tun\n"                /* wrong device */
	    "block out on tap inet\n"          /* a family is an IP condition */
	    "block out on tap dscp ef\n"
	    "pass out on tap\n"                /* the one: index 5 */
	    "block out\n");
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf, &err),
	    0);
	assert_int_equal(qos_nonip_rule(&cf), 5);
	config_free(&cf);
	snprintf(text, sizeof(text), "site \"c\" {\n network 10.1.0.0/24\n"
	    " tap t\n}\npeer \"p\" {\n network 10.1.1.0/24\n endpoint "
	    "198.18.1.2\n cipher aes-gcm\n key \"k.key\"\n}\n"
	    "block out to 10.0.0.0/8\nblock out from any port 53\n");
	assert_int_equal(config_load_string("site.conf", text, tdir, &cf, &err),
	    0);
	assert_int_equal(qos_nonip_rule(&cf), -1);
	config_free(&cf);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(br_site_drop_name(BR_SITE_NOT_SELECTED),
	    "not_selected");
	assert_string_equal(br_site_drop_name(BR_SITE_TOO_BIG), "too_big");
	assert_string_equal(br_site_drop_name(BR_SITE_FLOOD), "flood");
	assert_string_equal(br_site_drop_name(BR_SITE_FILTER), "filter");
	assert_string_equal(br_peer_drop_name(BR_PEER_ETHERIP), "etherip");
	assert_string_equal(br_peer_drop_name(BR_PEER_NO_TAP), "no_tap");
	assert_string_equal(br_peer_drop_name(BR_PEER_DROP_MAX), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_from_peer),
		cmocka_unit_test(test_no_tap),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_nonip_rule),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, tdir_teardown);
}

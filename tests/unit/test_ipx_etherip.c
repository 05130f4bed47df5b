/* EtherIP (RFC 3378): round trip, both header byte orders, rejects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipx/etherip.h"

static struct pkt *
frame_pkt(size_t len)
{
	struct pkt *p = calloc(1, sizeof(*p));
	size_t i;

	assert_non_null(p);
	pkt_reset(p);
	for (i = 0; i < len; i++)
		pkt_data(p)[i] = (uint8_t)(i * 7 + 1);
	p->len = len;
	return p;
}

static void
test_roundtrip(void **state)
{
	struct pkt *p = frame_pkt(60);
	uint8_t copy[60];

	(void)state;
	memcpy(copy, pkt_data(p), 60);
	assert_int_equal(etherip_encap(p), ETHERIP_OK);
	assert_int_equal(p->len, 62);
	assert_int_equal(p->off, PKT_HEADROOM - 2);
	assert_int_equal(pkt_data(p)[0], 0x30);
	assert_int_equal(pkt_data(p)[1], 0x00);
	assert_int_equal(etherip_decap(p), ETHERIP_OK);
	assert_int_equal(p->len, 60);
	assert_int_equal(p->off, PKT_HEADROOM);
	assert_memory_equal(pkt_data(p), copy, 60);
	free(p);
}

static void
test_swapped_header(void **state)
{
	struct pkt *p = frame_pkt(16);

	(void)state;
	p->off -= 2;
	p->len += 2;
	pkt_data(p)[0] = 0x00;	/* FreeBSD gif(4) byte order */
	pkt_data(p)[1] = 0x30;
	assert_int_equal(etherip_decap(p), ETHERIP_OK);
	assert_int_equal(p->len, 16);
	assert_int_equal(pkt_data(p)[0], 1);
	free(p);
}

static void
test_rejects(void **state)
{
	static const uint8_t bad[][2] = {
		{ 0x00, 0x00 }, { 0x20, 0x00 }, { 0x40, 0x00 }, { 0x30, 0x01 },
		{ 0x31, 0x00 }, { 0x03, 0x00 }, { 0x00, 0x03 }, { 0x30, 0x30 },
		{ 0xff, 0xff }, { 0x00, 0x31 }, { 0x10, 0x30 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pkt *p = frame_pkt(16);

		pkt_data(p)[0] = bad[i][0];
		pkt_data(p)[1] = bad[i][1];
		assert_int_equal(etherip_decap(p), ETHERIP_BAD_VERSION);
		assert_int_equal(p->len, 16);	/* untouched */
		assert_int_equal(p->off, PKT_HEADROOM);
		free(p);
	}
}

static void
test_short(void **state)
{
	size_t len;

	(void)state;
	for (len = 0; len < 2 + 14; len++) {
		struct pkt *p = frame_pkt(len);

		if (len >= 1)
			pkt_data(p)[0] = 0x30;
		if (len >= 2)
			pkt_data(p)[1] = 0x00;
		assert_int_equal(etherip_decap(p), ETHERIP_SHORT);
		assert_int_equal(p->len, len);
		free(p);
	}
	{
		struct pkt *p = frame_pkt(16);

		pkt_data(p)[0] = 0x30;
		pkt_data(p)[1] = 0x00;
		assert_int_equal(etherip_decap(p), ETHERIP_OK);
		assert_int_equal(p->len, 14);
		free(p);
	}
}

static void
test_encap_limits(void **state)
{
	struct pkt *p = frame_pkt(13);

	(void)state;
	assert_int_equal(etherip_encap(p), ETHERIP_SHORT);
	p->len = 14;
	p->off = 1;
	assert_int_equal(etherip_encap(p), ETHERIP_NOROOM);
	p->off = 2;
	assert_int_equal(etherip_encap(p), ETHERIP_OK);
	assert_int_equal(p->off, 0);
	assert_string_equal(etherip_result_str(ETHERIP_BAD_VERSION),
	    "bad-version");
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_swapped_header),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_encap_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* cap_find_esp (src/capture.h): where the ESP of a frame is, for each
 * link type and the IPv6 extension headers it walks; and that no prefix
 * of a frame, cut by a snaplen or lying about its lengths, is taken for
 * whole ESP. Each frame is copied to a buffer of its exact size, so an
 * ASan build catches any read past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/capture.h"

#define ESP_LEN 40

static uint8_t frame[256];
static size_t flen;

static void
put(const void *p, size_t n)
{
	memcpy(frame + flen, p, n);
	flen += n;
}

static void
put16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, 2);
}

static void
eth(uint16_t et)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	flen = 0;
	put(macs, sizeof(macs));
	put16(et);
}

static void
ipv4(uint8_t proto, size_t payload, uint16_t frag)
{
	uint8_t h[20] = { 0x45, 0 };

	h[2] = (uint8_t)((20 + payload) >> 8);
	h[3] = (uint8_t)(20 + payload);
	h[6] = (uint8_t)(frag >> 8);
	h[7] = (uint8_t)frag;
	h[8] = 64;
	h[9] = proto;
	put(h, sizeof(h));
}

static void
ipv6(uint8_t nh, size_t payload)
{
	uint8_t h[40] = { 0x60 };

	h[4] = (uint8_t)(payload >> 8);
	h[5] = (uint8_t)payload;
	h[6] = nh;
	h[7] = 64;
	put(h, sizeof(h));
}

static void
udp(uint16_t sport, uint16_t dport, size_t payload)
{
	put16(sport);
	put16(dport);
	put16((uint16_t)(8 + payload));
	put16(0);
}

/* ESP_LEN bytes: SPI 0x01020304, sequence number 1, then filler. */
static void
esp(void)
{
	uint8_t e[ESP_LEN];

	memset(e, 0xa5, sizeof(e));
	memcpy(e, "\x01\x02\x03\x04\x00\x00\x00\x01", 8);
	put(e, sizeof(e));
}

/* cap_find_esp on the first caplen bytes of frame, copied to a buffer
 * of that size. */
static enum cap_kind
find(int lt, size_t caplen, size_t wirelen, struct cap_esp *ce,
    size_t *esp_off)
{
	uint8_t *b = malloc(caplen > 0 ? caplen : 1);
	enum cap_kind k;

	assert_non_null(b);
	memcpy(b, frame, caplen);
	k = cap_find_esp(lt, b, caplen, wirelen, CAP_NATT_PORT, ce);
	if (k == CAP_ESP) {
		assert_true(ce->esp >= b && ce->len <= caplen &&
		    (size_t)(ce->esp - b) <= caplen - ce->len);
		*esp_off = (size_t)(ce->esp - b);
	}
	free(b);
	return k;
}

/* The whole frame: ESP at off, ESP_LEN bytes. Every prefix: cut ESP
 * (once the headers that make it ESP are in, from `known` bytes on) or
 * a frame too short, never whole ESP; a prefix claiming to be the whole
 * frame is never ESP either. */
static void
check_frame(int lt, size_t off, size_t known)
{
	struct cap_esp ce;
	size_t n, at = 0;
	enum cap_kind k;

	assert_int_equal(find(lt, flen, flen, &ce, &at), CAP_ESP);
	assert_int_equal(at, off);
	assert_int_equal(ce.len, ESP_LEN);
	for (n = 0; n < flen; n++) {
		k = find(lt, n, flen, &ce, &at);
		if (n >= known)
			assert_int_equal(k, CAP_ESP_CUT);
		else
			assert_int_equal(k, CAP_BAD);
		assert_int_not_equal(find(lt, n, n, &ce, &at), CAP_ESP);
	}
}

static void
test_ipv4_udp(void **state)
{
	struct cap_esp ce;
	size_t at;

	(void)state;
	eth(0x0800);
	ipv4(17, 8 + ESP_LEN, 0);
	udp(4500, 4500, ESP_LEN);
	esp();
	/* Ports and length tell ESP in UDP before the checksum is in. */
	check_frame(CAP_LT_EN10MB, 14 + 20 + 8, 14 + 20 + 6);
	/* Ethernet padding behind the IP packet is not ESP; the snaplen
	 * cutting only that padding cuts nothing. */
	memset(frame + flen, 0, 6);
	flen += 6;
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at), CAP_ESP);
	assert_int_equal(ce.len, ESP_LEN);
	assert_int_equal(find(CAP_LT_EN10MB, flen - 3, flen, &ce, &at),
	    CAP_ESP);
	assert_int_equal(ce.len, ESP_LEN);
}

static void
test_ipv4_raw_esp_and_vlan(void **state)
{
	(void)state;
	eth(0x8100);
	put16(7);
	put16(0x88a8);
	put16(8);
	put16(0x0800);
	ipv4(50, ESP_LEN, 0);
	esp();
	check_frame(CAP_LT_EN10MB, 22 + 20, 22 + 20);
}

static void
test_ipv4_bad(void **state)
{
	struct cap_esp ce;
	size_t at;

	(void)state;
	eth(0x0800);
	ipv4(50, ESP_LEN, 0);
	esp();
	frame[14] = 0x44;                       /* IHL 4 */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at), CAP_BAD);
	frame[14] = 0x45;
	frame[16] = 0;
	frame[17] = 19;                         /* total < header */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at), CAP_BAD);
	frame[17] = 20 + ESP_LEN;
	frame[14] = 0x65;                       /* IPv6 in an IPv4 frame */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at), CAP_BAD);
	frame[14] = 0x45;
	frame[20] = 0x20;                       /* MF: a first fragment */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_FRAGMENT);
	frame[20] = 0x00;
	frame[21] = 0x10;                       /* a later one */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_FRAGMENT);
}

static void
test_ipv6_ext(void **state)
{
	static const uint8_t hbh[8] = { 43, 0, 1, 4, 0, 0, 0, 0 };
	static const uint8_t rt[16] = { 60, 1, 0, 0 };
	static const uint8_t dst[8] = { 51, 0, 1, 4, 0, 0, 0, 0 };
	static const uint8_t ah[24] = { 44, 4 };       /* (4 + 2) * 4 */
	static const uint8_t frag0[8] = { 50, 0, 0, 0 };  /* atomic */
	size_t hdrs = 8 + 16 + 8 + 24 + 8;

	(void)state;
	eth(0x86dd);
	ipv6(0, hdrs + ESP_LEN);
	put(hbh, 8);
	put(rt, 16);
	put(dst, 8);
	put(ah, 24);
	put(frag0, 8);
	esp();
	check_frame(CAP_LT_EN10MB, 14 + 40 + hdrs, 14 + 40 + hdrs);
}

static void
test_ipv6_fragment_mobility_jumbo(void **state)
{
	static const uint8_t later[8] = { 50, 0, 0x00, 0x08 };
	static const uint8_t first[8] = { 50, 0, 0x00, 0x01 };
	static const uint8_t mob[8] = { 50, 0 };
	struct cap_esp ce;
	size_t at;

	(void)state;
	eth(0x86dd);
	ipv6(44, 8 + ESP_LEN);
	put(later, 8);
	esp();
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_FRAGMENT);
	memcpy(frame + 54, first, 8);
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_FRAGMENT);
	memcpy(frame + 54, mob, 8);
	frame[20] = 135;
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_UNHANDLED);
	frame[18] = frame[19] = 0;              /* payload length 0 */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_UNHANDLED);
}

static void
test_udp_not_esp(void **state)
{
	struct cap_esp ce;
	size_t at;

	(void)state;
	eth(0x0800);
	ipv4(17, 8 + ESP_LEN, 0);
	udp(4500, 4500, ESP_LEN);
	esp();
	memset(frame + 42, 0, 4);               /* non-ESP marker: IKE */
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_OTHER);
	assert_string_equal(ce.why, "ike");
	eth(0x0800);
	ipv4(17, 9, 0);
	udp(1234, 4500, 1);
	put("\xff", 1);
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_OTHER);
	assert_string_equal(ce.why, "natt_keepalive");
	eth(0x0800);
	ipv4(17, 8 + ESP_LEN, 0);
	udp(53, 5353, ESP_LEN);
	esp();
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_OTHER);
	/* Another port, when asked for. */
	frame[36] = 0x14;
	frame[37] = 0xe9;                       /* 53 -> 5353 */
	assert_int_equal(cap_find_esp(CAP_LT_EN10MB, frame, flen, flen, 5353,
	    &ce), CAP_ESP);
	frame[38] = 0;
	frame[39] = 7;                          /* UDP length 7 */
	assert_int_equal(cap_find_esp(CAP_LT_EN10MB, frame, flen, flen, 5353,
	    &ce), CAP_BAD);
	eth(0x0806);
	put("arp", 3);
	assert_int_equal(find(CAP_LT_EN10MB, flen, flen, &ce, &at),
	    CAP_OTHER);
}

static void
test_link_types(void **state)
{
	uint8_t ip[20 + ESP_LEN];
	struct cap_esp ce;
	size_t at;

	(void)state;
	flen = 0;
	ipv4(50, ESP_LEN, 0);
	esp();
	memcpy(ip, frame, sizeof(ip));
	check_frame(CAP_LT_RAW, 20, 20);
	check_frame(CAP_LT_IPV4, 20, 20);
	check_frame(CAP_LT_RAW_A, 20, 20);
	/* Linux cooked v1: protocol at 14, 16 bytes. */
	flen = 0;
	put("\0\0\0\1\0\6\2\0\0\0\0\1\0\0", 14);
	put16(0x0800);
	put(ip, sizeof(ip));
	check_frame(CAP_LT_LINUX_SLL, 16 + 20, 16 + 20);
	/* v2: protocol first, 20 bytes. */
	flen = 0;
	put16(0x0800);
	put("\0\0\0\0\0\2\0\1\0\6\2\0\0\0\0\1\0\0", 18);
	put(ip, sizeof(ip));
	check_frame(CAP_LT_LINUX_SLL2, 20 + 20, 20 + 20);
	/* BSD loopback: a 4-byte family, the version nibble decides. */
	flen = 0;
	put("\2\0\0\0", 4);
	put(ip, sizeof(ip));
	check_frame(CAP_LT_NULL, 4 + 20, 4 + 20);
	check_frame(CAP_LT_LOOP, 4 + 20, 4 + 20);
	assert_int_equal(find(147, flen, flen, &ce, &at), CAP_UNHANDLED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_raw_esp_and_vlan),
		cmocka_unit_test(test_ipv4_bad),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ipv6_fragment_mobility_jumbo),
		cmocka_unit_test(test_udp_not_esp),
		cmocka_unit_test(test_link_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* What fits through the tunnel and where IP starts in a frame:
 * frame_max_in_tunnel, frame_tap_mtu and frame_ip_offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipx/frame.h"

static void
test_fit(void **state)
{
	(void)state;
	/* outer-mtu 1500, aes-cbc/hmac-sha1-96 over IPv4 UDP: 20 + 8 + 8
	 * + 16 IV + 15 pad + 2 + 12 ICV = 81 -> 1417-byte frames, MTU 1403. */
	assert_int_equal(frame_max_in_tunnel(1500, 81), 1417);
	assert_int_equal(frame_tap_mtu(1417), 1403);
	/* A frame at the MTU plus 14 fits exactly, with EtherIP's 2. */
	assert_int_equal(frame_tap_mtu(1417) + 14 + 2 + 81, 1500);
	assert_int_equal(frame_max_in_tunnel(100, 98), 0);
	assert_int_equal(frame_max_in_tunnel(100, 99), 0);
	assert_int_equal(frame_max_in_tunnel(100, 97), 1);
	assert_int_equal(frame_tap_mtu(14), 0);
	assert_int_equal(frame_tap_mtu(0), 0);
	assert_int_equal(frame_tap_mtu(15), 1);
}

static size_t
ip_off(const uint8_t *f, size_t len)
{
	struct frame_info fi;

	(void)frame_classify(f, len, &fi);
	return frame_ip_offset(&fi);
}

static void
test_ip_offset(void **state)
{
	uint8_t f[64];

	(void)state;
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x00;
	assert_int_equal(ip_off(f, sizeof(f)), 14);
	f[12] = 0x86;
	f[13] = 0xdd;
	assert_int_equal(ip_off(f, sizeof(f)), 14);
	/* One 802.1Q tag. */
	f[12] = 0x81;
	f[13] = 0x00;
	f[16] = 0x08;
	f[17] = 0x00;
	assert_int_equal(ip_off(f, sizeof(f)), 18);
	/* IPX, ARP, an 802.3 length: no IP. */
	f[12] = 0x81;
	f[13] = 0x37;
	assert_int_equal(ip_off(f, sizeof(f)), 0);
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(ip_off(f, sizeof(f)), 0);
	f[12] = 0x00;
	f[13] = 0x30;
	assert_int_equal(ip_off(f, sizeof(f)), 0);
	/* Too short for an Ethernet header. */
	assert_int_equal(ip_off(f, 10), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_ip_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

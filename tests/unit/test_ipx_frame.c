/* frame_classify: IPX in the four Novell framings (SAP and RIP requests
 * built byte by byte), non-IPX frames, VLAN tags, and every truncation of
 * every frame from an exact-size heap copy (ASan sees any over-read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipx/frame.h"

static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t SRC[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

struct buf {
	uint8_t b[256];
	size_t  n;
};

static void
put8(struct buf *f, uint8_t v)
{
	assert_true(f->n < sizeof(f->b));
	f->b[f->n++] = v;
}

static void
put16(struct buf *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
putn(struct buf *f, const uint8_t *p, size_t n)
{
	while (n-- > 0)
		put8(f, *p++);
}

static void
ether(struct buf *f, const uint8_t *dst, uint16_t type)
{
	f->n = 0;
	putn(f, dst, 6);
	putn(f, SRC, 6);
	put16(f, type);
}

/* IPX header (Novell IPX Router Specification) and a SAP general query
 * (socket 0x0452) or a RIP request for all networks (socket 0x0453). */
static size_t
ipx(struct buf *f, bool sap)
{
	size_t start = f->n;
	size_t plen = sap ? 4 : 8;

	put16(f, 0xffff);			/* checksum: none */
	put16(f, (uint16_t)(30 + plen));	/* length */
	put8(f, 0);				/* transport control */
	put8(f, sap ? 4 : 1);			/* type: PEP / RIP */
	put16(f, 0); put16(f, 0);		/* dst network */
	putn(f, BCAST, 6);			/* dst node */
	put16(f, sap ? 0x0452 : 0x0453);	/* dst socket */
	put16(f, 0); put16(f, 0);		/* src network */
	putn(f, SRC, 6);
	put16(f, 0x4003);			/* src socket */
	if (sap) {
		put16(f, 1);			/* general service query */
		put16(f, 4);			/* file server */
	} else {
		put16(f, 1);			/* request */
		put16(f, 0xffff); put16(f, 0xffff); /* all networks */
		put16(f, 0xffff);		/* hops... */
	}
	return start;
}

static void
build(struct buf *f, enum frame_kind kind, bool sap, bool vlan,
    size_t *ipx_off)
{
	size_t lenpos;

	ether(f, BCAST, vlan ? 0x8100 : 0);
	f->n -= 2;
	if (vlan) {
		put16(f, 0x8100);
		put16(f, 0x2000 | 42);		/* PCP 1, VID 42 */
	}
	lenpos = f->n;
	switch (kind) {
	case FRAME_IPX_ETHII:
		put16(f, 0x8137);
		break;
	case FRAME_IPX_8023RAW:
		put16(f, 0);
		break;
	case FRAME_IPX_LLC:
		put16(f, 0);
		put8(f, 0xe0); put8(f, 0xe0); put8(f, 0x03);
		break;
	case FRAME_IPX_SNAP:
		put16(f, 0);
		put8(f, 0xaa); put8(f, 0xaa); put8(f, 0x03);
		put8(f, 0); put8(f, 0); put8(f, 0);
		put16(f, 0x8137);
		break;
	default:
		fail();
	}
	*ipx_off = ipx(f, sap);
	if (kind != FRAME_IPX_ETHII) {
		size_t l = f->n - lenpos - 2;

		f->b[lenpos] = (uint8_t)(l >> 8);
		f->b[lenpos + 1] = (uint8_t)l;
	}
}

/* Classify from an exact-size heap copy of the first len bytes. */
static enum frame_kind
classify_exact(const uint8_t *p, size_t len, struct frame_info *fi)
{
	uint8_t *c = malloc(len ? len : 1);
	enum frame_kind k;

	assert_non_null(c);
	memcpy(c, p, len);
	k = frame_classify(c, len, fi);
	free(c);
	return k;
}

static void
check_all_truncations(const struct buf *f, enum frame_kind want,
    size_t ipx_off)
{
	struct frame_info fi;
	size_t len;

	for (len = 0; len <= f->n; len++) {
		enum frame_kind k = classify_exact(f->b, len, &fi);

		if (len < 14)
			assert_int_equal(k, FRAME_INVALID);
		else if (len < ipx_off + 30)
			assert_int_equal(k, FRAME_OTHER);
		else
			assert_int_equal(k, want);
	}
}

static void
test_four_framings(void **state)
{
	static const enum frame_kind kinds[] = { FRAME_IPX_ETHII,
	    FRAME_IPX_8023RAW, FRAME_IPX_LLC, FRAME_IPX_SNAP };
	static const size_t want_off[] = { 14, 14, 17, 22 };
	struct frame_info fi;
	struct buf f;
	size_t i, off;
	int sap, vlan;

	(void)state;
	for (vlan = 0; vlan < 2; vlan++)
	for (sap = 0; sap < 2; sap++)
	for (i = 0; i < 4; i++) {
		build(&f, kinds[i], sap, vlan, &off);
		assert_int_equal(off, want_off[i] + (vlan ? 4 : 0));
		assert_int_equal(classify_exact(f.b, f.n, &fi), kinds[i]);
		assert_int_equal(fi.kind, kinds[i]);
		assert_int_equal(fi.ipx_off, off);
		assert_true(fi.broadcast);
		assert_true(fi.multicast);
		assert_memory_equal(fi.dst, BCAST, 6);
		assert_memory_equal(fi.src, SRC, 6);
		assert_int_equal(fi.vlan, vlan);
		assert_int_equal(fi.vid, vlan ? 42 : 0);
		/* The IPX header is where ipx_off says. */
		assert_int_equal(f.b[fi.ipx_off], 0xff);
		assert_int_equal(f.b[fi.ipx_off + 16] << 8 |
		    f.b[fi.ipx_off + 17], sap ? 0x0452 : 0x0453);
		assert_true(frame_selected(BRIDGE_MODE_IPX, fi.kind));
		assert_true(frame_selected(BRIDGE_MODE_ALL, fi.kind));
		check_all_truncations(&f, kinds[i], off);
	}
}

static void
test_unicast_flags(void **state)
{
	static const uint8_t uni[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t mc[6] = { 0x09, 0x00, 0x1b, 0xff, 0xff, 0xff };
	struct frame_info fi;
	struct buf f;

	(void)state;
	ether(&f, uni, 0x8137);
	ipx(&f, true);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_IPX_ETHII);
	assert_false(fi.multicast);
	assert_false(fi.broadcast);
	memcpy(f.b, mc, 6);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_IPX_ETHII);
	assert_true(fi.multicast);
	assert_false(fi.broadcast);
}

static void
test_non_ipx(void **state)
{
	struct frame_info fi;
	struct buf f;
	size_t i, len;

	(void)state;
	/* IPv4 */
	ether(&f, BCAST, 0x0800);
	put8(&f, 0x45);
	for (i = 0; i < 40; i++)
		put8(&f, 0);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_OTHER);
	assert_int_equal(fi.type, 0x0800);
	assert_false(frame_selected(BRIDGE_MODE_IPX, fi.kind));
	assert_true(frame_selected(BRIDGE_MODE_ALL, fi.kind));
	for (len = 0; len <= f.n; len++)
		assert_int_equal(classify_exact(f.b, len, &fi),
		    len < 14 ? FRAME_INVALID : FRAME_OTHER);
	/* ARP */
	ether(&f, BCAST, 0x0806);
	for (i = 0; i < 28; i++)
		put8(&f, 0);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_OTHER);
	/* Novell's other type 0x8138 is not IPX (frame.c). */
	ether(&f, BCAST, 0x8138);
	ipx(&f, true);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_OTHER);
	/* 802.2 with other SAPs: STP (0x42), NetBIOS (0xF0), E0/E1 mix,
	 * E0 with a non-UI control, SNAP with an OUI or another type. */
	{
		static const uint8_t llc[][8] = {
			{ 0x42, 0x42, 0x03 }, { 0xf0, 0xf0, 0x03 },
			{ 0xe0, 0xe1, 0x03 }, { 0xe0, 0xe0, 0xf3 },
			{ 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x81, 0x37 },
			{ 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00 },
			{ 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x81, 0x38 },
			{ 0xff, 0xfe, 0x00 },
		};
		for (i = 0; i < sizeof(llc) / sizeof(llc[0]); i++) {
			ether(&f, BCAST, 60);
			putn(&f, llc[i], 8);
			ipx(&f, false);
			assert_int_equal(frame_classify(f.b, f.n, &fi),
			    FRAME_OTHER);
			assert_false(frame_selected(BRIDGE_MODE_IPX, fi.kind));
			for (len = 0; len <= f.n; len++)
				assert_int_equal(classify_exact(f.b, len, &fi),
				    len < 14 ? FRAME_INVALID : FRAME_OTHER);
		}
	}
	/* Undefined type/length 1501..1535 followed by 0xFFFF. */
	ether(&f, BCAST, 1501);
	ipx(&f, false);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_OTHER);
	ether(&f, BCAST, 1500);
	ipx(&f, false);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_IPX_8023RAW);
	/* QinQ: a second tag is not looked through. */
	ether(&f, BCAST, 0x8100);
	put16(&f, 1); put16(&f, 0x8100); put16(&f, 2); put16(&f, 0x8137);
	ipx(&f, false);
	assert_int_equal(frame_classify(f.b, f.n, &fi), FRAME_OTHER);
	assert_true(fi.vlan);
	for (len = 0; len <= f.n; len++)
		assert_int_equal(classify_exact(f.b, len, &fi),
		    len < 14 ? FRAME_INVALID : FRAME_OTHER);
}

static void
test_invalid(void **state)
{
	struct frame_info fi;

	(void)state;
	assert_int_equal(frame_classify(NULL, 0, &fi), FRAME_INVALID);
	assert_false(frame_selected(BRIDGE_MODE_ALL, FRAME_INVALID));
	assert_false(frame_selected(BRIDGE_MODE_IPX, FRAME_INVALID));
	assert_false(frame_selected(BRIDGE_MODE_IPX, FRAME_OTHER));
	assert_string_equal(frame_kind_str(FRAME_IPX_SNAP), "ipx-snap");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_four_framings),
		cmocka_unit_test(test_unicast_flags),
		cmocka_unit_test(test_non_ipx),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

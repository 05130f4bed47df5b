/* Fuzzes the inner (tunnelled) IP header code of the engine (inner.h):
 * pkt_parse_ip on the decrypted bytes, then what inbound.c does with a
 * parsed header (link-scope test, RFC 6040 ECN decapsulation for each of
 * the four outer ECN fields, inner_set_ecn) and the checksum helpers,
 * against a plain reference. The input is the inner packet itself. */
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/datapath/inner.h"
#include "util/csum.h"
#include "util/pkt.h"
#include "tests/fuzz/fuzz.h"

static uint8_t copy[PKT_MTU_MAX];

/* RFC 1071, the obvious way, for comparison. */
static uint16_t
ref_cksum(const uint8_t *d, size_t len)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (len & 1)
		s += (uint32_t)d[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static bool
inside(const uint8_t *p, size_t n, const uint8_t *d, size_t len)
{
	return p >= d && n <= len && (size_t)(p - d) <= len - n;
}

static void
check_checksums(const uint8_t *d, size_t len)
{
	size_t half = (len / 2) & ~(size_t)1;

	FUZZ_CHECK(csum_finish(csum_add(0, d, len)) == ref_cksum(d, len));
	/* Sums over even-length pieces add up (RFC 1071 2(B)). */
	FUZZ_CHECK(csum_finish(csum_add(csum_add(0, d, half), d + half,
	    len - half)) == ref_cksum(d, len));
}

static void
check_ecn(const uint8_t *d, const struct pkt_meta *h)
{
	uint8_t outer, in = h->tos & ECN_MASK;
	struct pkt_meta h2;
	const char *why;
	struct pkt_meta m;
	bool valid4;
	size_t i;
	int ecn;

	for (outer = 0; outer <= ECN_MASK; outer++) {
		ecn = ecn_decap(in, outer);
		/* RFC 6040 4.2 figure 4. */
		if (in == ECN_NOT_ECT) {
			FUZZ_CHECK(ecn == (outer == ECN_CE ? -1 : ECN_NOT_ECT));
			continue;
		}
		FUZZ_CHECK(ecn >= 0 && ecn <= ECN_MASK && ecn != ECN_NOT_ECT);
		if (outer == ECN_CE || in == ECN_CE)
			FUZZ_CHECK(ecn == ECN_CE);
		if (ecn == (int)in)
			continue;
		/* inner_set_ecn on a copy: only the ECN bits (and the IPv4
		 * header checksum) change, and a valid checksum stays valid. */
		memcpy(copy, d, h->len);
		valid4 = h->af == AF_INET && ref_cksum(d, h->hlen) == 0;
		m = *h;
		inner_set_ecn(copy, &m, (uint8_t)ecn);
		FUZZ_CHECK((m.tos & ECN_MASK) == ecn);
		FUZZ_CHECK(pkt_parse_ip(copy, h->len, &h2, &why) == 0);
		FUZZ_CHECK((h2.tos & ECN_MASK) == ecn);
		FUZZ_CHECK((h2.tos & ~ECN_MASK) == (h->tos & ~ECN_MASK));
		for (i = 0; i < h->len; i++) {
			if (i == 1 || (h->af == AF_INET && (i == 10 || i == 11)))
				continue;
			FUZZ_CHECK(copy[i] == d[i]);
		}
		if (h->af == AF_INET6)
			FUZZ_CHECK(copy[10] == d[10] && copy[11] == d[11]);
		if (valid4)
			FUZZ_CHECK(ref_cksum(copy, h->hlen) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_meta h;
	const char *why = NULL;

	/* Nothing longer reaches the engine from tun or from ESP. */
	if (size > sizeof(copy))
		size = sizeof(copy);
	check_checksums(data, size);

	if (pkt_parse_ip(data, size, &h, &why) == -1) {
		FUZZ_CHECK(why != NULL && why[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(h.af == AF_INET || h.af == AF_INET6);
	FUZZ_CHECK(h.hlen <= h.len && h.len <= size);
	if (h.af == AF_INET) {
		FUZZ_CHECK(h.hlen >= IPV4_HDR_MIN && h.hlen % 4 == 0);
		FUZZ_CHECK(inside(pkt_ip_src(data, &h), 4, data, h.hlen));
		FUZZ_CHECK(inside(pkt_ip_dst(data, &h), 4, data, h.hlen));
	} else {
		FUZZ_CHECK(h.hlen == IPV6_HDR_LEN && h.df && h.frag_off == 0);
		FUZZ_CHECK(inside(pkt_ip_src(data, &h), 16, data, h.hlen));
		FUZZ_CHECK(inside(pkt_ip_dst(data, &h), 16, data, h.hlen));
	}
	/* The upper layer lies inside the packet when it was found. */
	FUZZ_CHECK(h.l4 == 0 || (h.l4 >= h.hlen && h.l4 <= h.len));
	(void)inner_link_scoped(data, &h);
	check_ecn(data, &h);
	return 0;
}

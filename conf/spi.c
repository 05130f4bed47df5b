/* The SPI formula of docs/DESIGN.md and site.conf(5): both ends compute
 * the same pair of SPIs from their configs, so nothing is negotiated. */
#include <string.h>

#include <openssl/evp.h>

#include "conf/conf_int.h"
#include "util/log.h"

#define SPI_LABEL     "vpntund-spi-v1"
#define SPI_LABEL_TAP "vpntund-spi-tap-v1"
#define SPI_LABEL_CTL "vpntund-spi-ctl-v1"

/* SPIs 1-255 are reserved by IANA and 0 means "none" (RFC 4303 2.1). */
uint32_t
spi_fixup(uint32_t raw)
{
	return raw < 256 ? raw | 0x80000000u : raw;
}

static size_t
put_net(uint8_t *out, const struct prefix *p)
{
	struct prefix n = *p;
	size_t bytes = addr_bits(p->af) / 8;

	prefix_network(&n);
	memcpy(out, n.addr.b, bytes);
	out[bytes] = n.len;
	return bytes + 1;
}

static uint32_t
derive(const char *label, const struct prefix *from, enum site_role from_role,
    const struct prefix *to)
{
	uint8_t msg[sizeof(SPI_LABEL_TAP) + 2 + 2 * 17];

	_Static_assert(sizeof(SPI_LABEL_CTL) == sizeof(SPI_LABEL_TAP),
	    "msg is sized for the longest label");
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = strlen(label);

	memcpy(msg, label, n);
	msg[n++] = from_role == ROLE_CENTRAL ? 'C' : 'R';
	/* One family byte, from `from`; mixed families are written each at
	 * its own length. */
	msg[n++] = from->af == AF_INET ? 4 : 6;
	n += put_net(msg + n, from);
	n += put_net(msg + n, to);
	if (EVP_Digest(msg, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 4)
		fatalx("spi_derive: SHA-256 failed");
	return spi_fixup((uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | (uint32_t)md[3]);
}

uint32_t
spi_derive(const struct prefix *from, enum site_role from_role,
    const struct prefix *to)
{
	return derive(SPI_LABEL, from, from_role, to);
}

/* A distinct label, so the tap SA never shares an SPI with the peer's. */
uint32_t
spi_derive_tap(const struct prefix *from, enum site_role from_role,
    const struct prefix *to)
{
	return derive(SPI_LABEL_TAP, from, from_role, to);
}

/* The control channel of derived keying (restart synchronisation): its
 * own label, so it never shares an SPI with data. */
uint32_t
spi_derive_ctl(const struct prefix *from, enum site_role from_role,
    const struct prefix *to)
{
	return derive(SPI_LABEL_CTL, from, from_role, to);
}

/* Every SPI a site receives on must lead to one SA (RFC 4303 2.1): the
 * peers' SPIs, their dedicated tap SAs', and with derived keying each of
 * those with the low bit flipped (odd epochs) and the control channel's.
 * Sorted, so that 10,000 peers cost no pairwise compare. */
#include <stdlib.h>

#include "conf/conf_int.h"

struct inbound {
	uint32_t    spi;
	size_t      peer;
	const char *what;
};

static int
inbound_cmp(const void *a, const void *b)
{
	const struct inbound *x = a, *y = b;

	if (x->spi != y->spi)
		return x->spi < y->spi ? -1 : 1;
	return x->peer < y->peer ? -1 : x->peer > y->peer;
}

static void
add(struct inbound *v, size_t *n, uint32_t spi, size_t peer, const char *what)
{
	v[*n].spi = spi;
	v[*n].peer = peer;
	v[*n].what = what;
	(*n)++;
}

int
spis_distinct(struct lexer *lx, const struct config *cf,
    const struct peer_extra *px)
{
	const struct site_conf *s = &cf->site;
	const struct peer_conf *pc;
	struct inbound *v, *a, *b;
	size_t n = 0, i;
	bool derived;

	if ((v = calloc(cf->npeers * 5 + 1, sizeof(*v))) == NULL) {
		conf_err(lx, cf->file, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		derived = pc->keying == KEYING_DERIVED;
		add(v, &n, pc->spi_in, i, "inbound SPI");
		if (derived) {
			add(v, &n, pc->spi_in ^ 1, i, "odd-epoch SPI");
			add(v, &n, spi_derive_ctl(&pc->network, pc->role,
			    &s->networks[0]), i, "control SPI");
		}
		if (!pc->tap_sa)
			continue;
		add(v, &n, pc->tap_spi_in, i, "tap SPI");
		if (derived)
			add(v, &n, pc->tap_spi_in ^ 1, i, "odd-epoch tap SPI");
	}
	qsort(v, n, sizeof(*v), inbound_cmp);
	for (i = 1; i < n; i++) {
		if (v[i].spi != v[i - 1].spi)
			continue;
		a = &v[i - 1];
		b = &v[i];
		conf_err(lx, px[b->peer].file, cf->peers[b->peer].line,
		    "peer \"%s\": its %s 0x%08x is also the %s of peer \"%s\" "
		    "(%s:%d); set other SPIs with %s",
		    cf->peers[b->peer].name, b->what, b->spi, a->what,
		    cf->peers[a->peer].name, px[a->peer].file,
		    cf->peers[a->peer].line, cf->peers[b->peer].sa_split ?
		    "\"sa in spi N\"" : "\"spi in N out N\"");
		free(v);
		return -1;
	}
	free(v);
	return 0;
}

/* The final pass over the bridge statements: a bridge needs a tap; peers
 * are bridge ports by default when there is one; a dedicated tap SA gets
 * its SPIs from the tap formula (spi_derive_tap) and its keys from its own
 * file; with a qos block, exactly one leaf class takes the tap's frames. */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

static int
check_peers(struct lexer *lx, struct config *cf, struct peer_extra *px)
{
	const struct site_conf *s = &cf->site;
	bool tap = s->tap[0] != '\0';
	struct peer_conf *pc;
	size_t i;

	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		if (!tap && px[i].have_bridge && pc->bridge) {
			conf_err(lx, px[i].file, px[i].bridge_line, "expected a "
			    "\"tap\" statement in the site block: peer \"%s\" "
			    "is a bridge port of a tap", pc->name);
			return -1;
		}
		if (!tap && pc->tap_sa) {
			conf_err(lx, px[i].file, px[i].tap_sa_line, "expected a "
			    "\"tap\" statement in the site block: \"tap-sa "
			    "dedicated\" of peer \"%s\" carries a tap's frames",
			    pc->name);
			return -1;
		}
		if (!px[i].have_bridge)
			pc->bridge = tap;
		if (pc->tap_sa && !pc->bridge) {
			conf_err(lx, px[i].file, px[i].tap_sa_line, "peer \"%s\" "
			    "has \"bridge no\": expected no \"tap-sa dedicated\"",
			    pc->name);
			return -1;
		}
		if (!pc->tap_sa)
			continue;
		pc->tap_spi_out = spi_derive_tap(&s->networks[0], s->role,
		    &pc->network);
		pc->tap_spi_in = spi_derive_tap(&pc->network, pc->role,
		    &s->networks[0]);
	}
	return 0;
}

/* Every inbound SPI, the tap SAs' included, picks one SA. */
static int
check_spis(struct lexer *lx, const struct config *cf,
    const struct peer_extra *px)
{
	const struct peer_conf *a, *b;
	size_t i, j;
	bool clash;

	for (i = 0; i < cf->npeers; i++) {
		a = &cf->peers[i];
		if (!a->tap_sa)
			continue;
		for (j = 0; j < cf->npeers; j++) {
			b = &cf->peers[j];
			clash = b->spi_in == a->tap_spi_in || (j < i &&
			    b->tap_sa && b->tap_spi_in == a->tap_spi_in);
			if (!clash)
				continue;
			conf_err(lx, px[i].file, px[i].tap_sa_line, "inbound SPI "
			    "0x%08x of the tap SA of peer \"%s\" is also used by "
			    "peer \"%s\" (%s:%d)", a->tap_spi_in, a->name,
			    b->name, px[j].file, b->line);
			return -1;
		}
	}
	return 0;
}

static int
check_class(struct lexer *lx, struct config *cf, const struct qos_extra *qx)
{
	struct qos_conf *q = &cf->qos;
	int mark = -1;
	size_t i, j;

	for (i = 0; q->enabled && i < q->nclasses; i++) {
		if (qx->cls[i].bridge_line == 0)
			continue;
		if (cf->site.tap[0] == '\0') {
			conf_err(lx, qx->cls[i].file, qx->cls[i].bridge_line,
			    "class \"%s\" is marked \"bridge\": expected a "
			    "\"tap\" statement in the site block",
			    q->classes[i].name);
			return -1;
		}
		if (mark != -1) {
			conf_err(lx, qx->cls[i].file, qx->cls[i].bridge_line,
			    "class \"%s\" is a second class marked \"bridge\"; "
			    "\"%s\" (line %d) is marked already",
			    q->classes[i].name, q->classes[mark].name,
			    q->class_line[mark]);
			return -1;
		}
		for (j = 0; j < q->nclasses; j++) {
			if (q->classes[j].parent != (int)i)
				continue;
			conf_err(lx, qx->cls[i].file, qx->cls[i].bridge_line,
			    "class \"%s\" is marked \"bridge\" but has children "
			    "(\"%s\"); frames are queued in leaf classes only",
			    q->classes[i].name, q->classes[j].name);
			return -1;
		}
		mark = (int)i;
	}
	if (q->enabled && cf->site.tap[0] != '\0' && mark == -1) {
		conf_err(lx, qx->file, q->line, "expected a class marked "
		    "`bridge` for the frames of tap %s", cf->site.tap);
		return -1;
	}
	q->bridge_class = mark;
	return 0;
}

int
bridge_finish(struct lexer *lx, struct config *cf, struct peer_extra *px,
    const struct qos_extra *qx, const struct bridge_extra *bx)
{
	if (cf->site.tap[0] == '\0' && bx->line != 0) {
		conf_err(lx, bx->file, bx->line, "expected a \"tap\" statement "
		    "in the site block: \"%s\" is about the frames of a tap",
		    bx->kw != NULL ? bx->kw : "bridge");
		return -1;
	}
	if (cf->site.tap[0] != '\0' && strcmp(cf->site.tap, cf->site.tun) == 0) {
		conf_err(lx, bx->site_file, cf->site.tap_line, "tap %s has the "
		    "name of the tun; expected another interface name",
		    cf->site.tap);
		return -1;
	}
	if (check_peers(lx, cf, px) == -1 || check_spis(lx, cf, px) == -1)
		return -1;
	return check_class(lx, cf, qx);
}

int
bridge_keys(struct lexer *lx, struct config *cf, struct peer_extra *px)
{
	size_t i;

	for (i = 0; i < cf->npeers; i++)
		if (cf->peers[i].tap_sa && keyfile_load_tap(lx, &cf->peers[i],
		    &cf->site, px[i].tap_key_conf, px[i].tap_sa_line) == -1)
			return -1;
	return 0;
}

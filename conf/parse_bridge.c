/* The bridge statements: `tap NAME [mtu N]`, `bridge ipx|all`, `bridge-age`,
 * `bridge-table` and `bridge-flood RATE [burst N]` in the site block;
 * `bridge yes|no` and `tap-sa shared|dedicated key FILE` in peer blocks.
 * What needs the whole config (a bridge without a tap, SPIs, keys) is
 * checked by check_bridge.c. */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

#define DESC(t, d) tok_describe((t), (d), sizeof(d))

/* Linux's ETH_MIN_MTU and our largest packet. */
#define TAP_MTU_MIN 68
#define TAP_MTU_MAX 9000

/* The first bridge statement is where a missing tap is reported. */
static void
note_bridge(struct parser *p, const struct token *kw)
{
	static const char *const kws[] = { "bridge", "bridge-age",
	    "bridge-table", "bridge-flood" };
	size_t i;

	if (p->bx.line != 0)
		return;
	p->bx.file = kw->file;
	p->bx.line = kw->line;
	/* kw is the caller's token: keep a name that outlives it. */
	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strcmp(kw->text, kws[i]) == 0)
			p->bx.kw = kws[i];
}

int
site_tap(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;
	const struct token *pk;
	struct token t;
	uint64_t v;

	if (s->tap[0] != '\0') {
		conf_errt(&p->lx, kw, "a second \"tap\" statement; the site "
		    "has tap %s already (line %d)", s->tap, s->tap_line);
		return -1;
	}
	if (get_ifname(p, kw, s->tap) == -1)
		return -1;
	s->tap_line = kw->line;
	p->bx.site_file = kw->file;
	pk = lex_peek(&p->lx);
	if (pk->type != T_WORD || strcmp(pk->text, "mtu") != 0)
		return 0;
	lex_next(&p->lx, &t);
	if (get_number(p, &t, TAP_MTU_MIN, TAP_MTU_MAX, &v) == -1)
		return -1;
	s->tap_mtu = (unsigned)v;
	return 0;
}

int
site_bridge(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "ipx", "all", NULL };
	int i;

	note_bridge(p, kw);
	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->cf->site.bridge_all = i == 1;
	p->bx.have_mode = true;
	return 0;
}

int
site_bridge_age(struct parser *p, const struct token *kw)
{
	uint64_t v;

	note_bridge(p, kw);
	if (get_number(p, kw, 1, 86400, &v) == -1)
		return -1;
	p->cf->site.bridge_age = (unsigned)v;
	return 0;
}

int
site_bridge_table(struct parser *p, const struct token *kw)
{
	uint64_t v;

	note_bridge(p, kw);
	if (get_number(p, kw, 16, CONF_BRIDGE_TABLE_MAX, &v) == -1)
		return -1;
	p->cf->site.bridge_table = (uint32_t)v;
	return 0;
}

/* RATE frames/s, 0 = no limit; the burst defaults to two seconds' worth
 * (100 -> 200, as the default pair), at least one frame. */
int
site_bridge_flood(struct parser *p, const struct token *kw)
{
	struct site_conf *s = &p->cf->site;
	const struct token *pk;
	struct token t;
	uint64_t rate, burst;

	note_bridge(p, kw);
	if (get_number(p, kw, 0, 1000000, &rate) == -1)
		return -1;
	burst = rate * 2;
	pk = lex_peek(&p->lx);
	if (pk->type == T_WORD && strcmp(pk->text, "burst") == 0) {
		lex_next(&p->lx, &t);
		if (get_number(p, &t, 1, 2000000, &burst) == -1)
			return -1;
	}
	s->bridge_flood_rate = (uint32_t)rate;
	s->bridge_flood_burst = (uint32_t)(burst > 0 ? burst : 1);
	return 0;
}

int
peer_bridge(struct parser *p, const struct token *kw)
{
	int i;

	if (get_choice(p, kw, yesno, &i) == -1)
		return -1;
	p->peer->bridge = i == 1;
	p->extra->have_bridge = true;
	p->extra->bridge_line = kw->line;
	return 0;
}

int
peer_tap_sa(struct parser *p, const struct token *kw)
{
	static const char *const set[] = { "shared", "dedicated", NULL };
	char d[CONF_TOKEN_MAX + 8];
	struct token t;
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	p->extra->tap_sa_line = kw->line;
	p->peer->tap_sa = i == 1;
	if (i == 0)
		return 0;
	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	if (t.type != T_WORD || strcmp(t.text, "key") != 0) {
		conf_errt(&p->lx, &t, "expected \"key\" and a key file after "
		    "\"tap-sa dedicated\", got %s", DESC(&t, d));
		return -1;
	}
	if (get_path(p, &t, "a key file path", &p->peer->tap_key_file) == -1)
		return -1;
	p->extra->tap_key_conf = kw->file;
	return 0;
}

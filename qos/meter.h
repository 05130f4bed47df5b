/* Ingress conditioner: token-bucket meters, RFC 2697 (single rate three
 * color, srTCM) and RFC 2698 (two rate three color, trTCM), colour-blind
 * or colour-aware, with an action per colour: pass, drop, or mark a DSCP
 * (keeping the ECN bits). Applied to packets read from tun/tap before they
 * are queued, so classes can be marked before encryption and seen after
 * it (the outer header copies the DSCP). */
#ifndef VPNTUND_METER_H
#define VPNTUND_METER_H

#include <stdbool.h>
#include <stdint.h>

enum meter_color { METER_GREEN, METER_YELLOW, METER_RED };
enum meter_kind { METER_SRTCM, METER_TRTCM };
enum meter_action_kind { METER_PASS, METER_DROP, METER_MARK };

struct meter_action {
	enum meter_action_kind kind;
	uint8_t                dscp;     /* for METER_MARK, 0..63 */
};

struct meter_conf {
	enum meter_kind     kind;
	uint64_t            cir;         /* bits/s (both) */
	uint64_t            cbs;         /* bytes (both) */
	uint64_t            ebs;         /* bytes (srTCM) */
	uint64_t            pir;         /* bits/s (trTCM) */
	uint64_t            pbs;         /* bytes (trTCM) */
	bool                color_aware;
	struct meter_action action[3];   /* by enum meter_color */
};

struct meter {
	struct meter_conf conf;
	uint64_t          tc, te;        /* token counts, in bytes << 16 */
	/* te is the excess bucket of srTCM, the peak bucket (Tp) of trTCM.
	 * rem_c, rem_e carry the refill's fractions of a token unit, so that
	 * refills at any calling pattern add exactly rate * time. */
	uint64_t          rem_c, rem_e;
	uint64_t          last_ns;
	uint64_t          packets[3], bytes[3];   /* by colour */
};

void meter_init(struct meter *m, const struct meter_conf *conf, uint64_t now_ns);
/* Colours one packet of len bytes; pre_color is used in colour-aware
 * mode (derive it from the DSCP with meter_color_of_dscp or the caller's
 * own mapping). */
enum meter_color meter_color(struct meter *m, uint64_t now_ns, uint32_t len,
    enum meter_color pre_color);
/* Applies the colour's action to the TOS byte: returns false to drop, or
 * true with *tos possibly re-marked (ECN bits kept). */
bool meter_apply(const struct meter *m, enum meter_color c, uint8_t *tos);
/* Pre-colour for colour-aware meters from the AF drop precedence
 * (RFC 2597): AFx1 green, AFx2 yellow, AFx3 red, anything else green. */
enum meter_color meter_color_of_dscp(uint8_t dscp);

#endif

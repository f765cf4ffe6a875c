/* SPDX-License-Identifier: MIT */
/*
 * compile.h - turn the normalised model (rules/model.h) into the maps the BPF
 * datapath reads (naclemu.h).  Pure: no I/O, no BPF calls, unit-testable.
 */
#ifndef NACLEMU_DATAPATH_COMPILE_H
#define NACLEMU_DATAPATH_COMPILE_H

#include <stddef.h>

#include "naclemu.h"
#include "analysis/eval.h"
#include "rules/model.h"

/*
 * compile_rules() - compile @rs into @out (which is overwritten whole).
 * Rule counter slots are left 0: compile_assign_slots() sets them.
 * @out->generation is 0.
 *
 * Return: 0, or -EINVAL with @err set when a table would hold more than
 * NACLEMU_MAX_RULES rules or @extra more than NACLEMU_MAX_CIDRS CIDRs.
 */
int compile_rules(const struct nacl_ruleset *rs, const struct nacl_extra *extra,
		  struct naclemu_rules *out, char err[NACL_MSG_LEN]);

/* Most fresh slots one rule set can need: every rule of every table. */
#define COMPILE_MAX_FRESH (4 * NACLEMU_MAX_RULES)

/*
 * compile_assign_slots() - give each rule of @rules its counter slot.
 * A rule with the same direction, family, number and content as a rule of
 * @old (NULL at attach) keeps that rule's slot, so its counts survive an
 * update.  Every other rule gets a fresh slot, used by neither @old nor
 * @rules, searched round robin from *@cursor (updated), so that a slot just
 * retired is not handed out again at once (a later fragment may still count
 * into it).  The fresh slots are stored in @fresh (COMPILE_MAX_FRESH
 * entries), their number in *@nfresh: the caller zeroes their counters
 * before the rules go live.
 *
 * Return: 0, or -ENOSPC when no slot is free (cannot happen within the
 * AWS quotas: 1008 rule slots for at most 2 * 256 rules).
 */
int compile_assign_slots(struct naclemu_rules *rules,
			 const struct naclemu_rules *old, __u32 *cursor,
			 __u32 fresh[COMPILE_MAX_FRESH], size_t *nfresh);

/*
 * compile_rule_to_info() / compile_rule_from_info() - a model rule and its
 * compiled record (struct naclemu_rule_info: the same rule without its
 * source position and text, as the pinned rule set keeps it for `stats`
 * and `update`).  The only place the two are converted.
 */
void compile_rule_to_info(const struct nacl_rule *r, struct naclemu_rule_info *ri);
void compile_rule_from_info(const struct naclemu_rule_info *ri, struct nacl_rule *out);

#endif /* NACLEMU_DATAPATH_COMPILE_H */

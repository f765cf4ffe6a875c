/* SPDX-License-Identifier: MIT */
/*
 * yaml.h - a CloudFormation template written in YAML, as the jansson tree
 * the JSON template would give, with the position of every value.
 * Internal to the CloudFormation reader and the host configuration's
 * reader (deploy/config.c).  Implemented in yaml.c.
 */
#ifndef NACLEMU_RULES_YAML_H
#define NACLEMU_RULES_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "rules/jdoc.h"
#include "rules/model.h"

/*
 * nacl_yaml_load() - parse @buf (@len bytes) as one YAML document into
 * *@root (a new reference, NULL on failure), each value's line and column
 * (1-based, in characters) marked in @marks.  Scalars take the YAML 1.2
 * core schema's types; CloudFormation's short forms (!Ref X, !GetAtt A.B,
 * !Sub ...) become their long forms ({"Ref": X}, {"Fn::GetAtt": ["A",
 * "B"]}, ...); aliases are expanded, up to 100000 values and 64 levels.
 * Return: 0; -EINVAL with "NAME:LINE:COL: message" in @err (invalid YAML,
 * no document or a second one, a duplicate key, an unknown tag, too many
 * values); -ENOMEM.  @marks may hold marks also on failure: release them
 * with nacl_marks_free().
 */
int nacl_yaml_load(const char *name, const char *buf, size_t len,
		   struct nacl_marks *marks, json_t **root,
		   char err[NACL_MSG_LEN]);

#endif /* NACLEMU_RULES_YAML_H */

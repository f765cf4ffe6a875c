// SPDX-License-Identifier: MIT
/*
 * entry.c - one network ACL entry of a JSON or YAML document, with AWS's
 * semantics (EC2 CreateNetworkAclEntry, entry.h), whatever the format
 * names its fields: the AWS JSON reader's NetworkAclEntry, Terraform's
 * inline blocks and aws_network_acl_rule, CloudFormation's
 * AWS::EC2::NetworkAclEntry.
 */
#include <string.h>
#include <strings.h>

#include "rules/entry.h"
#include "rules/model.h"
#include "rules/validate.h"

const struct nacl_entry_fmt nacl_aws_entry = {
	.number = "RuleNumber",
	.egress = "Egress",
	.egress_required = true,
	.action = "RuleAction",
	.protocol = "Protocol",
	.proto_want = "a protocol number as a string, such as \"6\" or \"-1\"",
	.cidr = "CidrBlock",
	.cidr6 = "Ipv6CidrBlock",
	.ports = "PortRange",
	.from = "From",
	.to = "To",
	.icmp = "IcmpTypeCode",
	.type = "Type",
	.code = "Code",
	.defaults = true,
};

/*
 * A flat field (Terraform from_port, icmp_type, ...) that says something:
 * given, and not the 0 Terraform stores for "not set".
 */
static bool flat_set(const struct nacl_jdoc *d, const json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	if (!nacl_jset(d, v))
		return false;
	return !(d->zero_unset && json_is_integer(v) && !json_integer_value(v));
}

/* RuleNumber: 1..32766, and 32767 / 32768 with @f->defaults. */
static int entry_number(const struct nacl_jdoc *d, const json_t *e,
			const struct nacl_jpath *p,
			const struct nacl_entry_fmt *f, long *num)
{
	struct nacl_jpath q = nacl_jp_key(p, f->number);
	json_t *v = json_object_get(e, f->number);
	long max = f->defaults ? NACLEMU_RULE_DEFAULT_V6 : NACLEMU_RULE_MAX;

	if (!nacl_jset(d, v))
		return nacl_jfail(d, &q, "missing: expected an integer 1..32766");
	if (!nacl_jint_value(d, v, num) || *num < NACLEMU_RULE_MIN || *num > max)
		return nacl_jint_fail(d, &q, v, "1..32766");
	return 0;
}

/* Egress: true (outbound) or false (inbound); absent is false but in AWS JSON. */
static int entry_dir(const struct nacl_jdoc *d, const json_t *e,
		     const struct nacl_jpath *p, const struct nacl_entry_fmt *f,
		     enum naclemu_dir *dir)
{
	struct nacl_jpath q = nacl_jp_key(p, f->egress);
	json_t *v = json_object_get(e, f->egress);
	const char *s = json_string_value(v);
	char got[32];

	*dir = NACLEMU_INGRESS;
	if (!nacl_jset(d, v)) {
		if (f->egress_required)
			return nacl_jfail(d, &q,
					  "missing: expected true (outbound) or false (inbound)");
		return 0;
	}
	if (json_is_boolean(v)) {
		if (json_is_true(v))
			*dir = NACLEMU_EGRESS;
		return 0;
	}
	if (d->lenient && s && (!strcasecmp(s, "true") || !strcasecmp(s, "false"))) {
		if (!strcasecmp(s, "true"))
			*dir = NACLEMU_EGRESS;
		return 0;
	}
	return nacl_jfail(d, &q,
			  "expected true (outbound) or false (inbound), got %s",
			  nacl_jtype(v, got));
}

/* Protocol: a string (a number or a name); an integer is taken too. */
static int entry_proto(const struct nacl_jdoc *d, const json_t *e,
		       const struct nacl_jpath *p,
		       const struct nacl_entry_fmt *f, int *proto)
{
	struct nacl_jpath q = nacl_jp_key(p, f->protocol);
	json_t *v = json_object_get(e, f->protocol);
	char msg[NACL_MSG_LEN], got[32];

	if (v && json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < -1 || n > 255)
			return nacl_jfail(d, &q,
					  "protocol number %" JSON_INTEGER_FORMAT " is out of range: expected 0..255 or -1 (all)",
					  n);
		*proto = (int)n;
		return 0;
	}
	if (!nacl_jset(d, v))
		return nacl_jfail(d, &q, "missing: expected %s", f->proto_want);
	if (!json_is_string(v))
		return nacl_jfail(d, &q, "expected %s, got %s", f->proto_want,
				  nacl_jtype(v, got));
	if (nacl_check_proto(json_string_value(v), proto, msg))
		return nacl_jfail(d, &q, "%s", msg);
	return 0;
}

/* CidrBlock or Ipv6CidrBlock: exactly one, of its own family. */
static int entry_cidr(const struct nacl_jdoc *d, const json_t *e,
		      const struct nacl_jpath *p,
		      const struct nacl_entry_fmt *f, struct naclemu_cidr *c)
{
	bool v6 = nacl_jset(d, json_object_get(e, f->cidr6)), host_bits;
	bool v4 = nacl_jset(d, json_object_get(e, f->cidr));
	const char *key = v6 ? f->cidr6 : f->cidr, *s;
	char msg[NACL_MSG_LEN], cbuf[64], q[NACL_QUOTE_LEN];
	struct nacl_jpath kp = nacl_jp_key(p, key);
	int ret;

	if (v6 && v4)
		return nacl_jfail(d, p, "has both %s and %s: expected exactly one",
				  f->cidr, f->cidr6);
	if (!v6 && !v4)
		return nacl_jfail(d, p,
				  "missing %s or %s: expected exactly one",
				  f->cidr, f->cidr6);
	ret = nacl_jstr(d, e, p, key,
			v6 ? "an IPv6 CIDR string" : "an IPv4 CIDR string", &s);
	if (ret)
		return ret;
	if (nacl_check_cidr(s, v6 ? 6 : 4, c, &host_bits, msg))
		return nacl_jfail(d, &kp, "%s", msg);
	if (host_bits)
		nacl_jwarn(d, &kp, "host bits set in %s: using %s",
			   nacl_quote(s, q), nacl_cidr_str(c, cbuf));
	return 0;
}

/*
 * The object @f->ports / @f->icmp of @e (*@v, *@q), or @e itself in the flat
 * form.  Return: whether the fields say something (for "ignored").
 */
static bool entry_holder(const struct nacl_jdoc *d, const json_t *e,
			 const struct nacl_jpath *p, const char *obj,
			 const char *k1, const char *k2, json_t **v,
			 struct nacl_jpath *q)
{
	if (obj) {
		*q = nacl_jp_key(p, obj);
		*v = json_object_get(e, obj);
		return *v != NULL;
	}
	*q = nacl_jp_key(p, k1);
	*v = (json_t *)e;
	return flat_set(d, e, k1) || flat_set(d, e, k2);
}

/* PortRange {From, To}: required for tcp and udp, ignored otherwise (AWS). */
static int entry_ports(const struct nacl_jdoc *d, const json_t *e,
		       const struct nacl_jpath *p,
		       const struct nacl_entry_fmt *f, struct nacl_rule *r)
{
	char pbuf[8], got[32];
	struct nacl_jpath q, hp;
	long from, to;
	bool given;
	json_t *v;
	int ret;

	r->port_from = 0;
	r->port_to = 65535;
	given = entry_holder(d, e, p, f->ports, f->from, f->to, &v, &q);
	if (r->protocol != NACLEMU_PROTO_TCP && r->protocol != NACLEMU_PROTO_UDP) {
		if (given)
			nacl_jwarn(d, &q, "ignored: protocol %s has no ports",
				   nacl_proto_name(r->protocol, pbuf));
		return 0;
	}
	if (f->ports) {
		if (!given)
			return nacl_jfail(d, &q,
					  "missing: protocol %s needs a port range {\"%s\": N, \"%s\": M}",
					  nacl_proto_name(r->protocol, pbuf),
					  f->from, f->to);
		if (!json_is_object(v))
			return nacl_jfail(d, &q,
					  "expected an object {\"%s\": N, \"%s\": M}, got %s",
					  f->from, f->to, nacl_jtype(v, got));
		hp = q;
	} else {
		const char *miss = !nacl_jset(d, json_object_get(e, f->from)) ? f->from :
				   !nacl_jset(d, json_object_get(e, f->to))   ? f->to :
										NULL;

		if (miss) {
			q = nacl_jp_key(p, miss);
			return nacl_jfail(d, &q,
					  "missing: protocol %s needs %s and %s",
					  nacl_proto_name(r->protocol, pbuf),
					  f->from, f->to);
		}
		hp = *p;
	}
	ret = nacl_jint(d, v, &hp, f->from, 0, 65535, true, 0, &from);
	if (!ret)
		ret = nacl_jint(d, v, &hp, f->to, 0, 65535, true, 0, &to);
	if (ret)
		return ret;
	if (from > to)
		return nacl_jfail(d, &q, "port range %ld-%ld is reversed", from,
				  to);
	r->port_from = (uint16_t)from;
	r->port_to = (uint16_t)to;
	return 0;
}

/*
 * IcmpTypeCode {Type, Code}: for protocol 1, and 58 with an IPv6 CIDR, EC2
 * requires it (CreateNetworkAclEntry answers MissingParameter without it);
 * -1, or a missing Type or Code, means any.  In the flat form (Terraform)
 * the fields are optional.  An IPv4 rule with 58 matches every type (AWS
 * CreateNetworkAclEntry): it needs none, and a type there is dropped with a
 * warning.
 */
static int entry_icmp(const struct nacl_jdoc *d, const json_t *e,
		      const struct nacl_jpath *p,
		      const struct nacl_entry_fmt *f, struct nacl_rule *r)
{
	/* Flat: what Terraform stores, and the provider sends, when unset */
	long def = f->icmp ? NACL_ICMP_ANY : 0, type, code;
	struct nacl_jpath q, hp;
	char pbuf[8], got[32];
	bool given;
	json_t *v;
	int ret;

	r->icmp_type = r->icmp_code = NACL_ICMP_ANY;
	given = entry_holder(d, e, p, f->icmp, f->type, f->code, &v, &q);
	if (r->protocol != NACLEMU_PROTO_ICMP &&
	    r->protocol != NACLEMU_PROTO_ICMPV6) {
		if (given)
			nacl_jwarn(d, &q, "ignored: protocol %s has no ICMP type",
				   nacl_proto_name(r->protocol, pbuf));
		return 0;
	}
	if (f->icmp && !given) {
		if (r->protocol == NACLEMU_PROTO_ICMPV6 && r->cidr.family == 4)
			return 0;
		return nacl_jfail(d, p,
				  "missing %s {\"%s\": T, \"%s\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)",
				  f->icmp, f->type, f->code);
	}
	if (f->icmp && !json_is_object(v))
		return nacl_jfail(d, &q,
				  "expected an object {\"%s\": T, \"%s\": C}, got %s",
				  f->type, f->code, nacl_jtype(v, got));
	hp = f->icmp ? q : *p;
	ret = nacl_jint(d, v, &hp, f->type, -1, 255, false, def, &type);
	if (!ret)
		ret = nacl_jint(d, v, &hp, f->code, -1, 255, false, def, &code);
	if (ret)
		return ret;
	if (!f->icmp && type < 0 && code == 0)
		code = NACL_ICMP_ANY; /* every type: the stored 0 is no code */
	if (type < 0 && code >= 0)
		return nacl_jfail(d, &q,
				  "ICMP code %ld without a type: expected %s %s, or -1/-1 for all",
				  code, f->icmp ? "a" : "an", f->type);
	if (r->protocol == NACLEMU_PROTO_ICMPV6 && r->cidr.family == 4) {
		if (type >= 0 && (f->icmp || given))
			nacl_jwarn(d, &q,
				   "icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code %ld/%ld",
				   type, code);
		return 0;
	}
	r->icmp_type = (int16_t)type;
	r->icmp_code = (int16_t)code;
	return 0;
}

int nacl_json_entry(const struct nacl_jdoc *d, const json_t *e,
		    const struct nacl_jpath *p, const struct nacl_entry_fmt *f,
		    int dir_in, struct nacl_rule *r, enum naclemu_dir *dir)
{
	char got[32], qs[NACL_QUOTE_LEN];
	const char *action;
	struct nacl_jpath q;
	long num = 0;
	int ret, proto;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(e))
		return nacl_jfail(d, p,
				  "expected an object (a network ACL entry), got %s",
				  nacl_jtype(e, got));
	ret = entry_number(d, e, p, f, &num);
	if (ret)
		return ret;
	if (dir_in < 0) {
		ret = entry_dir(d, e, p, f, dir);
		if (ret)
			return ret;
	} else {
		*dir = (enum naclemu_dir)dir_in;
	}
	d->rs->has_dir[*dir] = true;

	ret = nacl_jstr(d, e, p, f->action, "\"allow\" or \"deny\"", &action);
	if (ret)
		return ret;
	if (!strcasecmp(action, "allow")) {
		r->allow = true;
	} else if (strcasecmp(action, "deny")) {
		q = nacl_jp_key(p, f->action);
		return nacl_jfail(d, &q,
				  "unknown action '%s': expected allow or deny",
				  nacl_quote(action, qs));
	}
	ret = entry_proto(d, e, p, f, &proto);
	if (ret)
		return ret;
	r->protocol = (int16_t)proto;
	ret = entry_cidr(d, e, p, f, &r->cidr);
	if (!ret)
		ret = entry_ports(d, e, p, f, r);
	if (!ret)
		ret = entry_icmp(d, e, p, f, r);
	if (ret)
		return ret;

	if (num == NACLEMU_RULE_DEFAULT_V4 || num == NACLEMU_RULE_DEFAULT_V6) {
		int fam = num == NACLEMU_RULE_DEFAULT_V4 ? 4 : 6;

		/* Listed for completeness; always implied, never stored. */
		if (r->allow || r->protocol != NACLEMU_PROTO_ALL ||
		    r->cidr.prefix_len || r->cidr.family != fam)
			return nacl_jfail(d, p,
					  "entry %ld is the default rule *: expected deny, protocol -1 and %s",
					  num, fam == 4 ? "CidrBlock 0.0.0.0/0" :
							  "Ipv6CidrBlock ::/0");
		return NACL_ENTRY_DEFAULT;
	}
	r->number = (uint16_t)num;
	return 0;
}

int nacl_json_add(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		  enum naclemu_dir dir, struct nacl_rule *r)
{
	char where[NACL_JPATH_LEN + 2];

	nacl_jpos(d, p, &r->line, &r->col);
	nacl_rule_str(r, r->text);
	nacl_jp_str(p, where, sizeof(where) - 2);
	strcat(where, ": ");
	return nacl_add_rule(d->rs, dir, r, where, d->err);
}

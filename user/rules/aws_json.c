// SPDX-License-Identifier: MIT
/*
 * aws_json.c - AWS `aws ec2 describe-network-acls` output (docs/semantics.md section 2),
 * read with jansson.
 *
 * Field names and types are those of the EC2 API's NetworkAcl and
 * NetworkAclEntry: RuleNumber (integer), Protocol (a string number, "-1" for
 * all), RuleAction, Egress, CidrBlock / Ipv6CidrBlock, PortRange {From, To},
 * IcmpTypeCode {Type, Code}.  Entries 32767 (IPv4) and 32768 (IPv6) are the
 * default deny that AWS lists with every ACL.
 *
 * jansson keeps no positions for values, so messages about a value find it
 * again in the raw text (json_locate) to say "FILE:LINE:COL: PATH: message".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "rules/model.h"
#include "rules/read.h"
#include "rules/validate.h"

/* NetworkAcls[i].Entries[j].PortRange.From is the deepest we look. */
#define JPATH_MAX 8
#define NPOS ((size_t)-1)

/* Where a value is in the document: object keys and array indexes. */
struct jpath {
	int n;
	struct {
		const char *key; /* NULL: an array index */
		size_t idx;
	} seg[JPATH_MAX];
};

struct jctx {
	const char *name;
	const char *buf; /* the raw text, for positions */
	size_t len;
	struct nacl_ruleset *rs;
	char *err;
};

static struct jpath jp_key(const struct jpath *p, const char *key)
{
	struct jpath q = *p;

	if (q.n < JPATH_MAX) {
		q.seg[q.n].key = key;
		q.seg[q.n].idx = 0;
		q.n++;
	}
	return q;
}

static struct jpath jp_idx(const struct jpath *p, size_t idx)
{
	struct jpath q = *p;

	if (q.n < JPATH_MAX) {
		q.seg[q.n].key = NULL;
		q.seg[q.n].idx = idx;
		q.n++;
	}
	return q;
}

/* "NetworkAcls[0].Entries[3].RuleNumber"; "" for the document itself. */
static void jp_str(const struct jpath *p, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < p->n && off < size; k++) {
		int n;

		if (p->seg[k].key)
			n = snprintf(buf + off, size - off, "%s%s",
				     k ? "." : "", p->seg[k].key);
		else
			n = snprintf(buf + off, size - off, "[%zu]",
				     p->seg[k].idx);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* ---- the locator ------------------------------------------------------------
 * Walks text that jansson has already accepted, so it only needs to tell
 * values apart, not validate them.  Every index is checked against @len.
 */

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* @s[@i] is '"': the index after the closing quote, or NPOS. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return NPOS;
}

/* The index after the value at @i, or NPOS.  Iterative: no deep recursion. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	if (i >= len)
		return NPOS;
	if (s[i] == '"')
		return skip_string(s, len, i);
	if (s[i] != '{' && s[i] != '[') {
		/* A number, true, false or null. */
		while (i < len && s[i] != ',' && s[i] != ']' && s[i] != '}' &&
		       s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		       s[i] != '\r')
			i++;
		return i;
	}
	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			if (i == NPOS)
				return NPOS;
			continue;
		}
		if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return NPOS;
}

/* After a member or element at @i: the index of the next one, or NPOS. */
static size_t next_item(const char *s, size_t len, size_t i)
{
	i = skip_value(s, len, i);
	if (i == NPOS)
		return NPOS;
	i = skip_ws(s, len, i);
	if (i >= len || s[i] != ',')
		return NPOS;
	return skip_ws(s, len, i + 1);
}

/*
 * json_locate() - the offset in @s of the value at @p, or NPOS.
 * Keys are compared byte for byte: a key written with escapes is not found
 * (the caller then names only the path).  jansson rejected duplicate keys,
 * so the one key found is the one it read.
 */
static size_t json_locate(const char *s, size_t len, const struct jpath *p)
{
	size_t i = skip_ws(s, len, 0);

	for (int k = 0; k < p->n; k++) {
		if (i >= len)
			return NPOS;
		if (p->seg[k].key) {
			const char *key = p->seg[k].key;
			size_t klen = strlen(key);

			if (s[i] != '{')
				return NPOS;
			i = skip_ws(s, len, i + 1);
			for (;;) {
				size_t kb = i + 1, ke;

				if (i >= len || s[i] != '"')
					return NPOS;
				i = skip_string(s, len, i);
				if (i == NPOS)
					return NPOS;
				ke = i - 1;
				i = skip_ws(s, len, i);
				if (i >= len || s[i] != ':')
					return NPOS;
				i = skip_ws(s, len, i + 1);
				if (ke - kb == klen &&
				    !memcmp(s + kb, key, klen))
					break;
				i = next_item(s, len, i);
				if (i == NPOS)
					return NPOS;
			}
		} else {
			if (s[i] != '[')
				return NPOS;
			i = skip_ws(s, len, i + 1);
			for (size_t n = 0; n < p->seg[k].idx; n++) {
				i = next_item(s, len, i);
				if (i == NPOS)
					return NPOS;
			}
			if (i >= len || s[i] == ']')
				return NPOS;
		}
	}
	return i < len ? i : NPOS;
}

/*
 * Line and column (1-based) of @p, or of the nearest enclosing value that
 * can be found (a missing key points at its object); 0, 0 if none.
 * Columns count characters, not bytes, as jansson's do.
 */
static void jpos(const struct jctx *cx, const struct jpath *p, uint32_t *line,
		 uint32_t *col)
{
	struct jpath q = *p;
	size_t off;

	*line = *col = 0;
	for (;;) {
		off = json_locate(cx->buf, cx->len, &q);
		if (off != NPOS)
			break;
		if (q.n == 0)
			return;
		q.n--;
	}
	*line = *col = 1;
	for (size_t i = 0; i < off; i++) {
		if (cx->buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)cx->buf[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* "PATH: message" into @msg, and where @p is. */
static void jmsg(const struct jctx *cx, const struct jpath *p,
		 char msg[NACL_MSG_LEN], uint32_t *line, uint32_t *col,
		 const char *fmt, va_list ap)
{
	char where[128];
	int n = 0;

	jp_str(p, where, sizeof(where));
	if (where[0])
		n = snprintf(msg, NACL_MSG_LEN, "%s: ", where);
	vsnprintf(msg + n, NACL_MSG_LEN - (size_t)n, fmt, ap);
	jpos(cx, p, line, col);
}

/* Error "FILE:LINE:COL: PATH: message"; returns -EINVAL. */
static int jfail(const struct jctx *cx, const struct jpath *p,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int jfail(const struct jctx *cx, const struct jpath *p,
		 const char *fmt, ...)
{
	char msg[NACL_MSG_LEN];
	uint32_t line, col;
	va_list ap;

	va_start(ap, fmt);
	jmsg(cx, p, msg, &line, &col, fmt, ap);
	va_end(ap);
	return nacl_fmt_err(cx->err, cx->name, line, col, "%s", msg);
}

/* Warning "FILE:LINE:COL: PATH: message". */
static void jwarn(const struct jctx *cx, const struct jpath *p,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void jwarn(const struct jctx *cx, const struct jpath *p,
		  const char *fmt, ...)
{
	char msg[NACL_MSG_LEN];
	uint32_t line, col;
	va_list ap;

	va_start(ap, fmt);
	jmsg(cx, p, msg, &line, &col, fmt, ap);
	va_end(ap);
	nacl_warn(cx->rs, line, col, "%s", msg);
}

/* What a value is, for "expected X, got Y". */
static const char *jtype(const json_t *v, char buf[32])
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return buf;
	case JSON_REAL:
		return "a fraction";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		break;
	}
	return "null";
}

/*
 * @obj's integer member @key, in [@min, @max].  When it is absent: an error
 * if @required, else *out = @def.
 */
static int jint(const struct jctx *cx, const json_t *obj, const struct jpath *p,
		const char *key, long min, long max, bool required, long def,
		long *out)
{
	struct jpath q = jp_key(p, key);
	json_t *v = json_object_get(obj, key);
	char got[32];

	if (!v) {
		if (required)
			return jfail(cx, &q, "missing: expected an integer %ld..%ld",
				     min, max);
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return jfail(cx, &q, "expected an integer %ld..%ld, got %s", min,
			     max, jtype(v, got));
	*out = (long)json_integer_value(v);
	return 0;
}

/* @obj's string member @key (required); @want says what it should be. */
static int jstr(const struct jctx *cx, const json_t *obj, const struct jpath *p,
		const char *key, const char *want, const char **out)
{
	struct jpath q = jp_key(p, key);
	json_t *v = json_object_get(obj, key);
	char got[32];

	if (!v)
		return jfail(cx, &q, "missing: expected %s", want);
	if (!json_is_string(v))
		return jfail(cx, &q, "expected %s, got %s", want, jtype(v, got));
	*out = json_string_value(v);
	return 0;
}

/* Protocol: AWS writes a string ("6", "-1"); take an integer too. */
static int entry_proto(const struct jctx *cx, const json_t *e,
		       const struct jpath *p, int *proto)
{
	static const char want[] = "a protocol number as a string, such as \"6\" or \"-1\"";
	struct jpath q = jp_key(p, "Protocol");
	json_t *v = json_object_get(e, "Protocol");
	char msg[NACL_MSG_LEN], got[32];

	if (v && json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < -1 || n > 255)
			return jfail(cx, &q,
				     "protocol number %" JSON_INTEGER_FORMAT " is out of range: expected 0..255 or -1 (all)",
				     n);
		*proto = (int)n;
		return 0;
	}
	if (!v)
		return jfail(cx, &q, "missing: expected %s", want);
	if (!json_is_string(v))
		return jfail(cx, &q, "expected %s, got %s", want, jtype(v, got));
	if (nacl_check_proto(json_string_value(v), proto, msg))
		return jfail(cx, &q, "%s", msg);
	return 0;
}

/* CidrBlock or Ipv6CidrBlock: exactly one, of its own family. */
static int entry_cidr(const struct jctx *cx, const json_t *e,
		      const struct jpath *p, struct naclemu_cidr *c)
{
	bool v6 = json_object_get(e, "Ipv6CidrBlock") != NULL, host_bits;
	const char *key = v6 ? "Ipv6CidrBlock" : "CidrBlock", *s;
	char msg[NACL_MSG_LEN], cbuf[64], q[NACL_QUOTE_LEN];
	struct jpath kp = jp_key(p, key);
	int ret;

	if (v6 && json_object_get(e, "CidrBlock"))
		return jfail(cx, p,
			     "has both CidrBlock and Ipv6CidrBlock: expected exactly one");
	if (!v6 && !json_object_get(e, "CidrBlock"))
		return jfail(cx, p,
			     "missing CidrBlock or Ipv6CidrBlock: expected exactly one");
	ret = jstr(cx, e, p, key, v6 ? "an IPv6 CIDR string" : "an IPv4 CIDR string",
		   &s);
	if (ret)
		return ret;
	if (nacl_check_cidr(s, v6 ? 6 : 4, c, &host_bits, msg))
		return jfail(cx, &kp, "%s", msg);
	if (host_bits)
		jwarn(cx, &kp, "host bits set in %s: using %s", nacl_quote(s, q),
		      nacl_cidr_str(c, cbuf));
	return 0;
}

/* PortRange {From, To}: required for tcp and udp, ignored otherwise (AWS). */
static int entry_ports(const struct jctx *cx, const json_t *e,
		       const struct jpath *p, struct nacl_rule *r)
{
	struct jpath q = jp_key(p, "PortRange");
	json_t *v = json_object_get(e, "PortRange");
	char pbuf[8], got[32];
	long from, to;
	int ret;

	r->port_from = 0;
	r->port_to = 65535;
	if (r->protocol != NACLEMU_PROTO_TCP && r->protocol != NACLEMU_PROTO_UDP) {
		if (v)
			jwarn(cx, &q, "ignored: protocol %s has no ports",
			      nacl_proto_name(r->protocol, pbuf));
		return 0;
	}
	if (!v)
		return jfail(cx, &q,
			     "missing: protocol %s needs a port range {\"From\": N, \"To\": M}",
			     nacl_proto_name(r->protocol, pbuf));
	if (!json_is_object(v))
		return jfail(cx, &q,
			     "expected an object {\"From\": N, \"To\": M}, got %s",
			     jtype(v, got));
	ret = jint(cx, v, &q, "From", 0, 65535, true, 0, &from);
	if (!ret)
		ret = jint(cx, v, &q, "To", 0, 65535, true, 0, &to);
	if (ret)
		return ret;
	if (from > to)
		return jfail(cx, &q, "port range %ld-%ld is reversed", from, to);
	r->port_from = (uint16_t)from;
	r->port_to = (uint16_t)to;
	return 0;
}

/*
 * IcmpTypeCode {Type, Code}: for protocol 1, and 58 with an IPv6 CIDR;
 * absent or -1 means any.  An IPv4 rule with 58 matches every type (AWS
 * CreateNetworkAclEntry), so a type there is dropped with a warning.
 */
static int entry_icmp(const struct jctx *cx, const json_t *e,
		      const struct jpath *p, struct nacl_rule *r)
{
	struct jpath q = jp_key(p, "IcmpTypeCode");
	json_t *v = json_object_get(e, "IcmpTypeCode");
	char pbuf[8], got[32];
	long type, code;
	int ret;

	r->icmp_type = r->icmp_code = NACL_ICMP_ANY;
	if (r->protocol != NACLEMU_PROTO_ICMP &&
	    r->protocol != NACLEMU_PROTO_ICMPV6) {
		if (v)
			jwarn(cx, &q, "ignored: protocol %s has no ICMP type",
			      nacl_proto_name(r->protocol, pbuf));
		return 0;
	}
	if (!v)
		return 0;
	if (!json_is_object(v))
		return jfail(cx, &q,
			     "expected an object {\"Type\": T, \"Code\": C}, got %s",
			     jtype(v, got));
	ret = jint(cx, v, &q, "Type", -1, 255, false, -1, &type);
	if (!ret)
		ret = jint(cx, v, &q, "Code", -1, 255, false, -1, &code);
	if (ret)
		return ret;
	if (type < 0 && code >= 0)
		return jfail(cx, &q,
			     "ICMP code %ld without a type: expected a Type, or -1/-1 for all",
			     code);
	if (r->protocol == NACLEMU_PROTO_ICMPV6 && r->cidr.family == 4) {
		if (type >= 0)
			jwarn(cx, &q,
			      "icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code %ld/%ld",
			      type, code);
		return 0;
	}
	r->icmp_type = (int16_t)type;
	r->icmp_code = (int16_t)code;
	return 0;
}

/*
 * RuleNumber: 1..32766, or 32767 / 32768, the default deny AWS lists with
 * every ACL (IPv4 / IPv6).
 */
static int entry_number(const struct jctx *cx, const json_t *e,
			const struct jpath *p, long *num)
{
	struct jpath q = jp_key(p, "RuleNumber");
	json_t *v = json_object_get(e, "RuleNumber");
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
	char got[32];

	if (!v)
		return jfail(cx, &q, "missing: expected an integer 1..32766");
	if (n < NACLEMU_RULE_MIN || n > NACLEMU_RULE_DEFAULT_V6)
		return jfail(cx, &q, "expected an integer 1..32766, got %s",
			     jtype(v, got));
	*num = (long)n;
	return 0;
}

/* One NetworkAclEntry at @p. */
static int parse_entry(const struct jctx *cx, const json_t *e,
		       const struct jpath *p)
{
	char got[32], where[128], qs[NACL_QUOTE_LEN];
	enum naclemu_dir dir;
	struct nacl_rule r;
	const char *action;
	struct jpath q;
	json_t *v;
	long num = 0;
	int ret, proto;

	memset(&r, 0, sizeof(r));
	if (!json_is_object(e))
		return jfail(cx, p,
			     "expected an object (a network ACL entry), got %s",
			     jtype(e, got));
	ret = entry_number(cx, e, p, &num);
	if (ret)
		return ret;

	q = jp_key(p, "Egress");
	v = json_object_get(e, "Egress");
	if (!v)
		return jfail(cx, &q,
			     "missing: expected true (outbound) or false (inbound)");
	if (!json_is_boolean(v))
		return jfail(cx, &q,
			     "expected true (outbound) or false (inbound), got %s",
			     jtype(v, got));
	dir = json_is_true(v) ? NACLEMU_EGRESS : NACLEMU_INGRESS;
	cx->rs->has_dir[dir] = true;

	ret = jstr(cx, e, p, "RuleAction", "\"allow\" or \"deny\"", &action);
	if (ret)
		return ret;
	if (!strcasecmp(action, "allow")) {
		r.allow = true;
	} else if (strcasecmp(action, "deny")) {
		q = jp_key(p, "RuleAction");
		return jfail(cx, &q, "unknown action '%s': expected allow or deny",
			     nacl_quote(action, qs));
	}
	ret = entry_proto(cx, e, p, &proto);
	if (ret)
		return ret;
	r.protocol = (int16_t)proto;
	ret = entry_cidr(cx, e, p, &r.cidr);
	if (!ret)
		ret = entry_ports(cx, e, p, &r);
	if (!ret)
		ret = entry_icmp(cx, e, p, &r);
	if (ret)
		return ret;

	if (num == NACLEMU_RULE_DEFAULT_V4 || num == NACLEMU_RULE_DEFAULT_V6) {
		int fam = num == NACLEMU_RULE_DEFAULT_V4 ? 4 : 6;

		/* Listed for completeness; always implied, never stored. */
		if (r.allow || r.protocol != NACLEMU_PROTO_ALL ||
		    r.cidr.prefix_len || r.cidr.family != fam)
			return jfail(cx, p,
				     "entry %ld is the default rule *: expected deny, protocol -1 and %s",
				     num, fam == 4 ? "CidrBlock 0.0.0.0/0" :
						     "Ipv6CidrBlock ::/0");
		return 0;
	}
	r.number = (uint16_t)num;
	jpos(cx, p, &r.line, &r.col);
	nacl_rule_str(&r, r.text);
	jp_str(p, where, sizeof(where) - 2);
	strcat(where, ": ");
	return nacl_add_rule(cx->rs, dir, &r, where, cx->err);
}

/* One NetworkAcl (or {"Entries": [...]}) at @p. */
static int parse_acl(const struct jctx *cx, const json_t *acl,
		     const struct jpath *p)
{
	struct jpath q = jp_key(p, "NetworkAclId");
	json_t *v = json_object_get(acl, "NetworkAclId"), *e;
	char got[32];
	size_t i;
	int ret;

	if (v && !json_is_string(v))
		return jfail(cx, &q,
			     "expected a string such as \"acl-0123456789abcdef0\", got %s",
			     jtype(v, got));
	if (v)
		snprintf(cx->rs->acl_id, sizeof(cx->rs->acl_id), "%s",
			 json_string_value(v));
	q = jp_key(p, "Entries");
	v = json_object_get(acl, "Entries");
	if (!v)
		return jfail(cx, &q, "missing: expected an array of entries");
	if (!json_is_array(v))
		return jfail(cx, &q, "expected an array of entries, got %s",
			     jtype(v, got));
	if (!json_array_size(v))
		return jfail(cx, &q, "no entries: expected the network ACL's rules");
	json_array_foreach(v, i, e) {
		struct jpath ep = jp_idx(&q, i);

		ret = parse_entry(cx, e, &ep);
		if (ret)
			return ret;
	}
	nacl_parse_done(cx->rs, "entries");
	return 0;
}

static bool acl_matches(const json_t *acl, const struct nacl_select *sel)
{
	const char *id = json_string_value(json_object_get(acl, "NetworkAclId"));
	json_t *assoc = json_object_get(acl, "Associations"), *a;
	size_t i;

	if (sel->acl_id && (!id || strcmp(id, sel->acl_id)))
		return false;
	if (!sel->subnet_id)
		return true;
	json_array_foreach(assoc, i, a) {
		const char *s = json_string_value(json_object_get(a, "SubnetId"));

		if (s && !strcmp(s, sel->subnet_id))
			return true;
	}
	return false;
}

/* "acl-1, acl-2" for messages: the ids of @acls[] (matching @sel if set). */
static void list_ids(json_t *const *acls, size_t n,
		     const struct nacl_select *sel, char *buf, size_t size)
{
	char q[NACL_QUOTE_LEN];
	size_t off = 0;

	snprintf(buf, size, "none");
	for (size_t i = 0; i < n && off + 4 < size; i++) {
		const char *id;
		int w;

		if (sel && !acl_matches(acls[i], sel))
			continue;
		id = json_string_value(json_object_get(acls[i], "NetworkAclId"));
		w = snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
			     id ? nacl_quote(id, q) : "(no NetworkAclId)");
		if (w < 0 || (size_t)w >= size - off) {
			snprintf(buf + off, size - off, "%s...", off ? ", " : "");
			break;
		}
		off += (size_t)w;
	}
}

/* The error for a selection that matches @nmatch (!= 1) of @acls[]. */
static int select_fail(const struct jctx *cx, json_t *const *acls, size_t n,
		       size_t nmatch, const struct nacl_select *sel)
{
	char all[200], q1[NACL_QUOTE_LEN], q2[NACL_QUOTE_LEN];

	if (nmatch > 1) {
		list_ids(acls, n, sel, all, sizeof(all));
		return nacl_fmt_err(cx->err, cx->name, 0, 0,
				    "%zu network ACLs in this file (%s): choose one with --acl ID or --subnet-id ID",
				    nmatch, all);
	}
	list_ids(acls, n, NULL, all, sizeof(all));
	if (sel->acl_id && sel->subnet_id)
		return nacl_fmt_err(cx->err, cx->name, 0, 0,
				    "no network ACL %s associated with %s in this file (it has %s)",
				    nacl_quote(sel->acl_id, q1),
				    nacl_quote(sel->subnet_id, q2), all);
	if (sel->acl_id)
		return nacl_fmt_err(cx->err, cx->name, 0, 0,
				    "no network ACL %s in this file (it has %s)",
				    nacl_quote(sel->acl_id, q1), all);
	if (sel->subnet_id)
		return nacl_fmt_err(cx->err, cx->name, 0, 0,
				    "no network ACL associated with %s in this file (it has %s)",
				    nacl_quote(sel->subnet_id, q2), all);
	return nacl_fmt_err(cx->err, cx->name, 0, 0,
			    "no network ACL in this file");
}

/* The one ACL @sel chooses from the document @root; *p is its path. */
static int select_acl(const struct jctx *cx, json_t *root,
		      const struct nacl_select *sel, json_t **acl,
		      struct jpath *p)
{
	static const struct nacl_select none;
	struct jpath q = { 0 };
	json_t *nacls, *v, **acls;
	size_t i, n, nmatch = 0;
	char got[32];
	int ret = 0;

	if (!sel)
		sel = &none;
	*p = q;
	if (!json_is_object(root))
		return jfail(cx, p,
			     "expected an object: describe-network-acls output, a NetworkAcl or {\"Entries\": [...]}, got %s",
			     jtype(root, got));
	nacls = json_object_get(root, "NetworkAcls");
	if (!nacls) {
		if (!json_object_get(root, "Entries"))
			return jfail(cx, p,
				     "expected NetworkAcls or Entries: describe-network-acls output, a NetworkAcl or {\"Entries\": [...]}");
		*acl = root;
		if (!acl_matches(root, sel))
			return select_fail(cx, acl, 1, 0, sel);
		return 0;
	}
	q = jp_key(p, "NetworkAcls");
	if (!json_is_array(nacls))
		return jfail(cx, &q, "expected an array of network ACLs, got %s",
			     jtype(nacls, got));
	n = json_array_size(nacls);
	acls = calloc(n ? n : 1, sizeof(*acls));
	if (!acls) {
		snprintf(cx->err, NACL_MSG_LEN, "%s: out of memory", cx->name);
		return -ENOMEM;
	}
	json_array_foreach(nacls, i, v) {
		if (!json_is_object(v)) {
			struct jpath ip = jp_idx(&q, i);

			ret = jfail(cx, &ip,
				    "expected an object (a network ACL), got %s",
				    jtype(v, got));
			goto out;
		}
		acls[i] = v;
		if (acl_matches(v, sel)) {
			if (!nmatch)
				*p = jp_idx(&q, i);
			nmatch++;
		}
	}
	if (nmatch == 1)
		*acl = json_array_get(nacls, p->seg[p->n - 1].idx);
	else
		ret = select_fail(cx, acls, n, nmatch, sel);
out:
	free(acls);
	return ret;
}

int nacl_parse_json(const char *name, const char *buf, size_t len,
		    const struct nacl_select *sel, struct nacl_ruleset *rs,
		    char err[NACL_MSG_LEN])
{
	struct jctx cx = {
		.name = name, .buf = buf, .len = len, .rs = rs, .err = err,
	};
	json_error_t jerr;
	json_t *root, *acl = NULL;
	struct jpath p;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->path = name;
	/* AWS never repeats a key; refusing them keeps json_locate exact. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jansson quotes the input near the error: keep it printable */
		for (unsigned char *c = (unsigned char *)jerr.text; *c; c++) {
			if (*c < 0x20 || *c >= 0x7f)
				*c = '?';
		}
		/* At the end of an empty file jansson says column 0. */
		return nacl_fmt_err(err, name,
				    jerr.line > 0 ? (uint32_t)jerr.line : 0,
				    jerr.column > 1 ? (uint32_t)jerr.column : 1,
				    "invalid JSON: %s", jerr.text);
	}
	ret = select_acl(&cx, root, sel, &acl, &p);
	if (!ret)
		ret = parse_acl(&cx, acl, &p);
	json_decref(root);
	return ret;
}

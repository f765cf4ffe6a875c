// SPDX-License-Identifier: MIT
/*
 * test_bpf_diff.c - differential test: random (rule set, packet) pairs,
 * each judged by the BPF datapath (BPF_PROG_TEST_RUN on the real object)
 * and by the offline evaluator (nacl_exempt(), then nacl_evaluate()).  The
 * verdict and the counted rule must be equal.
 *
 * The generator is biased to where bugs live: port range ends and one past
 * them, the first and last address of a CIDR and their neighbours, ICMP
 * type/code -1, protocol -1, IPv4 against IPv6, rules with the maximum
 * count (39 per direction and family), exempt ports and addresses, later
 * fragments with unknown ports.  Both ways of finding an interval are
 * covered: the tries (key, IPv4 address) and the binary searches, which a
 * third of the rule sets are forced to take and scattered rule sets (hosts
 * and single ports all over) take because they overflow the tries' pools.
 * Fixed seed (NACLEMU_DIFF_SEED overrides);
 * the seed and the first disagreement are printed.  Needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf_harness.h"

#define SETS 1100
#define PACKETS_PER_SET 100 /* 110,000 pairs */

static __u64 rng_state;

static __u64 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static const int port_pool[] = { 0, 1, 20, 21, 22, 23, 53, 67, 68, 79, 80, 81, 123, 443,
				  546, 547, 1023, 1024, 1025, 32767, 32768, 49151, 49152,
				  60999, 61000, 65534, 65535 };
static const int icmp_pool[] = { -1, 0, 1, 3, 4, 8, 11, 128, 129, 132, 133, 135, 137, 138, 255 };
static const int proto_pool[] = { -1, -1, 6, 6, 6, 17, 17, 1, 58, 50, 47, 132, 0, 255 };

#define PICK(pool) (pool[below(sizeof(pool) / sizeof(pool[0]))])

/*
 * Scattered rule sets: hosts and small networks anywhere and single ports
 * anywhere, so that they need more trie blocks than the pools hold.
 */
static bool scatter;

/* A few base networks, so rules overlap and nest often. */
static const char *const v4_base[] = { "192.0.2.0", "198.51.100.0", "203.0.113.0",
				       "0.0.0.0", "255.255.255.255", "169.254.169.254",
				       "192.0.2.128" };
static const char *const v6_base[] = { "2001:db8::", "2001:db8:1::", "2001:db8:ffff::1",
				       "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				       "fd00:ec2::254", "fe80::1" };

static void random_cidr(struct naclemu_cidr *c, __u8 family)
{
	static const int plen4[] = { 0, 1, 8, 16, 23, 24, 25, 28, 31, 32 };
	static const int plen6[] = { 0, 1, 32, 48, 63, 64, 65, 120, 127, 128 };
	unsigned int bits = family == 4 ? 32 : 128;

	memset(c, 0, sizeof(*c));
	c->family = family;
	if (scatter) {
		static const int plens[] = { 32, 32, 31, 28, 24, 20 };

		for (unsigned int i = 0; i < bits / 8; i++)
			c->addr[i] = (uint8_t)rnd();
		c->prefix_len = (__u8)(PICK(plens) + (family == 6 ? 96 : 0));
	} else if (family == 4) {
		inet_pton(AF_INET, PICK(v4_base), c->addr);
		c->prefix_len = (__u8)(chance(80) ? PICK(plen4) : (int)below(33));
	} else {
		inet_pton(AF_INET6, PICK(v6_base), c->addr);
		c->prefix_len = (__u8)(chance(80) ? PICK(plen6) : (int)below(129));
	}
	if (chance(30)) /* perturb inside the prefix */
		c->addr[below(bits / 8)] ^= (uint8_t)(1u << below(8));
	/* Canonicalise: clear host bits, as the parsers do. */
	for (unsigned int i = 0; i < bits / 8; i++) {
		int keep = (int)c->prefix_len - (int)(i * 8);

		if (keep <= 0)
			c->addr[i] = 0;
		else if (keep < 8)
			c->addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

static void random_rule(struct nacl_rule *r, __u8 family)
{
	int a, b;

	memset(r, 0, sizeof(*r));
	r->allow = chance(60);
	r->protocol = (int16_t)(chance(90) ? PICK(proto_pool) : (int)below(256));
	r->port_from = 0;
	r->port_to = 65535;
	r->icmp_type = r->icmp_code = -1;
	if (scatter && chance(80)) {
		r->protocol = chance(50) ? 6 : 17;
		r->port_from = r->port_to = (uint16_t)below(65536);
	} else if (r->protocol == 6 || r->protocol == 17) {
		a = chance(80) ? PICK(port_pool) : (int)below(65536);
		b = chance(30) ? a : chance(80) ? PICK(port_pool) : (int)below(65536);
		r->port_from = (uint16_t)(a < b ? a : b);
		r->port_to = (uint16_t)(a < b ? b : a);
	} else if (r->protocol == 1 || r->protocol == 58) {
		r->icmp_type = (int16_t)PICK(icmp_pool);
		if (r->icmp_type >= 0 && chance(50))
			r->icmp_code = (int16_t)(chance(70) ? (int)below(5) : (int)below(256));
	}
	random_cidr(&r->cidr, family);
}

static void random_ruleset(struct nacl_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->path = "diff.nacl";
	for (int d = 0; d < 2; d++) {
		bool used[32767] = { false };

		rs->has_dir[d] = true;
		for (__u8 family = 4; family <= 6; family += 2) {
			/* Mostly small sets, sometimes the AWS maximum. */
			unsigned int n = chance(10) ? NACL_QUOTA_MAX :
					 chance(70) ? below(8) : below(NACL_QUOTA_MAX + 1);

			for (unsigned int i = 0; i < n; i++) {
				struct nacl_rule *r = &rs->rules[d][rs->count[d]];
				unsigned int num;

				random_rule(r, family);
				do {
					num = chance(50) ? 1 + below(200) : 1 + below(32766);
				} while (used[num]);
				used[num] = true;
				r->number = (uint16_t)num;
				rs->count[d]++;
			}
		}
	}
	nacl_sort(rs);
}

/* @a += @delta as a big-endian number of @n bytes (wrapping). */
static void addr_add(uint8_t *a, unsigned int n, int delta)
{
	int carry = delta;

	for (int i = (int)n - 1; i >= 0 && carry; i--) {
		int v = a[i] + carry;

		a[i] = (uint8_t)v;
		carry = v >> 8; /* arithmetic shift: -1 for a borrow */
	}
}

/* An address near @c's edges, or inside it, or anywhere. */
static void address_near(const struct naclemu_cidr *c, __u8 family, uint8_t out[16])
{
	unsigned int n = family == 4 ? 4 : 16, which;

	memset(out, 0, 16);
	if (!c || c->family != family || chance(15)) {
		for (unsigned int i = 0; i < n; i++)
			out[i] = (uint8_t)rnd();
		if (chance(20))
			inet_pton(family == 4 ? AF_INET : AF_INET6,
				  family == 4 ? PICK(v4_base) : PICK(v6_base), out);
		return;
	}
	memcpy(out, c->addr, n);
	which = below(5);
	switch (which) {
	case 0: /* first */
		break;
	case 1: /* one before the first */
		addr_add(out, n, -1);
		break;
	case 2: /* last */
	case 3: /* one past the last */
		for (unsigned int i = 0; i < n; i++) {
			int keep = (int)c->prefix_len - (int)(i * 8);

			if (keep <= 0)
				out[i] = 0xff;
			else if (keep < 8)
				out[i] |= (uint8_t)(0xff >> keep);
		}
		addr_add(out, n, which == 3 ? 1 : 0);
		break;
	default: /* somewhere inside */
		for (unsigned int i = 0; i < n; i++) {
			int keep = (int)c->prefix_len - (int)(i * 8);

			if (keep <= 0)
				out[i] = (uint8_t)rnd();
			else if (keep < 8)
				out[i] |= (uint8_t)(rnd() & (0xff >> keep));
		}
	}
}

static int near(int lo, int hi)
{
	int v;

	switch (below(6)) {
	case 0: v = lo - 1; break;
	case 1: v = lo; break;
	case 2: v = hi; break;
	case 3: v = hi + 1; break;
	default: v = lo + (int)below((unsigned int)(hi - lo + 1)); break;
	}
	return v < 0 ? 0 : v > 65535 ? 65535 : v;
}

static bool v6_ext_proto(int p)
{
	return p == 0 || p == 43 || p == 44 || p == 51 || p == 60;
}

/* A packet aimed at one of @rs's rules (or at nothing in particular). */
static void random_packet(const struct nacl_ruleset *rs, const struct naclemu_cidr *extra,
			  size_t nextra, struct nacl_packet *p, int *frag)
{
	const struct nacl_rule *r = NULL;
	const struct naclemu_cidr *target = NULL;
	uint8_t *peer, *other;
	int proto;

	memset(p, 0, sizeof(*p));
	p->dir = chance(50) ? NACLEMU_INGRESS : NACLEMU_EGRESS;
	if (rs->count[p->dir] && chance(85))
		r = &rs->rules[p->dir][below((unsigned int)rs->count[p->dir])];
	p->family = r && chance(90) ? r->cidr.family : chance(50) ? 4 : 6;
	target = r ? &r->cidr : NULL;
	if (nextra && chance(10))
		target = &extra[below((unsigned int)nextra)];

	proto = r && r->protocol >= 0 && chance(85) ? r->protocol :
		chance(80) ? PICK(proto_pool) : (int)below(256);
	if (proto < 0)
		proto = chance(50) ? 6 : (int)below(256);
	if (p->family == 6 && v6_ext_proto(proto))
		proto = 17;
	p->protocol = (uint8_t)proto;

	peer = p->dir == NACLEMU_INGRESS ? p->src : p->dst;
	other = p->dir == NACLEMU_INGRESS ? p->dst : p->src;
	address_near(target, p->family, peer);
	address_near(NULL, p->family, other);

	p->l4_known = true;
	p->src_port = (uint16_t)below(65536);
	if (r && (r->protocol == 6 || r->protocol == 17))
		p->dst_port = (uint16_t)near(r->port_from, r->port_to);
	else
		p->dst_port = (uint16_t)(chance(70) ? PICK(port_pool) : (int)below(65536));
	if (r && r->icmp_type >= 0 && chance(80)) {
		p->icmp_type = (uint8_t)near(r->icmp_type, r->icmp_type);
		p->icmp_code = r->icmp_code >= 0 ? (uint8_t)near(r->icmp_code, r->icmp_code) :
						   (uint8_t)below(256);
	} else {
		int t = PICK(icmp_pool);

		p->icmp_type = (uint8_t)(t < 0 ? (int)below(256) : t);
		p->icmp_code = (uint8_t)(chance(70) ? below(3) : below(256));
	}
	*frag = 0;
	if (chance(8)) {
		*frag = chance(50) ? 1 : 2;
		p->l4_known = *frag != 2;
	}
}

static void packet_frame(const struct nacl_packet *p, int frag, unsigned int id,
			 struct frame_spec *f)
{
	static char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = p->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, p->src, src, sizeof(src));
	inet_ntop(af, p->dst, dst, sizeof(dst));
	memset(f, 0, sizeof(*f));
	f->src = src;
	f->dst = dst;
	f->proto = p->protocol;
	f->sport = p->src_port;
	f->dport = p->dst_port;
	f->type = p->icmp_type;
	f->code = p->icmp_code;
	f->frag = frag;
	f->id = id;
	if (frag && p->family == 6)
		f->ext = "F";
}

static const char *packet_str(const struct nacl_packet *p, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = p->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, p->src, s, sizeof(s));
	inet_ntop(af, p->dst, d, sizeof(d));
	snprintf(buf, len, "%s IPv%u proto %u %s -> %s dport %u icmp %u/%u%s",
		 p->dir == NACLEMU_INGRESS ? "ingress" : "egress", p->family, p->protocol, s, d,
		 p->dst_port, p->icmp_type, p->icmp_code,
		 p->l4_known ? "" : " (later fragment, ports unknown)");
	return buf;
}

static void print_rules(const struct nacl_ruleset *rs, int dir)
{
	char buf[NACL_TEXT_LEN];

	fprintf(stderr, "  %s rules:\n", nacl_dir_name((enum naclemu_dir)dir));
	for (size_t i = 0; i < rs->count[dir]; i++)
		fprintf(stderr, "    %s\n", nacl_rule_str(&rs->rules[dir][i], buf));
}

static void differential(void **state)
{
	static struct nacl_ruleset rs;
	static __u64 shadow[NACLEMU_NSLOTS];
	struct naclemu_cidr ex[2], sub[2], vpc[2];
	char why[256], err[NACL_MSG_LEN], pbuf[256], cbuf[64];
	const char *env = getenv("NACLEMU_DIFF_SEED");
	__u64 seed = env ? strtoull(env, NULL, 0) : 0x6e61636c656d75ULL;
	struct harness *h;
	unsigned int id = 0;
	size_t pairs = 0, allowed = 0, exempt = 0, frags = 0;
	size_t forced = 0, key_search = 0, addr_search = 0;

	(void)state;
	h = harness_open(why, sizeof(why));
	if (!h) {
		fprintf(stderr, "skip: %s\n", why);
		skip();
	}
	rng_state = seed;
	printf("seed 0x%llx (set NACLEMU_DIFF_SEED to replay), %d rule sets x %d packets\n",
	       (unsigned long long)seed, SETS, PACKETS_PER_SET);
	for (__u32 s = 0; s < NACLEMU_NSLOTS; s++)
		shadow[s] = harness_packets(h, s);

	for (int set = 0; set < SETS; set++) {
		struct nacl_extra x = { ex, 0, sub, 0, vpc, 0 };
		struct naclemu_cidr extra[6];
		size_t nextra = 0;

		scatter = chance(10);
		random_ruleset(&rs);
		scatter = false;
		if (chance(30)) {
			x.nexempt = below(3);
			for (size_t i = 0; i < x.nexempt; i++)
				random_cidr(&ex[i], chance(50) ? 4 : 6);
			x.nsubnet = below(3);
			for (size_t i = 0; i < x.nsubnet; i++)
				random_cidr(&sub[i], chance(50) ? 4 : 6);
			x.nvpc = below(2);
			for (size_t i = 0; i < x.nvpc; i++)
				random_cidr(&vpc[i], 4);
		}
		for (size_t i = 0; i < x.nexempt; i++)
			extra[nextra++] = ex[i];
		for (size_t i = 0; i < x.nsubnet; i++)
			extra[nextra++] = sub[i];
		/* The Resolver's address itself, so that packets reach it. */
		for (size_t i = 0; i < x.nvpc; i++)
			nacl_resolver(&vpc[i], &extra[nextra++]);
		h->force_search = chance(33) ? NACLEMU_SEARCH_KEY | NACLEMU_SEARCH_ADDR : 0;
		if (harness_set_rules(h, &rs, &x, err))
			fail_msg("set %d: cannot install: %s", set, err);
		forced += h->force_search != 0;
		for (int d = 0; d < 2 && !h->force_search; d++) {
			key_search += (h->rules->t[d][NACLEMU_V4].search & NACLEMU_SEARCH_KEY) != 0;
			addr_search += (h->rules->t[d][NACLEMU_V4].search & NACLEMU_SEARCH_ADDR) != 0;
		}

		for (int k = 0; k < PACKETS_PER_SET; k++) {
			struct nacl_packet p;
			struct nacl_verdict v = { .allow = true };
			enum nacl_exempt_reason why_ex;
			struct frame_spec f;
			uint8_t frame[2048];
			size_t len;
			int frag, retval;
			__u32 slot;
			__u64 got;

			random_packet(&rs, extra, nextra, &p, &frag);
			/* Odd ids for later fragments: never a remembered first one. */
			id += 2;
			packet_frame(&p, frag, frag == 2 ? id + 1 : id, &f);
			len = frame_build(&f, frame);

			why_ex = nacl_exempt(&p, &x);
			if (why_ex == NACL_EXEMPT_SUBNET) {
				slot = NACLEMU_SLOT_SUBNET + (__u32)p.dir;
			} else if (why_ex != NACL_NOT_EXEMPT) {
				slot = NACLEMU_SLOT_EXEMPT + (__u32)p.dir;
			} else {
				v = nacl_evaluate(&rs, &p);
				slot = harness_rule_slot(h, p.dir, p.family, v.rule_number);
			}
			assert_int_not_equal(slot, UINT32_MAX);

			assert_int_equal(harness_run(h, p.dir, frame, len, 0, &retval), 0);
			shadow[slot]++;
			got = harness_packets(h, slot);
			if (got != shadow[slot] || retval != (v.allow ? TC_ACT_UNSPEC : TC_ACT_SHOT)) {
				__u32 actual = UINT32_MAX;

				for (__u32 s = 0; s < NACLEMU_NSLOTS; s++)
					if (harness_packets(h, s) != shadow[s] && s != slot)
						actual = s;
				fprintf(stderr,
					"first disagreement: seed 0x%llx, set %d, packet %d\n"
					"  packet: %s\n"
					"  evaluator: %s, %s (slot %u)\n"
					"  BPF: %s, counted in slot %u\n",
					(unsigned long long)seed, set, k,
					packet_str(&p, pbuf, sizeof(pbuf)),
					v.allow ? "allow" : "deny",
					why_ex == NACL_EXEMPT_SUBNET ? "subnet" :
					why_ex != NACL_NOT_EXEMPT ? "exempt" : "rule",
					slot, retval == TC_ACT_SHOT ? "deny" : "allow",
					actual == UINT32_MAX ? slot : actual);
				if (why_ex == NACL_NOT_EXEMPT)
					fprintf(stderr, "  evaluator's rule: %u\n", v.rule_number);
				print_rules(&rs, p.dir);
				for (size_t i = 0; i < nextra; i++)
					fprintf(stderr, "  exempt, subnet or resolver: %s\n",
						nacl_cidr_str(&extra[i], cbuf));
				fail_msg("BPF and nacl_evaluate() disagree after %zu pairs", pairs);
			}
			pairs++;
			allowed += v.allow;
			exempt += why_ex != NACL_NOT_EXEMPT;
			frags += frag != 0;
		}
	}
	printf("%zu pairs agree (%zu allowed, %zu exempt, %zu fragments)\n", pairs, allowed,
	       exempt, frags);
	printf("%zu sets forced to search; of the others' IPv4 tables, %zu overflowed the key "
	       "trie, %zu the address trie\n", forced, key_search, addr_search);
	assert_true(pairs >= 100000);
	assert_true(forced >= SETS / 5 && key_search >= 10 && addr_search >= 10);
	harness_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

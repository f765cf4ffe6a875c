/* SPDX-License-Identifier: MIT */
/*
 * bpf_harness.h - BPF_PROG_TEST_RUN on the real naclemu object: load the
 * skeleton, install a compiled rule set, build a packet, run it through the
 * ingress or egress program and see which counter slot it landed in.
 * Shared by test_bpf_datapath.c (table-driven) and test_bpf_diff.c
 * (differential against nacl_evaluate()).  Needs root: callers skip without.
 */
#ifndef NACLEMU_BPF_HARNESS_H
#define NACLEMU_BPF_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "analysis/eval.h"
#include "datapath/compile.h"
#include "datapath/datapath.h"
#include "naclemu.skel.h"
#include "datapath/datapath.h"

struct harness {
	struct naclemu *skel;
	int prog[2]; /* [enum naclemu_dir] */
	int outer_fd;
	int counters_fd;
	int flows_fd; /* the flow table's outer map (a table in it with o->flow_entries) */
	int ncpus;
	struct naclemu_counter *percpu;
	struct naclemu_rules *rules; /* what is installed */
	__u32 force_search; /* NACLEMU_SEARCH_* bits harness_set_rules() adds to every table */
};

static inline int harness_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("NACLEMU_TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static inline void harness_close(struct harness *h);

/*
 * Returns NULL (with a reason in @why) when BPF cannot be used here.  @o:
 * the load settings (events rate, ring, clock, flow log: then with an empty
 * flow table in place, as attach makes it), NULL for attach's defaults.
 */
static inline struct harness *harness_open_with(const struct dp_load_opts *o, char *why,
						size_t whylen)
{
	struct harness *h;
	int ret;

	if (geteuid() != 0) {
		snprintf(why, whylen, "needs root for BPF_PROG_TEST_RUN");
		return NULL;
	}
	libbpf_set_print(harness_quiet);
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->rules = calloc(1, sizeof(*h->rules));
	ret = dp_load(o, &h->skel);
	h->ncpus = libbpf_num_possible_cpus();
	if (!h->rules || ret || h->ncpus <= 0) {
		snprintf(why, whylen, "cannot load the naclemu BPF object: %s",
			 strerror(ret ? -ret : ENOMEM));
		dp_unload(h->skel);
		free(h->rules);
		free(h);
		return NULL;
	}
	h->percpu = calloc((size_t)h->ncpus, sizeof(*h->percpu));
	h->prog[NACLEMU_INGRESS] = dp_prog_fd(h->skel, NACLEMU_INGRESS);
	h->prog[NACLEMU_EGRESS] = dp_prog_fd(h->skel, NACLEMU_EGRESS);
	h->outer_fd = dp_rules_fd(h->skel);
	h->counters_fd = dp_counters_fd(h->skel);
	h->flows_fd = dp_flows_fd(h->skel);
	if (o && o->flow_entries && (ret = dp_flows_install(h->flows_fd, o->flow_entries))) {
		snprintf(why, whylen, "cannot make the flow table: %s", strerror(-ret));
		harness_close(h);
		return NULL;
	}
	return h;
}

static inline struct harness *harness_open(char *why, size_t whylen)
{
	return harness_open_with(NULL, why, whylen);
}

static inline void harness_close(struct harness *h)
{
	if (!h)
		return;
	dp_unload(h->skel);
	free(h->percpu);
	free(h->rules);
	free(h);
}

/* Compile @rs with @x and make it live; also forgets remembered fragments. */
static inline int harness_set_rules(struct harness *h, const struct nacl_ruleset *rs,
			     const struct nacl_extra *x, char err[NACL_MSG_LEN])
{
	struct naclemu_frag_key k, next;
	__u32 fresh[COMPILE_MAX_FRESH], cursor = 0;
	size_t nfresh;
	int ret, frags = dp_frags_fd(h->skel);

	ret = compile_rules(rs, x, h->rules, err);
	if (ret)
		return ret;
	/* The searches' arrays are always compiled: any table can take them. */
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < 2; f++)
			h->rules->t[d][f].search |= h->force_search;
	ret = compile_assign_slots(h->rules, NULL, &cursor, fresh, &nfresh);
	if (ret)
		return ret;
	while (!bpf_map_get_next_key(frags, NULL, &next)) {
		k = next;
		bpf_map_delete_elem(frags, &k);
	}
	return dp_rules_install(h->outer_fd, h->rules);
}

/* Packets counted in @slot, all CPUs. */
static inline __u64 harness_packets(struct harness *h, __u32 slot)
{
	struct naclemu_counter c = {};

	if (dp_counter_read(h->counters_fd, slot, &c))
		return UINT64_MAX;
	return c.packets;
}

/*
 * Run one frame through the program of @dir.  *@retval is the program's
 * return (TC_ACT_UNSPEC = pass to the next filter, TC_ACT_SHOT = drop).
 * @gso_segs > 1 marks the skb as a GSO packet.
 */
static inline int harness_run(struct harness *h, int dir, const void *frame, size_t len,
		       __u32 gso_segs, int *retval)
{
	struct __sk_buff ctx = { .gso_segs = gso_segs };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .repeat = 1);
	int ret;

	if (gso_segs) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	ret = bpf_prog_test_run_opts(h->prog[dir], &o);
	*retval = (int)o.retval;
	return ret ? -errno : 0;
}

/* The counter slot of rule @number in the live table, or of '*' (32767/8). */
static inline __u32 harness_rule_slot(const struct harness *h, int dir, int family,
			       unsigned int number)
{
	const struct naclemu_table *t = &h->rules->t[dir][family == 6];

	if (number == 32767 || number == 32768)
		return t->default_slot;
	for (__u32 i = 0; i < t->nrules; i++)
		if (t->info[i].number == number)
			return t->slot[i];
	return UINT32_MAX;
}

/* ---- frames -------------------------------------------------------------- */

/*
 * struct frame_spec - what to put in a test frame.  Lengths in the IP
 * headers are consistent unless @cut shortens the frame after the fact.
 */
struct frame_spec {
	const char *src, *dst; /* IPv4 or IPv6 text; the family follows */
	int proto;             /* IP protocol (IPv6: after the extensions) */
	int sport, dport;      /* TCP / UDP */
	int type, code;        /* ICMP / ICMPv6 */
	int vlans;             /* VLAN tags, 0..3 (the first is 802.1ad if 2+) */
	int ethertype;         /* non-zero: a non-IP frame of this type */
	int ipopt;             /* IPv4 option bytes, multiple of 4, <= 40 */
	int frag;              /* 0 whole, 1 first fragment, 2 later fragment */
	unsigned int id;       /* IP id / IPv6 fragment id */
	/*
	 * IPv6 extension chain, in order: H hop-by-hop, D destination options,
	 * R routing, A AH, F fragment (per @frag), L destination options
	 * claiming 1608 bytes with 8 present, f a fragment header cut to 6.
	 */
	const char *ext;
	int l4len;             /* > 0: L4 header + payload bytes; < 0: none */
	int cut;               /* > 0: the frame is cut to this many bytes */
	int ihl;               /* != 0: IPv4 IHL field as given */
	int doff;              /* != 0: TCP data offset field as given */
	int payload;           /* payload bytes after the L4 header */
};

static inline void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline size_t frame_l4(const struct frame_spec *s, int family, uint8_t *p)
{
	size_t n = 0;

	switch (s->proto) {
	case IPPROTO_TCP:
		put16(p, (unsigned int)s->sport);
		put16(p + 2, (unsigned int)s->dport);
		p[12] = (uint8_t)((s->doff ? s->doff : 5) << 4);
		p[13] = 0x02; /* SYN */
		n = 20;
		break;
	case IPPROTO_UDP:
		put16(p, (unsigned int)s->sport);
		put16(p + 2, (unsigned int)s->dport);
		put16(p + 4, (unsigned int)(8 + s->payload));
		n = 8;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p[0] = (uint8_t)s->type;
		p[1] = (uint8_t)s->code;
		n = 8;
		break;
	default:
		break;
	}
	(void)family;
	memset(p + n, 0xab, (size_t)s->payload);
	n += (size_t)s->payload;
	if (s->l4len)
		n = s->l4len < 0 ? 0 : (size_t)s->l4len;
	return n;
}

/* Build the frame into @buf (2048 bytes); returns its length. */
static inline size_t frame_build(const struct frame_spec *s, uint8_t buf[2048])
{
	int family = s->src && strchr(s->src, ':') ? 6 : 4;
	size_t off = 12, l3, n;
	uint8_t *ip;

	memset(buf, 0, 2048);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	for (int v = 0; v < s->vlans; v++) {
		put16(buf + off, v == 0 && s->vlans > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		put16(buf + off + 2, (unsigned int)(100 + v));
		off += 4;
	}
	if (s->ethertype) {
		put16(buf + off, (unsigned int)s->ethertype);
		off += 2;
		memset(buf + off, 0x11, 28); /* an ARP-sized body */
		n = off + 28;
		return s->cut > 0 ? (size_t)s->cut : n;
	}
	put16(buf + off, family == 4 ? ETH_P_IP : ETH_P_IPV6);
	l3 = off + 2;
	ip = buf + l3;

	if (family == 4) {
		size_t hl = 20 + (size_t)s->ipopt, l4;

		ip[0] = (uint8_t)(0x40 | (s->ihl ? s->ihl : (int)(hl / 4)));
		put16(ip + 4, s->id);
		if (s->frag == 1)
			put16(ip + 6, 0x2000);
		else if (s->frag == 2)
			put16(ip + 6, 185); /* offset 1480 bytes, last */
		ip[8] = 64;
		ip[9] = (uint8_t)s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		memset(ip + 20, 0x01, (size_t)s->ipopt); /* NOP options */
		if (s->frag == 2) {
			l4 = (size_t)(s->payload ? s->payload : 64);
			memset(ip + hl, 0xcd, l4);
		} else {
			l4 = frame_l4(s, 4, ip + hl);
		}
		put16(ip + 2, (unsigned int)(hl + l4));
		n = l3 + hl + l4;
	} else {
		size_t o = 40, plen;
		const char *e = s->ext ? s->ext : "";
		uint8_t *prev = ip + 6; /* where the next header number goes */

		ip[0] = 0x60;
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		for (; *e; e++) {
			uint8_t *h = ip + o;

			if (*e == ' ')
				continue;
			switch (*e) {
			case 'H': *prev = 0; h[1] = 0; o += 8; break;
			case 'D': *prev = 60; h[1] = 0; o += 8; break;
			case 'R': *prev = 43; h[1] = 2; h[2] = 0; h[3] = 0; o += 24; break;
			case 'A': *prev = 51; h[1] = 4; o += 24; break;
			case 'L': *prev = 60; h[1] = 200; o += 8; break;
			case 'f': *prev = 44; o += 6; break;
			case 'F':
				*prev = 44;
				put16(h + 2, s->frag == 2 ? (1448 | 0) : (s->frag == 1 ? 1 : 0));
				h[4] = (uint8_t)(s->id >> 24);
				h[5] = (uint8_t)(s->id >> 16);
				h[6] = (uint8_t)(s->id >> 8);
				h[7] = (uint8_t)s->id;
				o += 8;
				break;
			default: break;
			}
			prev = h;
		}
		*prev = (uint8_t)s->proto;
		if (s->frag == 2) {
			plen = (size_t)(s->payload ? s->payload : 64);
			memset(ip + o, 0xcd, plen);
		} else {
			plen = frame_l4(s, 6, ip + o);
		}
		n = l3 + o + plen;
		put16(ip + 4, (unsigned int)(o - 40 + plen));
	}
	return s->cut > 0 ? (size_t)s->cut : n;
}

#endif /* NACLEMU_BPF_HARNESS_H */

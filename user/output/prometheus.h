/* SPDX-License-Identifier: MIT */
/*
 * prometheus.h - the counters of every attached interface in the Prometheus
 * text exposition format, version 0.0.4 (`naclemu metrics`, `naclemu
 * exporter`; docs/man/naclemu-metrics.8.scd lists the metrics).
 *
 * Two steps, so that the pinned state is read once and held no longer than
 * needed: prom_collect() reads every attached interface through the
 * datapath library (each under its shared lock, released before the next)
 * into a struct prom_snapshot of plain numbers; prom_render() writes a
 * snapshot as text.  Neither prints anything else.
 */
#ifndef NACLEMU_OUTPUT_PROMETHEUS_H
#define NACLEMU_OUTPUT_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>

#include "naclemu.h"

/* The Content-Type of the text format, for an HTTP response. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * struct prom_rule - one series of naclemu_packets_total and
 * naclemu_bytes_total: a rule of one direction (the IPv4 and IPv6 parts of
 * a number summed), or the default deny (@number 0, both families summed).
 */
struct prom_rule {
	__u16 number;
	__u8 dir;
	__u8 allow;
	struct naclemu_counter c;
};

/*
 * struct prom_iface - what one attached interface counted, read at one
 * moment.  @netns: "root" for the caller's namespace, as elsewhere.
 * @rules_path: the rules file attach or update read.  @exempt, @subnet,
 * @malformed: by direction (NACLEMU_DIR_*).  @lost, @suppressed: drop
 * events.  @flows_lost: packets the flow log could not account (0 with
 * the flow log off).  @rule: @nrules series, direction by direction, by number, each
 * direction's default last.
 */
struct prom_iface {
	char netns[64];
	char ifname[16];
	char rules_path[256];
	const char *hook; /* "tcx" or "clsact" (dp_hook_name) */
	__u64 generation;
	struct naclemu_counter exempt[NACLEMU_NDIRS], subnet[NACLEMU_NDIRS];
	struct naclemu_counter malformed[NACLEMU_NDIRS];
	__u64 lost, suppressed;
	__u64 flows_lost;
	size_t nrules;
	struct prom_rule rule[NACLEMU_NDIRS * (2 * NACLEMU_MAX_RULES + 1)];
};

/*
 * struct prom_snapshot - every attached interface that could be read, in
 * the order of the state folders; @nskipped of them could not (another
 * layout, a command interrupted), @skipped the first reason ("" when none).
 */
struct prom_snapshot {
	struct prom_iface *iface;
	size_t niface;
	size_t nskipped;
	char skipped[256];
};

/*
 * prom_collect() - read every attached interface into @s (to be freed with
 * prom_snapshot_free(), on failure too).  Interfaces whose state cannot be
 * read are counted in @s->nskipped and left out.  Returns 0, -ENOMEM, or
 * -errno when the state root cannot be read (no state root is 0 and an
 * empty snapshot).
 */
int prom_collect(struct prom_snapshot *s);

/* prom_snapshot_free() - release what prom_collect() allocated. */
void prom_snapshot_free(struct prom_snapshot *s);

/*
 * prom_render() - write @s to @out in the text format 0.0.4: each metric
 * family once, HELP and TYPE first, label values escaped.  Metrics without
 * a series (nothing attached) keep their HELP and TYPE lines;
 * naclemu_build_info is always there.  Returns 0 or -EIO (a write failed).
 */
int prom_render(const struct prom_snapshot *s, FILE *out);

/*
 * prom_text() - prom_collect() then prom_render() into a malloc'ed,
 * NUL-terminated buffer: *@buf (the caller frees it) of *@len bytes.
 * *@nskipped gets the interfaces left out (may be NULL).  Returns 0 or
 * -errno as prom_collect().
 */
int prom_text(char **buf, size_t *len, size_t *nskipped);

/*
 * prom_textfile_write() - write @len bytes of @buf as DIR/naclemu.prom for
 * node_exporter's textfile collector: a temporary file in @dir (so that
 * the rename stays on one file system), fsync, rename, fsync of @dir; a
 * reader sees the old file or the new one whole.  On failure the
 * temporary file is removed.  Returns 0 or -errno, *@what the step that
 * failed ("create", "write", "fsync", "rename", "name").
 */
int prom_textfile_write(const char *dir, const char *buf, size_t len, const char **what);

#endif /* NACLEMU_OUTPUT_PROMETHEUS_H */

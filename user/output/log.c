// SPDX-License-Identifier: MIT
/* log.c - one-line diagnostics on stderr (see output/log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "output/log.h"

int nacl_verbose;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "naclemu: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (!nacl_verbose)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!nacl_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void nacl_log_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

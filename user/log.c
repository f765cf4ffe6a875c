// SPDX-License-Identifier: MIT
/* log.c - one-line diagnostics on stderr (see commands.h). */
#include <stdarg.h>
#include <stdio.h>

#include "commands.h"

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

int nacl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "naclemu: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'naclemu %s --help')\n", cmd);
	return NACL_EXIT_INVALID;
}

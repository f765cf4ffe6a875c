// SPDX-License-Identifier: MIT
/*
 * read.c - read a rule file and hand it to the reader of its format
 * (rules/read.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/read.h"

/* Rule files are small (AWS allows 80 numbered rules): refuse silly sizes. */
#define NACL_FILE_MAX (4u << 20)

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int nacl_parse_file(const char *path, const struct nacl_select *sel,
		    struct nacl_ruleset *rs, char err[NACL_MSG_LEN])
{
	bool json = has_suffix(path, ".json");
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		snprintf(err, NACL_MSG_LEN, "%s: cannot open: %s", path,
			 strerror(-ret));
		return ret;
	}
	buf = malloc(NACL_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, NACL_MSG_LEN, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = fread(buf, 1, NACL_FILE_MAX + 1, f);
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, NACL_MSG_LEN, "%s: cannot read: %s", path,
			 strerror(EIO));
		goto out;
	}
	if (len > NACL_FILE_MAX) {
		ret = -EFBIG;
		snprintf(err, NACL_MSG_LEN,
			 "%s: larger than %u MiB: not a NACL rule file", path,
			 NACL_FILE_MAX >> 20);
		goto out;
	}
	if (len == 0) {
		ret = -EINVAL;
		snprintf(err, NACL_MSG_LEN,
			 "%s: file is empty: expected NACL rules", path);
		goto out;
	}
	if (!json && sel && (sel->acl_id || sel->subnet_id)) {
		ret = -EINVAL;
		snprintf(err, NACL_MSG_LEN,
			 "%s: --%s applies to AWS JSON (*.json) only", path,
			 sel->acl_id ? "acl" : "subnet-id");
		goto out;
	}
	if (json)
		ret = nacl_parse_json(path, buf, len, sel, rs, err);
	else
		ret = nacl_parse_text(path, buf, len, rs, err);
out:
	free(buf);
	fclose(f);
	return ret;
}


// SPDX-License-Identifier: MIT
/*
 * read.c - read a rule file and hand it to the reader of its format
 * (rules/read.h): forced by --format, or chosen by content.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "rules/read.h"
#include "rules/validate.h"

/* Rule files are small (AWS allows 80 numbered rules): refuse silly sizes. */
#define NACL_FILE_MAX (4u << 20)

static const char *const format_names[] = {
	[NACL_FORMAT_AUTO] = "auto",
	[NACL_FORMAT_TEXT] = "text",
	[NACL_FORMAT_AWS] = "aws",
	[NACL_FORMAT_TERRAFORM] = "terraform",
	[NACL_FORMAT_CLOUDFORMATION] = "cloudformation",
};

#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

int nacl_format_parse(const char *name, enum nacl_format *out)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		if (!strcmp(name, format_names[i])) {
			*out = (enum nacl_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *nacl_format_name(enum nacl_format format)
{
	return (size_t)format < NFORMATS ? format_names[format] : "auto";
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A CloudFormation template's file name (as the AWS console saves them). */
static bool yaml_name(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml") ||
	       has_suffix(name, ".template");
}

/*
 * A top-level "Resources:" or "AWSTemplateFormatVersion:" line (the key
 * maybe quoted): a CloudFormation template in YAML.
 */
static bool yaml_markers(const char *buf, size_t len)
{
	static const char *const keys[] = { "Resources", "AWSTemplateFormatVersion" };

	for (size_t i = 0; i < len; i++) {
		if (i && buf[i - 1] != '\n')
			continue;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t n = strlen(keys[k]), j = i;
			char q = buf[j] == '"' || buf[j] == '\'' ? buf[j] : 0;

			if (q)
				j++;
			if (len - j < n + 1 || memcmp(buf + j, keys[k], n))
				continue;
			j += n;
			if (q && (j >= len || buf[j++] != q))
				continue;
			if (j < len && buf[j] == ':' &&
			    (j + 1 == len || buf[j + 1] == ' ' ||
			     buf[j + 1] == '\n' || buf[j + 1] == '\r' ||
			     buf[j + 1] == '\t'))
				return true;
		}
	}
	return false;
}

/* The reader of a JSON document, by its top-level keys. */
static enum nacl_format json_kind(const char *name, const json_t *root)
{
	static const char *const aws[] = { "NetworkAcls", "NetworkAclId", "Entries" };
	static const char *const cfn[] = { "Resources", "AWSTemplateFormatVersion" };

	if (!json_is_object(root))
		return NACL_FORMAT_AWS;
	for (size_t i = 0; i < sizeof(aws) / sizeof(aws[0]); i++) {
		if (json_object_get(root, aws[i]))
			return NACL_FORMAT_AWS;
	}
	/* terraform show -json, and terraform.tfstate of any version */
	if (json_object_get(root, "format_version") ||
	    (json_object_get(root, "version") &&
	     json_object_get(root, "terraform_version")))
		return NACL_FORMAT_TERRAFORM;
	for (size_t i = 0; i < sizeof(cfn) / sizeof(cfn[0]); i++) {
		if (json_object_get(root, cfn[i]))
			return NACL_FORMAT_CLOUDFORMATION;
	}
	/* Terraform's JSON configuration syntax: refused with its message */
	if (has_suffix(name, ".tf.json"))
		return NACL_FORMAT_TERRAFORM;
	return NACL_FORMAT_AWS;
}

enum nacl_format nacl_detect_format(const char *name, const char *buf,
				    size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3; /* UTF-8 byte order mark */
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			   buf[i] == '\r'))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '[')) {
		json_t *root = json_loadb(buf + i, len - i, 0, NULL);
		enum nacl_format f;

		if (root) {
			f = json_kind(name, root);
			json_decref(root);
			return f;
		}
		/* Not JSON: YAML in flow style, or JSON with a mistake. */
		if (yaml_name(name) || yaml_markers(buf, len))
			return NACL_FORMAT_CLOUDFORMATION;
		return NACL_FORMAT_AWS;
	}
	if (nacl_terraform_hcl(name, buf, len))
		return NACL_FORMAT_TERRAFORM;
	if (yaml_markers(buf, len) || yaml_name(name))
		return NACL_FORMAT_CLOUDFORMATION;
	/* A *.json file that is not JSON: say so, as before detection. */
	if (has_suffix(name, ".json"))
		return NACL_FORMAT_AWS;
	return NACL_FORMAT_TEXT;
}

int nacl_parse_buf(const char *name, const char *buf, size_t len,
		   const struct nacl_select *sel, struct nacl_ruleset *rs,
		   char err[NACL_MSG_LEN])
{
	static const struct nacl_select none;
	enum nacl_format f;

	if (!sel)
		sel = &none;
	f = sel->format != NACL_FORMAT_AUTO ? sel->format :
					      nacl_detect_format(name, buf, len);
	if (f == NACL_FORMAT_TEXT && (sel->acl_id || sel->subnet_id))
		return nacl_fmt_err(err, name, 0, 0,
				    "--%s applies to a file that holds ACLs: AWS JSON, Terraform or CloudFormation",
				    sel->acl_id ? "acl" : "subnet-id");
	if (f != NACL_FORMAT_CLOUDFORMATION && sel->nparams)
		return nacl_fmt_err(err, name, 0, 0,
				    "--param applies to CloudFormation templates only (this file is read as %s)",
				    nacl_format_name(f));
	switch (f) {
	case NACL_FORMAT_TEXT:
		return nacl_parse_text(name, buf, len, rs, err);
	case NACL_FORMAT_AWS:
		return nacl_parse_json(name, buf, len, sel, rs, err);
	case NACL_FORMAT_TERRAFORM:
		return nacl_parse_terraform(name, buf, len, sel, rs, err);
	case NACL_FORMAT_CLOUDFORMATION:
		return nacl_parse_cloudformation(name, buf, len, sel, rs, err);
	case NACL_FORMAT_AUTO:
		break;
	}
	return nacl_fmt_err(err, name, 0, 0,
			    "unknown format %d: expected text, aws, terraform or cloudformation",
			    (int)f);
}

int nacl_parse_file(const char *path, const struct nacl_select *sel,
		    struct nacl_ruleset *rs, char err[NACL_MSG_LEN])
{
	char *buf = NULL;
	size_t len = 0;
	struct stat sb;
	FILE *f;
	int ret;

	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		snprintf(err, NACL_MSG_LEN, "%s: cannot open: %s", path,
			 strerror(-ret));
		return ret;
	}
	/* A pipe is fine (<(terraform show -json)), a directory is not. */
	if (!fstat(fileno(f), &sb) && S_ISDIR(sb.st_mode)) {
		fclose(f);
		snprintf(err, NACL_MSG_LEN, "%s: is a directory: expected a rule file", path);
		return -EINVAL;
	}
	buf = malloc(NACL_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return nacl_oom(path, err);
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
	ret = nacl_parse_buf(path, buf, len, sel, rs, err);
out:
	free(buf);
	fclose(f);
	return ret;
}

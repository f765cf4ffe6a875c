// SPDX-License-Identifier: MIT
/*
 * tests/tools/tcx.c - what the end-to-end tests need of tcx that Debian's
 * bpftool 7.1 and iproute2 6.1 cannot do: list the programs on a tcx hook,
 * attach a foreign program there (a link pinned where the test says).
 * Works in the caller's network namespace, or in NETNS with -n NETNS as
 * the first arguments (not `ip netns exec`, which hides /sys/fs/bpf).
 *
 *   tcx probe                        exit 0 when the kernel has tcx
 *   tcx query IFACE ingress|egress   the ids and names of the programs
 *                                    on the hook, one "ID NAME" per line,
 *                                    in the order they run
 *   tcx attach IFACE ingress|egress OBJECT PIN [first]
 *                                    load OBJECT's first program, attach it
 *                                    last on the hook (with "first": in
 *                                    front of every program there,
 *                                    BPF_F_BEFORE), pin its link as PIN
 *                                    (rm PIN detaches it)
 *
 * Exit status: 0, 1 usage, 2 the kernel refused (message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define TCX_INGRESS 46 /* Linux 6.6 UAPI, missing from Debian 12's headers */
#define TCX_EGRESS 47
#define TCX_F_BEFORE (1U << 3)

static int usage(void)
{
	fputs("usage: tcx probe | tcx query IFACE ingress|egress |\n"
	      "       tcx attach IFACE ingress|egress OBJECT PIN [first]\n", stderr);
	return 1;
}

static int hook_args(char **argv, int *ifindex, enum bpf_attach_type *type)
{
	*ifindex = (int)if_nametoindex(argv[0]);
	if (!*ifindex) {
		fprintf(stderr, "tcx: no interface %s\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "ingress"))
		*type = (enum bpf_attach_type)TCX_INGRESS;
	else if (!strcmp(argv[1], "egress"))
		*type = (enum bpf_attach_type)TCX_EGRESS;
	else
		return usage();
	return 0;
}

static int query(int ifindex, enum bpf_attach_type type)
{
	__u32 ids[64], cnt = 64;

	if (bpf_prog_query(ifindex, type, 0, NULL, ids, &cnt)) {
		fprintf(stderr, "tcx: query: %s\n", strerror(errno));
		return 2;
	}
	for (__u32 i = 0; i < cnt; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			info.name[0] = '\0';
		if (fd >= 0)
			close(fd);
		printf("%u %s\n", ids[i], info.name[0] ? info.name : "?");
	}
	return 0;
}

static int attach(int ifindex, enum bpf_attach_type type, const char *obj_path, const char *pin,
		  bool first)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = first ? TCX_F_BEFORE : 0);
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	struct bpf_program *prog;
	int link, ret = 2;

	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "tcx: cannot open %s\n", obj_path);
		return 2;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog || bpf_object__load(obj)) {
		fprintf(stderr, "tcx: cannot load %s\n", obj_path);
		goto out;
	}
	link = bpf_link_create(bpf_program__fd(prog), ifindex, type, &o);
	if (link < 0) {
		fprintf(stderr, "tcx: attach: %s\n", strerror(errno));
		goto out;
	}
	if (bpf_obj_pin(link, pin))
		fprintf(stderr, "tcx: pin %s: %s\n", pin, strerror(errno));
	else
		ret = 0;
	close(link);
out:
	bpf_object__close(obj);
	return ret;
}

/* Enter /run/netns/@name. */
static int enter(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "tcx: network namespace %s: %s\n", name, strerror(errno));
		return 2;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	enum bpf_attach_type type;
	int ifindex, ret;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		if ((ret = enter(argv[2])))
			return ret;
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}

	if (argc == 2 && !strcmp(argv[1], "probe")) {
		__u32 cnt = 0;

		return bpf_prog_query(1, (enum bpf_attach_type)TCX_INGRESS, 0, NULL, NULL, &cnt) ? 2 : 0;
	}
	if (argc == 4 && !strcmp(argv[1], "query"))
		return (ret = hook_args(argv + 2, &ifindex, &type)) ? ret : query(ifindex, type);
	if ((argc == 6 || (argc == 7 && !strcmp(argv[6], "first"))) && !strcmp(argv[1], "attach"))
		return (ret = hook_args(argv + 2, &ifindex, &type)) ? ret :
			attach(ifindex, type, argv[4], argv[5], argc == 7);
	return usage();
}

// SPDX-License-Identifier: MIT
/*
 * bench/bench_tcx.c - what `make bench` needs of tcx that Debian's bpftool
 * 7.1 and iproute2 6.1 cannot do: put a program of an object file on both
 * tcx hooks of an interface (the tcx-empty case of bench_macro.sh), and
 * list the programs on a hook (bench_scale.sh checks that nothing is left).
 * Works in the caller's network namespace, or in NETNS with -n NETNS as the
 * first arguments (not `ip netns exec`, which hides /sys/fs/bpf).
 *
 *   bench_tcx probe                        exit 0 when the kernel has tcx
 *   bench_tcx attach IFACE OBJECT PINDIR   load OBJECT's first program once,
 *                                          attach it last on ingress and on
 *                                          egress, pin the two links as
 *                                          PINDIR/ingress and PINDIR/egress
 *                                          (rm -r PINDIR detaches both)
 *   bench_tcx query IFACE ingress|egress   the programs on the hook, one
 *                                          "ID NAME" per line, in the order
 *                                          they run
 *
 * A failed attach leaves nothing: no link, no pin, no PINDIR.
 * Exit status: 0, 1 usage, 2 the kernel refused (message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define TCX_INGRESS 46 /* Linux 6.6 UAPI, missing from Debian 12's headers */
#define TCX_EGRESS 47

static const struct {
	const char *name;
	int type;
} hooks[] = { { "ingress", TCX_INGRESS }, { "egress", TCX_EGRESS } };

static int usage(void)
{
	fputs("usage: bench_tcx [-n NETNS] probe |\n"
	      "       bench_tcx [-n NETNS] attach IFACE OBJECT PINDIR |\n"
	      "       bench_tcx [-n NETNS] query IFACE ingress|egress\n",
	      stderr);
	return 1;
}

static int ifindex_of(const char *name)
{
	int ifindex = (int)if_nametoindex(name);

	if (!ifindex)
		fprintf(stderr, "bench_tcx: no interface %s\n", name);
	return ifindex;
}

static int query(const char *iface, const char *hook)
{
	__u32 ids[64], cnt = 64;
	int ifindex, type = -1;

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (!strcmp(hook, hooks[i].name))
			type = hooks[i].type;
	if (type < 0)
		return usage();
	if (!(ifindex = ifindex_of(iface)))
		return 2;
	if (bpf_prog_query(ifindex, (enum bpf_attach_type)type, 0, NULL, ids, &cnt)) {
		fprintf(stderr, "bench_tcx: query %s %s: %s\n", iface, hook, strerror(errno));
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

static int attach(const char *iface, const char *obj_path, const char *pindir)
{
	char pins[2][512];
	int links[2] = { -1, -1 }, ifindex, ret = 2;
	struct bpf_object *obj;
	struct bpf_program *prog;
	size_t i, pinned = 0;

	if (!(ifindex = ifindex_of(iface)))
		return 2;
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "bench_tcx: cannot open %s\n", obj_path);
		return 2;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog || bpf_object__load(obj)) {
		fprintf(stderr, "bench_tcx: cannot load %s\n", obj_path);
		goto out;
	}
	if (mkdir(pindir, 0700)) {
		fprintf(stderr, "bench_tcx: mkdir %s: %s\n", pindir, strerror(errno));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		snprintf(pins[i], sizeof(pins[i]), "%s/%s", pindir, hooks[i].name);
		links[i] = bpf_link_create(bpf_program__fd(prog), ifindex,
					   (enum bpf_attach_type)hooks[i].type, NULL);
		if (links[i] < 0) {
			fprintf(stderr, "bench_tcx: attach %s %s: %s\n", iface, hooks[i].name,
				strerror(errno));
			goto unpin;
		}
		if (bpf_obj_pin(links[i], pins[i])) {
			fprintf(stderr, "bench_tcx: pin %s: %s\n", pins[i], strerror(errno));
			goto unpin;
		}
		pinned++;
	}
	ret = 0;
unpin:
	/* On failure the links go with their last file descriptor. */
	if (ret) {
		for (i = 0; i < pinned; i++)
			unlink(pins[i]);
		rmdir(pindir);
	}
	for (i = 0; i < 2; i++)
		if (links[i] >= 0)
			close(links[i]);
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
		fprintf(stderr, "bench_tcx: network namespace %s: %s\n", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

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
	if (argc == 5 && !strcmp(argv[1], "attach"))
		return attach(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "query"))
		return query(argv[2], argv[3]);
	return usage();
}

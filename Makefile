# SPDX-License-Identifier: MIT
# naclemu build.  Everything generated goes under $(OUT); `V=1` shows the
# full commands.  `make` and `make test` first install what is missing from
# Debian's packages (see `deps`).

VERSION     := 0.1.0
OUT         ?= build
PREFIX      ?= /usr/local
DESTDIR     ?=
CC          ?= cc
CLANG       ?= clang
BPFTOOL     ?= bpftool
FUZZ_SECONDS ?= 60

ARCH        := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH   := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
# Keep the intermediate BPF objects and skeletons: user code depends on them.
.SECONDARY:
.SUFFIXES:

# ---- dependencies ----------------------------------------------------------
# Three package lists, one per goal: building, testing, benchmarking.  Each
# is one idempotent step: silent when every package is there, otherwise
# `apt-get update` then install the missing ones.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	      libjansson-dev libyaml-dev scdoc libmicrohttpd-dev
TEST_PKGS  := libcmocka-dev libclang-rt-14-dev iproute2 jq iputils-ping ncat \
	      python3 man-db groff-base prometheus
BENCH_PKGS := gnuplot-nox iperf3 nftables ethtool iptables netsniff-ng
DEPS_STAMP := $(OUT)/.deps
TEST_DEPS_STAMP := $(OUT)/.deps-test
BENCH_DEPS_STAMP := $(OUT)/.deps-bench

# $(call install-pkgs,PACKAGES): install those of PACKAGES that are missing.
define install-pkgs
	$(Q)missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "naclemu: missing packages:$$missing; run 'sudo make deps'" >&2; exit 1; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

.PHONY: deps deps-test deps-bench
deps: $(DEPS_STAMP)
deps-test: $(TEST_DEPS_STAMP)
deps-bench: $(BENCH_DEPS_STAMP)
$(DEPS_STAMP): Makefile | $(OUT)
	$(call install-pkgs,$(BUILD_PKGS))
	$(Q)touch $@
$(TEST_DEPS_STAMP): Makefile | $(DEPS_STAMP)
	$(call install-pkgs,$(TEST_PKGS))
	$(Q)touch $@
$(BENCH_DEPS_STAMP): Makefile | $(DEPS_STAMP)
	$(call install-pkgs,$(BENCH_PKGS))
	$(Q)touch $@

# ---- flags -----------------------------------------------------------------
PKG_CFLAGS := $(shell pkg-config --cflags libbpf jansson yaml-0.1 libmicrohttpd 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libbpf jansson yaml-0.1 libmicrohttpd 2>/dev/null || echo -lbpf -ljansson -lyaml -lmicrohttpd)
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-format-truncation \
	      -I$(OUT) -Iinclude -Iuser $(PKG_CFLAGS) -DNACLEMU_VERSION='"$(VERSION)"'
LDLIBS     += $(PKG_LIBS) -lelf -lz
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -Iinclude -Ibpf $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# ---- sources ---------------------------------------------------------------
# user/ by role: rules/ (model and readers), analysis/ (evaluator and what
# is built on it), datapath/ (everything that touches the kernel), output/
# (formats and logging), cli/ (the commands).  All but cli/main.c go into
# one library that the tool, the tests and the benchmark link.
BPF_SRCS   := bpf/naclemu.bpf.c
BENCH_BPF  := $(wildcard bench/bpf/*.bpf.c)
USER_SRCS  := $(filter-out user/cli/main.c,$(wildcard user/*/*.c))
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
SAN_OBJS   := $(patsubst user/%.c,$(OUT)/san/%.o,$(USER_SRCS))
HDRS       := $(wildcard include/*.h user/*/*.h bpf/*.h)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
TEST_HDRS  := $(wildcard tests/unit/*.h)
# Only the datapath's loader needs the skeleton.
SKEL_USERS := datapath/loader datapath/ops

.PHONY: all
all: $(OUT)/naclemu man

$(OUT) $(OUT)/tests $(OUT)/bench:
	$(Q)mkdir -p $@

# BPF: clang -> bpftool gen object (links and strips DWARF-only sections) ->
# bpftool gen skeleton.  The benchmark's programs build the same way.
$(OUT)/%.tmp.bpf.o: bpf/%.bpf.c $(wildcard include/*.h bpf/*.h) | $(DEPS_STAMP) $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUT)/bench/%.tmp.bpf.o: bench/bpf/%.bpf.c $(wildcard include/*.h bpf/*.h) $(BPF_SRCS) | $(DEPS_STAMP) $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUT)/%.bpf.o: $(OUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<
$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@

$(foreach u,$(SKEL_USERS),$(eval $(OUT)/user/$(u).o $(OUT)/san/$(u).o: $(OUT)/naclemu.skel.h))

$(OUT)/user/%.o: user/%.c $(HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/san/%.o: user/%.c $(HDRS) | $(DEPS_STAMP)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(OUT)/libnacl.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(OUT)/libnacl-san.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/naclemu: $(OUT)/user/cli/main.o $(OUT)/libnacl.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/naclemu-san: user/cli/main.c $(OUT)/libnacl-san.a $(HDRS) | $(DEPS_STAMP)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) user/cli/main.c $(OUT)/libnacl-san.a $(LDLIBS) -o $@

# Unit tests (cmocka), built with AddressSanitizer and UBSan.
$(OUT)/tests/%: tests/unit/%.c $(OUT)/libnacl-san.a $(TEST_HDRS) $(OUT)/naclemu.skel.h | $(TEST_DEPS_STAMP) $(OUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/unit $< $(OUT)/libnacl-san.a $(LDLIBS) -lcmocka -o $@

# test_pins swaps a link in at the instant of BPF_OBJ_GET, and removes
# folders as a concurrent detach would (tests/unit/test_pins.c).
$(OUT)/tests/test_pins: LDLIBS += -Wl,--wrap=bpf_obj_get -Wl,--wrap=mkdirat

# The end-to-end tests' tcx tool (tests/tools/tcx.c): bpftool 7.1 knows no tcx.
$(OUT)/tests/tcx: tests/tools/tcx.c | $(DEPS_STAMP) $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# libFuzzer target for the rule-file readers.
FUZZ_SRCS := $(wildcard user/rules/*.c)
$(OUT)/fuzz_parse: tests/fuzz/fuzz_parse.c $(FUZZ_SRCS) $(HDRS) | $(TEST_DEPS_STAMP) $(OUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -O1 -g -Iinclude -Iuser $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
		tests/fuzz/fuzz_parse.c $(FUZZ_SRCS) $(PKG_LIBS) -o $@

include docs/man/man.mk

# ---- tests -----------------------------------------------------------------
.PHONY: test test-build fuzz
test-build: $(OUT)/naclemu $(OUT)/naclemu-san $(UNIT_BINS) $(OUT)/tests/tcx $(OUT)/naclemu.bpf.o \
	$(OUT)/fuzz_parse man | $(TEST_DEPS_STAMP)

# The one test command (README, .ci/run): every unit, CLI, BPF and
# end-to-end test, then a short fuzz run.  Root is needed for the BPF and
# namespace tests; without it they are skipped with a reason.
test: test-build
	$(Q)OUT=$(OUT) FUZZ_SECONDS=$${FUZZ_SECONDS_TEST:-20} tests/run.sh

# Longer runs of the race and kill tests and of the fuzzer (not part of
# `make test`): SOAK_TRIALS trials each, SOAK_FUZZ_SECONDS of fuzzing.
SOAK_TRIALS ?= 60
SOAK_FUZZ_SECONDS ?= 600
.PHONY: soak
soak: test-build
	$(Q)RACE_TRIALS=$(SOAK_TRIALS) RACE_UPDATES=$$(($(SOAK_TRIALS) * 4)) KILL_TRIALS=$(SOAK_TRIALS) \
		OUT=$(OUT) FUZZ_SECONDS=0 tests/run.sh control_
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(SOAK_FUZZ_SECONDS)

fuzz: $(OUT)/fuzz_parse
	$(Q)mkdir -p $(OUT)/fuzz-corpus && cp -n examples/* tests/fuzz/corpus/* $(OUT)/fuzz-corpus/ 2>/dev/null; \
	$(OUT)/fuzz_parse -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(OUT)/fuzz-corpus

# The docker/ephemeral-port case on real traffic, in network namespaces
# (root; about 15 seconds; removes everything it made, also on Ctrl-C).
.PHONY: demo
demo: $(OUT)/naclemu | $(TEST_DEPS_STAMP)
	$(Q)NACLEMU=$(abspath $(OUT))/naclemu demo/demo.sh

# ---- benchmark (bench/) -------------------------------------------------------
# Per-packet cost (BPF_PROG_TEST_RUN, against an empty program), with
# iperf3 and trafgen over veth throughput against nftables, and the same
# NACL on 100 interfaces; writes bench/results/<date>-<kernel>.md and .png
# (root; about 20 minutes).
BENCH_SKELS := $(patsubst bench/bpf/%.bpf.c,$(OUT)/bench/%.skel.h,$(BENCH_BPF))
$(OUT)/bench_micro: bench/bench_micro.c $(OUT)/libnacl.a $(HDRS) $(TEST_HDRS) $(BENCH_SKELS) $(OUT)/naclemu.skel.h | $(BENCH_DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUT)/bench -Itests/unit $< $(OUT)/libnacl.a $(LDLIBS) -o $@

# bench_tcx: the tcx-empty case and bench_scale.sh's check of the hooks.
$(OUT)/bench/bench_tcx: bench/bench_tcx.c | $(DEPS_STAMP) $(OUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

.PHONY: bench
bench: $(OUT)/naclemu $(OUT)/bench_micro $(OUT)/bench/bench_empty.bpf.o $(OUT)/bench/bench_tcx | $(BENCH_DEPS_STAMP)
	$(Q)OUT=$(OUT) bench/bench.sh

# ---- packaging: bash completion, systemd unit, Debian package --------------
# (docs/packaging.md).  `make deb` copies the sources to $(OUT)/deb/ and
# runs dpkg-buildpackage (debhelper, debian/) there, so the tree and
# $(OUT) stay as they were; the package lands in $(OUT).  `make install`
# also installs the unit and the completion (the install section's rules
# get them as prerequisites here).
DEB_PKGS       := debhelper dpkg-dev lintian systemd bash-completion
DEB_DEPS_STAMP := $(OUT)/.deps-deb
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
DEB_ARCH       := $(shell dpkg --print-architecture 2>/dev/null)
DEB            := $(OUT)/naclemu_$(VERSION)_$(DEB_ARCH).deb
# What the package's build reads; a new top-level folder that `make`
# needs goes here too.
DEB_SRC        := Makefile bpf include user docs/man examples debian contrib/systemd \
		  contrib/bash-completion contrib/grafana $(wildcard LICENSE contrib/naclemu.yaml)
DEB_INPUTS     := $(shell find $(DEB_SRC) -type f 2>/dev/null)
# The example configuration, when the tree has one (docs/packaging.md).
EXAMPLE_CONFIG := $(wildcard contrib/naclemu.yaml)

# test_contrib.sh reads the Kubernetes manifests with python3-yaml;
# unit_caps.sh reads a bounding set with capsh.
TEST_PKGS      += python3-yaml libcap2-bin

.PHONY: completion deb deps-deb install-contrib uninstall-contrib
all: completion
test-build: completion $(DEB)
install: install-contrib
uninstall: uninstall-contrib
deps-deb: $(DEB_DEPS_STAMP)
$(DEB_DEPS_STAMP): Makefile | $(DEPS_STAMP)
	$(call install-pkgs,$(DEB_PKGS))
	$(Q)touch $@

# The completion is read from the built binary's --help texts.
completion: $(OUT)/completion/naclemu
$(OUT)/completion/naclemu: $(OUT)/naclemu contrib/bash-completion/gen-completion.sh \
		contrib/bash-completion/naclemu.bash
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && contrib/bash-completion/gen-completion.sh $(OUT)/naclemu > $@.tmp && mv $@.tmp $@

# The unit names /usr/sbin/naclemu: another PREFIX gets its own path.
install-contrib: $(OUT)/completion/naclemu
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR)
	sed 's|/usr/sbin/naclemu|$(PREFIX)/sbin/naclemu|' contrib/systemd/naclemu.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/naclemu.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/naclemu.service
	install -m 0644 $(OUT)/completion/naclemu $(DESTDIR)$(BASHCOMPDIR)/naclemu
	$(if $(EXAMPLE_CONFIG),install -d $(DESTDIR)$(PREFIX)/share/naclemu/examples)
	$(if $(EXAMPLE_CONFIG),install -m 0644 $(EXAMPLE_CONFIG) $(DESTDIR)$(PREFIX)/share/naclemu/examples/naclemu.yaml)

uninstall-contrib:
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/naclemu.service $(DESTDIR)$(BASHCOMPDIR)/naclemu

# The package's version is debian/changelog's first entry, which must be
# $(VERSION); its Build-Depends must hold every package of BUILD_PKGS.
deb: $(DEB)
$(DEB): $(DEB_INPUTS) | $(DEB_DEPS_STAMP) $(OUT)
	$(call msg,DEB,$@)
	$(Q)v=$$(dpkg-parsechangelog -l debian/changelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "naclemu: debian/changelog is at $$v, the Makefile at $(VERSION): add a changelog entry (dch -v $(VERSION))" >&2; exit 1; }
	$(Q)bd=$$(sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control); for p in $(BUILD_PKGS); do \
		printf '%s\n' "$$bd" | grep -qE "(^|[ ,|])$$p([ ,(]|$$)" || \
		{ echo "naclemu: debian/control: Build-Depends lacks $$p (BUILD_PKGS)" >&2; exit 1; }; done
	$(Q)rm -rf $(OUT)/deb && mkdir -p $(OUT)/deb/naclemu-$(VERSION)
	$(Q)tar -cf - $(DEB_SRC) | tar -C $(OUT)/deb/naclemu-$(VERSION) -xf -
	$(Q)cd $(OUT)/deb/naclemu-$(VERSION) && \
		dpkg-buildpackage -b -us -uc $(if $(V),,>../build.log 2>&1) || \
		{ tail -n 40 ../build.log; echo "naclemu: dpkg-buildpackage failed: $(OUT)/deb/build.log" >&2; exit 1; }
	$(Q)cp $(OUT)/deb/$(notdir $@) $@

# ---- install ---------------------------------------------------------------
.PHONY: install uninstall clean
install: $(OUT)/naclemu install-man
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/naclemu/examples \
		$(DESTDIR)$(PREFIX)/share/naclemu/grafana
	install -m 0755 $(OUT)/naclemu $(DESTDIR)$(PREFIX)/sbin/naclemu
	install -m 0644 examples/* $(DESTDIR)$(PREFIX)/share/naclemu/examples/
	install -m 0644 contrib/grafana/naclemu.json $(DESTDIR)$(PREFIX)/share/naclemu/grafana/

uninstall: uninstall-man
	rm -f $(DESTDIR)$(PREFIX)/sbin/naclemu
	rm -rf $(DESTDIR)$(PREFIX)/share/naclemu

clean:
	rm -rf $(OUT)

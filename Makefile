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
	$(Q)mkdir -p $(@D) && $(CC) $(CFLAGS) -c $< -o $@

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
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

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

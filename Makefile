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
# One idempotent step: silent when every package is there, otherwise
# `apt-get update` then install the missing ones.
DEB_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	    libjansson-dev libcmocka-dev libclang-rt-14-dev iproute2 jq \
	    iputils-ping ncat python3 gnuplot-nox iperf3 nftables ethtool \
	    iptables netsniff-ng
DEPS_STAMP := $(OUT)/.deps

.PHONY: deps
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile | $(OUT)
	$(Q)missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "naclemu: missing packages:$$missing; run 'sudo make deps'" >&2; exit 1; fi; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	$(Q)touch $@

# ---- flags -----------------------------------------------------------------
PKG_CFLAGS := $(shell pkg-config --cflags libbpf jansson 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs libbpf jansson 2>/dev/null || echo -lbpf -ljansson)
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-format-truncation \
	      -I$(OUT) -Iinclude -Iuser $(PKG_CFLAGS) -DNACLEMU_VERSION='"$(VERSION)"'
LDLIBS     += $(PKG_LIBS) -lelf -lz
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -Iinclude -Ibpf $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH))
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# ---- sources ---------------------------------------------------------------
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS  := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
SAN_OBJS   := $(patsubst user/%.c,$(OUT)/san/%.o,$(USER_SRCS))
HDRS       := $(wildcard include/*.h user/*.h bpf/*.h)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
TEST_HDRS  := $(wildcard tests/unit/*.h)

.PHONY: all
all: $(OUT)/naclemu

$(OUT) $(OUT)/user $(OUT)/san $(OUT)/tests:
	$(Q)mkdir -p $@

# BPF: clang -> bpftool gen object (links and strips DWARF-only sections) ->
# bpftool gen skeleton.
$(OUT)/%.tmp.bpf.o: bpf/%.bpf.c $(HDRS) | $(DEPS_STAMP) $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUT)/%.bpf.o: $(OUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<
$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $@

$(OUT)/user/%.o: user/%.c $(HDRS) $(SKELS) | $(DEPS_STAMP) $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/san/%.o: user/%.c $(HDRS) $(SKELS) | $(DEPS_STAMP) $(OUT)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(OUT)/libnacl.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(OUT)/libnacl-san.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/naclemu: $(OUT)/user/main.o $(OUT)/libnacl.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/naclemu-san: user/main.c $(OUT)/libnacl-san.a $(HDRS) | $(DEPS_STAMP)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) user/main.c $(OUT)/libnacl-san.a $(LDLIBS) -o $@

# Unit tests (cmocka), built with AddressSanitizer and UBSan.
$(OUT)/tests/%: tests/unit/%.c $(OUT)/libnacl-san.a $(TEST_HDRS) | $(OUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -Itests/unit $< $(OUT)/libnacl-san.a $(LDLIBS) -lcmocka -o $@

# libFuzzer target for the text and JSON parsers.
FUZZ_SRCS := user/parse_text.c user/parse_json.c user/model.c
$(OUT)/fuzz_parse: tests/fuzz/fuzz_parse.c $(FUZZ_SRCS) $(HDRS) | $(DEPS_STAMP) $(OUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -O1 -g -Iinclude -Iuser $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
		tests/fuzz/fuzz_parse.c $(FUZZ_SRCS) $(PKG_LIBS) -o $@

# ---- tests -----------------------------------------------------------------
.PHONY: test test-build fuzz
test-build: $(OUT)/naclemu $(OUT)/naclemu-san $(UNIT_BINS) $(BPF_OBJS) $(OUT)/fuzz_parse

# The one test command (README, .ci/run): every unit, CLI, BPF and
# end-to-end test, then a short fuzz run.  Root is needed for the BPF and
# namespace tests; without it they are skipped with a reason.
test: test-build
	$(Q)OUT=$(OUT) FUZZ_SECONDS=$${FUZZ_SECONDS_TEST:-20} tests/run.sh

fuzz: $(OUT)/fuzz_parse
	$(Q)mkdir -p $(OUT)/fuzz-corpus && cp -n examples/* tests/fuzz/corpus/* $(OUT)/fuzz-corpus/ 2>/dev/null; \
	$(OUT)/fuzz_parse -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(OUT)/fuzz-corpus

# The docker/ephemeral-port case on real traffic, in network namespaces
# (root; about 15 seconds; removes everything it made, also on Ctrl-C).
.PHONY: demo
demo: $(OUT)/naclemu
	$(Q)NACLEMU=$(abspath $(OUT))/naclemu demo/demo.sh

# Per-packet cost (BPF_PROG_TEST_RUN, against an empty program) and, with
# iperf3 over veth, throughput against nftables; writes
# bench/results/<date>-<kernel>.md and .png (root; a few minutes).
$(OUT)/bench_micro: bench/bench_micro.c $(OUT)/libnacl.a $(HDRS) $(TEST_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(OUT)/libnacl.a $(LDLIBS) -o $@

.PHONY: bench
bench: $(OUT)/naclemu $(OUT)/bench_micro $(OUT)/bench_empty.bpf.o
	$(Q)OUT=$(OUT) bench/bench.sh

# ---- install ---------------------------------------------------------------
.PHONY: install uninstall clean
install: $(OUT)/naclemu
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/naclemu/examples
	install -m 0755 $(OUT)/naclemu $(DESTDIR)$(PREFIX)/sbin/naclemu
	install -m 0644 examples/* $(DESTDIR)$(PREFIX)/share/naclemu/examples/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/naclemu
	rm -rf $(DESTDIR)$(PREFIX)/share/naclemu

clean:
	rm -rf $(OUT)

# SPDX-License-Identifier: MIT
# docs/man/man.mk - the man pages, included by the top Makefile, which
# defines OUT, PREFIX, DESTDIR, Q and msg.  One scdoc source per page:
# docs/man/naclemu-attach.8.scd -> $(OUT)/man/naclemu-attach.8.
# scdoc is in the build's package list; this file installs nothing.

SCDOC     ?= scdoc
MANDIR    ?= $(PREFIX)/share/man
MAN_SRCS  := $(wildcard docs/man/*.scd)
MAN_PAGES := $(patsubst docs/man/%.scd,$(OUT)/man/%,$(MAN_SRCS))

.PHONY: man install-man uninstall-man
man: $(MAN_PAGES)

$(OUT)/man:
	$(Q)mkdir -p $@

# $(DEPS_STAMP), when the top Makefile defines it, is what brings scdoc.
$(OUT)/man/%: docs/man/%.scd | $(DEPS_STAMP) $(OUT)/man
	$(call msg,SCDOC,$@)
	$(Q)$(SCDOC) < $< > $@

# Section 8 (the tool is installed in sbin), compressed as Debian does.
install-man: $(MAN_PAGES)
	install -d $(DESTDIR)$(MANDIR)/man8
	for p in $(MAN_PAGES); do \
		gzip -9n < $$p > $(DESTDIR)$(MANDIR)/man8/$$(basename $$p).gz && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man8/$$(basename $$p).gz || exit 1; \
	done

uninstall-man:
	rm -f $(patsubst $(OUT)/man/%,$(DESTDIR)$(MANDIR)/man8/%.gz,$(MAN_PAGES))

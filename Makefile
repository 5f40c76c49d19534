# Ucarp.Net: a drop-in replacement for ucarp 1.5.2.
#   make            build the NativeAOT binaries build/ucarp and build/ucarpctl
#   make check      install what the tests need, build, run every test
#                   (FILTER='dotnet test filter' runs some; JOBS=N namespace tests at once)
#   make check-fast core and simulation tests only (no root, no binary: under a minute)
#   make demo       two hosts in network namespaces, one --config daemon each: status,
#                   failover timed on the wire, demote --wait, reload, etcd (root; < 1 min)
#   make install    install under $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
#   make deb        build/ucarp-net_VERSION_ARCH.deb (debian/, debhelper), which replaces Debian's ucarp
#   make bench      Ucarp.Net against Debian's ucarp (and keepalived) on a namespaced LAN (root)
#   make soak       three hosts, twenty groups each, under seeded faults for SECONDS
#                   (default 600; SEED=N replays a run), invariants checked throughout (root)
#   make fuzz       AFL++ on the frame reader, the command line, the etcd HTTP and JSON
#                   readers (FUZZ_SECONDS each),
#                   then DIFF_VECTORS generated command lines against Debian's ucarp (root)

DOTNET      ?= dotnet
CONFIG      ?= Release
RID         ?= linux-x64
BUILD       := build
BINARY      := $(BUILD)/ucarp
CTL         := $(BUILD)/ucarpctl
SOURCES     := $(shell find src \( -name obj -o -name bin \) -prune -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -print) Directory.Build.props

PREFIX      ?= /usr/local
SBINDIR     := $(PREFIX)/sbin
MANDIR      := $(PREFIX)/share/man/man8
MAN5DIR     := $(PREFIX)/share/man/man5
SHAREDIR    := $(PREFIX)/share/ucarp
UNITDIR     := $(PREFIX)/lib/systemd/system
DOCDIR      := $(PREFIX)/share/doc/ucarp
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
# docs/*.md (design, testing, benchmarks) go to DOCDIR beside the example.
DOCS        := $(wildcard docs/*.md)
VERSION     := $(shell sed -n 's/.*const string Version = "\(.*\)";/\1/p' src/Ucarp.Core/Cli/UsageText.cs)

# Everything `make install` writes, relative to $(DESTDIR); `make uninstall` removes these.
INSTALLED   := $(SBINDIR)/ucarp $(SBINDIR)/ucarpctl $(MANDIR)/ucarp.8 $(MANDIR)/ucarpctl.8 $(MAN5DIR)/ucarp.conf.5 \
               $(SHAREDIR)/vip-up $(SHAREDIR)/vip-down $(SHAREDIR)/vip-addr-up $(SHAREDIR)/vip-addr-down \
               $(SHAREDIR)/examples/if-up.d-ucarp $(SHAREDIR)/examples/if-down.d-ucarp \
               $(SHAREDIR)/examples/ucarp@NAME.conf $(SHAREDIR)/examples/ucarp@.service.d-order.conf \
               $(UNITDIR)/ucarp@.service $(UNITDIR)/ucarp.service $(DOCDIR)/examples/ucarp.conf \
               $(COMPLETIONDIR)/ucarpctl $(addprefix $(DOCDIR)/,$(notdir $(DOCS)))

.PHONY: all check check-fast demo deps clean install uninstall deb bench fuzz soak

all: $(BINARY) $(CTL)

$(BINARY): $(SOURCES)
	$(DOTNET) publish src/Ucarp/Ucarp.csproj -c $(CONFIG) -r $(RID) -o $(BUILD) --nologo -v quiet
	rm -f $(BUILD)/*.dbg $(BUILD)/*.pdb
	@test -x $(BINARY)

$(CTL): $(SOURCES)
	$(DOTNET) publish src/Ucarpctl/Ucarpctl.csproj -c $(CONFIG) -r $(RID) -o $(BUILD) --nologo -v quiet
	rm -f $(BUILD)/*.dbg $(BUILD)/*.pdb
	@test -x $(CTL)

# Packages the tests use: Debian's ucarp (to compare against), tcpdump, iproute2.
deps:
	@tests/install-deps.sh

# FILTER and JOBS reach tests/run-all.sh through the environment (make exports what is
# set on its command line).
check: deps $(BINARY) $(CTL)
	@UCARP_BINARY=$(abspath $(BINARY)) tests/run-all.sh

check-fast:
	@tests/run-all.sh fast

bench: deps $(BINARY)
	@tests/bench/bench.sh $(abspath $(BINARY))

SECONDS ?= 600
SEED ?=
soak: deps $(BINARY) $(CTL)
	UCARP_BINARY=$(abspath $(BINARY)) UCARP_SOAK_SECONDS=$(SECONDS) UCARP_SOAK_SEED=$(SEED) dotnet test tests/Ucarp.Integration.Tests \
	    -c $(CONFIG) --nologo --filter FullyQualifiedName~SoakTests --logger "console;verbosity=normal"

FUZZ_SECONDS ?= 600
DIFF_VECTORS ?= 5000
fuzz: deps $(BINARY)
	tests/fuzz/fuzz.sh $(FUZZ_SECONDS)
	UCARP_BINARY=$(abspath $(BINARY)) UCARP_DIFF_VECTORS=$(DIFF_VECTORS) dotnet test tests/Ucarp.Integration.Tests -c $(CONFIG) \
	    --nologo --filter FullyQualifiedName~CliDifferentialTests --logger "console;verbosity=normal"

# Installs only what the demo uses, when missing (scripts/demo.sh), not make deps' list.
demo: $(BINARY) $(CTL)
	@scripts/demo.sh $(abspath $(BINARY))

# Paths inside the scripts and the unit follow PREFIX.
install: $(BINARY) $(CTL)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(MAN5DIR) $(DESTDIR)$(SHAREDIR)/examples $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(COMPLETIONDIR)
	install -m 644 scripts/bash-completion/ucarpctl $(DESTDIR)$(COMPLETIONDIR)/ucarpctl
	install -m 755 $(BINARY) $(DESTDIR)$(SBINDIR)/ucarp
	install -m 755 $(CTL) $(DESTDIR)$(SBINDIR)/ucarpctl
	install -m 644 man/ucarp.8 $(DESTDIR)$(MANDIR)/ucarp.8
	install -m 644 man/ucarpctl.8 $(DESTDIR)$(MANDIR)/ucarpctl.8
	install -m 644 man/ucarp.conf.5 $(DESTDIR)$(MAN5DIR)/ucarp.conf.5
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 755 scripts/debian/vip-up scripts/debian/vip-down scripts/vip-addr-up scripts/vip-addr-down $(DESTDIR)$(SHAREDIR)/
	for f in scripts/debian/if-up.d-ucarp scripts/debian/if-down.d-ucarp; do \
	    sed -e 's|/usr/sbin/ucarp|$(SBINDIR)/ucarp|; s|/usr/share/ucarp|$(SHAREDIR)|' $$f > $(DESTDIR)$(SHAREDIR)/examples/$${f##*/}; \
	    chmod 755 $(DESTDIR)$(SHAREDIR)/examples/$${f##*/}; done
	sed -e 's|/usr/share/ucarp|$(SHAREDIR)|' scripts/systemd/ucarp@NAME.conf > $(DESTDIR)$(SHAREDIR)/examples/ucarp@NAME.conf
	install -m 644 scripts/systemd/ucarp@.service.d-order.conf $(DESTDIR)$(SHAREDIR)/examples/
	sed -e 's|/usr/sbin/ucarp|$(SBINDIR)/ucarp|; s|/usr/share/ucarp|$(SHAREDIR)|' scripts/systemd/ucarp@.service > $(DESTDIR)$(UNITDIR)/ucarp@.service
	sed -e 's|/usr/sbin/ucarp|$(SBINDIR)/ucarp|; s|/usr/share/doc/ucarp-net|$(DOCDIR)|' scripts/systemd/ucarp.service > $(DESTDIR)$(UNITDIR)/ucarp.service
	sed -e 's|/usr/share/ucarp|$(SHAREDIR)|' examples/ucarp.conf > $(DESTDIR)$(DOCDIR)/examples/ucarp.conf
	chmod 644 $(DESTDIR)$(SHAREDIR)/examples/ucarp@NAME.conf $(DESTDIR)$(UNITDIR)/ucarp@.service $(DESTDIR)$(UNITDIR)/ucarp.service \
	    $(DESTDIR)$(DOCDIR)/examples/ucarp.conf

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(SHAREDIR)/examples $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(PREFIX)/share/bash-completion 2>/dev/null

# debian/ (debhelper) makes the package; its version is debian/changelog's, which must
# be this source's version with a Debian revision. dpkg-buildpackage writes into the
# parent directory: the .deb, .buildinfo and .changes are moved into build/.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version)
DEB_FILES   = ucarp-net_$(DEB_VERSION)_$(shell dpkg --print-architecture)
deb: $(BINARY) $(CTL)
	@case "$(DEB_VERSION)" in $(VERSION)-*) ;; *) echo "debian/changelog is at $(DEB_VERSION), the source at $(VERSION): add an entry (dch -v $(VERSION)-1)" >&2; exit 1 ;; esac
	dpkg-buildpackage -b --no-sign --post-clean
	mv ../$(DEB_FILES).deb ../$(DEB_FILES).buildinfo ../$(DEB_FILES).changes $(BUILD)/
	@echo $(BUILD)/$(DEB_FILES).deb

clean:
	rm -rf $(BUILD) src/*/bin src/*/obj tests/*/bin tests/*/obj

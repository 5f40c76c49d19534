# Ucarp.Net: a drop-in replacement for ucarp 1.5.2.
#   make          build the single NativeAOT binary build/ucarp
#   make check    install what the tests need, build, run every test
#   make demo     a small LAN in network namespaces: election and failover (root)

DOTNET      ?= dotnet
CONFIG      ?= Release
RID         ?= linux-x64
BUILD       := build
BINARY      := $(BUILD)/ucarp
SOURCES     := $(shell find src -name '*.cs' -o -name '*.csproj') Directory.Build.props

.PHONY: all check demo deps clean

all: $(BINARY)

$(BINARY): $(SOURCES)
	$(DOTNET) publish src/Ucarp/Ucarp.csproj -c $(CONFIG) -r $(RID) -o $(BUILD) --nologo -v quiet
	rm -f $(BUILD)/*.dbg $(BUILD)/*.pdb
	@test -x $(BINARY)

# Packages the tests use: Debian's ucarp (to compare against), tcpdump, iproute2.
deps:
	@tests/install-deps.sh

check: deps $(BINARY)
	@UCARP_BINARY=$(abspath $(BINARY)) tests/run-all.sh

demo: deps $(BINARY)
	@scripts/demo.sh $(abspath $(BINARY))

clean:
	rm -rf $(BUILD) src/*/bin src/*/obj tests/*/bin tests/*/obj

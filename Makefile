# linux-librust — see README.md.

GO       ?= go
export PATH := $(PATH):/usr/local/go/bin
BUILD    ?= build
BIN      := $(BUILD)/linux-librust
# The version --version prints: the upstream version of debian/changelog.
VERSION  ?= $(shell awk -F'[()]' 'NR == 1 { sub(/-[^-]*$$/, "", $$2); print $$2 }' debian/changelog)
GOFLAGS_BUILD := -trimpath -ldflags='-buildid= -X github.com/linux-librust/linux-librust/internal/cli.Version=$(VERSION)'
# A short fuzz run per target in `make test`; `make fuzz FUZZTIME=10m` for a long one.
FUZZTIME ?= 4s
# The packages `make lint` and `make unit` take: the module's, and internal/cpuid, a
# module of its own that go.mod puts in klauspost/cpuid's place (./... leaves it out).
PKGS     := ./... github.com/klauspost/cpuid/v2

.PHONY: all build test unit fuzz lint stress bench demo integration e2e e2e-cross docs clean

all: build

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) ./cmd/linux-librust

test: lint unit fuzz

unit:
	$(GO) test -race -count=1 $(PKGS)

# Debian builds the package, tests included, on every architecture (Architecture: any):
# vet the code and the tests for each of Go's Linux ones, as go lists them.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	@archs=$$($(GO) tool dist list | sed -n 's|^linux/||p'); \
	[ -n "$$archs" ] || { echo "go tool dist list names no Linux GOARCH"; exit 1; }; \
	for arch in $$archs; do \
	  echo "GOARCH=$$arch go vet $(PKGS)"; \
	  GOOS=linux GOARCH=$$arch CGO_ENABLED=0 $(GO) vet $(PKGS) || exit 1; \
	done

# Runs every fuzz target for FUZZTIME; the seed corpora also run in `unit`. A failing
# input is saved under the package's testdata/fuzz and replayed by the second run, so a
# real failure fails twice; a fuzzing process lost on a loaded machine (the output says
# so) is shown and retried once.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg >"$$log" 2>&1 || \
	      { cat "$$log"; echo "fuzz $$pkg $$t failed; running it again"; \
	        $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; }; \
	  done; \
	done

# Directories exchanged with links to a decoy tree while link/unlink run (swap_test.go).
STRESS_DURATION ?= 5m
stress:
	STRESS_DURATION=$(STRESS_DURATION) $(GO) test -race -count=1 -timeout 0 -run '^TestSwapStress$$' -v ./internal/linker

demo: build
	testdata/demo/run $(BIN)

bench: build
	testdata/bench/run $(BIN)

integration: build
	testdata/integration/run

e2e: build
	testdata/e2e/run

e2e-cross: build
	testdata/e2e-cross/run

# Man pages (one per command and linux-librust.8) and the bash completion.
docs:
	$(GO) run -ldflags='-X github.com/linux-librust/linux-librust/internal/cli.Version=$(VERSION)' ./cmd/linux-librust-docs $(BUILD)/docs

clean:
	rm -rf $(BUILD)

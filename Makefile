# omerofs — make targets. `make demo` and `make test` work on a bare machine of our kind:
# they install what they need (fuse3 from Debian) first.

GO        ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR  ?= /tmp/omerofs-demo
BIN       := bin/omerofs
PKGS      := ./...
FUZZTIME  ?= 30s

.PHONY: all build deps desktop-deps test lint vet fmt-check demo bench bench-scale fuzz soak test-desktop clean

all: build

deps: ## install the system packages the mount needs (fuse3 for mounting, attr for getfattr)
	@{ command -v fusermount3 && command -v getfattr; } >/dev/null 2>&1 || { \
	  echo "omerofs: installing fuse3 and attr with apt-get (needed to mount and to read xattrs)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fuse3 attr >/dev/null; }

build:
	$(GO) build -o $(BIN) ./cmd/omerofs

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

lint: fmt-check vet

test: deps lint ## gofmt, go vet, and every test with the race detector (FUSE tests mount for real)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

demo: deps build ## start the demo server on loopback and mount it at $(DEMO_DIR)
	$(BIN) demo $(DEMO_DIR)

bench: deps ## the benchmark table (server and mount as processes) and the Go benchmarks: figures go to docs/benchmarks.md
	OMEROFS_BENCH=1 OMEROFS_BENCH_OUT=$(CURDIR)/artifacts/bench-table.md $(GO) test -count=1 -run '^TestBenchTable$$' -v -timeout 15m ./cmd/omerofs/ | grep -v '^=== RUN'
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x -timeout 20m ./fs/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x -timeout 10m ./render/ ./cache/...

bench-scale: deps ## find over 1,000 datasets of 1,000 images (a million files): time, list requests, the mount's memory
	OMEROFS_BENCH_SCALE=1 OMEROFS_BENCH_OUT=$(CURDIR)/artifacts/bench-scale.md $(GO) test -count=1 -run '^TestBenchScale$$' -v -timeout 60m ./cmd/omerofs/ | grep -v '^=== RUN'

fuzz: ## longer fuzz runs of every fuzz target ($(FUZZTIME) each)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

DESKTOP_PKGS := xvfb x11-utils xdotool pcmanfm dbus-daemon default-jre imagej imagemagick pngcheck attr rsync fuse3 shared-mime-info fonts-dejavu-core

desktop-deps: ## the Debian packages of the desktop tests, installed before their time-bounded run
	@{ command -v Xvfb xdpyinfo xdotool pcmanfm dbus-run-session java identify pngcheck getfattr rsync && [ -e /usr/share/java/ij.jar ]; } >/dev/null 2>&1 || { \
	  echo "omerofs: installing the desktop test packages with apt-get (a few minutes on a new machine)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DESKTOP_PKGS) >/dev/null; }

test-desktop: deps desktop-deps ## real programs on a real mount: PCManFM under Xvfb, ImageJ, ImageMagick, pngcheck, cp/rsync/tar/find/du, getfattr
	bash desktop/run.sh

soak: deps ## the soak test for a full minute (it runs for 5s in make test)
	OMEROFS_SOAK=60s $(GO) test -race -count=1 -run '^TestSoak$$' -timeout 10m -v ./fs/

clean:
	rm -rf bin

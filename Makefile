# omerofs — make targets. `make demo` and `make test` work on a bare machine of our kind:
# they install what they need (fuse3 from Debian) first.

GO        ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR  ?= /tmp/omerofs-demo
BIN       ?= bin/omerofs
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share
# The commit for `omerofs version`: the go command stamps it only where .git
# is a directory (not in a git worktree), so the build passes it too.
COMMIT    := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo +dirty)
PKGS      := ./...
FUZZTIME  ?= 30s

.PHONY: all build install uninstall deps desktop-deps test lint vet staticcheck fmt-check demo bench bench-scale fuzz soak test-desktop clean

all: build

deps: ## install the system packages the mount needs (fuse3 for mounting, attr for getfattr)
	@{ command -v fusermount3 && command -v getfattr; } >/dev/null 2>&1 || { \
	  echo "omerofs: installing fuse3 and attr with apt-get (needed to mount and to read xattrs)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fuse3 attr >/dev/null; }

build:
	$(GO) build -ldflags "-X main.commit=$(COMMIT)" -o $(BIN) ./cmd/omerofs

install: build ## the binary, its man pages and bash/zsh/fish completions under $(DESTDIR)$(PREFIX) (default /usr/local)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/bash-completion/completions \
	  $(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/omerofs
	$(BIN) gen-docs $(DESTDIR)$(MANDIR)/man1 >/dev/null
	$(BIN) completion bash > $(DESTDIR)$(DATADIR)/bash-completion/completions/omerofs
	$(BIN) completion zsh > $(DESTDIR)$(DATADIR)/zsh/site-functions/_omerofs
	$(BIN) completion fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/omerofs.fish

uninstall: ## remove what make install put under $(DESTDIR)$(PREFIX)
	rm -f $(DESTDIR)$(BINDIR)/omerofs $(DESTDIR)$(MANDIR)/man1/omerofs.1 $(DESTDIR)$(MANDIR)/man1/omerofs-*.1 \
	  $(DESTDIR)$(DATADIR)/bash-completion/completions/omerofs $(DESTDIR)$(DATADIR)/zsh/site-functions/_omerofs \
	  $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/omerofs.fish

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck: ## staticcheck, pinned as a Go tool in go.mod (built by the go command, no install)
	$(GO) tool staticcheck $(PKGS)

lint: fmt-check vet staticcheck

test: deps lint ## gofmt, go vet, staticcheck, and every test with the race detector (FUSE tests mount for real)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

demo: deps build ## start the demo server on loopback and mount it at $(DEMO_DIR)
	$(BIN) demo $(DEMO_DIR)

bench: deps ## the benchmark table (server and mount as processes) and the Go benchmarks: figures go to docs/benchmarks.md
	OMEROFS_BENCH=1 OMEROFS_BENCH_OUT=$(CURDIR)/artifacts/bench-table.md $(GO) test -count=1 -run '^TestBenchTable$$' -v -timeout 15m ./cmd/omerofs/ | grep -v '^=== RUN'
	OMEROFS_BENCH=1 $(GO) test -count=1 -run '^TestBenchRawPlaneRSS$$' -v -timeout 15m ./cmd/omerofs/ | grep -v '^=== RUN'
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x -timeout 20m ./fs/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 20x -timeout 10m ./render/ ./cache/...

bench-scale: deps ## find over 1,000 datasets of 1,000 images (a million files): time against direct paging, list requests, peak RSS, heap profile
	OMEROFS_BENCH_SCALE=1 OMEROFS_BENCH_OUT=$(CURDIR)/artifacts/bench-scale.md $(GO) test -count=1 -run '^TestBenchScale$$' -v -timeout 60m ./cmd/omerofs/ | grep -v '^=== RUN'

fuzz: ## longer fuzz runs of every fuzz target ($(FUZZTIME) each)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

# desktop/packages.txt: the one list of the desktop tests' Debian packages, each
# with the commands or files the checks use from it (desktop/run.sh reads it too).
DESKTOP_PKGS  := $(shell awk '!/^\#/ && NF {print $$1}' desktop/packages.txt)
DESKTOP_NEEDS := $(shell awk '!/^\#/ && NF {for (i = 2; i <= NF; i++) print $$i}' desktop/packages.txt)

desktop-deps: ## the Debian packages of the desktop tests (desktop/packages.txt), installed before their time-bounded run
	@(for n in $(DESKTOP_NEEDS); do case $$n in /*) [ -e $$n ];; *) command -v $$n;; esac >/dev/null 2>&1 || exit 1; done) || { \
	  echo "omerofs: installing the desktop test packages with apt-get (a few minutes on a new machine)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DESKTOP_PKGS) >/dev/null; }

test-desktop: deps desktop-deps ## real programs on a real mount: PCManFM under Xvfb, ImageJ, ImageMagick, pngcheck, cp/rsync/tar/find/du, getfattr
	bash desktop/run.sh

soak: deps ## the soak test for a full minute (it runs for 5s in make test)
	OMEROFS_SOAK=60s $(GO) test -race -count=1 -run '^TestSoak$$' -timeout 10m -v ./fs/

clean:
	rm -rf bin

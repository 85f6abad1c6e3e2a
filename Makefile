# ferry: see README.md. `make test` works on a fresh machine: it installs the
# real servers the tests run against (sshd, etcd, kube-apiserver, ansible-core
# for comparisons) when they are missing.
GO ?= go
PKGS := ./...

.PHONY: build install test deps lint fuzz bench gobench wallbench clean

# `ferry --version` names the commit even where the go command does not stamp it.
LDFLAGS := -X main.version=$(shell git describe --tags --always --dirty 2>/dev/null || echo devel) \
	-X main.commit=$(shell git rev-parse --short=12 HEAD 2>/dev/null)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ferry ./cmd/ferry

# ferry on the PATH: into $(go env GOBIN), else $(go env GOPATH)/bin.
install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/ferry

deps:
	bash .ci/deps.sh

# -race is part of the suite; fuzz targets run their seed corpora here.
test: deps lint
	$(GO) test -race -timeout 15m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Go benchmarks of the hot paths, then the wall-clock comparison with Ansible
# and the SSH floor, which rewrites its part of docs/benchmarks.md.
bench: gobench wallbench

gobench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Installs sshd and ansible-core when missing. BENCH_REPS=1 for a quicker
# run; bench/main.go lists the other settings.
wallbench: build
	bash bench/deps.sh
	$(GO) build -o bin/ferry-bench ./bench
	bin/ferry-bench -ferry bin/ferry

clean:
	rm -rf bin

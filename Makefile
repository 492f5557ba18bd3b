# kctl — see README.md. Every target works on a fresh machine with Go installed.
GO      ?= go
BIN     ?= bin/kctl
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/kctl/kctl/internal/cli.version=$(VERSION)

.PHONY: build test test-short demo bench lint fmt clean docs

# CGO_ENABLED=0: a static binary, started without the dynamic loader and libc
# (about 90 fewer page faults per run; kctl needs no C: the pure-Go resolver
# and os/user are used). See docs/benchmarks.md, start-up.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kctl

# Unit, integration (in-process kfake) and CLI tests (testscript runs the kctl binary).
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -count=1 ./...

# The main job on the embedded cluster.
demo: build
	./scripts/demo.sh $(BIN)

bench: build
	./scripts/bench.sh $(BIN)

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin

# Regenerate the documentation checked by the tests: the console examples in README.md and
# docs/*.md (from the scripts in cmd/kctl/testdata/docs, run against the real binary), and the
# flag reference and man pages (docs/reference, docs/man) from the command tree.
docs:
	KCTL_UPDATE_DOCS=1 $(GO) test -count=1 -run 'TestDocExamples|TestReferenceCurrent' ./cmd/kctl

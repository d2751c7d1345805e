# Opsward: common tasks. Go alone is enough for build, run, test and bench;
# `make ci` also starts (or installs) Postgres and Redis, as CI does.

GO      ?= go
BIN     ?= bin/opsward
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/opsward/opsward/internal/platform.version=$(VERSION)

# Benchmark settings (see bench/RESULTS.md).
BENCH_ROUNDS      ?= 3
BENCH_DURATION    ?= 10s
BENCH_CONCURRENCY ?= 32
BENCH_STARTS      ?= 20

.PHONY: build run test lint generate bench bench-http bench-modules ci clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/opsward

run:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/opsward serve

# The README's test command: the embedded default, no servers needed. CI
# runs it again against Postgres and Redis (OPSWARD_TEST_MODE=external).
test:
	$(GO) test ./...

# gofmt check, go vet and staticcheck, exactly as CI runs them.
lint:
	bash .ci/run lint

generate:
	$(GO) generate ./...

bench: bench-http bench-modules

# GraphQL serverInfo against a bare echo handler, and start-up to /readyz,
# on the real binary built here.
bench-http: build
	$(GO) run ./bench/http -bin $(BIN) -rounds $(BENCH_ROUNDS) -duration $(BENCH_DURATION) \
		-concurrency $(BENCH_CONCURRENCY) -starts $(BENCH_STARTS)

# Every benchmark program with a module of its own under bench/ (each says
# what it measures at the top of its main.go; most want Redis on
# 127.0.0.1:6379), then the testing.B benchmarks of the main module.
bench-modules:
	@set -e; for mod in $$(find bench -name go.mod | sort); do \
		dir=$$(dirname $$mod); echo "== $$dir"; \
		(cd $$dir && $(GO) run .); \
	done
	$(GO) test -run '^$$' -bench . ./...

ci:
	bash .ci/run

clean:
	rm -rf bin

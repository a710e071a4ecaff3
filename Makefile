# Tsunagu — the two commands: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go

.PHONY: run test build web bench clean setup

## run: build the web app and start the server on SQLite with the fictional demo region
run: web
	TSUNAGU_DEMO=$${TSUNAGU_DEMO:-1} $(GO) run . serve

## test: install what the tests need (under CI) and run every test
test:
	bash scripts/test.sh

## build: a single binary with the web app embedded, in bin/
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X tsunagu/internal/app.Version=$(VERSION) -X tsunagu/internal/app.Commit=$(shell git rev-parse HEAD 2>/dev/null) -X tsunagu/internal/app.BuildTime=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)
build: web
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o bin/tsunagu .

## web: build pwa/dist (skipped when the web app has no package.json yet)
web:
	bash scripts/web.sh

## bench: Go benchmarks (medians are what to compare with DESIGN.md's budgets)
bench:
	bash scripts/bench.sh

## setup: install the services and tools the full test suite uses
setup:
	bash scripts/ci-setup.sh

clean:
	rm -rf bin pwa/node_modules
	find pwa/dist -mindepth 1 ! -name .keep -delete 2>/dev/null || true

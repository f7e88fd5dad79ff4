# Detectviz: the two commands are `make run` and `make test`; `make bench` measures.
SHELL := /bin/bash
CARGO ?= cargo
CONFIG ?= conf/detectviz.conf

.PHONY: run build test test-deps lint fmt bench clean

## Build (release) and start the console on http://127.0.0.1:8080 with the embedded defaults.
run: build
	./target/release/detectviz --config $(CONFIG) serve

build:
	scripts/build-web-assets.sh
	$(CARGO) build --release -p viot-web

## Install what the tests need (idempotent), check formatting, then run every test.
test: test-deps
	$(CARGO) fmt --all -- --check
	scripts/run-tests.sh

test-deps:
	scripts/install-test-deps.sh

## Lints: clippy on every target, warnings are errors.
lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Benchmarks: each prints one JSON line (with a peer's figure and the ratio where one exists).
bench: test-deps
	@for script in bench/*.sh; do bash "$$script" || exit 1; done

clean:
	$(CARGO) clean

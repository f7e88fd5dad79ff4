# Detectviz: the two commands are `make run` and `make test`; `make bench` measures.
SHELL := /bin/bash
CARGO ?= cargo
CONFIG ?= conf/detectviz.conf

.PHONY: run run-all build test test-deps lint fmt bench eval-skab clean

## Build (release) and start the console on http://127.0.0.1:8080 with the embedded defaults;
## the anomaly service starts beside it when [analyzer] is enabled (scripts/run.sh).
run: build
	CONFIG=$(CONFIG) scripts/run.sh

## Same, with the anomaly service and [analyzer] enabled whatever the config says.
run-all: build
	CONFIG=$(CONFIG) WITH_ANOMALY=1 scripts/run.sh

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

## SKAB evaluation of the anomaly service (not part of `make test`): a table beside the leaderboard.
eval-skab: test-deps
	cd services/anomaly && ../../.venv/bin/python eval_skab.py

clean:
	$(CARGO) clean

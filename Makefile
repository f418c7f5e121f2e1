# The two commands a newcomer needs:
#   make dev    run edgeprobe locally (wrangler dev: workerd with local D1, KV, Durable Objects)
#   make test   run every test (native unit tests, then the real worker under wrangler dev)
# Each installs or builds what is missing first (scripts/bootstrap.sh) and is quick when
# everything is in place.

SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help dev test demo build bootstrap bench bench-capacity screenshots clean cli

help:
	@echo "make dev    run edgeprobe locally and print its URLs (Ctrl-C stops everything)"
	@echo "make test   run every test (native, then integration against the real worker)"
	@echo "make demo   start the failure rig, the worker and demo monitors; print the status page"
	@echo "make bench  run the benchmarks"
	@echo "make bench-capacity  N monitors under wrangler dev for a few minutes; cost per check, projected onto the plans"
	@echo "make cli    build the edgeprobe command-line tool (target/release/edgeprobe)"

bootstrap:
	@scripts/bootstrap.sh

build:
	@scripts/build.sh

dev:
	@scripts/dev.sh

test:
	@scripts/test.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/with-tools.sh cargo bench -p edgeprobe-core

# Options: BENCH_MONITORS, BENCH_INTERVAL, BENCH_REGIONS, … (scripts/bench-capacity.sh).
bench-capacity:
	@scripts/bench-capacity.sh
cli:
	@scripts/with-tools.sh cargo build --release -p edgeprobe-cli
	@echo "built target/release/edgeprobe (or: cargo install --path crates/edgeprobe-cli)"

clean:
	rm -rf target build .wrangler tests/.run

# spikewatch: `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

# constraints.txt pins every package of the resolved environment (`make lock` refreshes it);
# CI and deploy/Dockerfile install with the same pins.
$(STAMP): pyproject.toml constraints.txt
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install spikewatch with its test tools (no Java needed)

broker-fetch: setup ## download the Kafka jars through Maven (needs Java 17+ and Maven)
	@$(BIN)/python -m streams.broker fetch

lock: ## re-resolve the dependencies and rewrite constraints.txt
	rm -rf var/lock-venv
	$(PY) -m venv var/lock-venv
	var/lock-venv/bin/pip install -q --upgrade pip
	var/lock-venv/bin/pip install -q -e '.[dev]'
	{ echo "# pip freeze of '.[dev]' on Python 3.11 (make lock); used with pip install -c"; \
	  var/lock-venv/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf var/lock-venv

demo: setup broker-fetch ## start the local broker and a worker, replay a Finnish outage, show alerts
	$(BIN)/spikewatch demo

test: setup broker-fetch ## run every test (unit, integration on the real broker, Prometheus)
	bash deploy/prometheus/install.sh
	$(BIN)/spikewatch templates check
	bash deploy/kafka/start.sh
	set -o pipefail; $(BIN)/pytest -p no:cacheprovider --durations=30; rc=$$?; bash deploy/kafka/stop.sh; exit $$rc

test-unit: setup ## run the fast tests only (no broker)
	$(BIN)/pytest -p no:cacheprovider tests/unit detectors alerts tools

TRIALS ?= 20
test-crash: setup ## crash trials: SIGKILL a worker while it posts, compare with a reference (TRIALS=20 LOAD=--load)
	bash deploy/kafka/start.sh
	$(BIN)/python -m tests.crash.trials --trials $(TRIALS) $(LOAD) --json var/crash-trials.json

lint: setup ## ruff (lint and format check) and mypy (strict on detectors/ and alerts/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup ## rewrite the code in ruff's format and apply ruff's safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: setup ## regenerate the README's configuration table from streams/config.py
	$(BIN)/python -m streams.config_docs --write-readme README.md

wheel-test: setup ## build the wheel, install it in a fresh venv, run the CLI from it
	$(BIN)/pytest -p no:cacheprovider -q tests/packaging

bench: setup ## print every benchmark figure (detectors, enrichment, NAB, scenarios, pipeline)
	$(BIN)/python tests/bench/bench_nab.py
	$(BIN)/python tests/bench/bench_detectors.py
	$(BIN)/python tests/bench/bench_enrichment.py
	$(BIN)/python tests/bench/bench_scenarios.py
	$(MAKE) bench-pipeline
	$(MAKE) bench-sources

bench-detect: setup ## the detection yardstick: regime grid, quiet weeks, NAB LOSO (QUICK=1: smoke)
	$(BIN)/python tests/bench/bench_detect.py $(if $(QUICK),--quick,--curve)

bench-sources: setup broker-fetch ## one source process into Kafka vs a bare kafka-python producer (--quick: seconds)
	bash deploy/kafka/start.sh
	$(BIN)/python tests/bench/bench_sources.py

bench-pipeline: setup broker-fetch ## the live pipeline on the real broker: limit, workers, alert latency, growth
	bash deploy/kafka/start.sh
	$(BIN)/python tests/bench/bench_pipeline.py --json var/bench-pipeline.json

train: setup ## retrain the shipped sentiment models from ../shared/data (FEEDBACK=corrections.ndjson: fold a deployment's corrections into the care layer)
	$(BIN)/python -m tools.train_text $(if $(FEEDBACK),--care-only --feedback $(FEEDBACK))
	$(BIN)/python tests/unit/test_text_enrich_golden.py --write

broker-start: setup broker-fetch ## start the local Kafka broker (idempotent)
	bash deploy/kafka/start.sh

broker-stop: ## stop the local Kafka broker
	bash deploy/kafka/stop.sh

clean: ## stop the broker and remove local state (keeps the Maven jar cache)
	-bash deploy/kafka/stop.sh
	rm -rf var .pytest_cache

.PHONY: help setup broker-fetch lock demo test test-unit lint format docs wheel-test bench bench-detect bench-pipeline bench-sources train broker-start broker-stop clean test-crash

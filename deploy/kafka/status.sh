#!/usr/bin/env bash
# Status the local single-node KRaft Kafka broker (see streams/broker.py).
# Settings: SPIKEWATCH_KAFKA_PORT (9092), SPIKEWATCH_KAFKA_RUN_DIR (~/.cache/spikewatch/kafka-run-PORT),
# SPIKEWATCH_CACHE_DIR (~/.cache/spikewatch, where the Maven jars are kept).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi; fi
exec "$PY" -m streams.broker status

#!/usr/bin/env bash
# Installs Debian's Prometheus server and promtool if either is missing. Idempotent: does nothing
# when both are already on PATH. Used by CI and developers before the Prometheus checks and tests.
#
#   bash deploy/prometheus/install.sh
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  echo "prometheus already installed: $(prometheus --version 2>&1 | head -n 1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install.sh: need root (or sudo) to apt-get install prometheus" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# --no-install-recommends keeps out node-exporter and friends; we only need the server and promtool.
$SUDO apt-get install -y -q --no-install-recommends prometheus

# The Debian package starts a system service where an init system runs; tests start their own
# server on a free port, so a running service does no harm, but we do not need it either.
command -v prometheus >/dev/null && command -v promtool >/dev/null
echo "installed: $(prometheus --version 2>&1 | head -n 1)"

#!/usr/bin/env bash
# Install Prometheus from the Debian package if `prometheus` is missing.
# Idempotent; see scripts/lib/apt-install.sh.
exec bash "$(dirname "$0")/lib/apt-install.sh" install-prometheus prometheus prometheus

#!/usr/bin/env bash
# Install Prometheus Alertmanager from the Debian package if `prometheus-alertmanager` is missing.
# Idempotent; see scripts/lib/apt-install.sh.
exec bash "$(dirname "$0")/lib/apt-install.sh" install-alertmanager prometheus-alertmanager prometheus-alertmanager

#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests of `mlops-tui serve` (tests/serve/), which
# drive it headless through playwright's executable_path. Never `playwright install`: these
# machines cannot download browser builds, so the packaged browser is the one we use.
# Idempotent; see scripts/lib/apt-install.sh.
exec bash "$(dirname "$0")/lib/apt-install.sh" install-chromium chromium chromium

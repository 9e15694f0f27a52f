#!/usr/bin/env bash
# The one test command: sets up everything the tests need on a fresh machine, then runs them.
#   scripts/test.sh            # whole suite
#   scripts/test.sh -k runs    # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
# The exact versions in constraints.txt (scripts/lock.sh regenerates it), whatever was installed before.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'

# Layering contracts: domain/backends/services/config never import textual; the UI never httpx.
.venv/bin/lint-imports
# Format, lint (mlops_tui, tests, bench) and strict typing of the package: settings in pyproject.toml.
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy

# The real servers the integration tests talk to: installed here (each script is idempotent),
# started by the test session's fixtures on 127.0.0.1 only, and stopped by PID when it ends.
for server in scripts/install-*.sh; do
    bash "$server"
done

# Two workers, one test file each at a time (module fixtures stay in one process): most tests
# wait on real servers rather than compute, and one worker alone took over 28 minutes.
exec .venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"

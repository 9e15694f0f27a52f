#!/usr/bin/env bash
# Install Evidently (drift reports and its UI server) into its own venv
# (.test-servers/evidently-venv) for the integration tests. Never into the app's venv: the app
# reads the Evidently UI over REST only, and evidently brings pandas/scipy/plotly (~1 GB).
#   scripts/install-evidently.sh                  # the pinned version
#   EVIDENTLY_VERSION=0.7.20 scripts/install-evidently.sh
# Idempotent: does nothing when that version is already installed there.
set -euo pipefail
cd "$(dirname "$0")/.."

WANT=${EVIDENTLY_VERSION:-0.7.23}
VENV=.test-servers/evidently-venv
PY=${PYTHON:-python3}
# Evidently sends usage telemetry unless told not to; nothing here should phone home.
export DO_NOT_TRACK=1

have_version() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m, os, sys
sys.exit(0 if m.version("evidently") == os.environ["WANT"] else 1)
PY
}

export WANT
if have_version && [ -x "$VENV/bin/evidently" ]; then
    echo "install-evidently: evidently $WANT already installed in $VENV; nothing to do"
    exit 0
fi

mkdir -p .test-servers
if [ ! -x "$VENV/bin/python" ]; then
    echo "install-evidently: creating venv $VENV"
    "$PY" -m venv "$VENV"
fi
# pandas 3 changed dtypes evidently 0.7 relies on; keep it on 2.x.
echo "install-evidently: installing evidently==$WANT \"pandas<3\" into $VENV (about 1 GB, a minute or two)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "evidently==$WANT" "pandas<3"
GOT=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("evidently"))')
echo "install-evidently: done: evidently $GOT in $VENV"

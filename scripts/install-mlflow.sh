#!/usr/bin/env bash
# Install an MLflow tracking server into its own venv (.test-servers/mlflow-venv) for the
# integration tests and the bench. Never into the app's venv: mlflow brings ~800 MB of
# pandas/sklearn/pyarrow and the app talks to it over REST only.
#   scripts/install-mlflow.sh              # the pinned version
#   MLFLOW_VERSION=3.16.1 scripts/install-mlflow.sh
# Idempotent: does nothing when that version is already installed there.
set -euo pipefail
cd "$(dirname "$0")/.."

WANT=${MLFLOW_VERSION:-3.17.2}
VENV=.test-servers/mlflow-venv
PY=${PYTHON:-python3}

have_version() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m, os, sys
sys.exit(0 if m.version("mlflow") == os.environ["WANT"] else 1)
PY
}

export WANT
if have_version && [ -x "$VENV/bin/mlflow" ]; then
    echo "install-mlflow: mlflow $WANT already installed in $VENV; nothing to do"
    exit 0
fi

mkdir -p .test-servers
if [ ! -x "$VENV/bin/python" ]; then
    echo "install-mlflow: creating venv $VENV"
    "$PY" -m venv "$VENV"
fi
echo "install-mlflow: installing mlflow==$WANT into $VENV (about 800 MB, a few minutes)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow==$WANT"
echo "install-mlflow: done: $("$VENV/bin/mlflow" --version)"

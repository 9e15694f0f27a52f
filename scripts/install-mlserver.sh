#!/usr/bin/env bash
# Install MLServer (an Open Inference Protocol v2 model server) into its own venv
# (.test-servers/mlserver-venv) for the deployment-health integration tests. Never into the
# app's venv: the app reads model servers over HTTP only. The tests run a tiny custom runtime
# kept in tests/mlserver/, so no framework runtime (sklearn, xgboost, ...) is installed.
#   scripts/install-mlserver.sh               # the pinned version
#   MLSERVER_VERSION=1.7.0 scripts/install-mlserver.sh
# Idempotent: does nothing when that version is already installed there.
set -euo pipefail
cd "$(dirname "$0")/.."

WANT=${MLSERVER_VERSION:-1.7.1}
# The real path: a venv's launchers name their interpreter by absolute path, and through a
# symlinked .test-servers (a git worktree's) that path would die with the worktree.
mkdir -p .test-servers
VENV=$(realpath .test-servers)/mlserver-venv
PY=${PYTHON:-python3}

have_version() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m, os, sys
sys.exit(0 if m.version("mlserver") == os.environ["WANT"] else 1)
PY
}

export WANT
if have_version && "$VENV/bin/mlserver" --version >/dev/null 2>&1; then
    echo "install-mlserver: mlserver $WANT already installed in $VENV; nothing to do"
    exit 0
fi

if [ -d "$VENV" ]; then
    # another version, or launchers that name a path that is gone: start clean
    echo "install-mlserver: $VENV holds another version or a broken launcher; making it again"
    rm -rf "$VENV"
fi
echo "install-mlserver: creating venv $VENV"
"$PY" -m venv "$VENV"
echo "install-mlserver: installing mlserver==$WANT into $VENV (about 300 MB, a minute or two)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "mlserver==$WANT"
GOT=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mlserver"))')
echo "install-mlserver: done: mlserver $GOT in $VENV"

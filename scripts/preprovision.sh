#!/bin/sh
# azd preprovision hook (azure.yaml): create or update the Entra app registration and store its
# client id as COCKPIT_CLIENT_ID before Bicep runs. POSIX sh; the work is in scripts/hooks.py.
# Nothing here handles a secret, and nothing is traced (no `set -x`).
set -eu
cd "$(dirname "$0")/.."
PYTHON=python3
if [ -x .venv/bin/python ]; then
  PYTHON=.venv/bin/python
fi
exec "$PYTHON" -m scripts.hooks preprovision

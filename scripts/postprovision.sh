#!/bin/sh
# azd postprovision hook (azure.yaml): redirect URI, managed-identity federated credential and
# admin role on the app registration; token-cache key generated straight into Key Vault (never
# printed); optional Dataverse application user; then the remaining manual steps are printed.
# POSIX sh; the work is in scripts/hooks.py. No `set -x`: the key must never reach a log.
set -eu
cd "$(dirname "$0")/.."
PYTHON=python3
if [ -x .venv/bin/python ]; then
  PYTHON=.venv/bin/python
fi
exec "$PYTHON" -m scripts.hooks postprovision

#!/usr/bin/env bash
# Installs what the Python client tests need: boto3, awscli and pytest for python3, and one
# virtual environment per SageMaker Python SDK line (v2 and v3 cannot share one).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
pip_quiet=(--quiet --disable-pip-version-check --no-input)
"$PY" -m pip install "${pip_quiet[@]}" -r test/python/requirements.txt
for line in v2 v3; do
  venv=.venv-sdk-$line
  [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
  "$venv/bin/python" -m pip install "${pip_quiet[@]}" -r "test/python/sdk_$line/requirements.txt"
done

# The Python environments that run the scikit-learn and XGBoost framework images (Bring your own
# model): one venv each under LOCALSAGE_FRAMEWORK_HOME (default ~/.cache/localsage/frameworks),
# kept between runs; a re-run only installs what is missing.
node --import tsx emulator/cli.ts frameworks install --python "$PY"

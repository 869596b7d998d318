#!/usr/bin/env bash
# One prepared GPU check of the neural recogniser: pages/s, GPU memory, CER (see scripts/gpu_check.py --help).
# Example: scripts/gpu_check.sh --out /tmp/gpu_check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
exec "$PY" scripts/gpu_check.py "$@"

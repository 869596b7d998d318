#!/usr/bin/env bash
# The local stack: scripts/stack.sh up [--no-airflow] | down | status
# Sets the machine up first (scripts/setup.sh), then hands over to `sohoa stack`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
exec "$ROOT/.venv/bin/sohoa" stack "$@"

#!/usr/bin/env bash
# The test command: set up, start the real services, run the whole suite against them, stop them.
# Extra arguments go to pytest (e.g. scripts/test.sh -k intake).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
started_here=0
.venv/bin/sohoa stack status >/dev/null 2>&1 || started_here=1
stop_stack() { if ((started_here)); then .venv/bin/sohoa stack down || true; fi; }
trap stop_stack EXIT
.venv/bin/sohoa stack up
.venv/bin/python -m pytest -p no:cacheprovider "$@"

#!/usr/bin/env bash
# The main job on the local stack: set up, start the services, generate a vendor batch, upload it as the
# vendor would, let the DAGs run in the real scheduler, and print what happened. The stack stays up
# afterwards so you can look around in the Airflow UI; stop it with scripts/stack.sh down.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
.venv/bin/sohoa stack up
exec .venv/bin/sohoa demo "$@"

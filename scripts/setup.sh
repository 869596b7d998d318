#!/usr/bin/env bash
# Install what sohoa needs on a fresh Debian machine, idempotently:
#   Debian packages (PostgreSQL, Tesseract with Vietnamese, fonts, PDF tools) when missing,
#   the virtual environment .venv/ with the pinned requirements, and the sohoa package itself (editable).
# Re-running it is cheap: each step is skipped when already done.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# postgresql: catalogue + Airflow metadata; tesseract-ocr(-vie, -osd: orientation and script detection): OCR; fonts: page renderer and PDF text layer;
# qpdf, poppler-utils, ghostscript: PDF checks and the OCRmyPDF baseline; chromium: the dashboard's browser test;
# redis-server: the Celery broker of the stack's celery profile; libreoffice-{writer,calc}-nogui: the yearly report's
# .docx and .xlsx rendered to PDF in its test (about 30 s to install, 2 s a conversion)
APT_PACKAGES=(postgresql tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd fonts-liberation2 fonts-dejavu-core fonts-dejavu-extra fonts-freefont-ttf fonts-crosextra-carlito fonts-open-sans fonts-roboto-unhinted fonts-texgyre fonts-linuxlibertine fonts-ebgaramond
              qpdf poppler-utils ghostscript chromium redis-server libreoffice-writer-nogui libreoffice-calc-nogui)
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $EUID -ne 0 ]] && SUDO="sudo"
  if [[ -n $SUDO ]] && ! command -v sudo >/dev/null; then
    echo "setup: need root to install: ${missing[*]} (run: apt-get install -y ${missing[*]})" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${SOHOA_PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "setup: sohoa needs Python 3.11 (found $("$PY" --version 2>&1)); set SOHOA_PYTHON" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $("$PY" --version)"
  rm -rf .venv
  "$PY" -m venv .venv
fi
stamp=".venv/.sohoa-installed"
want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  say "installing Python packages (requirements.txt, pinned; about a minute the first time)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps -e . >/dev/null 2>&1
  echo "$want" > "$stamp"
fi
say "ready: $(.venv/bin/python --version), $(.venv/bin/airflow version 2>/dev/null | tail -1 | sed 's/^/Airflow /'), $(tesseract --version 2>&1 | head -1)"

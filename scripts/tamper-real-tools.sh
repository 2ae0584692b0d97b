#!/usr/bin/env bash
# The tamper corpus edited with the tools forgers use rather than Passbook's own generator:
# pikepdf (qpdf), pypdf, PyMuPDF, reportlab and openpyxl, installed in a venv; genuine statements
# also made by reportlab and headless Chromium and locked by pikepdf, to count false alarms
# beyond the corpus's generator. Prints a row per method and fails if a genuine file is flagged or an
# edit method's detection falls under 95%.
#
#   scripts/tamper-real-tools.sh            # TAMPER_DIR=<dir> keeps the files there
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${TAMPER_VENV:-target/tamper-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pikepdf, pypdf, pymupdf, reportlab, openpyxl' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pikepdf>=9,<11' 'pypdf>=5,<8' 'reportlab>=4,<5' 'openpyxl>=3.1,<4' 'pymupdf>=1.24,<3'
fi
dir="${TAMPER_DIR:-$(mktemp -d)}"
[ -n "${TAMPER_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT
rm -rf "${dir:?}"/*
export TAMPER_DIR="$dir"
cargo test -q -p passbook-statements --test tamper -- --ignored write_genuine >/dev/null
"$venv/bin/python" scripts/tamper/edit_with_real_tools.py "$dir"
cargo test -q -p passbook-statements --test tamper -- --ignored judge_edits_made_elsewhere --nocapture

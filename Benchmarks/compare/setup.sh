#!/usr/bin/env bash
# Creates the comparison's Python environment (not a dependency of EmbedViz): scikit-learn, openTSNE,
# PyTorch (CPU wheels from PyPI), threadpoolctl.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet numpy scikit-learn openTSNE torch threadpoolctl
command -v /usr/bin/time >/dev/null || { if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq time; else sudo apt-get install -y -qq time; fi; }

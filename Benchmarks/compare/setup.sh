#!/usr/bin/env bash
# Creates the comparison's Python environment (not a dependency of EmbedViz): scikit-learn, openTSNE,
# umap-learn, PyTorch (CPU wheels from PyPI), threadpoolctl.
set -euo pipefail
cd "$(dirname "$0")"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
python3 -m venv .venv 2>/dev/null || {  # Debian splits venv out of python3
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv .venv
}
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet numpy scikit-learn openTSNE umap-learn torch threadpoolctl
command -v /usr/bin/time >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null

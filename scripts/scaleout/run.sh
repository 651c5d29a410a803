#!/usr/bin/env bash
# The scale-out demos on Apache Spark (PySpark, local mode, one machine). Not in CI.
#   run.sh [ARGS]                 `make scaleout-demo`: sharded PCA (spark_pca.py)
#   run.sh spark_tsne.py [ARGS]   `make scaleout-tsne`: a t-SNE map fitted on a sample, the rest placed by Spark tasks
# Installs what it needs, only when missing: a Java runtime (Debian's default-jre-headless; PySpark 4
# needs Java 17 or newer) and a virtual environment in scripts/scaleout/.venv with PySpark, NumPy and
# SciPy (pip). Spark is bound to the loopback interface (SPARK_LOCAL_IP; see common.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

script=spark_pca.py
case "${1:-}" in *.py) script="$1"; shift ;; esac

java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
    echo "scaleout: installing a Java runtime (default-jre-headless)" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
fi
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv" 2>/dev/null || {
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$here/.venv"
    }
fi
if ! "$here/.venv/bin/python" -c "import pyspark, numpy, scipy" 2>/dev/null; then
    "$here/.venv/bin/pip" install --quiet "pyspark>=4.0,<5" numpy scipy
fi
export SPARK_LOCAL_IP=127.0.0.1
exec "$here/.venv/bin/python" "$here/$script" "$@"

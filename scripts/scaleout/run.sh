#!/usr/bin/env bash
# `make scaleout-demo`: EmbedViz's sharded PCA as the map and reduce tasks of Apache Spark (PySpark,
# local mode, one machine). Not in CI. Installs what it needs, only when missing: a Java runtime
# (Debian's default-jre-headless; PySpark 4 needs Java 17 or newer) and a virtual environment in
# scripts/scaleout/.venv with PySpark and NumPy (pip). Then runs spark_pca.py (see there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

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
    "$here/.venv/bin/pip" install --quiet "pyspark>=4.0,<5" numpy
fi
exec "$here/.venv/bin/python" "$here/spark_pca.py" "$@"

#!/usr/bin/env bash
# Installs what EmbedViz builds and runs with, and only what is missing:
#   C libraries (Debian packages): OpenBLAS + LAPACKE, zlib, cairo (+ fonts), FFTW (single precision), libpng and libjpeg-turbo (image files),
#   hnswlib (header-only C++, approximate nearest neighbours); ARPACK-NG (sparse eigensolver, UMAP's spectral init);
#   Chromium (headless, to check the HTML explorer in a real browser in the tests);
#   Python 3 with NumPy (for the MNIST data step and the fixture checks in the tests).
# Uses sudo when not root. Safe to run repeatedly: when everything is present it only checks.
set -euo pipefail

modules=(openblas lapacke zlib cairo fftw3f libpng libturbojpeg arpack)
packages=(pkg-config libopenblas-dev liblapacke-dev zlib1g-dev libcairo2-dev libpng-dev libturbojpeg0-dev libfftw3-dev libhnswlib-dev libarpack2-dev fonts-dejavu-core chromium)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v pkg-config >/dev/null 2>&1 || missing=(pkg-config)
if [ ${#missing[@]} -eq 0 ]; then
    for m in "${modules[@]}"; do
        pkg-config --exists "$m" || missing+=("$m")
    done
fi
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -f /usr/include/hnswlib/hnswlib.h ] || missing+=(libhnswlib-dev)  # header-only: no pkg-config module
command -v chromium >/dev/null 2>&1 || missing+=(chromium)  # the HTML explorer's browser test

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: missing ${missing[*]}; installing Debian packages: ${packages[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
for m in "${modules[@]}"; do
    pkg-config --exists "$m" || { echo "deps: pkg-config still cannot find $m after installing" >&2; exit 2; }
done
[ -f /usr/include/hnswlib/hnswlib.h ] || { echo "deps: /usr/include/hnswlib/hnswlib.h still missing after installing libhnswlib-dev" >&2; exit 2; }

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "deps: installing python3" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-numpy >/dev/null
fi
if ! "$python" -c "import numpy" >/dev/null 2>&1; then
    echo "deps: installing NumPy for $python" >&2
    "$python" -m pip install --quiet numpy 2>/dev/null \
        || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy >/dev/null
fi
echo "deps: ok ($(pkg-config --modversion openblas) OpenBLAS, LAPACKE $(pkg-config --modversion lapacke), cairo $(pkg-config --modversion cairo), FFTW $(pkg-config --modversion fftw3f), ARPACK $(pkg-config --modversion arpack), hnswlib $(dpkg-query -W -f='${Version}' libhnswlib-dev 2>/dev/null || echo '?'), NumPy $("$python" -c 'import numpy; print(numpy.__version__)'))" >&2

#!/usr/bin/env bash
# The C kernels compiled once per instruction set (Sources/CSupport/convolution_block.c, adam.c, barnes_hut.c: sum and walk; distances.c; umap_sgd.c; tsne_attraction.c; the
# loader picks a clone by CPU) must give the same bits on every CPU. Builds them for baseline x86-64,
# AVX2 and — where this CPU can run it — AVX-512, with the package's flags, runs scripts/clones_check.c
# against each and compares the checksums of every output.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -m)" = x86_64 ] || { echo "clones: not x86-64, nothing to compare"; exit 0; }
CC=${CC:-clang}
targets=("-march=x86-64" "-march=x86-64 -mavx2 -mfma")
grep -qw avx2 /proc/cpuinfo || targets=("-march=x86-64")
grep -qw avx512f /proc/cpuinfo && targets+=("-march=x86-64 -mavx512f -mavx2 -mfma")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
for flags in "${targets[@]}"; do
    # shellcheck disable=SC2086
    $CC -O3 -ffp-contract=off -fno-math-errno $flags -DCLONES= -ISources/CSupport/include \
        scripts/clones_check.c Sources/CSupport/convolution_block.c Sources/CSupport/adam.c Sources/CSupport/barnes_hut.c Sources/CSupport/distances.c Sources/CSupport/umap_sgd.c Sources/CSupport/tsne_attraction.c -o "$dir/check" -lm
    "$dir/check" > "$dir/out"
    if [ -f "$dir/first" ]; then
        if cmp -s "$dir/first" "$dir/out"; then echo "clones: $flags gives the baseline's bits"
        else echo "clones: $flags DIFFERS from the baseline:"; diff "$dir/first" "$dir/out" || true; status=1; fi
    else
        mv "$dir/out" "$dir/first"
        echo "clones: baseline ($flags): $(wc -l < "$dir/first") checksums"
    fi
done
exit $status

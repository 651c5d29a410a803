#!/usr/bin/env bash
# Runs the numerical test suites again under other OpenBLAS kernel sets on this machine, so that a test
# that holds for one kernel only fails here rather than on the next CPU. OpenBLAS picks its kernels
# from OPENBLAS_CORETYPE when set (EmbedViz's own re-selection respects it, see Sources/CSupport).
# Prescott (generic SSE3) and Haswell (AVX2 + FMA) run on any x86-64 CPU this project builds on;
# SkylakeX (AVX-512) only where the CPU has AVX-512. Prints each suite's time per kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SUITES=${KERNEL_SUITES:-'^(LinalgTests|NeuralNetTests|ProjectionTests)\.'}
kernels=(Prescott Haswell)
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
    kernels+=(SkylakeX)
fi
[ "$(uname -m)" = x86_64 ] || { echo "kernels: not x86-64, nothing to re-run"; exit 0; }
status=0
summary=()
for kernel in "${kernels[@]}"; do
    echo "kernels: the numerical suites under OPENBLAS_CORETYPE=$kernel"
    log=$(mktemp)
    start=$(date +%s%N)
    if OPENBLAS_CORETYPE=$kernel $SWIFT test --skip-build --filter "$SUITES" >"$log" 2>&1; then result=passed; else result=FAILED; status=1; fi
    tenths=$(( ($(date +%s%N) - start) / 100000000 ))
    grep -E '^(✘|✔ Test run|✘ Test run)' "$log" | grep -v '^✘ Test .* recorded an issue' || true
    [ "$result" = passed ] || grep -E 'recorded an issue' "$log" | cut -c1-400 || true
    summary+=("$(printf '%-9s %-7s %4d.%d s' "$kernel" "$result" $((tenths / 10)) $((tenths % 10)))")
    rm -f "$log"
done
echo "kernels: per-kernel summary (numerical suites)"
printf '  %s\n' "${summary[@]}"
exit $status

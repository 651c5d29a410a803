#!/usr/bin/env bash
# Builds EmbedViz's libFuzzer targets (with AddressSanitizer) and runs each for FUZZ_SECONDS
# (default 60). Seeds: real files (the NumPy-made test fixtures, CSV samples, a checkpoint and a
# PCA model written by embedviz itself) plus Corpus/<target>/, the coverage-minimised corpus earlier
# runs grew (committed). Crashing inputs land in Crashes/<target>/; keep them (git add).
# Tests/CLITests/FuzzRegressionTests.swift replays every file of Corpus/ and Crashes/ in `make test`.
# Each target's full log is in .build/logs/<target>.log; the summary shows executions and coverage.
#
#   make fuzz                                   # all targets, 60 s each, one after the other
#   FUZZ_SECONDS=600 FUZZ_JOBS=2 make fuzz      # 10 minutes each, two at a time (one per core)
#   FUZZ_SECONDS=600 FUZZ_TARGETS="FuzzIDX FuzzNPY" make fuzz
#   FUZZ_MERGE=1 make fuzz                      # afterwards, merge new coverage into Corpus/ (commit it)
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-FuzzIDX FuzzNPY FuzzCSV FuzzCheckpoint FuzzPCAModel}
corpus=.build/corpus
fixtures=../Tests/DatasetsTests/Fixtures

mkdir -p "$corpus"/{FuzzIDX,FuzzNPY,FuzzCSV,FuzzCheckpoint,FuzzPCAModel}
for t in FuzzIDX FuzzNPY FuzzCSV FuzzCheckpoint FuzzPCAModel; do
    if [ -d "Corpus/$t" ]; then cp Corpus/"$t"/* "$corpus/$t/" 2>/dev/null || true; fi
done
cp "$fixtures"/*.idx "$corpus/FuzzIDX/"
cp "$fixtures"/*.npy "$corpus/FuzzNPY/"
printf '\x00a,b,c\n1,2,3\n4.5,-6e-3,nan\n' > "$corpus/FuzzCSV/header.csv"
printf '\x011\t2\n3\t4\n' > "$corpus/FuzzCSV/plain.tsv"
printf '\x00# comment\n"1", 2 ,3\r\n\n7,8,9\n' > "$corpus/FuzzCSV/quoted.csv"
if [ ! -f "$corpus/FuzzCheckpoint/seed.ckpt" ] || [ ! -f "$corpus/FuzzPCAModel/seed.npz" ]; then
    (cd .. && swift build --product embedviz >/dev/null)
    seeds=$(mktemp -d)
    ../.build/debug/embedviz train --data ../data/mnist --out "$seeds/run" --epochs 1 --train-size 64 --validation-size 32 --quiet
    cp "$seeds/run/best.ckpt" "$corpus/FuzzCheckpoint/seed.ckpt"
    ../.build/debug/embedviz pca --input "$fixtures/f4_c.npy" --components 2 --model "$corpus/FuzzPCAModel/seed.npz" --quiet
    rm -rf "$seeds"
fi

for t in $targets; do
    swift build -c debug --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address --product "$t" 2>&1 | grep -E "error|Compiling $t|Build" || true
done
mkdir -p .build/logs
run_one() {
    local t=$1
    mkdir -p "Crashes/$t"
    # Checkpoints: a whole one (~1.1 MB) must fit, or nothing behind its length check is reached.
    local max_len=65536
    [ "$t" = FuzzCheckpoint ] && max_len=1200000
    SWIFT_BACKTRACE=enable=no ".build/debug/$t" "$corpus/$t" -max_total_time="$seconds" -max_len="$max_len" \
        -artifact_prefix="Crashes/$t/" -print_final_stats=1 > ".build/logs/$t.log" 2>&1
}
export -f run_one
export seconds corpus
status=0
printf '%s\n' $targets | xargs -P "${FUZZ_JOBS:-1}" -I{} bash -c 'run_one {}' || status=$?
for t in $targets; do
    echo "== $t ($seconds s)"
    grep -E "^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|crash-|Test unit written" \
        ".build/logs/$t.log" | tail -6
    if [ "${FUZZ_MERGE:-0}" = 1 ]; then
        mkdir -p "Corpus/$t"
        # Corpus files stay small (≤ 64 KiB): the whole-checkpoint seed is made fresh by each run.
        SWIFT_BACKTRACE=enable=no ".build/debug/$t" -merge=1 -max_len=65536 "Corpus/$t" "$corpus/$t" 2>&1 | grep "MERGE-OUTER: .* new files" || true
    fi
done
exit $status

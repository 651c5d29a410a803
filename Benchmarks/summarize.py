#!/usr/bin/env python3
"""Summarises a benchmark run (ordo-one/benchmark's JMH export) into one table of medians, plus the
derived figures the closing notes quote: GFLOP/s, wrapper-vs-direct ratios, kernel-vs-GEMM ratios.

Usage: summarize.py results.jmh.json

Which metrics are a benchmark's own: ordo-one/benchmark's JMH exporter (1.38.x, convertToJMH in
Plugins/BenchmarkTool/BenchmarkTool+Export+JMHFormatter.swift) keeps one `secondaryMetrics`
dictionary for the whole export and never clears it, so every entry also carries each metric of the
entries exported before it, as a verbatim copy of the last one recorded (not zeros). The entries
come in no fixed order (they are iterated from a Swift Dictionary). So a metric is an entry's own
only when it is new or different from the previous entry's; a copy equal to the one before is
carried over and ignored. (An export without the leak passes through unchanged.)

Work per benchmark (for GFLOP/s) is derived from the name: "sgemm … n=N" is 2·N³ flops per call
(not for "peak …" rows, which time several calls and a triad and report their measured GFLOP/s);
"sgemm MxK · KxN" is 2·M·K·N; a name with "NxD" and "distances" is the 2·N²·D of its GEMM. The
"wrapper vs direct" rows time two calls per sample (one through our wrapper, one of cblas_sgemm
directly, plus the closure's setup), so their GFLOP/s column counts both calls' flops (marked †);
the per-call rates come from their own "wrapper μs" and "direct μs" medians.
"""
import json
import math
import re
import sys

TIME_SCALE_MS = {"ns": 1e-6, "μs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}


def own_metrics(entries):
    """Yields (entry, {metric: values}) with only the secondary metrics the entry's benchmark recorded.

    The exporter's leak makes entry i's secondaryMetrics = entry i-1's, updated with entry i's own
    metrics; what is carried over is equal to the previous entry's value, what is recorded is not."""
    previous = {}
    for entry in entries:
        secondary = entry.get("secondaryMetrics") or {}
        yield entry, {metric: values for metric, values in secondary.items() if previous.get(metric) != values}
        previous = secondary


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(percent / 100 * len(ordered))) - 1)]


def median_ms(entry, own):
    """Median and p90 of the wall clock, in ms."""
    wall = own.get("Time (wall clock)")
    if wall is not None:
        scale = TIME_SCALE_MS.get(wall["scoreUnit"], 1.0)
        p = wall["scorePercentiles"]
        return p["50.0"] * scale, p["90.0"] * scale
    # No wall clock of its own: the primary metric is throughput (the exporter skips entries without
    # one), iterations per second of each sample; its reciprocals are the samples' times.
    samples = [1000 / t for run in entry["primaryMetric"].get("rawData", []) for t in run if t > 0]
    if not samples:
        return float("nan"), float("nan")
    return nearest_rank(samples, 50), nearest_rank(samples, 90)


def flops(name):
    """Flops of one call of the benchmark's kernel, or None when the name does not say."""
    if name.startswith("peak "):  # several calls and a triad per sample; it reports its own GFLOP/s
        return None
    m = re.search(r"sgemm .*?(\d+)x(\d+) · (\d+)x(\d+)", name)
    if m:
        rows, inner, _, columns = (int(g) for g in m.groups())
        return 2 * rows * inner * columns
    m = re.search(r"sgemm .*n=(\d+)", name)
    if m:
        n = int(m.group(1))
        return 2 * n ** 3
    m = re.search(r"(\d+)x(\d+)", name)
    if m and "distances" in name:
        n, d = int(m.group(1)), int(m.group(2))
        return 2 * n * n * d
    return None


def calls_per_sample(name):
    """Kernel calls inside one timed sample: the paired rows time the wrapper and the direct call."""
    return 2 if "wrapper vs direct" in name else 1


def format_metric(metric, values):
    value = values["scorePercentiles"]["50.0"]
    if "×1000" in metric:
        return f"{metric.replace(' ×1000', '')} = {value / 1000:.3f}"
    if metric.startswith("Memory") and values.get("scoreUnit") == "#":
        return f"{metric} = {value / 1e6:.1f} MB"
    return f"{metric} = {value:g}"


def main(path):
    with open(path, encoding="utf-8") as file:
        entries = json.load(file)
    rows = {}
    custom = {}
    for entry, own in own_metrics(entries):
        name = entry["benchmark"].split(".", 3)[-1].replace("_", " ")
        rows[name] = median_ms(entry, own)
        for metric, values in own.items():
            if metric.startswith("Time") or metric.startswith("Throughput"):
                continue
            custom.setdefault(name, {})[metric] = values
    if not rows:
        sys.exit("summarize.py: no benchmark ran (a --filter must match the whole name, e.g. --filter '.*kNN.*')")
    width = max(len(n) for n in rows) + 2
    print(f"{'benchmark':<{width}}{'median ms':>12}{'p90 ms':>10}{'GFLOP/s':>10}")
    paired = False
    for name, (med, p90) in rows.items():
        f = flops(name)
        calls = calls_per_sample(name)
        g = f"{f * calls / med / 1e6:10.1f}" if f and med > 0 else " " * 10
        mark = " †" if f and calls > 1 else ""
        paired = paired or bool(mark)
        print(f"{name:<{width}}{med:12.3f}{p90:10.3f}{g}{mark}")
    if paired:
        print("† two sgemm calls per sample (wrapper and direct) and the setup; per-call rates below")
    print()
    for name, metrics in custom.items():
        shown = [format_metric(metric, values) for metric, values in metrics.items()]
        f = flops(name)
        rates = [f"{f / metrics[metric]['scorePercentiles']['50.0'] / 1e3:.0f} GFLOP/s {label}"
                 for metric, label in (("wrapper μs", "through the wrapper"), ("direct μs", "direct"))
                 if f and metric in metrics and metrics[metric]["scorePercentiles"]["50.0"] > 0]
        extra = f"  ({', '.join(rates)})" if rates else ""
        print(f"{name}: medians " + ", ".join(shown) + extra)
    gemm = [n for n in rows if "the distances' GEMM" in n]
    if gemm:
        base = flops(gemm[0]) / rows[gemm[0]][0]
        for name in rows:
            if name.startswith("distances"):
                print(f"{name}: {flops(name) / rows[name][0] / base:.2f} of its sgemm's GFLOP/s  (≥ 0.60 wanted)")


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Summarises a benchmark run (ordo-one/benchmark's JMH export) into one table of medians, plus the
derived figures the closing notes quote: GFLOP/s, wrapper-vs-direct ratios, kernel-vs-GEMM ratios.

Usage: summarize.py results.jmh.json
Work per benchmark (for GFLOP/s) is derived from the name: "sgemm … n=N" is 2·N³ flops; a name with
"NxD" and "distances" is the 2·N²·D of its GEMM.
"""
import json
import re
import sys


def median_ms(entry):
    wall = entry["secondaryMetrics"].get("Time (wall clock)")
    if wall is None:  # the primary metric is wall clock when throughput is absent
        wall = entry["primaryMetric"]
    unit = wall["scoreUnit"]
    scale = {"ns": 1e-6, "μs": 1e-3, "ms": 1.0, "s": 1e3}.get(unit, 1.0)
    p = wall["scorePercentiles"]
    return p["50.0"] * scale, p["25.0"] * scale if "25.0" in p else None, p["90.0"] * scale


def flops(name):
    m = re.search(r"sgemm .*n=(\d+)", name)
    if m:
        n = int(m.group(1))
        return 2 * n ** 3
    m = re.search(r"(\d+)x(\d+)", name)
    if m and ("distances" in name or "sgemm" in name):
        n, d = int(m.group(1)), int(m.group(2))
        return 2 * n * n * d
    return None


def main(path):
    entries = json.load(open(path))
    rows = {}
    custom = {}
    for e in entries:
        name = e["benchmark"].split(".", 3)[-1].replace("_", " ")
        rows[name] = median_ms(e)
        for metric, values in e["secondaryMetrics"].items():
            if metric.startswith("Time") or metric.startswith("Throughput"):
                continue
            custom.setdefault(name, {})[metric] = values["scorePercentiles"]["50.0"]
    if not rows:
        sys.exit("summarize.py: no benchmark ran (a --filter must match the whole name, e.g. --filter '.*kNN.*')")
    width = max(len(n) for n in rows) + 2
    print(f"{'benchmark':<{width}}{'median ms':>12}{'p90 ms':>10}{'GFLOP/s':>10}")
    for name, (med, _, p90) in rows.items():
        f = flops(name) if name not in custom else None  # paired rows time two calls
        g = f"{f / med / 1e6:10.1f}" if f else " " * 10
        print(f"{name:<{width}}{med:12.3f}{p90:10.3f}{g}")
    print()
    for name, metrics in custom.items():
        shown = []
        for metric, value in metrics.items():
            if "×1000" in metric:
                shown.append(f"{metric.replace(' ×1000', '')} = {value / 1000:.3f}")
            else:
                shown.append(f"{metric} = {value:g}")
        extra = ""
        m = re.search(r"n=(\d+)", name)
        if m and "wrapper μs" in metrics:
            n = int(m.group(1))
            extra = f"  ({2 * n ** 3 / metrics['wrapper μs'] / 1e3:.0f} GFLOP/s through the wrapper)"
        print(f"{name}: medians " + ", ".join(shown) + extra)
    gemm = [n for n in rows if "the distances' GEMM" in n]
    if gemm:
        base = flops(gemm[0]) / rows[gemm[0]][0]
        for name in rows:
            if name.startswith("distances"):
                print(f"{name}: {flops(name) / rows[name][0] / base:.2f} of its sgemm's GFLOP/s  (≥ 0.60 wanted)")


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Tests of summarize.py on a synthetic JMH export (stdlib only; no benchmark run needed).

    python3 Benchmarks/test_summarize.py            # or: python3 -m unittest discover -s Benchmarks
    SUMMARIZE_PY=/tmp/old_summarize.py python3 Benchmarks/test_summarize.py   # another version

fixtures/leaky_run.jmh.json is shaped like ordo-one/benchmark 1.38.1's `--format jmh` output,
including its leak: convertToJMH keeps one `secondaryMetrics` dictionary for the whole export, so
each entry also carries verbatim copies of the metrics of the entries exported before it. Entries,
in export order, and what each benchmark really records (Benchmarks/Benchmarks/Kernels/Kernels.swift):
  sgemm wrapper vs direct n=256 threads=1 / threads=2   wall clock, wrapper μs, direct μs, direct/wrapper ×1000
  PCA transform stream …                                 wall clock, Memory (resident peak), input MB/s
  distances full 10000x100 …                             wall clock
  sgemm 10000x100 · 100x10000 (the distances' GEMM)      wall clock
  IDX load 60k training images                           wall clock
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SUMMARIZE = os.environ.get("SUMMARIZE_PY", os.path.join(HERE, "summarize.py"))
FIXTURE = os.path.join(HERE, "fixtures", "leaky_run.jmh.json")

SGEMM1 = "sgemm wrapper vs direct n=256 threads=1"
SGEMM2 = "sgemm wrapper vs direct n=256 threads=2"
STREAM = "PCA transform stream 1000000x100 f32 NPY → 2 columns threads=2"
DISTANCES = "distances full 10000x100 (into one N×N matrix)"
GEMM = "sgemm 10000x100 · 100x10000 (the distances' GEMM)"
IDX = "IDX load 60k training images"

PAIRED = {"wrapper μs", "direct μs", "direct/wrapper ×1000"}
OWN = {SGEMM1: PAIRED, SGEMM2: PAIRED, STREAM: {"Memory (resident peak)", "input MB/s"},
       DISTANCES: set(), GEMM: set(), IDX: set()}
# How each metric appears on a medians line (summarize.py drops the " ×1000" of a scaled ratio).
SHOWN = {"wrapper μs": "wrapper μs", "direct μs": "direct μs", "direct/wrapper ×1000": "direct/wrapper",
         "Memory (resident peak)": "Memory (resident peak)", "input MB/s": "input MB/s"}


def summarize(path):
    result = subprocess.run([sys.executable, SUMMARIZE, path], capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        raise AssertionError(f"summarize.py failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def table(output):
    """{benchmark: (median ms, p90 ms, GFLOP/s or None)} from the table at the top."""
    rows = {}
    for line in output.split("\n\n")[0].splitlines()[1:]:
        for name in OWN:
            if line.startswith(name + " "):
                fields = line[len(name):].split()
                gflops = float(fields[2]) if len(fields) > 2 and re.fullmatch(r"[\d.]+", fields[2]) else None
                rows[name] = (float(fields[0]), float(fields[1]), gflops)
    return rows


def medians_lines(output):
    """{benchmark: the text after 'medians'} for every medians line."""
    lines = {}
    for line in output.splitlines():
        for name in OWN:
            if line.startswith(f"{name}: medians"):
                lines[name] = line[len(f"{name}: medians"):]
    return lines


class LeakyExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(FIXTURE, encoding="utf-8") as file:
            cls.entries = json.load(file)
        cls.output = summarize(FIXTURE)

    def test_fixture_reproduces_the_leak(self):
        by_name = {e["benchmark"].split(".", 3)[-1].replace("_", " "): e for e in self.entries}
        self.assertEqual(set(by_name), set(OWN))
        idx = by_name[IDX]["secondaryMetrics"]
        self.assertIn("input MB/s", idx)  # the stream's figures, carried into a benchmark that never recorded them
        self.assertEqual(idx["wrapper μs"], by_name[SGEMM2]["secondaryMetrics"]["wrapper μs"])
        self.assertEqual(idx["input MB/s"], by_name[STREAM]["secondaryMetrics"]["input MB/s"])

    def test_each_medians_line_carries_only_its_own_figures(self):
        lines = medians_lines(self.output)
        for name, own in OWN.items():
            with self.subTest(benchmark=name):
                if not own:
                    self.assertNotIn(name, lines, f"{name} records no custom metric, but:\n{self.output}")
                    continue
                self.assertIn(name, lines, self.output)
                for metric, label in SHOWN.items():
                    if metric in own:
                        self.assertIn(f"{label} = ", lines[name])
                    else:
                        self.assertNotIn(label, lines[name], f"{name} shows another benchmark's {metric}")

    def test_own_values_not_the_last_recorded(self):
        lines = medians_lines(self.output)
        self.assertIn("wrapper μs = 424,", lines[SGEMM1])  # threads=1, though threads=2 is exported after it
        self.assertIn("direct/wrapper = 0.994", lines[SGEMM1])
        self.assertIn("wrapper μs = 246,", lines[SGEMM2])
        self.assertIn("direct/wrapper = 0.976", lines[SGEMM2])
        self.assertIn("input MB/s = 1263", lines[STREAM])

    def test_gflops_for_sgemm_and_distances_rows(self):
        rows = table(self.output)
        self.assertEqual(set(rows), set(OWN), self.output)
        for name in (SGEMM1, SGEMM2, DISTANCES, GEMM):
            self.assertIsNotNone(rows[name][2], f"no GFLOP/s for {name}:\n{self.output}")
        # distances NxD: 2·N²·D flops of its GEMM; the GEMM 10000x100 · 100x10000: 2·M·K·N.
        self.assertAlmostEqual(rows[DISTANCES][2], 2 * 10_000 ** 2 * 100 / 290.0 / 1e6, delta=0.1)
        self.assertAlmostEqual(rows[GEMM][2], 2 * 10_000 * 100 * 10_000 / 250.0 / 1e6, delta=0.1)
        # The paired rows time one wrapper and one direct call per sample: 2 · 2·N³ flops.
        self.assertAlmostEqual(rows[SGEMM1][2], 2 * 2 * 256 ** 3 / 0.900 / 1e6, delta=0.1)
        self.assertAlmostEqual(rows[SGEMM2][2], 2 * 2 * 256 ** 3 / 0.520 / 1e6, delta=0.1)
        self.assertIsNone(rows[IDX][2])
        self.assertIsNone(rows[STREAM][2])

    def test_peak_rows_get_no_name_derived_rate(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("summarize", SUMMARIZE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.assertIsNone(module.flops("peak sgemm n=2048 threads=2 vs CPU-derived"))
        self.assertEqual(module.flops("sgemm square n=256 threads=2"), 2 * 256 ** 3)

    def test_per_call_rates_of_the_paired_rows(self):
        lines = medians_lines(self.output)
        self.assertIn(f"{2 * 256 ** 3 / 424 / 1e3:.0f} GFLOP/s through the wrapper", lines[SGEMM1])
        self.assertIn(f"{2 * 256 ** 3 / 421 / 1e3:.0f} GFLOP/s direct", lines[SGEMM1])

    def test_distances_against_its_gemm(self):
        expected = (2 * 10_000 ** 2 * 100 / 290.0) / (2 * 10_000 * 100 * 10_000 / 250.0)
        self.assertIn(f"{DISTANCES}: {expected:.2f} of its sgemm's GFLOP/s", self.output)

    def test_export_without_the_leak_summarises_the_same(self):
        """An exporter that writes only each entry's own metrics must give the same summary."""
        clean = json.loads(json.dumps(self.entries))
        for entry in clean:
            own = OWN[entry["benchmark"].split(".", 3)[-1].replace("_", " ")] | {"Time (wall clock)"}
            entry["secondaryMetrics"] = {m: v for m, v in entry["secondaryMetrics"].items() if m in own}
        with tempfile.NamedTemporaryFile("w", suffix=".jmh.json", encoding="utf-8", delete=False) as file:
            json.dump(clean, file, ensure_ascii=False)
        try:
            self.assertEqual(summarize(file.name), self.output)
        finally:
            os.unlink(file.name)


if __name__ == "__main__":
    unittest.main()

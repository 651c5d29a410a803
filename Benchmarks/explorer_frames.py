#!/usr/bin/env python3
"""Frame times of explorer pages in headless Chromium, pages interleaved in one run (the CPU is
shared: compare ratios measured side by side, not absolute times from separate runs).

  explorer_frames.py [--rounds 3] [--frames 20] PAGE...
  PAGE = new:/path/map.html | old:/path/map.html

new: the WebGL explorer's own `explorer.benchmark(frames)` (view change → draw → 1-pixel read-back,
     every point), `explorer.benchmark(frames, 100000)` (100k-point preview frames, as drawn while
     the view moves) and `explorer.animate(frames)` (rAF intervals with the adaptive preview).
old: the canvas explorer before WebGL (no API): a synthetic wheel event per step, timed until
     `getImageData` has flushed the drawing.
Prints one line per page with the median over rounds of each figure, then the ratios old/new.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "browser_driver.py")

OLD_WHEEL = """(() => { const c = document.getElementById('map'), g = c.getContext('2d'), r = c.getBoundingClientRect(), t = [];
  for (let f = 0; f < FRAMES; f++) { const t0 = performance.now();
    c.dispatchEvent(new WheelEvent('wheel', {deltaY: f % 6 < 3 ? -1 : 1, clientX: r.left + r.width * 0.4, clientY: r.top + r.height * 0.45, cancelable: true}));
    g.getImageData(0, 0, 1, 1); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b); return JSON.stringify({full_ms: t[t.length >> 1]}); })()"""

NEW = """(async () => { const full = explorer.benchmark(FRAMES), preview = explorer.benchmark(FRAMES, 100000), anim = await explorer.animate(FRAMES);
  return JSON.stringify({full_ms: full.median_ms, preview_ms: preview.median_ms, preview_points: preview.drawnPerFrame,
                         animation_interval_ms: anim.median_interval_ms, animation_points: anim.drawnPerFrame}); })()"""


def measure(kind, path, frames):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        expression = (NEW if kind == "new" else OLD_WHEEL).replace("FRAMES", str(frames))
        json.dump([{"eval": expression}], f)
    ready = "document.body.dataset.ready" if kind == "new" else "document.body.dataset.drawn"
    out = subprocess.run([sys.executable, DRIVER, "--url", "file://" + os.path.abspath(path), "--steps", f.name,
                          "--timeout", "300", "--ready", ready], capture_output=True, text=True)
    os.unlink(f.name)
    reply = json.loads(out.stdout)
    if reply["error"]:
        raise RuntimeError(f"{path}: {reply['error']}")
    return json.loads(reply["results"][0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("pages", nargs="+")
    args = parser.parse_args()
    pages = [p.split(":", 1) for p in args.pages]
    runs = {path: [] for _, path in pages}
    for _ in range(args.rounds):
        for kind, path in pages:
            runs[path].append(measure(kind, path, args.frames))
    medians = {}
    for kind, path in pages:
        keys = runs[path][0].keys()
        medians[path] = {k: statistics.median(r[k] for r in runs[path]) for k in keys}
        print(f"{kind:3} {path}: " + ", ".join(f"{k} {v:.1f}" for k, v in medians[path].items()))
    olds = [p for k, p in pages if k == "old"]
    news = [p for k, p in pages if k == "new"]
    for old, new in zip(olds, news):
        print(f"ratio old/new full frame {old} vs {new}: {medians[old]['full_ms'] / medians[new]['full_ms']:.1f}×")


if __name__ == "__main__":
    main()

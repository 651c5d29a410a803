#!/usr/bin/env python3
"""Runs umap-learn on an .npy input with its defaults (n_neighbors 15, min_dist 0.1, spectral
initialisation) and prints a JSON summary: seconds of the fit after a warm-up (numba compiled),
seconds of the warm-up itself (numba's one-time compilation, on a tiny input in the same process),
and where the map was saved.

umap-learn runs its SGD on one thread whenever a seed is set, so by default no seed is given and it
uses --threads (its parallel, non-deterministic mode: its fastest); --seed makes it seeded (serial).

Usage: umap_reference.py INPUT.npy OUTPUT.npy [--dimensions 2] [--epochs N] [--threads 2] [--seed S]
"""
import argparse
import json
import os
import time

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--dimensions", type=int, default=2)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--metric", default="euclidean")
    a = p.parse_args()
    os.environ["NUMBA_NUM_THREADS"] = str(a.threads)
    x = np.load(a.input).astype(np.float32)
    start = time.perf_counter()
    import umap  # the import compiles part of umap-learn's numba code
    from numba import set_num_threads
    set_num_threads(a.threads)

    def make():
        return umap.UMAP(n_components=a.dimensions, n_neighbors=15, min_dist=0.1, n_epochs=a.epochs, metric=a.metric,
                         n_jobs=a.threads if a.seed is None else 1, random_state=a.seed)

    # Warm-up: a fit of a tiny input compiles the rest (NN-descent, graph, SGD) once.
    make().fit_transform(np.random.default_rng(0).standard_normal((300, x.shape[1])).astype(np.float32))
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    y = make().fit_transform(x)
    seconds = time.perf_counter() - start
    np.save(a.output, y.astype(np.float32))
    print(json.dumps({"tool": "umap-learn", "version": umap.__version__, "dimensions": a.dimensions, "points": len(x),
                      "seconds": seconds, "seconds_warmup": warmup, "seeded": a.seed is not None, "output": a.output}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs openTSNE (or scikit-learn's TSNE) on an .npy input with EmbedViz's default parameters and
prints a JSON summary: seconds, KL divergence, and where the embedding was saved.

Usage: tsne_reference.py INPUT.npy OUTPUT.npy [--tool opentsne|sklearn] [--method bh|fft]
       [--dimensions 2] [--perplexity 30] [--threads 2] [--neighbors exact|auto] [--momentum 0.5]
"""
import argparse
import json
import time

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--tool", default="opentsne")
    p.add_argument("--method", default="bh")
    p.add_argument("--dimensions", type=int, default=2)
    p.add_argument("--perplexity", type=float, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--neighbors", default="auto")
    p.add_argument("--momentum", type=float, default=0.5, help="initial momentum (openTSNE's default is 0.8)")
    a = p.parse_args()
    x = np.load(a.input).astype(np.float64)
    start = time.perf_counter()
    if a.tool == "opentsne":
        import openTSNE
        t = openTSNE.TSNE(n_components=a.dimensions, perplexity=a.perplexity, negative_gradient_method=a.method,
                          n_jobs=a.threads, initialization="pca", initial_momentum=a.momentum, final_momentum=0.8,
                          neighbors=a.neighbors, random_state=42, verbose=False)
        y = t.fit(x)
        kl = float(y.kl_divergence)
        y = np.asarray(y)
        version = openTSNE.__version__
    else:
        import sklearn
        from threadpoolctl import threadpool_limits
        from sklearn.manifold import TSNE
        with threadpool_limits(a.threads):
            t = TSNE(n_components=a.dimensions, perplexity=a.perplexity, init="pca", method="barnes_hut",
                     n_jobs=a.threads, random_state=42)
            y = t.fit_transform(x)
        kl = float(t.kl_divergence_)
        version = sklearn.__version__
    seconds = time.perf_counter() - start
    np.save(a.output, y.astype(np.float32))
    print(json.dumps({"tool": a.tool, "version": version, "method": a.method, "dimensions": a.dimensions,
                      "points": len(x), "seconds": seconds, "kl_divergence": kl, "output": a.output}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the synthetic large-N t-SNE input: a 200-cluster Gaussian mixture in 50-D whose clusters
each have a 10-d latent (x = centre + A_c z + 0.1·noise, z ~ N(0, I₁₀), A_c ~ N(0, 1/10) 10×50, centres
~ N(0, 2²)), rows interleaving the clusters (row i belongs to cluster i mod 200, like a shuffled set),
float32 .npy, and its labels (int64 .npy). Deterministic for a given N and seed; built in chunks of
100k rows, so memory stays near the output's size.

Usage: mixture.py N OUTPUT.npy LABELS.npy [--seed 0]
"""
import argparse

import numpy as np


def main():
    a = argparse.ArgumentParser()
    a.add_argument("n", type=int)
    a.add_argument("output")
    a.add_argument("labels")
    a.add_argument("--seed", type=int, default=0)
    args = a.parse_args()
    clusters, latent, dims = 200, 10, 50
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(0, 2, (clusters, dims))
    maps = rng.normal(0, 1 / np.sqrt(latent), (clusters, latent, dims))
    x = np.lib.format.open_memmap(args.output, mode="w+", dtype=np.float32, shape=(args.n, dims))
    labels = np.arange(args.n) % clusters
    for start in range(0, args.n, 100_000):
        rows = labels[start:start + 100_000]
        z = rng.standard_normal((len(rows), latent))
        block = centres[rows] + np.einsum("nl,nld->nd", z, maps[rows]) + 0.1 * rng.standard_normal((len(rows), dims))
        x[start:start + len(rows)] = block.astype(np.float32)
    x.flush()
    np.save(args.labels, labels.astype(np.int64))


if __name__ == "__main__":
    main()

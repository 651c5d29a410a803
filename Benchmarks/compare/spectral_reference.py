#!/usr/bin/env python3
"""UMAP's spectral initialisation in umap-learn / SciPy, beside our benchmark
(Benchmarks/Benchmarks/Kernels/SpectralLayoutBenchmarks.swift), on the same kind of graph: MNIST's
first N images (test set for N ≤ 10000, else train + test), PCA-50, exact 15-NN, Gaussian weights
exp(−d²/σᵢσⱼ) with σᵢ the 15th-neighbour distance, symmetrised (an edge when either end lists the other).
With --fuzzy, umap-learn's own fuzzy_simplicial_set graph of the same neighbours instead.

Times, each the median of --repeats runs with 2 BLAS threads:
  umap-learn   umap.spectral.spectral_layout (eigsh(L, k=3, which="SM", ncv=max(7, √n), tol=1e-4, v0=ones))
  scipy LA     eigsh(M, k=3, which="LA", same ncv, tol, v0), M = D^{-1/2} W D^{-1/2} = I − L
and sin of the largest principal angle between their 2-D layouts and to a tight reference (LA, tol 1e-10).
Usage: spectral_reference.py [--points N] [--repeats R] [--fuzzy]   (prints JSON)"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.sparse
import scipy.sparse.linalg
from threadpoolctl import threadpool_limits


def idx_images(path):
    with open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 784)


def graph(points, fuzzy):
    from sklearn.decomposition import PCA
    from sklearn.neighbors import NearestNeighbors
    test = idx_images("data/mnist/t10k-images-idx3-ubyte")
    pixels = test if points <= len(test) else np.vstack([idx_images("data/mnist/train-images-idx3-ubyte"), test])
    x = pixels[:points].astype(np.float32) / 255
    y = PCA(n_components=50, svd_solver="full").fit_transform(x)
    distances, indices = NearestNeighbors(n_neighbors=16).fit(y).kneighbors(y)
    distances, indices = distances[:, 1:], indices[:, 1:]
    n = len(y)
    if fuzzy:
        from umap.umap_ import fuzzy_simplicial_set
        g, _, _ = fuzzy_simplicial_set(y, 15, np.random.RandomState(0), "euclidean",
                                       knn_indices=indices, knn_dists=distances)
        return g.tocsr()
    sigma = np.maximum(distances[:, -1], 1e-12)
    rows = np.repeat(np.arange(n), 15)
    w = np.exp(-distances.ravel() ** 2 / (sigma[rows] * sigma[indices.ravel()]))
    a = scipy.sparse.csr_matrix((w, (rows, indices.ravel())), shape=(n, n))
    return a.maximum(a.T).tocsr()


def sine(a, b):
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    return float(np.linalg.norm(qa - qb @ (qb.T @ qa), 2))


def la_layout(m, n, tol):
    ncv = max(7, int(np.sqrt(n)))
    values, vectors = scipy.sparse.linalg.eigsh(m, 3, which="LA", ncv=ncv, tol=tol, v0=np.ones(n), maxiter=5 * n)
    return vectors[:, np.argsort(-values)[1:3]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fuzzy", action="store_true")
    args = parser.parse_args()
    import umap
    import umap.spectral
    with threadpool_limits(2):
        g = graph(args.points, args.fuzzy)
        n = g.shape[0]
        components = scipy.sparse.csgraph.connected_components(g)[0]
        s = 1 / np.sqrt(np.asarray(g.sum(axis=0)).ravel())
        m = scipy.sparse.diags(s) @ g @ scipy.sparse.diags(s)
        umap_times, la_times = [], []
        for r in range(args.repeats):
            for side in ([0, 1] if r % 2 == 0 else [1, 0]):
                start = time.perf_counter()
                if side == 0:
                    sm = umap.spectral.spectral_layout(None, g, 2, np.random.RandomState(0))
                    umap_times.append(time.perf_counter() - start)
                else:
                    la = la_layout(m, n, 1e-4)
                    la_times.append(time.perf_counter() - start)
        reference = la_layout(m, n, 1e-10)
    print(json.dumps({
        "points": n, "edges": int(g.nnz), "components": int(components), "graph": "fuzzy" if args.fuzzy else "gaussian",
        "umap_learn": umap.__version__, "scipy": scipy.__version__,
        "seconds_umap_learn_sm": float(np.median(umap_times)), "seconds_scipy_la": float(np.median(la_times)),
        "sm_over_la": float(np.median(umap_times) / np.median(la_times)),
        "sin_sm_vs_la": sine(sm, la), "sin_sm_vs_reference": sine(sm, reference), "sin_la_vs_reference": sine(la, reference),
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Sharded PCA on Spark (local mode), with EmbedViz doing the numerical work inside the tasks.

    map     one Spark task per shard runs `embedviz pca fit --input shard_k.npy --partial part_k.npz`
            (the shard's row count, mean and scatter matrix, in float64)
    reduce  the driver runs `embedviz pca merge part_*.npz --components K --model model.npz`
    map     RDD.pipe streams each partition's rows, as CSV lines, through
            `embedviz pca transform --model model.npz --input - --format csv --output -`

and checks the result against one process doing the same on the whole matrix: the explained variance
ratios and the projected coordinates must agree (float32 rounding only).

Data: MNIST's 70,000 images (train + test, pixels / 255) from data/mnist, cut into --shards NPY files.
Usage: spark_pca.py [--embedviz .build/release/embedviz] [--data data/mnist] [--shards 8]
                    [--components 50] [--work runs/scaleout]
"""
import argparse
import io
import json
import os
import shutil
import sys
import time

import numpy as np

from common import find, local_spark, read_idx, run


def read_idx_images(path):
    images = read_idx(path)
    return images.reshape(len(images), -1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedviz", default=".build/release/embedviz")
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--work", default="runs/scaleout")
    args = parser.parse_args()
    embedviz = os.path.abspath(args.embedviz)
    if not os.access(embedviz, os.X_OK):
        sys.exit(f"scaleout: {embedviz} is not an executable (run `make build`)")
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    images = np.concatenate([read_idx_images(find(args.data, "train-images-idx3-ubyte")),
                             read_idx_images(find(args.data, "t10k-images-idx3-ubyte"))]).astype(np.float32) / 255
    shards = np.array_split(np.arange(len(images)), args.shards)
    shard_paths = []
    for k, rows in enumerate(shards):
        path = os.path.join(work, f"shard{k}.npy")
        np.save(path, images[rows])
        shard_paths.append(path)
    np.save(os.path.join(work, "all.npy"), images)
    print(f"scaleout: {len(images)}×{images.shape[1]} MNIST pixels in {args.shards} shards under {work}")

    spark = local_spark("embedviz-sharded-pca")
    print(f"scaleout: Spark {spark.version} (local[2]), Java {spark.sparkContext._jvm.System.getProperty('java.version')}")
    sc = spark.sparkContext
    timings = {}
    try:
        # Map: one task per shard computes its partial statistics with EmbedViz.
        start = time.perf_counter()

        def fit_partial(indexed):
            k, path = indexed
            part = path.replace("shard", "part").replace(".npy", ".npz")
            run([embedviz, "pca", "fit", "--input", path, "--partial", part, "--threads", "1", "--quiet"])
            return part

        parts = sc.parallelize(list(enumerate(shard_paths)), len(shard_paths)).map(fit_partial).collect()
        timings["map: pca fit --partial (Spark tasks)"] = time.perf_counter() - start

        # Reduce: merge the partials into one model on the driver.
        start = time.perf_counter()
        model = os.path.join(work, "model.npz")
        merged = json.loads(run([embedviz, "pca", "merge", *parts, "--components", str(args.components),
                                 "--model", model, "--json", "-", "--quiet"]))
        timings["reduce: pca merge"] = time.perf_counter() - start

        # Map: stream every partition's rows through `pca transform` (RDD.pipe: stdin/stdout, CSV lines).
        start = time.perf_counter()
        def csv_lines(path):
            text = io.StringIO()
            np.savetxt(text, np.load(path), fmt="%.9g", delimiter=",")  # exact for float32
            return text.getvalue().splitlines()

        # Spark keeps the partitions' order through pipe() and collect(): rows come back in shard order.
        projected_lines = sc.parallelize(shard_paths, len(shard_paths)).flatMap(csv_lines).pipe(
            f"{embedviz} pca transform --model {model} --input - --format csv --output - --threads 1 --quiet").collect()
        timings["map: pca transform through RDD.pipe"] = time.perf_counter() - start
    finally:
        spark.stop()

    projected = np.array([[float(v) for v in line.split(",")] for line in projected_lines], dtype=np.float64)
    if projected.shape != (len(images), args.components):
        sys.exit(f"scaleout: expected {len(images)}×{args.components} projected values, got {projected.shape}")

    # The same in one process, for comparison.
    start = time.perf_counter()
    single_model = os.path.join(work, "single.npz")
    single = json.loads(run([embedviz, "pca", "fit", "--input", os.path.join(work, "all.npy"), "--components",
                             str(args.components), "--model", single_model, "--json", "-", "--quiet"]))
    reference_path = os.path.join(work, "single-projected.npy")
    run([embedviz, "pca", "transform", "--model", single_model, "--input", os.path.join(work, "all.npy"),
         "--output", reference_path, "--quiet"])
    timings["single process: pca fit + transform"] = time.perf_counter() - start
    reference = np.load(reference_path).astype(np.float64)

    ratio_gap = max(abs(a - b) for a, b in zip(merged["explained_variance_ratio"], single["explained_variance_ratio"]))
    coordinate_gap = float(np.max(np.abs(projected - reference)))
    scale = float(np.max(np.abs(reference)))
    for name, seconds in timings.items():
        print(f"  {name:<42} {seconds:7.2f} s")
    print(f"explained variance ratio, first 3: {[round(r, 5) for r in merged['explained_variance_ratio'][:3]]}")
    print(f"max |ratio(sharded) − ratio(single)|   = {ratio_gap:.2e}")
    print(f"max |coordinate(sharded) − single|     = {coordinate_gap:.2e}  (coordinates up to {scale:.1f})")
    ok = ratio_gap < 1e-6 and coordinate_gap < 1e-3 * max(scale, 1)
    print("scaleout: OK — the Spark pipeline equals the single-process result" if ok else "scaleout: MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

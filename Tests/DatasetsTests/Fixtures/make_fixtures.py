#!/usr/bin/env python3
"""Writes the NPY/IDX/CSV test fixtures in this folder. Run once; the outputs are committed.

Made with NumPy 2.4.6 on CPython 3.11.7:  python3 make_fixtures.py
Every array is a function of np.arange, so the tests can recompute the expected values:
  value(k) = k * 0.5 - 3 for floats, k - 3 for signed integers, k for unsigned, k % 2 for bool,
where k is the element's position in C order.
"""
import gzip
import numpy as np
from numpy.lib import format as npf

def floats(shape, dtype):
    return (np.arange(int(np.prod(shape))) * 0.5 - 3).reshape(shape).astype(dtype)

def ints(shape, dtype, signed=True):
    k = np.arange(int(np.prod(shape)))
    return (k - 3 if signed else k).reshape(shape).astype(dtype)

np.save("f4_c.npy", floats((3, 4), "<f4"))
np.save("f8_fortran.npy", np.asfortranarray(floats((3, 4), "<f8")))
np.save("f4_big_endian.npy", floats((3, 4), ">f4"))
np.save("f2.npy", floats((2, 3), "<f2"))
np.save("i2.npy", ints((3, 4), "<i2"))
np.save("i8_big_endian.npy", ints((3, 4), ">i8"))
np.save("u1.npy", ints((3, 4), "u1", signed=False))
np.save("bool.npy", (np.arange(6) % 2).astype(bool).reshape(2, 3))
np.save("f4_1d.npy", floats((5,), "<f4"))
np.save("f4_3d.npy", floats((2, 3, 4), "<f4"))
np.save("f4_empty.npy", floats((0, 3), "<f4"))
with open("f4_v2.npy", "wb") as f:
    npf.write_array(f, floats((3, 4), "<f4"), version=(2, 0))
with open("f4_v3.npy", "wb") as f:
    npf.write_array(f, floats((3, 4), "<f4"), version=(3, 0))
np.save("object.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
np.save("complex.npy", np.arange(3).astype(np.complex64))
np.save("structured.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
with gzip.open("f4_c.npy.gz", "wb") as f:
    np.save(f, floats((3, 4), "<f4"))

# IDX: a 2x3x2 uint8 array (gzip and plain) and a 3-element big-endian int16 vector.
def idx(arr, code):
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()

u8 = ints((2, 3, 2), "u1", signed=False)
open("u8.idx", "wb").write(idx(u8, 0x08))
with gzip.open("u8.idx.gz", "wb") as f:
    f.write(idx(u8, 0x08))
open("i16.idx", "wb").write(idx(ints((3,), "i2"), 0x0B))
open("f64.idx", "wb").write(idx(floats((2, 2), "f8"), 0x0E))

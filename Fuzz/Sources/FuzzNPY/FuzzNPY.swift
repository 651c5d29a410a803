import Datasets

/// NPY reader (header dict parser, dtypes, C and Fortran order), from memory, plus the NPZ archive
/// reader on the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let reader = try? MatrixReader(bytes: bytes, name: "fuzz.npy", options: ReadOptions(allowNonFinite: true)),
       let matrix = try? reader.readAll() {
        precondition(matrix.count == matrix.rows * matrix.columns)
    }
    _ = try? NamedArray.decode(npy: bytes, source: "fuzz.npy")
    _ = try? NPZ.decode(bytes, source: "fuzz.npz")
    return 0
}

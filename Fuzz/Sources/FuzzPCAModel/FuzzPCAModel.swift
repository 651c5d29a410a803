import Projection

/// PCA model files (.npz): ZIP directory, stored/deflated entries, NPY arrays, model consistency.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPCAModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let model = try? PCAFiles.decodeModel(bytes, source: "fuzz.npz") {
        precondition(model.components.columns == model.dimension)
    }
    return 0
}

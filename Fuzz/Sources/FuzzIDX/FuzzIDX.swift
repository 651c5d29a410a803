import Datasets

/// IDX parser: any bytes must give an array or an EmbedVizError, never a crash or a huge allocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? IDXArray.parse(bytes, source: "fuzz.idx") {
        precondition(array.payload.count == array.count * array.elementType.size)
        _ = array.floatValues()
    }
    return 0
}

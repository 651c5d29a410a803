import Datasets

/// CSV/TSV reader: the first byte picks the format and header mode, the rest is the text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let format: ArrayFormat = data[0] & 1 == 0 ? .csv : .tsv
    let header: HeaderMode = [.auto, .yes, .no][Int(data[0] >> 1) % 3]
    let options = ReadOptions(format: format, header: header, allowNonFinite: data[0] & 0x80 != 0)
    if let reader = try? MatrixReader(bytes: bytes, name: "fuzz.\(format.rawValue)", options: options) {
        while let chunk = try? reader.next(maxRows: 7) {
            precondition(chunk.columns == reader.columns)
        }
    }
    return 0
}

/// A named tensor inside a flat parameter array (PyTorch `state_dict` naming and shapes).
public struct TensorSpec: Sendable, Equatable, Codable {
    public var name: String
    public var shape: [Int]
    public var offset: Int

    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// Tensors packed one after another in one flat array, so that the optimiser, the gradients and
/// the checkpoint each deal with a single buffer.
public struct TensorLayout: Sendable, Equatable {
    public private(set) var tensors: [TensorSpec] = []
    public private(set) var count = 0

    public init(_ entries: [(String, [Int])]) {
        for (name, shape) in entries {
            let spec = TensorSpec(name: name, shape: shape, offset: count)
            tensors.append(spec)
            count += spec.count
        }
    }

    public subscript(name: String) -> TensorSpec {
        guard let spec = tensors.first(where: { $0.name == name }) else { preconditionFailure("no tensor named \(name)") }
        return spec
    }
}

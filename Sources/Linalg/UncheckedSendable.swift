/// Wraps a value whose concurrent use the caller has made safe (disjoint writes, read-only sharing).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

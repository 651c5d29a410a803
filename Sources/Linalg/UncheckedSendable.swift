/// Wraps a value whose concurrent use the caller has made safe (disjoint writes, read-only sharing).
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

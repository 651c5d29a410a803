/// Eight-wide SIMD loads and stores for the element-wise layers. (Plain scalar loops over pointers
/// that may alias are not auto-vectorised; spelling the vectors out is 3–8× faster here.)
@usableFromInline typealias Vec8 = SIMD8<Float>

extension UnsafePointer where Pointee == Float {
    @inlinable @inline(__always) func vec8(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inlinable @inline(__always) func vec8(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inlinable @inline(__always) func store8(_ v: SIMD8<Float>, at i: Int) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}

/// Sum of `count` floats with eight-wide vector accumulators, finished in Double.
@inlinable
func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
        acc += x.vec8(i)
        i += 8
    }
    var total = 0.0
    for k in 0..<8 { total += Double(acc[k]) }
    while i < count { total += Double(x[i]); i += 1 }
    return Float(total)
}

/// Correctly rounded decimal → Float conversion for the common case, several times faster than
/// `strtof`; everything else is left to `strtof`.
///
/// The fast path (Clinger 1990, "How to read floating point numbers accurately") takes a plain
/// decimal `[+-]digits[.digits][(e|E)[+-]digits]` whose significant digits form an integer
/// m ≤ 2⁵³ and whose decimal exponent e has |e| ≤ 22: m and 10^|e| are then exact Doubles, so one
/// multiplication or division gives d, the correctly rounded Double of the value x. Rounding d to
/// Float is correct too, unless d lies exactly on a midpoint between two Floats: every such
/// midpoint is itself a Double, and rounding to nearest is monotonic, so d is on the same side of
/// each midpoint as x (or on it only when x is). When d *is* a midpoint, or in the Float subnormal
/// or overflow range, the slow path decides. Float.description output (what our CSV writer
/// emits: at most 9 digits) always takes the fast path unless it is one of those cases.
enum DecimalFloat {
    /// Powers of ten that are exact Doubles (10²² = 2²²·5²², 5²² < 2⁵³).
    private static let powers: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }

    /// The Float value of `text[0..<count]`, or nil when the fast path cannot decide (any input
    /// that is not a plain decimal, too many digits, a large exponent, a midpoint, subnormal or
    /// overflowing results: give those to `strtof`).
    @inline(__always)
    static func parse(_ text: UnsafePointer<UInt8>, count: Int) -> Float? {
        var i = 0
        var negative = false
        if i < count, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0  // significant digits in `mantissa` (leading zeros not counted)
        var exponent = 0
        var sawDigit = false
        while i < count, case let d = text[i] &- 48, d < 10 {
            if digits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { digits += 1 }
            } else {
                return nil  // more significant digits than a UInt64 holds
            }
            sawDigit = true
            i += 1
        }
        if i < count, text[i] == UInt8(ascii: ".") {
            i += 1
            while i < count, case let d = text[i] &- 48, d < 10 {
                guard digits < 19 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { digits += 1 }
                exponent -= 1
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < count, text[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var negativeExponent = false
            if i < count, text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") {
                negativeExponent = text[i] == UInt8(ascii: "-")
                i += 1
            }
            var value = 0
            var sawExponentDigit = false
            while i < count, case let d = text[i] &- 48, d < 10 {
                guard value < 10_000 else { return nil }
                value = value * 10 + Int(d)
                sawExponentDigit = true
                i += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += negativeExponent ? -value : value
        }
        guard i == count, mantissa <= 1 << 53 else { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard exponent >= -22 && exponent <= 22 else { return nil }
        var d = Double(mantissa)
        d = exponent < 0 ? d / powers[-exponent] : d * powers[exponent]
        // Outside Float's normal range the midpoints are spaced differently, or the result overflows.
        guard d >= Double(Float.leastNormalMagnitude), d <= Double(Float.greatestFiniteMagnitude) else { return nil }
        // A Float keeps 23 of the Double's 52 fraction bits; d is a midpoint when the other 29
        // bits are exactly 1 followed by zeros.
        guard d.bitPattern & ((1 << 29) - 1) != 1 << 28 else { return nil }
        let f = Float(d)
        return negative ? -f : f
    }
}

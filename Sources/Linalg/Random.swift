import Foundation

/// A seeded, value-type random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Pass it `inout` to whatever needs randomness: no hidden global state, and the same seed gives
/// the same stream on every machine. Its state can be saved and restored (for resumable training).
/// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2021).
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    /// Whether `state` is a usable xoshiro256 state: four words, not all zero. Check saved states
    /// with it before restoring or using them (a decoded generator is not checked).
    public static func isValid(state: [UInt64]) -> Bool { state.count == 4 && state.contains { $0 != 0 } }

    /// Whether this generator's state is usable (see `isValid(state:)`).
    public var isValid: Bool { Self.isValid(state: state) }

    /// Restores a generator from a saved `state`.
    public init(state: [UInt64]) {
        precondition(Self.isValid(state: state), "invalid xoshiro256 state")
        self.state = state
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotate(state[3], 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits (every Float in the range is equally spaced).
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextUnitFloat() }

    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Double {
        var u = nextUnitDouble()
        while u == 0 { u = nextUnitDouble() }
        let v = nextUnitDouble()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }

    /// `k` distinct indices drawn uniformly from `0..<n`, in the order drawn.
    public mutating func distinctIndices(_ k: Int, from n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "cannot draw \(k) distinct indices from \(n)")
        return Array(permutation(n).prefix(k))
    }
}


import Linalg
@testable import Projection
import Testing

@Suite struct GradientDescentTests {
    /// Two steps by hand: gains start at 1; a gradient that keeps its sign against the last update
    /// (update 0 at first counts as "not > 0", so a negative gradient "flips") — bhtsne's rule.
    @Test("gains and momentum: two steps computed by hand, with the per-point step clipped")
    func handComputed() {
        var y = Embedding(count: 2, dimensions: 2, coordinates: [0, 0, 1, 1])
        var step = GainsMomentum(count: 4, minimumGain: 0.01, maximumStepNorm: 5)
        step.step(&y, gradient: [1, -2, 0.5, 0], rate: 1, momentum: 0.5)
        // k=0: g=1 > 0, u=0 not > 0 → flipped → gain 1.2, u = −1.2;   k=1: g=−2 not > 0, u not > 0 → kept → gain 0.8, u = 1.6
        // k=2: flipped → 1.2, u = −0.6;   k=3: g=0 not > 0 → kept → 0.8, u = 0
        #expect(step.gains == [1.2, 0.8, 1.2, 0.8])
        #expect(step.update == [-1.2, 1.6, -0.6, 0])
        #expect(y.coordinates == [-1.2, 1.6, 0.4, 1])
        step.step(&y, gradient: [1, -2, 0.5, 0], rate: 10, momentum: 0.5)
        // k=0: g > 0, u < 0 → flipped → 1.4, u = −0.6 − 14 = −14.6; k=1: g < 0, u > 0 → flipped → 1.0, u = 0.8 + 20 = 20.8
        // Point 0's step (−14.6, 20.8) has norm 25.41… > 5: scaled to norm 5.
        let norm = (14.6 * 14.6 + 20.8 * 20.8).squareRoot()
        #expect(abs(step.update[0] - (-14.6 * 5 / norm)) < 1e-12 && abs(step.update[1] - 20.8 * 5 / norm) < 1e-12)
        #expect(abs(y.coordinates[0] - (-1.2 - 14.6 * 5 / norm)) < 1e-12)
    }

    /// A quadratic objective f(y) = ½‖y − c‖² (gradient y − c): descent reaches c; without re-centring
    /// (a fixed reference) the minimiser is not moved to the origin.
    struct Quadratic: TSNEObjective {
        let target: [Double]
        mutating func gradient(at y: Embedding, exaggeration: Double, evaluate: Bool,
                               into gradient: UnsafeMutableBufferPointer<Double>) throws(EmbedVizError) -> Double? {
            var value = 0.0
            for k in 0..<target.count {
                gradient[k] = exaggeration * (y.coordinates[k] - target[k])
                value += 0.5 * (y.coordinates[k] - target[k]) * (y.coordinates[k] - target[k])
            }
            return evaluate ? value : nil
        }
    }

    @Test("one loop for fit and transform: phases, values every k iterations, re-centring only when asked")
    func loop() throws {
        let target = [3.0, -1, 2, 5]
        let descent = GradientDescent(
            phases: [.init(name: .earlyExaggeration, iterations: 20, exaggeration: 2, momentum: 0.5, learningRate: 0.1),
                     .init(name: .optimisation, iterations: 180, exaggeration: 1, momentum: 0.8, learningRate: 0.1)],
            minimumGain: 0.01, maximumStepNorm: nil, recentre: false, evaluateEvery: 50)
        var objective = Quadratic(target: target)
        var y = Embedding(count: 2, dimensions: 2, coordinates: [0, 0, 0, 0])
        var seen: [Int] = []
        let trace = try descent.run(&objective, from: &y) { seen.append($0.done) }
        #expect(zip(y.coordinates, target).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(trace.values.map(\.iteration) == [50, 100, 150, 200] && trace.phaseSeconds.count == 2)
        #expect(trace.values.last!.kl < 1e-6 && seen.last == 200)
        var centred = GradientDescent(phases: descent.phases, minimumGain: 0.01, maximumStepNorm: nil, recentre: true,
                                      evaluateEvery: nil)
        centred.recentre = true
        var z = Embedding(count: 2, dimensions: 2, coordinates: [0, 0, 0, 0])
        var again = Quadratic(target: target)
        #expect(try centred.run(&again, from: &z).values.isEmpty)
        // Re-centred after every step: each coordinate's mean stays 0 (the objective's minimiser is not).
        #expect(abs(z.coordinates[0] + z.coordinates[2]) < 1e-12 && abs(z.coordinates[1] + z.coordinates[3]) < 1e-12)
    }

    @Test("a non-finite objective value stops the loop with a located numerical error")
    func divergence() {
        struct Broken: TSNEObjective {
            mutating func gradient(at y: Embedding, exaggeration: Double, evaluate: Bool,
                                   into gradient: UnsafeMutableBufferPointer<Double>) throws(EmbedVizError) -> Double? {
                for k in gradient.indices { gradient[k] = 0 }
                return evaluate ? .nan : nil
            }
        }
        let descent = GradientDescent(phases: [.init(name: .optimisation, iterations: 10, exaggeration: 1, momentum: 0.5,
                                                     learningRate: 1)],
                                      minimumGain: 0.01, maximumStepNorm: nil, recentre: true, evaluateEvery: 5)
        var objective = Broken()
        var y = Embedding(count: 1, dimensions: 2, coordinates: [0, 0])
        do {
            _ = try descent.run(&objective, from: &y)
            Issue.record("no error")
        } catch {
            #expect(error.kind == .numerical && "\(error)".contains("iteration 5"))
        }
    }
}

// One training step of the tutorial's CNN taken apart (issue 19): where the time goes, and how far
// each stage runs from this machine's peak. Two peaks, both printed:
//  - derived from the CPU: cores × FMA lanes per cycle × 2 flops × clock (/proc/cpuinfo), the
//    fractions of peak of the arithmetic stages use this one (it does not move with the load);
//  - measured: a 2048³ sgemm on 2 threads (OpenBLAS's best case), beside it as a check.
// Memory-bound stages are quoted in GB/s of their compulsory traffic (each input read once, each
// output written once) against a measured two-thread triad over cache-sized arrays.
import Benchmark
import COpenBLAS
import Datasets
import Dispatch
import Foundation
import Linalg
import NeuralNet

/// The CPU's single-precision peak from its description: vector width (AVX-512 / AVX2 / SSE from
/// the flags), FMA pipes per core (a table by vendor: AMD Zen 2–4 have two 256-bit FMA pipes and
/// run AVX-512 on them in two halves; Intel cores with AVX-512 have two 512-bit FMA units; others
/// two pipes of their widest vector), and the clock `cpu MHz` reports (the base clock in a VM; a
/// turbo clock makes the measured sgemm exceed it).
struct CPUPeak {
    var description: String
    var flopsPerCycle: Int  // per core
    var megahertz: Double
    var cores: Int

    var gflops: Double { Double(flopsPerCycle * cores) * megahertz / 1000 }

    static func fromProcCPUInfo(cores: Int) -> CPUPeak {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String {
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
            }
            return ""
        }
        let flags = Set(field("flags").split(separator: " ").map(String.init))
        let vendor = field("vendor_id"), model = field("model name"), mhz = Double(field("cpu MHz")) ?? 0
        let vectorBits = flags.contains("avx512f") ? 512 : flags.contains("avx") ? 256 : 128
        // FMA pipes per core and their width in bits.
        let (pipes, pipeBits) = vendor == "AuthenticAMD" ? (2, min(vectorBits, 256)) : (2, vectorBits)
        let flopsPerLane = flags.contains("fma") ? 2 : 1
        let lanes = pipes * pipeBits / 32
        return CPUPeak(description: "\(model) (\(vendor)): \(vectorBits)-bit vectors, \(pipes)×\(pipeBits)-bit FMA pipes, "
                           + "\(lanes * flopsPerLane) flops/cycle/core × \(cores) cores × \(mhz) MHz",
                       flopsPerCycle: lanes * flopsPerLane, megahertz: mhz, cores: cores)
    }
}

/// Median GFLOP/s of `runs` 2048³ sgemm calls on `threads` threads.
func measuredSgemmPeak(threads: Int, runs: Int = 5) -> Double {
    let n = 2048
    let a = randomMatrix(n, n, seed: 21), b = randomMatrix(n, n, seed: 22)
    var c = [Float](repeating: 0, count: n * n)
    var rates: [Double] = []
    Threads.withBLASThreads(threads) {
        for _ in 0..<(runs + 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1,
                        a.storage, blasint(n), b.storage, blasint(n), 0, &c, blasint(n))
            rates.append(2 * Double(n * n * n) / Double(DispatchTime.now().uptimeNanoseconds - start))
        }
    }
    blackHole(c)
    return rates.dropFirst().sorted()[runs / 2]
}

/// Median GB/s of a triad `a = b + s·c` on `threads` threads, each over its own three arrays of
/// `floats` values (1 MiB each by default: the size of one part's convolution maps, cache-resident).
func measuredTriadBandwidth(threads: Int, floats: Int = 262_144, runs: Int = 21) -> Double {
    let arrays = (0..<threads).map { _ in (0..<3).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: floats) } }
    for t in arrays { for p in t { p.initialize(repeating: 1, count: floats) } }
    defer { for t in arrays { for p in t { p.deallocate() } } }
    var rates: [Double] = []
    let shared = UncheckedBox(value: arrays)
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let (a, b, c) = (shared.value[t][0], shared.value[t][1], shared.value[t][2])
            let s = SIMD8<Float>(repeating: 0.5)
            for _ in 0..<8 {
                var i = 0
                while i + 8 <= floats {
                    let v = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
                        + s * UnsafeRawPointer(c + i).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(a + i).storeBytes(of: v, as: SIMD8<Float>.self)
                    i += 8
                }
            }
        }
        let bytes = Double(threads * 8 * 3 * floats * 4)
        rates.append(bytes / Double(DispatchTime.now().uptimeNanoseconds - start))
    }
    return rates.sorted()[runs / 2]
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
}

/// Work of each stage in one whole step of batch `B` (the parts together): flops for the
/// arithmetic stages, compulsory bytes for the memory-bound ones, nil where neither says much.
func stageWork(_ stage: StepProfile.Stage, batch B: Int) -> (flops: Double?, bytes: Double?) {
    let (C, E, F, K) = (Double(TutorialCNN.channels), Double(TutorialCNN.embeddingSize), Double(TutorialCNN.flatFeatures),
                        Double(TutorialCNN.classes))
    let maps = C * Double(B * TutorialCNN.convPlane), taps = 9.0
    let pooledBytes = 4 * C * Double(B * TutorialCNN.poolPlane)
    switch stage {
    // The three passes of the fused convolution block each compute the convolution (direct, 9 taps);
    // the statistics add (x − μ)², the backward pass the weight gradient's 10 products per value.
    case .batchNormStatistics: return (2 * taps * maps + 3 * maps, nil)
    case .normalisePoolForward: return (2 * taps * maps, nil)
    case .fc1Forward: return (2 * Double(B) * F * E, nil)
    case .fc2LossForward: return (2 * Double(B) * E * K, nil)
    case .lossFc2Backward: return (4 * Double(B) * E * K, nil)
    case .fc1Backward: return (4 * Double(B) * F * E, nil)
    case .poolBackward: return (nil, 2 * pooledBytes)  // pooled gradients in, their batch-norm sums
    case .convolutionBackward: return (2 * taps * maps + 2 * (taps + 1) * maps, nil)
    case .adam: return (nil, 4 * Double(TutorialCNN.parameterCount) * 8)  // p, m, v, 2 gradient parts in; p, m, v out
    case .batchNormExchange, .synchronisation: return (nil, nil)
    }
}

/// Metric-name stem of a stage ("conv forward" → "conv_forward").
func metricStem(_ stage: StepProfile.Stage) -> String {
    stage.name.replacingOccurrences(of: " ", with: "_")
}

func trainingStepBenchmarks(mnistDirectory: String) {
    let threads = 2
    // MARK: the machine's peak, measured and derived
    Benchmark("peak sgemm n=2048 threads=2 vs CPU-derived",
              configuration: .init(metrics: [.wallClock, .throughput, .custom("measured GFLOP/s ×1000", polarity: .prefersLarger),
                                             .custom("derived GFLOP/s ×1000", polarity: .prefersLarger),
                                             .custom("measured/derived ×1000", polarity: .prefersLarger),
                                             .custom("triad GB/s ×1000", polarity: .prefersLarger)],
                                   timeUnits: .milliseconds, warmupIterations: 0, maxDuration: .seconds(20), maxIterations: 1)) { benchmark in
        let derived = CPUPeak.fromProcCPUInfo(cores: threads)
        FileHandle.standardError.write(Data("CPU-derived peak: \(derived.description) = \(String(format: "%.1f", derived.gflops)) GFLOP/s\n".utf8))
        for _ in benchmark.scaledIterations {
            let measured = measuredSgemmPeak(threads: threads)
            benchmark.measurement(.custom("measured GFLOP/s ×1000", polarity: .prefersLarger), Int(measured * 1000))
            benchmark.measurement(.custom("derived GFLOP/s ×1000", polarity: .prefersLarger), Int(derived.gflops * 1000))
            benchmark.measurement(.custom("measured/derived ×1000", polarity: .prefersLarger), Int(1000 * measured / derived.gflops))
            benchmark.measurement(.custom("triad GB/s ×1000", polarity: .prefersLarger),
                                  Int(1000 * measuredTriadBandwidth(threads: threads)))
        }
    }

    // MARK: one step, stage by stage (batch 32 split over 2 threads, as in training)
    var metrics: [BenchmarkMetric] = [.wallClock, .throughput]
    for stage in StepProfile.Stage.allCases {
        metrics.append(.custom("\(metricStem(stage)) μs ×1000"))
        let work = stageWork(stage, batch: 32)
        if work.flops != nil {
            metrics.append(.custom("\(metricStem(stage)) GFLOP/s ×1000", polarity: .prefersLarger))
        } else if work.bytes != nil {
            metrics.append(.custom("\(metricStem(stage)) GB/s ×1000", polarity: .prefersLarger))
        }
        if work.flops != nil || work.bytes != nil {
            metrics.append(.custom("\(metricStem(stage)) % of peak ×1000", polarity: .prefersLarger))
        }
    }
    let breakdown = Benchmark.Configuration(metrics: metrics, timeUnits: .milliseconds, warmupIterations: 20,
                                            maxDuration: .seconds(6), maxIterations: 2000)
    Benchmark("CNN step breakdown batch 32 threads=2", configuration: breakdown) { benchmark in
        Threads.set(threads)
        let peak = CPUPeak.fromProcCPUInfo(cores: threads).gflops
        let bandwidth = measuredTriadBandwidth(threads: threads)
        let train = try MNIST.load(.train, from: mnistDirectory)
        var model = TutorialCNN(seed: 1)
        var adam: Adam? = Adam(parameterCount: TutorialCNN.parameterCount)
        let parts = [CNNWorkspace(capacity: 16), CNNWorkspace(capacity: 16)]
        let profile = StepProfile()
        var batch = 0
        Threads.withBLASThreads(1) {
            for iteration in benchmark.scaledIterations {
                // A new batch every step (outside the timing), as in training.
                let first = (iteration * 32) % 54_976
                parts[0].load(train, indices: Array(first..<(first + 16))[...])
                parts[1].load(train, indices: Array((first + 16)..<(first + 32))[...])
                profile.reset()
                benchmark.startMeasurement()
                blackHole(FloatMode.flushingDenormals {
                    model.trainingStep(parts: parts, rows: [16, 16], optimizer: &adam, profile: profile)
                })
                benchmark.stopMeasurement()
                for stage in StepProfile.Stage.allCases {
                    let ns = profile.nanosecondsPerStep(stage)
                    benchmark.measurement(.custom("\(metricStem(stage)) μs ×1000"), Int(ns))
                    let work = stageWork(stage, batch: 32)
                    if let flops = work.flops, ns > 0 {
                        let rate = flops / ns
                        benchmark.measurement(.custom("\(metricStem(stage)) GFLOP/s ×1000", polarity: .prefersLarger), Int(1000 * rate))
                        benchmark.measurement(.custom("\(metricStem(stage)) % of peak ×1000", polarity: .prefersLarger),
                                              Int(1000 * 100 * rate / peak))
                    } else if let bytes = work.bytes, ns > 0 {
                        let rate = bytes / ns
                        benchmark.measurement(.custom("\(metricStem(stage)) GB/s ×1000", polarity: .prefersLarger), Int(1000 * rate))
                        benchmark.measurement(.custom("\(metricStem(stage)) % of peak ×1000", polarity: .prefersLarger),
                                              Int(1000 * 100 * rate / bandwidth))
                    }
                }
                batch += 1
            }
        }
        blackHole(batch)
    }
}

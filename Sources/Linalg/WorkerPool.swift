import CSupport
import Foundation
import Synchronization

/// Persistent worker threads for `Threads.forEachPart` and `Threads.parallelFor`: a job's parts are
/// taken in turn by the calling thread and the workers, which spin for a short while after each job
/// before they block.
///
/// Why not Grand Central Dispatch alone: the training step of the tutorial's CNN runs three
/// parallel regions of a few hundred microseconds each, a t-SNE iteration several. GCD parks its
/// workers as soon as they are idle, so every region paid a thread wake-up on each side (measured: a
/// fifth of the CNN step was waiting). A worker that is still spinning starts within a fraction of
/// a microsecond.
///
/// One job at a time: a second caller (another thread, or a part that starts a parallel loop of
/// its own) finds the pool busy and runs its job on GCD as before. Which thread runs a part never
/// changes what the part computes: parts are indices, and each runs in the caller's floating-point
/// mode and BLAS section (as `Threads.forEachPart` promises).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long a worker spins for the next job before it blocks, and how long a caller spins for
    /// its workers before it yields its core between checks. Measured on a 2-vCPU Zen 4 EPYC,
    /// training the CNN (three regions per ~1 ms step), 8 epochs each, interleaved: 100 µs gave a
    /// median of 2.18 s per epoch, 1 ms 2.84 s; yielding the core while spinning was slower still.
    static let spinSeconds = 100e-6

    private struct Job {
        let body: (Int) -> Void
        let parts: Int
        /// Workers 0..<helpers take parts; the others only check in.
        let helpers: Int
        let mode: UInt32
        let member: Int32
    }

    /// Held by the job in progress.
    private let busy = NSLock()
    /// Guards `workers` (threads are started under it, by the job's caller).
    private var workers = 0
    /// Bumped (releasing) when a job is published; workers wait for it to change.
    private let generation = Atomic<Int>(0)
    /// The next part to run, and the workers that have finished the current job.
    private let nextPart = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    /// Workers blocked on `wake` (then the publisher must signal it).
    private let sleepers = Atomic<Int>(0)
    private let wake = NSCondition()
    /// Written by the caller before it publishes `generation`, read by workers after they see it;
    /// cleared only after every worker has finished.
    private var job: Job?

    /// Runs `body(k)` for `k` in `0..<parts` on the calling thread and `helpers` workers (none: on
    /// the calling thread alone), and returns true; or returns false at once when another job holds
    /// the pool.
    func run(parts: Int, helpers: Int, mode: UInt32, member: Int32, _ body: (Int) -> Void) -> Bool {
        if helpers <= 0 {
            for k in 0..<parts { body(k) }
            return true
        }
        guard busy.try() else { return false }
        defer { busy.unlock() }
        while workers < helpers { startWorker() }
        let team = workers
        return withoutActuallyEscaping(body) { body in
            job = Job(body: body, parts: parts, helpers: helpers, mode: mode, member: member)
            nextPart.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            takeParts(job!)
            waitFor(team)
            job = nil
            return true
        }
    }

    /// Runs parts until none are left (on any thread of the job).
    private func takeParts(_ job: Job) {
        while true {
            let k = nextPart.add(1, ordering: .relaxed).oldValue
            if k >= job.parts { return }
            job.body(k)
        }
    }

    /// Waits until `team` workers have finished the current job: spinning at first, then yielding.
    private func waitFor(_ team: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while finished.load(ordering: .acquiring) < team {
            spins += 1
            if spins & 255 != 0 {
                embedviz_cpu_relax()
            } else if Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 > Self.spinSeconds {
                sched_yield()
            }
        }
    }

    private func startWorker() {
        let index = workers
        workers += 1
        let seen = generation.load(ordering: .acquiring)  // the job about to be published is after it
        let thread = Thread { [self] in workerLoop(index, after: seen) }
        thread.stackSize = 8 << 20  // as a GCD worker's: parts may use large stack buffers
        thread.name = "embedviz-worker"
        thread.start()
    }

    private func workerLoop(_ index: Int, after start: Int) {
        var seen = start
        while true {
            seen = waitForJob(after: seen)
            work(index)
            finished.add(1, ordering: .releasing)
        }
    }

    /// The job's parts, in the job's floating-point mode and BLAS section. Not inlined: the job's
    /// closure must be released before `finished` says this worker is done (the caller's
    /// `withoutActuallyEscaping` checks that nothing kept it).
    @inline(never)
    private func work(_ index: Int) {
        let job = job!
        guard index < job.helpers else { return }
        let wasMember = embedviz_in_blas_section(), wasMode = embedviz_get_float_mode()
        embedviz_set_in_blas_section(job.member)
        embedviz_set_float_mode(job.mode)
        takeParts(job)
        embedviz_set_float_mode(wasMode)
        embedviz_set_in_blas_section(wasMember)
    }

    /// Spins until the generation moves past `seen`, then blocks; returns the new generation.
    private func waitForJob(after seen: Int) -> Int {
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while true {
            let g = generation.load(ordering: .acquiring)
            if g != seen { return g }
            spins += 1
            if spins & 255 != 0 {
                embedviz_cpu_relax()
                continue
            }
            if Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 < Self.spinSeconds { continue }
            // Block. A publisher bumps `generation` before it reads `sleepers`, and this worker counts
            // itself in `sleepers` before it reads `generation` under the lock: one of the two sees the other.
            sleepers.add(1, ordering: .sequentiallyConsistent)
            wake.lock()
            while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
            wake.unlock()
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}

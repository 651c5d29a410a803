import Datasets
import Foundation
import Linalg
import Synchronization

/// SIGINT/SIGTERM become a polite request to stop: long work checks `StopRequest.isSet` between
/// steps (training steps, study stages, streamed chunks), removes its temporaries and exits with
/// code 130. A second signal exits at once, still removing every temporary file first.
///
/// The signal handler itself only does what is async-signal-safe: it sets an atomic flag and writes
/// one byte to a pipe. A watcher thread reads the pipe and does the rest (the message, and on the
/// second signal the clean-up and `_exit`), where locks and allocation are allowed.
enum StopRequest {
    static let flag = Atomic<Bool>(false)
    /// The pipe's write end (-1 before `install`), read by the handler.
    static let pipeWrite = Atomic<Int32>(-1)
    static let installed = Atomic<Bool>(false)

    static var isSet: Bool { flag.load(ordering: .relaxed) }

    /// Throws the interruption error when a stop was requested; `progress` says what is kept.
    static func check(_ progress: @autoclosure () -> String) throws(EmbedVizError) {
        guard isSet else { return }
        throw EmbedVizError(.interrupted, "interrupted: \(progress())")
    }

    /// Only commands that poll `isSet` install the handler; the others keep the default (exit at once).
    static func install() {
        guard !installed.exchange(true, ordering: .relaxed) else { return }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        pipeWrite.store(fds[1], ordering: .relaxed)
        let readEnd = fds[0]
        let watcher = Thread {
            var byte: UInt8 = 0
            var signals = 0
            while read(readEnd, &byte, 1) == 1 {
                signals += 1
                if signals == 1 {
                    FileHandle.standardError.write(Data("\nstopping after the current step (press Ctrl-C again to stop at once)\n".utf8))
                } else {
                    TemporaryFiles.removeAll()
                    _exit(130)
                }
            }
        }
        watcher.start()
        // A parent may have left these signals blocked (a spawning thread's mask is inherited);
        // unblock them so that Ctrl-C and `kill` reach the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                StopRequest.flag.store(true, ordering: .relaxed)
                var byte: UInt8 = 1
                _ = write(StopRequest.pipeWrite.load(ordering: .relaxed), &byte, 1)
            }
        }
    }
}

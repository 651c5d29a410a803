import Foundation
import Synchronization

/// SIGINT/SIGTERM become a polite request to stop: long work checks `StopRequest.isSet` between
/// steps, saves what it must and exits with code 130. A second signal exits at once.
enum StopRequest {
    static let flag = Atomic<Bool>(false)

    static var isSet: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        // A parent may have left these signals blocked (a spawning thread's mask is inherited);
        // unblock them so that Ctrl-C and `kill` reach the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                if StopRequest.flag.exchange(true, ordering: .relaxed) {
                    _exit(130)
                }
            }
        }
    }
}

import Foundation
import Synchronization

/// SIGINT/SIGTERM become a polite request to stop: long work checks `StopRequest.isSet` between
/// steps, saves what it must and exits with code 130. A second signal exits at once.
enum StopRequest {
    static let flag = Atomic<Bool>(false)

    static var isSet: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { _ in
                if StopRequest.flag.exchange(true, ordering: .relaxed) {
                    _exit(130)
                }
            }
        }
    }
}

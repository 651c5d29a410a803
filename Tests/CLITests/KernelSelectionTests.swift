import Foundation
import Testing

/// EmbedViz re-selects OpenBLAS's kernels only where OpenBLAS fell back to generic ones by itself;
/// a kernel set the user chose with OPENBLAS_CORETYPE is kept (scripts/test_kernels.sh relies on it).
@Suite struct KernelSelectionTests {
    @Test("OPENBLAS_CORETYPE set by the user is what OpenBLAS runs", arguments: ["Prescott", "Haswell"])
    func userChoiceKept(_ kernel: String) {
        let result = embedviz(["info"], environment: ["OPENBLAS_CORETYPE": kernel])
        #expect(result.status == 0, "\(result.stderr)")
        let core = result.stdout.split(separator: "\n").first { $0.hasPrefix("core:") } ?? ""
        #expect(core.contains(" \(kernel),"), "\(result.stdout)")
        #expect(!result.stdout.contains("selected by EmbedViz"), "\(result.stdout)")
    }
}

import Foundation

/// The committed fixtures (see Fixtures/make_fixtures.py for how each was made with NumPy).
func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
}

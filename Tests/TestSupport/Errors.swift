import Linalg

/// The description of the `EmbedVizError` that `body` throws, or nil when it throws nothing.
public func errorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as EmbedVizError {
        return error.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

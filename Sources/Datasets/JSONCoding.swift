import Foundation

/// The one JSON style of every file and summary EmbedViz writes: snake_case keys, sorted and
/// pretty-printed, slashes unescaped, and non-finite numbers as the strings "inf", "-inf", "nan".
/// (The checkpoint header inside `.ckpt` files is a binary format of its own and keeps its keys.)
///
/// Swift property names become keys by `snakeCase(_:)`: `klDivergence2D` → `kl_divergence_2d`,
/// `randomKLDivergence2D` → `random_kl_divergence_2d`, `coreName` → `core_name`; names already in
/// snake_case stay as they are. Dictionary keys are data and are not converted.
public enum JSONCoding {
    /// An encoder in EmbedViz's JSON style; `pretty: false` for one-line JSON (e.g. inside other files).
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .custom { path in Key(snakeCase(path.last!.stringValue)) }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// A decoder for what `encoder()` writes. Reads camelCase keys (files of earlier versions) too:
    /// keys without an underscore are taken as they are.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in Key(camelCase(path.last!.stringValue)) }
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// `value` as pretty JSON text with a final newline.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        [UInt8](try encoder().encode(value)) + [UInt8(ascii: "\n")]
    }

    /// Writes `value` as pretty JSON to `path` (atomically; `-` for stdout).
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        try OutputFile.write(try encode(value), to: path)
    }

    /// `klDivergence2D` → `kl_divergence_2d`: a word starts at an upper-case letter after a lower-case
    /// one, at the last capital of an acronym followed by lower case (`KLDivergence` → `kl_divergence`),
    /// and at a number that ends in capitals (`pca2D` → `pca_2d`, but `fc1` and `idx3` stay).
    public static func snakeCase(_ name: String) -> String {
        let c = Array(name)
        var out = ""
        for i in c.indices {
            if i > 0 && c[i - 1] != "_" {
                let next = i + 1 < c.count ? c[i + 1] : nil
                var boundary = false
                if c[i].isUppercase {
                    boundary = c[i - 1].isLowercase || (next?.isLowercase == true && (c[i - 1].isUppercase || c[i - 1].isNumber))
                } else if c[i].isNumber && c[i - 1].isLetter {
                    // A number followed by capitals that end the word ("2D", "3D").
                    var j = i
                    while j < c.count && c[j].isNumber { j += 1 }
                    var k = j
                    while k < c.count && c[k].isUppercase { k += 1 }
                    boundary = k > j && (k == c.count || !c[k].isLowercase)
                }
                if boundary { out += "_" }
            }
            out += c[i].lowercased()
        }
        return out
    }

    /// The inverse for decoding: `train_loss` → `trainLoss`, `kl_divergence_2d` → `klDivergence2D`.
    /// Keys without an underscore are returned unchanged.
    public static func camelCase(_ key: String) -> String {
        guard key.contains("_") else { return key }
        let words = key.split(separator: "_", omittingEmptySubsequences: true)
        guard let first = words.first else { return key }
        return String(first) + words.dropFirst().map { word in
            word.first!.isNumber ? word.uppercased() : word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

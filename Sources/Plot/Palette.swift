/// An RGB colour, components in 0…1.
public struct RGB: Sendable, Equatable {
    /// Components in 0…1.
    public var red: Double, green: Double, blue: Double

    /// A colour from components in 0…1.
    public init(_ red: Double, _ green: Double, _ blue: Double) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    /// A colour from a 24-bit `0xRRGGBB` value.
    public init(hex: UInt32) {
        self.init(Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255)
    }

    /// The colour as CSS `rgb(r,g,b)` (for HTML pages drawn in the same colours).
    public var css: String {
        "rgb(\(Int((red * 255).rounded())),\(Int((green * 255).rounded())),\(Int((blue * 255).rounded())))"
    }
}

/// Colour palettes.
public enum Palette {
    /// matplotlib's tab20 (the tutorial colours its classes with it): ten hues, each in a dark and a
    /// light shade, in matplotlib's order.
    public static let tab20: [RGB] = [
        0x1f77b4, 0xaec7e8, 0xff7f0e, 0xffbb78, 0x2ca02c, 0x98df8a, 0xd62728, 0xff9896, 0x9467bd, 0xc5b0d5,
        0x8c564b, 0xc49c94, 0xe377c2, 0xf7b6d2, 0x7f7f7f, 0xc7c7c7, 0xbcbd22, 0xdbdb8d, 0x17becf, 0x9edae5,
    ].map { RGB(hex: $0) }
}

extension Palette {
    /// The colour of an outlier class ("noise"): near-black, unlike any tab20 hue.
    public static let outlier = RGB(hex: 0x1a1a1a)

    /// One colour per class for categorical plots. Up to 20 classes: tab20's ten dark shades
    /// (matplotlib's tab10) for classes 0–9, its light shades for 10–19. More: `manyColor` for every
    /// class, so that a hundred classes stay apart (cycling tab20 would repeat a colour every 20).
    /// A class whose name is "noise" or "outlier" (any case) gets `Palette.outlier` instead, so it
    /// stands out. The HTML explorer colours categories by the same rule.
    public static func classColors(for classNames: [String]) -> [RGB] {
        classNames.indices.map { index in
            let name = classNames[index].lowercased()
            if name == "noise" || name == "outlier" { return outlier }
            if classNames.count > 20 { return manyColor(index) }
            return tab20[index < 10 ? 2 * index : 2 * (index - 10) + 1]
        }
    }

    /// Category `c` of many: hues a golden angle (137.508°) apart, with three lightness levels
    /// (0.42, 0.58, 0.30 by c mod 3) and two saturation levels (0.75, 0.55 alternating every three),
    /// so that neighbouring categories differ in hue and in lightness. (The explorer's
    /// `categoryColor` computes the same colours in JavaScript.)
    public static func manyColor(_ c: Int) -> RGB {
        hsl(hue: (Double(c) * 137.508).truncatingRemainder(dividingBy: 360),
            saturation: [0.75, 0.55][(c / 3) % 2], lightness: [0.42, 0.58, 0.30][c % 3])
    }

    /// HSL → RGB (CSS Color 4's formula), each component rounded to 8 bits as a browser does.
    static func hsl(hue h: Double, saturation s: Double, lightness l: Double) -> RGB {
        let a = s * min(l, 1 - l)
        func channel(_ n: Double) -> Double {
            let k = (n + h / 30).truncatingRemainder(dividingBy: 12)
            return (255 * (l - a * max(-1, min(k - 3, 9 - k, 1)))).rounded() / 255
        }
        return RGB(channel(0), channel(8), channel(4))
    }
}

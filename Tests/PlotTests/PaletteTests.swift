import Plot
import Testing

@Suite struct PaletteTests {
    @Test("tab20 has twenty distinct colours, matplotlib's first is #1f77b4")
    func tab20() {
        #expect(Palette.tab20.count == 20)
        #expect(Palette.tab20[0] == RGB(hex: 0x1f77b4))
        #expect(Set(Palette.tab20.map { "\($0.red),\($0.green),\($0.blue)" }).count == 20)
    }
}

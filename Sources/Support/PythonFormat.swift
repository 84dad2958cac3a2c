import Foundation

/// Text as the write-up's Python prints it.
public enum PythonFormat {
    /// `repr(x)` of a Python float: the shortest digits that round-trip, in positional notation
    /// for 1e-4 <= |x| < 1e16 and in scientific notation with at least two exponent digits
    /// otherwise (0.0005, 5e-05, 1e-05, 1e+16).
    public static func repr(_ x: Double) -> String { layout(x) }

    /// The same for a Float, with the Float's own shortest digits (0.00025, not the
    /// 0.0002500000118743628 of its exact value): how Python prints the rate it was given.
    public static func repr(_ x: Float) -> String { layout(x) }

    static func layout<Value: BinaryFloatingPoint & CustomStringConvertible>(_ x: Value) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description gives the shortest round-trip digits; take them apart and re-lay them.
        let (digits, exponent) = shortestDigits("\(x.magnitude)")   // value = 0.d1d2d3... * 10^exponent
        let sign = x < 0 ? "-" : ""
        let decimalExponent = exponent - 1                  // value = d1.d2d3... * 10^decimalExponent
        if decimalExponent < -4 || decimalExponent >= 16 {
            let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
            let e = abs(decimalExponent)
            return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + (e < 10 ? "0\(e)" : "\(e)")
        }
        if exponent <= 0 {
            return sign + "0." + String(repeating: "0", count: -exponent) + digits
        }
        if exponent >= digits.count {
            return sign + digits + String(repeating: "0", count: exponent - digits.count) + ".0"
        }
        let cut = digits.index(digits.startIndex, offsetBy: exponent)
        return sign + digits[..<cut] + "." + digits[cut...]
    }

    /// The significant digits of a positive finite number's shortest round-trip `text` (e.g.
    /// "0.0005", "5e-05", "123.25", "1e+16") and the exponent e with x = 0.digits * 10^e.
    static func shortestDigits(_ text: String) -> (String, Int) {
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fraction
        var pointPosition = integerPart.count + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (digits, pointPosition)
    }

    /// `'[%s, %d, %5d] loss: %.3f' % (lr, epoch, batch, loss)`.
    public static func lossLine(learningRate: Double, epoch: Int, batch: Int, loss: Double) -> String {
        "[\(repr(learningRate)), \(epoch), \(String(format: "%5d", batch))] loss: \(String(format: "%.3f", loss))"
    }
}

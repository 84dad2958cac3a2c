import Imaging

/// The JSON of a reader's answer, the one vocabulary `lenet predict --json` and the server's
/// `/api/predict` share:
///
///     {"class": 7, "name": "7", "probability": 0.9996,
///      "probabilities": [...], "top": [{"class": 7, "name": "7", "probability": 0.9996}, ...],
///      "scores": [...], "scoreName": "logits",
///      "box": {"x": 12, "y": 30, "width": 140, "height": 200},
///      "reading": {"kind": "plain", "ink": "dark"},
///      "input": [784 numbers 0-255],                       (when asked for)
///      "featureMaps": {"c1": {"count", "height", "width", "values"}, "c3": {...}}  (when asked for)
///     }
///
/// `scores` are the network's raw outputs: the logits (the largest wins), or the 1998 model's RBF
/// penalties (`scoreName` "penalties": the smallest wins). `box` is in the picture's pixels.
/// Written straight to bytes: a reader's answer with its feature maps holds 4,500 numbers, which
/// Foundation's encoder takes milliseconds over.
public enum AnswerJSON {
    /// What an answer's JSON holds beyond the always-present keys.
    public struct Parts: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The 28x28 the network saw.
        public static let input = Parts(rawValue: 1)
        /// C1's and C3's feature maps, rounded to 3 decimals.
        public static let featureMaps = Parts(rawValue: 2)
    }

    /// One answer as a JSON object; `extra` keys (already JSON values) come first, such as "file".
    public static func encode(_ answer: Reader.Answer, names: [String], parts: Parts = [], extra: [(String, String)] = []) -> [UInt8] {
        var out = JSONBytes()
        write(answer, names: names, parts: parts, extra: extra, into: &out)
        return out.bytes
    }

    /// Writes one answer as a JSON object into `out` (see `encode`).
    public static func write(_ answer: Reader.Answer, names: [String], parts: Parts, extra: [(String, String)], into out: inout JSONBytes) {
        out.append("{")
        for (key, value) in extra { out.key(key); out.append(value); out.append(",") }
        out.key("class"); out.integer(answer.prediction)
        out.append(","); out.key("name"); out.string(answer.name)
        out.append(","); out.key("probability"); out.number(answer.probability)
        out.append(","); out.key("probabilities"); out.array(answer.probabilities) { $0.number($1) }
        let order = answer.probabilities.indices.sorted { answer.probabilities[$0] > answer.probabilities[$1] || (answer.probabilities[$0] == answer.probabilities[$1] && $0 < $1) }
        out.append(","); out.key("top"); out.array(Array(order.prefix(3))) { out, index in
            out.append("{"); out.key("class"); out.integer(index)
            out.append(","); out.key("name"); out.string(names[index])
            out.append(","); out.key("probability"); out.number(answer.probabilities[index]); out.append("}")
        }
        out.append(","); out.key("scores"); out.array(answer.scores) { $0.number($1) }
        out.append(","); out.key("scoreName"); out.string(answer.scoreName)
        if let box = answer.box { out.append(","); out.key("box"); box.write(into: &out) }
        if let polarity = answer.polarity { out.append(","); out.key("reading"); polarity.write(into: &out) }
        if parts.contains(.input) {
            out.append(","); out.key("input"); out.array(answer.input) { $0.integer(Int($1)) }
        }
        if parts.contains(.featureMaps) {
            out.append(","); out.key("featureMaps"); out.append("{")
            for (n, (name, maps)) in [("c1", answer.network.c1), ("c3", answer.network.c3)].enumerated() {
                if n > 0 { out.append(",") }
                out.key(name)
                out.append("{\"count\":"); out.integer(maps.count); out.append(",\"height\":"); out.integer(maps.height)
                out.append(",\"width\":"); out.integer(maps.width); out.append(",\"values\":")
                out.array(maps.values) { $0.thousandths($1) }
                out.append("}")
            }
            out.append("}")
        }
        out.append("}")
    }
}

/// JSON written byte by byte.
public struct JSONBytes: Sendable {
    /// The JSON written so far, as UTF-8.
    public var bytes: [UInt8] = []
    /// Empty, with room for a typical answer.
    public init() { bytes.reserveCapacity(1024) }

    /// Appends `text` as it is (JSON already).
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends `text` as it is (JSON already).
    public mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func key(_ name: StaticString) {
        bytes.append(0x22)
        append(name)
        bytes.append(contentsOf: [0x22, 0x3A])
    }

    mutating func key(_ name: String) {
        string(name)
        bytes.append(0x3A)
    }

    /// Appends `text` as a JSON string: quoted, with quotes, backslashes and control characters escaped.
    public mutating func string(_ text: String) {
        bytes.append(0x22)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": bytes.append(contentsOf: [0x5C, 0x22])
            case "\\": bytes.append(contentsOf: [0x5C, 0x5C])
            case "\n": bytes.append(contentsOf: [0x5C, 0x6E])
            case "\r": bytes.append(contentsOf: [0x5C, 0x72])
            case "\t": bytes.append(contentsOf: [0x5C, 0x74])
            case _ where scalar.value < 0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(scalar.value >> 4)], hex[Int(scalar.value & 15)]])
            default: bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        bytes.append(0x22)
    }

    /// Appends `value` in decimal.
    public mutating func integer(_ value: Int) {
        if value < 0 { bytes.append(0x2D) }
        var magnitude = value.magnitude
        if magnitude == 0 { bytes.append(0x30); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(truncatingIfNeeded: 0x30 &+ magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[k]) }
        }
    }

    /// A number as Swift writes it (the shortest text that reads back as the same Double); a
    /// value that is not finite (which JSON cannot hold) as null.
    public mutating func number(_ value: Double) {
        guard value.isFinite else { append("null"); return }
        if value == value.rounded(), abs(value) < 1e15 { integer(Int(value)); return }
        append(value.description)
    }

    /// A Float as Swift writes it (the shortest text that reads back as the same Float).
    public mutating func number(_ value: Float) {
        guard value.isFinite else { append("null"); return }
        if value == value.rounded(), abs(value) < 1e7 { integer(Int(value)); return }
        append(value.description)
    }

    /// A number rounded to 3 decimals.
    mutating func thousandths(_ value: Float) {
        guard value.isFinite else { append("null"); return }
        let scaled = Int((Double(value) * 1000).rounded())
        if scaled < 0 { bytes.append(0x2D) }
        let magnitude = abs(scaled)
        integer(magnitude / 1000)
        let fraction = magnitude % 1000
        if fraction != 0 {
            bytes.append(0x2E)
            bytes.append(UInt8(0x30 + fraction / 100))
            if fraction % 100 != 0 {
                bytes.append(UInt8(0x30 + fraction / 10 % 10))
                if fraction % 10 != 0 { bytes.append(UInt8(0x30 + fraction % 10)) }
            }
        }
    }

    /// Appends a JSON array, each of `values` written by `element`.
    public mutating func array<Element>(_ values: [Element], _ element: (inout JSONBytes, Element) -> Void) {
        bytes.append(0x5B)
        for (n, value) in values.enumerated() {
            if n > 0 { bytes.append(0x2C) }
            element(&self, value)
        }
        bytes.append(0x5D)
    }
}

/// The JSON of a number read, the one vocabulary `lenet read --json` and the server's `/api/read`
/// share (a digit's keys are a single answer's):
///
///     {"text": "2026", "confidence": 0.97, "rejected": false,
///      "digits": [{"class": 2, "name": "2", "probability": 0.99, "probabilities": [...],
///                  "box": {"x": 12, "y": 30, "width": 140, "height": 200}}, ...],
///      "reading": {"kind": "plain", "ink": "dark"}}
///
/// `confidence` is the product of the digits' probabilities; `rejected` is true when it is under
/// the reader's threshold (`Reader.numberRejection`), or nothing was read.
public enum NumberJSON {
    /// One number read as a JSON object; `extra` keys (already JSON values) come first, such as "file".
    public static func encode(_ reading: NumberReading, extra: [(String, String)] = []) -> [UInt8] {
        var out = JSONBytes()
        write(reading, extra: extra, into: &out)
        return out.bytes
    }

    /// Writes one number read as a JSON object into `out` (see `encode`).
    public static func write(_ reading: NumberReading, extra: [(String, String)], into out: inout JSONBytes) {
        out.append("{")
        for (key, value) in extra { out.key(key); out.append(value); out.append(",") }
        out.key("text"); out.string(reading.text)
        out.append(","); out.key("confidence"); out.number(reading.confidence)
        out.append(","); out.key("rejected"); out.append(reading.rejected ? "true" : "false")
        out.append(","); out.key("digits"); out.array(reading.digits) { out, digit in
            out.append("{"); out.key("class"); out.integer(digit.prediction)
            out.append(","); out.key("name"); out.string(digit.name)
            out.append(","); out.key("probability"); out.number(digit.probability)
            out.append(","); out.key("probabilities"); out.array(digit.probabilities) { $0.number($1) }
            out.append(","); out.key("box"); digit.box.write(into: &out); out.append("}")
        }
        if let polarity = reading.polarity { out.append(","); out.key("reading"); polarity.write(into: &out) }
        out.append("}")
    }
}

extension InkFinding.Box {
    /// `{"x", "y", "width", "height"}`, in the picture's pixels.
    func write(into out: inout JSONBytes) {
        out.append("{\"x\":"); out.integer(left); out.append(",\"y\":"); out.integer(top)
        out.append(",\"width\":"); out.integer(width); out.append(",\"height\":"); out.integer(height); out.append("}")
    }
}

extension InkFinding.Polarity {
    /// `{"kind": "plain" | "photo", "ink": "dark" | "light"}`.
    func write(into out: inout JSONBytes) {
        out.append(isPhoto ? "{\"kind\":\"photo\"" : "{\"kind\":\"plain\"")
        out.append(inkIsDark ? ",\"ink\":\"dark\"}" : ",\"ink\":\"light\"}")
    }
}

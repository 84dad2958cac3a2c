import Foundation
import Imaging
import NeuralNetwork

/// How a network's scores for a segment say "this digit" or "not one digit" (half a digit, two
/// digits together), which the segmentation graph needs: a softmax alone is sure of junk too.
public enum SegmentScoring: Sendable, Equatable {
    /// An output class for what is not one digit, trained on pieces and pairs of digits
    /// (`--dataset mnist-segments`): P(c) is the softmax's for each digit class c.
    case junkClass(index: Int)
    /// The 1998 model's RBF penalties y_c, with eq. 9's constant j for "none of them":
    /// P(c) = exp(-y_c) / (exp(-j) + sum_i exp(-y_i)).
    case penalties(j: Double)
    /// A softmax over the digits alone: no way to say "not one digit".
    case softmax

    /// The class name a junk class goes by in a checkpoint's "class_names".
    public static let junkName = "junk"

    /// How a model with these class names and scores is read.
    public static func of(classNames: [String], penalties: Bool, j: Double = 5) -> SegmentScoring {
        if let index = classNames.firstIndex(of: junkName) { return .junkClass(index: index) }
        return penalties ? .penalties(j: j) : .softmax
    }

    /// P(c) for each class but the junk class.
    public func digitProbabilities(_ scores: [Float]) -> [Double] {
        switch self {
        case .junkClass(let index):
            var p = Evaluation.probabilities(scores, penalties: false)
            p.remove(at: index)
            return p
        case .penalties(let j):
            let smallest = Double(scores.min() ?? 0), floor = min(smallest, j)
            let terms = scores.map { Foundation.exp(-(Double($0) - floor)) }
            let total = terms.reduce(Foundation.exp(-(j - floor)), +)
            return terms.map { $0 / total }
        case .softmax:
            return Evaluation.probabilities(scores, penalties: false)
        }
    }
}

/// A number read from a picture: its digits left to right, each with its box, and how sure the
/// reader is of the whole.
public struct NumberReading: Sendable {
    /// One digit of the number.
    public struct Digit: Sendable {
        /// The class read, and its name ("7").
        public var prediction: Int
        /// Its name.
        public var name: String
        /// P(c) for each digit class, as the segment scoring gives it (a junk class left out); they
        /// sum to less than 1 where the segment might be no digit.
        public var probabilities: [Double]
        /// Where the digit is, in the picture's pixels.
        public var box: InkFinding.Box
        /// P of the class read.
        public var probability: Double { probabilities[prediction] }
    }

    /// The digits read, left to right.
    public var digits: [Digit]
    /// The product of the digits' probabilities, the best path's (0 when nothing was read).
    public var confidence: Double
    /// Whether the reader is not sure enough: `confidence` under `Reader.numberRejection`, or no
    /// digit found.
    public var rejected: Bool
    /// How the picture was read (plain or photo, dark or light ink), when ink was found.
    public var polarity: InkFinding.Polarity?

    /// The digits as a string ("2026"; empty when none).
    public var text: String { digits.map(\.name).joined() }

    /// A picture with no digits.
    public static let empty = NumberReading(digits: [], confidence: 0, rejected: true, polarity: nil)
}

extension Reader {
    /// Readings whose confidence is under this are rejected. Chosen on the curve of error against
    /// rejection of the tuning numbers (`scripts/number_accuracy.py --part tuning`): there it
    /// rejects 11.5% and leaves 2.4% of the rest wrong, against 7.8% wrong with none rejected
    /// (docs/RESULTS.md).
    public static let numberRejection = 0.4

    /// How this reader's model scores segments.
    public var segmentScoring: SegmentScoring {
        SegmentScoring.of(classNames: classNames, penalties: model.model.scores.smallestWins)
    }

    /// Reads the number in a file (PNG, JPEG, PGM/PPM/PBM).
    public func read(contentsOf path: String) throws -> NumberReading {
        read(try ImageFile.readGrey(path))
    }

    /// Reads the number in a file (PNG, JPEG, PGM/PPM/PBM).
    public func read(contentsOf url: URL) throws -> NumberReading {
        try read(contentsOf: url.path)
    }

    /// Reads the number in a picture: its line of ink cut into candidate digits
    /// (`Segmentation`), each candidate scored by the network, and the reading the best path
    /// through the segmentation graph: the run of segments covering every atom whose probabilities'
    /// product is largest. Where the picture reads two ways (`InkFinding.lines`), the reading whose
    /// digits are surer on average holds. A picture with no ink reads as no digits.
    public func read(_ picture: GreyPicture) -> NumberReading {
        guard let lines = try? InkFinding.lines(picture) else { return .empty }
        // Between two readings, the one whose digits are surer on average (the geometric mean of
        // their probabilities: a product favours fewer digits).
        func sureness(_ reading: NumberReading) -> Double {
            reading.digits.isEmpty ? 0 : Foundation.pow(reading.confidence, 1 / Double(reading.digits.count))
        }
        var best = NumberReading.empty
        for line in lines {
            let reading = read(line)
            if sureness(reading) > sureness(best) { best = reading }
        }
        return best
    }

    /// Reads the number in a line of ink.
    public func read(_ line: InkFinding.Line) -> NumberReading {
        let segmentation = Segmentation(line)
        let segments = segmentation.segments()
        guard !segments.isEmpty else { return .empty }
        let scoring = segmentScoring
        var names = classNames
        if case .junkClass(let index) = scoring { names.remove(at: index) }
        let probabilities = model.scores(segments.map(\.pixels)).map { scoring.digitProbabilities($0) }
        // The best path: cost[j] = min over segments (i, j) of cost[i] - log P(best class of i..<j).
        let count = segmentation.atoms.count
        var cost = [Double](repeating: .infinity, count: count + 1)
        var arrival = [Int?](repeating: nil, count: count + 1)
        cost[0] = 0
        let bySegmentStart = Dictionary(grouping: segments.indices, by: { segments[$0].first })
        // An atom too faint to frame alone (a sliver a cut leaves of a stroke's edge) may be
        // passed over: an arc with no digit (`skipped`).
        var skipped = [Bool](repeating: false, count: count + 1)
        for first in 0..<count where cost[first].isFinite {
            let starting = bySegmentStart[first] ?? []
            for s in starting {
                let best = probabilities[s].max() ?? 0
                let total = cost[first] - Foundation.log(max(best, 1e-300))
                if total < cost[segments[s].end] { cost[segments[s].end] = total; arrival[segments[s].end] = s; skipped[segments[s].end] = false }
            }
            if !starting.contains(where: { segments[$0].end == first + 1 }), cost[first] < cost[first + 1] {
                cost[first + 1] = cost[first]; arrival[first + 1] = nil; skipped[first + 1] = true
            }
        }
        var path: [Int] = []
        var node = count
        while node > 0 {
            if skipped[node] { node -= 1; continue }
            guard let s = arrival[node] else { break }
            path.append(s)
            node = segments[s].first
        }
        guard node == 0 else { return .empty }
        let digits = path.reversed().map { s -> NumberReading.Digit in
            let p = probabilities[s]
            let prediction = p.indices.max { p[$0] < p[$1] } ?? 0
            return NumberReading.Digit(prediction: prediction, name: names[prediction], probabilities: p, box: segments[s].box)
        }
        let confidence = Foundation.exp(-cost[count])
        return NumberReading(digits: digits, confidence: confidence, rejected: confidence < Self.numberRejection, polarity: line.polarity)
    }
}

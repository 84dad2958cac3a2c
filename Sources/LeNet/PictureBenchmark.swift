import Foundation
import Imaging
import Support

/// What reading one picture costs, stage by stage: decoding it to grey, finding its ink, cropping
/// and scaling it to 28x28, and the network; each the median of many runs on one thread.
public enum PictureBenchmark {
    /// One picture's cost by stage.
    public struct Stages: Sendable, Codable {
        /// The picture's file.
        public var file: String
        /// Its width in pixels, as decoded.
        public var width: Int
        /// Its height in pixels, as decoded.
        public var height: Int
        /// The file's size in bytes.
        public var bytes: Int
        /// Microseconds, the median of `runs`.
        public var decode: Double
        /// Finding the ink, in microseconds.
        public var inkFinding: Double
        /// Cropping and scaling to 28x28, in microseconds.
        public var cropAndScale: Double
        /// The network, in microseconds.
        public var network: Double
        /// The whole path from the file's bytes to the answer, as `Reader.classify` takes it.
        public var whole: Double
        /// The fastest run of the whole path (a shared machine's noise only ever adds time).
        public var wholeBest: Double
        /// How many times each stage ran.
        public var runs: Int
        /// The class read.
        public var answer: Int
    }

    /// Times each stage of reading `bytes` (a picture file's content) `runs` times, for at least
    /// `seconds` in all (whichever comes later).
    public static func measure(_ bytes: [UInt8], file: String, reader: Reader, runs: Int = 50, seconds: Double = 0.5) throws -> Stages {
        var best = Double.infinity
        func median(_ body: () throws -> Void) rethrows -> Double {
            let (middle, fastest) = try timed(runs: runs, seconds: seconds, body)
            best = fastest
            return middle
        }
        let picture = try ImageFile.decodeGrey(bytes, file: file)
        let finding = try InkFinding.find(picture)
        let digit = try DigitPreprocessing.frame(finding)
        let decode = try median { _ = try ImageFile.decodeGrey(bytes, file: file) }
        let ink = try median { _ = try InkFinding.find(picture) }
        let crop = try median { _ = try DigitPreprocessing.frame(finding) }
        let network = median { _ = reader.classify(digit: digit) }
        let whole = try median { _ = try reader.classify(try ImageFile.decodeGrey(bytes, file: file)) }
        return Stages(file: file, width: picture.width, height: picture.height, bytes: bytes.count, decode: decode, inkFinding: ink,
                      cropAndScale: crop, network: network, whole: whole, wholeBest: best, runs: runs,
                      answer: reader.classify(digit: digit).prediction)
    }

    /// What reading a number costs, stage by stage (microseconds, medians of `runs`).
    public struct NumberStages: Sendable, Codable {
        /// The picture's file.
        public var file: String
        /// Its width in pixels, as decoded.
        public var width: Int
        /// Its height in pixels, as decoded.
        public var height: Int
        /// Decoding to grey, in microseconds.
        public var decode: Double
        /// Finding the line's ink (`InkFinding.lines`).
        public var lineFinding: Double
        /// Cutting it into atoms and framing every allowed segment.
        public var segmentation: Double
        /// The network over every segment.
        public var network: Double
        /// The segments the network read.
        public var segments: Int
        /// The whole path from the file's bytes to the reading, as `Reader.read` takes it.
        public var whole: Double
        /// The fastest run of the whole path.
        public var wholeBest: Double
        /// How many times each stage ran.
        public var runs: Int
        /// The number read.
        public var text: String
    }

    /// Times each stage of reading the number in `bytes` (a picture file's content) on the calling thread.
    public static func measureNumber(_ bytes: [UInt8], file: String, reader: Reader, runs: Int = 50, seconds: Double = 0.5) throws -> NumberStages {
        var best = Double.infinity
        func median(_ body: () throws -> Void) rethrows -> Double {
            let (middle, fastest) = try timed(runs: runs, seconds: seconds, body)
            best = fastest
            return middle
        }
        let picture = try ImageFile.decodeGrey(bytes, file: file)
        let lines = (try? InkFinding.lines(picture)) ?? []
        let segments = lines.map { Segmentation($0).segments() }
        let decode = try median { _ = try ImageFile.decodeGrey(bytes, file: file) }
        let lineFinding = median { _ = try? InkFinding.lines(picture) }
        let segmentation = median { for line in lines { _ = Segmentation(line).segments() } }
        let network = median { for part in segments { _ = reader.model.scores(part.map(\.pixels)) } }
        let whole = try median { _ = reader.read(try ImageFile.decodeGrey(bytes, file: file)) }
        return NumberStages(file: file, width: picture.width, height: picture.height, decode: decode, lineFinding: lineFinding,
                            segmentation: segmentation, network: network, segments: segments.map(\.count).reduce(0, +),
                            whole: whole, wholeBest: best, runs: runs, text: reader.read(picture).text)
    }

    /// The median and the fastest of `body`'s times, in microseconds: at least `runs` runs, and
    /// more for at least `seconds` in all (100,000 at most).
    static func timed(runs: Int, seconds: Double, _ body: () throws -> Void) rethrows -> (median: Double, fastest: Double) {
        var times: [Double] = []
        let start = MonotonicClock.now()
        while times.count < runs || (MonotonicClock.now() - start < seconds && times.count < 100_000) {
            let t = MonotonicClock.now()
            try body()
            times.append(MonotonicClock.now() - t)
        }
        times.sort()
        return (1e6 * times[times.count / 2], 1e6 * times[0])
    }
}

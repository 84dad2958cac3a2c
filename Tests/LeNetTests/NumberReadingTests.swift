@testable import Datasets
import Foundation
import Imaging
import Support
import Testing
@testable import LeNet

/// `lenet read`'s promise: a number's digits read left to right, each boxed; no digits read as an
/// empty text, not an error. The numbers are composed from MNIST test digits (never trained on) by
/// `NumberSegments.compose`, the same composer the junk class is made with from training digits.
@Suite struct NumberReadingTests {
    static let reader = try! Reader.shipped(.numbers)

    /// `count` numbers from MNIST's last 5,000 test digits, drawn with `seed`.
    static func numbers(_ count: Int, seed: UInt64) throws -> [NumberSegments.Number] {
        let test = try loadMNIST(.test)
        let pool = LabeledImages(count: 5_000, rows: 28, columns: 28, pixels: Array(test.pixels[(5_000 * 784)...]),
                                 labels: Array(test.labels[5_000...]), classCount: 10)
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in NumberSegments.compose(pool, random: &random) }
    }

    @Test func composedNumbersAreReadWhole() throws {
        var right = 0, wrong: [String] = []
        for number in try Self.numbers(60, seed: 7) {
            let truth = number.labels.map(String.init).joined()
            let reading = Self.reader.read(number.picture)
            if reading.text == truth { right += 1 } else { wrong.append("\(truth) read as \(reading.text)") }
            // Digits left to right, each box inside the picture.
            let lefts = reading.digits.map(\.box.left)
            #expect(lefts == lefts.sorted())
            for digit in reading.digits {
                #expect(digit.box.left >= 0 && digit.box.top >= 0 && digit.box.right < number.picture.width && digit.box.bottom < number.picture.height)
                #expect(digit.probabilities.count == 10 && digit.probabilities.reduce(0, +) <= 1 + 1e-9)
            }
            #expect(abs(reading.confidence - reading.digits.map(\.probability).reduce(1, *)) < 1e-9)
        }
        // The three kinds of spacing, a third each; the whole sets read 90-98% (docs/RESULTS.md).
        print("composed numbers read whole: \(right) of 60; wrong: \(wrong.prefix(5))")
        #expect(right >= 48)
    }

    @Test func theSampleNumberIsRead() throws {
        let reading = try Self.reader.read(contentsOf: repositoryRoot + "/samples/number.png")
        #expect(reading.text == "88124")
        #expect(!reading.rejected)
        #expect(reading.polarity?.isPhoto == false)
    }

    @Test func lightInkOnDarkReadsAsDarkOnLight() throws {
        for number in try Self.numbers(10, seed: 11) {
            var inverted = number.picture
            inverted.levels = inverted.levels.map { 255 - $0 }
            #expect(Self.reader.read(inverted).text == Self.reader.read(number.picture).text)
        }
    }

    @Test func aPictureWithNoDigitsReadsAsNoDigits() {
        for picture in [GreyPicture(width: 300, height: 100, levels: [UInt8](repeating: 255, count: 30_000)),
                        GreyPicture(width: 1, height: 1, levels: [0]),
                        GreyPicture(width: 0, height: 0, levels: [])] {
            let reading = Self.reader.read(picture)
            #expect(reading.text == "" && reading.digits.isEmpty && reading.rejected && reading.confidence == 0)
        }
    }

    @Test func segmentScoringFollowsTheModel() {
        #expect(SegmentScoring.of(classNames: (0..<10).map(String.init) + ["junk"], penalties: false) == .junkClass(index: 10))
        #expect(SegmentScoring.of(classNames: (0..<10).map(String.init), penalties: true) == .penalties(j: 5))
        #expect(SegmentScoring.of(classNames: (0..<10).map(String.init), penalties: false) == .softmax)
        #expect(Self.reader.segmentScoring == .junkClass(index: 10))
        // The penalties' probabilities: exp(-y_c) / (exp(-j) + sum exp(-y_i)).
        let penalties: [Float] = [3, 9, 40, 12, 7, 30, 8, 20, 15, 11]
        let p = SegmentScoring.penalties(j: 5).digitProbabilities(penalties)
        let terms = penalties.map { exp(-Double($0)) }, total = terms.reduce(exp(-5.0), +)
        for c in 0..<10 { #expect(abs(p[c] - terms[c] / total) < 1e-12) }
        #expect(p.reduce(0, +) < 1)
        // A junk class is left out of the digits' probabilities.
        #expect(SegmentScoring.junkClass(index: 10).digitProbabilities([Float](repeating: 0, count: 11)).count == 10)
    }

    @Test func theJSONSaysWhatWasRead() throws {
        let reading = try Self.reader.read(contentsOf: repositoryRoot + "/samples/number.png")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(NumberJSON.encode(reading))) as? [String: Any])
        #expect(object["text"] as? String == "88124")
        #expect(object["rejected"] as? Bool == false)
        let digits = try #require(object["digits"] as? [[String: Any]])
        #expect(digits.map { $0["name"] as? String ?? "" }.joined() == "88124")
        #expect(digits.allSatisfy { ($0["probabilities"] as? [Double])?.count == 10 && ($0["box"] as? [String: Int])?["width"] != nil })
        let empty = try #require(try JSONSerialization.jsonObject(with: Data(NumberJSON.encode(.empty))) as? [String: Any])
        #expect(empty["text"] as? String == "" && (empty["digits"] as? [Any])?.isEmpty == true && empty["rejected"] as? Bool == true)
    }

    @Test func theJunkDataSetIsLabelledAndTheSameForASeed() throws {
        let digits = try loadMNIST(.test).prefix(500)
        let first = NumberSegments.withJunk(digits, numbers: 40, junk: 60, seed: 3)
        let again = NumberSegments.withJunk(digits, numbers: 40, junk: 60, seed: 3)
        #expect(first.pixels == again.pixels && first.labels == again.labels)
        #expect(first.classCount == 11 && first.classNames.last == "junk")
        let junk = first.labels.filter { $0 == 10 }.count, cut = first.count - 500 - junk
        #expect(junk == 60)
        // Most digits of the 40 numbers are cut out whole (2-6 digits each, 160 on average).
        #expect(cut > 60)
        #expect(first.labels.allSatisfy { $0 <= 10 })
    }
}

import CraftedImages
import Datasets
import FileFormats
import Foundation
import Imaging
import LeNet
import NeuralNetwork
import Support

/// One libFuzzer entry point for every parser of outside bytes; LENET_FUZZ_TARGET chooses which:
///   idx          IDX files (an images or labels file, gzipped or not)
///   gzip         gzip and zlib streams (inflate with a bound)
///   safetensors  checkpoints: header JSON, offsets, dtypes, shapes
///   png          the PNG decoder (the whole 8-bit image)
///   pnm          PGM/PPM/PBM
///   jpeg         the JPEG decoder (markers, Huffman tables, scans, restarts, EXIF), 56 MB bound
///   jpeg-crafted the input names a valid-but-extreme JPEG (`CraftedJPEG.derived`: DC differences
///                running to the extremes, coefficients of +-32767, 16-bit tables, huge frames
///                over tiny data, every sampling, restarts), decoded as the server decodes
///   png-crafted  the same for PNG (`CraftedPNG.derived`: huge headers, every depth and colour
///                type, palettes and transparency of any length, every filter, extra data)
///   pnm-crafted  the same for PGM/PPM/PBM (`CraftedPNM.derived`)
///   image        any picture decoded straight to grey and through the digit preparation (what
///                `lenet predict` and the web API run), with the server's 56 MB decode bound
///   json         the web API's {"pixels": [...]} body
///   npy          NumPy .npy arrays (shapes, counts)
///   resume       resume.safetensors of either model (every count and field of the run state)
/// Every input must end in a value or a thrown error: a crash, a hang or an unbounded allocation
/// is a bug (libFuzzer reports them: -timeout, -rss_limit_mb, -malloc_limit_mb).
let target = ProcessInfo.processInfo.environment["LENET_FUZZ_TARGET"] ?? "png"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    switch target {
    case "idx":
        let content = Zlib.isGzip(bytes) ? ((try? Zlib.inflate(bytes, container: .gzip, limit: 1 << 24)) ?? []) : bytes
        _ = try? IDX.parse(content, rank: 3, file: "fuzz")
        _ = try? IDX.parse(content, rank: 1, file: "fuzz")
    case "gzip":
        _ = try? Zlib.inflate(bytes, container: .gzip, limit: 1 << 24)
        _ = try? Zlib.inflate(bytes, container: .zlib, limit: 1 << 24)
    case "safetensors":
        if let file = try? SafeTensorsFile(bytes: bytes, path: "fuzz") {
            for name in file.entries.keys {
                _ = try? file.floats(name)
                _ = try? file.integers(name)
            }
        }
    case "png":
        _ = try? PNG.decode(bytes, file: "fuzz", maximumBytes: 256 << 20)
    case "pnm":
        _ = try? PNM.decode(bytes, file: "fuzz")
    case "jpeg":
        _ = try? JPEG.decode(bytes, file: "fuzz", maximumBytes: 56 << 20)
    case "jpeg-crafted", "png-crafted", "pnm-crafted":
        let picture: [UInt8]
        switch target {
        case "jpeg-crafted": picture = CraftedJPEG.derived(from: bytes).bytes()
        case "png-crafted": picture = CraftedPNG.derived(from: bytes).bytes()
        default: picture = CraftedPNM.derived(from: bytes).bytes()
        }
        if let grey = try? ImageFile.decodeGrey(picture, file: "fuzz", maximumBytes: 56 << 20) {
            _ = try? DigitPreprocessing.prepare(grey)
            segmentLines(grey)
            // The whole picture too (every channel, as `ImageFile.decode` gives it), when small.
            if grey.width * grey.height <= 1 << 20 { _ = try? ImageFile.decode(picture, file: "fuzz", maximumBytes: 56 << 20) }
        }
    case "image":
        if let picture = try? ImageFile.decodeGrey(bytes, file: "fuzz", maximumBytes: 56 << 20) {
            _ = try? DigitPreprocessing.prepare(picture)
            segmentLines(picture)
        }
    case "json":
        if let image = try? PixelsJSON.decode(bytes) { _ = try? DigitPreprocessing.prepare(image) }
    case "npy":
        _ = try? NumPyArray.decode(bytes, path: "fuzz")
    case "resume":
        // The input is the run state's metadata, one `key=value` a line; the tensors are a valid
        // model's (zeros, with a velocity and an order of the right sizes), so every field's parsing
        // and bounds are reached.
        var metadata: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { metadata[String(parts[0])] = String(parts[1]) }
        }
        // The order's length follows the run's training images (as the loader checks it), capped.
        let images = metadata["run"].flatMap { text in
            text.range(of: "\"training_images\":").map { Int(text[$0.upperBound...].prefix { $0.isNumber }) ?? 1 }
        } ?? 1
        for (layout, extra) in [(LeNet5.layout, ("optimizer.velocity", LeNet5.layout.count)), (LeNet1998.layout, ("order", min(max(images, 0), 4096)))] {
            var tensors = layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: [Float](repeating: 0, count: $0.count))) }
            tensors.append((extra.0, Tensor(shape: [extra.1], scalars: (0..<extra.1).map(Float.init))))
            if let file = try? SafeTensorsFile(bytes: SafeTensorsFile.encode(tensors, metadata: metadata), path: "fuzz") {
                _ = try? RunCheckpoint.load(file, path: "fuzz")
            }
        }
    default:
        fatalError("LENET_FUZZ_TARGET must be idx, gzip, safetensors, png, pnm, jpeg, jpeg-crafted, png-crafted, pnm-crafted, image, json, npy or resume; got \(target)")
    }
    return 0
}

/// libFuzzer's driver. SwiftPM links an executable's entry point as `<module>_main`, so the
/// program starts here and hands over to libFuzzer with the callback above.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("LeNetFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { start, count in fuzz(start, count) }
}

/// `lenet read`'s path short of the network: the picture's lines of ink, cut into atoms, and every
/// segment framed.
func segmentLines(_ picture: GreyPicture) {
    for line in (try? InkFinding.lines(picture)) ?? [] { _ = Segmentation(line).segments() }
}

import Datasets
import Foundation
import Imaging
import NeuralNetwork
import Support

/// One libFuzzer entry point for every parser of outside bytes; LENET_FUZZ_TARGET chooses which:
///   idx          IDX files (an images or labels file, gzipped or not)
///   gzip         gzip and zlib streams (inflate with a bound)
///   safetensors  checkpoints: header JSON, offsets, dtypes, shapes
///   png          the PNG decoder
///   pnm          PGM/PPM/PBM
///   image        any picture through the digit preparation (what `lenet predict` and the web API run)
///   json         the web API's {"pixels": [...]} body
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
        _ = try? PNG.decode(bytes, file: "fuzz")
    case "pnm":
        _ = try? PNM.decode(bytes, file: "fuzz")
    case "image":
        if let image = try? ImageFile.decode(bytes, file: "fuzz") { _ = try? DigitPreprocessing.prepare(image) }
    case "json":
        if let image = try? PixelsJSON.decode(bytes) { _ = try? DigitPreprocessing.prepare(image) }
    default:
        fatalError("LENET_FUZZ_TARGET must be idx, gzip, safetensors, png, pnm, image or json; got \(target)")
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

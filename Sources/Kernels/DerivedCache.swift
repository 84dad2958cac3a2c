import Foundation

/// A kernel's cache of what it derives from its parameters (Winograd's transformed weights, a fully
/// connected layer's transposed ones), kept by the caller between calls, any content at first:
///
///     [0]       a mark: what the cache holds (its bits; anything else: nothing yet)
///     [1]       the kernel's own (Winograd: a second layout's mark)
///     [2, 3]    the bits of the version of the parameters it was made or last checked for
///     [16...]   a copy of the parameters it was made from, then what was derived from them
///
/// A version is a nonzero number a caller gives to one set of parameter values, and never to other
/// values (`ParameterVersion` in the NeuralNetwork library hands out new ones); 0 says unknown. A
/// cache is current when it has the mark and either its version is the caller's (nonzero) or its
/// copy equals the parameters bit for bit. So a caller without versions pays a comparison a call
/// (C3's 9.6 KB, F6's 41 KB), and one with them (the trainer, the evaluator) a comparison of two
/// numbers.
enum DerivedCache {
    /// The floats before the copy.
    static let headerCount = 16

    /// Whether `cache` holds, under `mark`, what was made from these `count` parameters; when it
    /// does by comparison, `version` is recorded.
    static func isCurrent(_ cache: UnsafeMutablePointer<Float>, mark: UInt32, parameters: UnsafePointer<Float>, count: Int,
                          version: UInt64) -> Bool {
        guard cache[0].bitPattern == mark else { return false }
        let recorded = UnsafeMutableRawPointer(cache + 2)
        if version != 0 && recorded.loadUnaligned(as: UInt64.self) == version { return true }
        guard memcmp(cache + headerCount, parameters, count &* MemoryLayout<Float>.size) == 0 else { return false }
        recorded.storeBytes(of: version, as: UInt64.self)
        return true
    }

    /// After the derived floats are made: the copy of the parameters, the mark and the version.
    static func record(_ cache: UnsafeMutablePointer<Float>, mark: UInt32, parameters: UnsafePointer<Float>, count: Int, version: UInt64) {
        (cache + headerCount).update(from: parameters, count: count)
        cache[0] = Float(bitPattern: mark)
        UnsafeMutableRawPointer(cache + 2).storeBytes(of: version, as: UInt64.self)
    }
}

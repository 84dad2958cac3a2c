import Dispatch
import Foundation

/// The arithmetic rate a core sustains with the kernels' own instruction: 16-lane multiply-adds
/// (`multiplyAdd`, fused where the build allows it), twelve independent chains so that neither the
/// latency nor the loop limits it. Returns FLOP per second on each of `threads` threads running at
/// once (2 FLOP a lane), the best of `trials` runs of `iterations` x 12 multiply-adds each.
///
/// The clock /proc/cpuinfo reports is the nominal one: under load a core may run faster (boost) or
/// slower, so a peak computed from it can be wrong either way; this measures it.
public func multiplyAddRate(threads: Int, iterations: Int = 400_000, trials: Int = 7) -> [Double] {
    /// Each thread writes only its own slot.
    struct Slots: @unchecked Sendable { let pointer: UnsafeMutableBufferPointer<Double> }
    let rates = Slots(pointer: .allocate(capacity: threads))
    rates.pointer.initialize(repeating: 0)
    defer { rates.pointer.deallocate() }
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var best = 0.0
        for trial in 0..<trials {
            let start = DispatchTime.now().uptimeNanoseconds
            let sink = multiplyAddChains(iterations: iterations, seed: Float(trial))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if sink.isNaN { continue }  // never: keeps the chains' result alive
            best = max(best, Double(iterations * 12 * 16 * 2) / seconds)
        }
        rates.pointer[thread] = best
    }
    return Array(rates.pointer)
}

@inline(never)
func multiplyAddChains(iterations: Int, seed: Float) -> Float {
    var a0 = Vector16(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
    var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
    let x = Vector16(repeating: 0.9999999), y = Vector16(repeating: 1e-7)
    for _ in 0..<iterations {
        a0 = multiplyAdd(a0, x, y); a1 = multiplyAdd(a1, x, y); a2 = multiplyAdd(a2, x, y); a3 = multiplyAdd(a3, x, y)
        a4 = multiplyAdd(a4, x, y); a5 = multiplyAdd(a5, x, y); a6 = multiplyAdd(a6, x, y); a7 = multiplyAdd(a7, x, y)
        a8 = multiplyAdd(a8, x, y); a9 = multiplyAdd(a9, x, y); a10 = multiplyAdd(a10, x, y); a11 = multiplyAdd(a11, x, y)
    }
    return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
}

import K
import Foundation
func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
nonisolated(unsafe) var state: UInt64 = 1
func rnd() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(state >> 40) * 0x1p-23 - 1 }
let s = ConvolutionShape(inputChannels: 6, outputChannels: 16, inputHeight: 12, inputWidth: 12, kernelSize: 5)
let batch = 16
let input = (0..<batch * 864).map { _ in max(0, rnd()) * 2 }
let weight = (0..<s.weightCount).map { _ in rnd() * 0.16 }
let bias = (0..<16).map { _ in rnd() * 0.1 }
var scratch = [Float](repeating: 0, count: s.scratchCount(batch: batch))
var direct = [Float](repeating: 0, count: batch * 1024), wino = direct
let w = WinogradC3()
for round in 0..<3 {
  var t0 = now()
  for _ in 0..<2000 { convolutionForwardPlanes8x8(s, batch: batch, input: input, weight: weight, bias: bias, output: &direct, applyReLU: true, scratch: &scratch) }
  let d = (now() - t0) / 2000 / Double(batch) * 1e6
  t0 = now()
  for _ in 0..<2000 { w.prepare(weight: weight) }
  let p = (now() - t0) / 2000 * 1e6
  t0 = now()
  for _ in 0..<2000 { w.forward(input: input, bias: bias, output: &wino) }
  let f = (now() - t0) / 2000 / Double(batch) * 1e6
  var diff: Float = 0, scale: Float = 0
  for i in 0..<direct.count { diff = max(diff, abs(direct[i] - wino[i])); scale = max(scale, abs(direct[i])) }
  print(w.phases.map { String(format: "%.2f", $0 / 2000 / 16 * 1e6 / Double(round + 1)) }); print(String(format: "direct %.3f us/image; winograd %.3f us/image (+ weight transform %.2f us per call); largest difference %g of %g", d, f, p, diff, scale))
}

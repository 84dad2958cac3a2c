import Foundation

/// Mean softmax cross-entropy over a batch, as PyTorch's `CrossEntropyLoss()`:
///   loss = (1/N) sum_n [ log sum_k exp(z[n,k]) - z[n,y_n] ]
/// computed stably as m + log sum_k exp(z[n,k] - m) with m = max_k z[n,k]. Its gradient:
///   dL/dz[n,k] = (softmax(z[n])_k - [k == y_n]) / N
/// logits [N, K], labels [N] (each in 0..<K); `probabilities` and `logitsGradient` [N, K] are written.
/// When these N rows are part of a larger batch split into chunks, `normalizer` is the whole batch's
/// size: the result is then this chunk's share of the batch's mean loss, and the chunks' shares add up.
///
/// With label smoothing e > 0 (PyTorch's `CrossEntropyLoss(label_smoothing=e)`), the target is
/// (1 - e) on the label plus e/K on every class:
///   loss = (1/N) sum_n [ log sum_k exp(z[n,k]) - (1 - e) z[n,y_n] - (e/K) sum_k z[n,k] ]
///   dL/dz[n,k] = (softmax(z[n])_k - (1 - e) [k == y_n] - e/K) / N
/// (e = 0 runs the plain arithmetic above, bit for bit.)
public func softmaxCrossEntropy(batch: Int, classes: Int, logits: UnsafePointer<Float>,
                                labels: UnsafePointer<Int32>,
                                probabilities: UnsafeMutablePointer<Float>,
                                logitsGradient: UnsafeMutablePointer<Float>?, normalizer: Int? = nil,
                                labelSmoothing: Float = 0) -> Float {
    if labelSmoothing != 0 {
        return smoothedCrossEntropy(batch: batch, classes: classes, logits: logits, labels: labels, probabilities: probabilities,
                                    logitsGradient: logitsGradient, scale: 1 / Float(normalizer ?? batch), smoothing: labelSmoothing)
    }
    var total: Float = 0
    let scale = 1 / Float(normalizer ?? batch)
    for n in 0..<batch {
        let z = logits + n &* classes
        let p = probabilities + n &* classes
        var maximum = z[0]
        for k in 1..<classes where z[k] > maximum { maximum = z[k] }
        var sum: Float = 0
        for k in 0..<classes {
            p[k] = expf(z[k] - maximum)
            sum += p[k]
        }
        let label = Int(labels[n])
        total += (maximum + logf(sum)) - z[label]
        let inverse = 1 / sum
        for k in 0..<classes { p[k] *= inverse }
        if let logitsGradient {
            let g = logitsGradient + n &* classes
            for k in 0..<classes { g[k] = p[k] * scale }
            g[label] -= scale
        }
    }
    return total * scale
}

private func smoothedCrossEntropy(batch: Int, classes: Int, logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                  probabilities: UnsafeMutablePointer<Float>, logitsGradient: UnsafeMutablePointer<Float>?,
                                  scale: Float, smoothing: Float) -> Float {
    var total: Float = 0
    let onLabel = 1 - smoothing, everywhere = smoothing / Float(classes)
    for n in 0..<batch {
        let z = logits + n &* classes
        let p = probabilities + n &* classes
        var maximum = z[0]
        for k in 1..<classes where z[k] > maximum { maximum = z[k] }
        var sum: Float = 0, logitSum: Float = 0
        for k in 0..<classes {
            p[k] = expf(z[k] - maximum)
            sum += p[k]
            logitSum += z[k]
        }
        let label = Int(labels[n])
        total += (maximum + logf(sum)) - onLabel * z[label] - everywhere * logitSum
        let inverse = 1 / sum
        for k in 0..<classes { p[k] *= inverse }
        if let logitsGradient {
            let g = logitsGradient + n &* classes
            for k in 0..<classes { g[k] = (p[k] - everywhere) * scale }
            g[label] -= onLabel * scale
        }
    }
    return total * scale
}

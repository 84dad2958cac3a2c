/// SHA-256 (FIPS 180-4), used to verify data files against their published checksums.
public struct SHA256: Sendable {
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// The lowercase hexadecimal digest of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        hexString(digest(bytes))
    }

    static func hexString(_ digest: [UInt8]) -> String {
        digest.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Incremental()
        bytes.withUnsafeBufferPointer { hasher.update($0) }
        return hasher.finish()
    }

    /// A digest computed piece by piece, for data that is never whole in memory (a download being
    /// inflated, say): `update` with each piece in order, then `finish`.
    public struct Incremental: Sendable {
        private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        /// Bytes of an incomplete block, fewer than 64.
        private var pending: [UInt8] = []
        private var length: UInt64 = 0

        public init() {}

        public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard var base = bytes.baseAddress, bytes.count > 0 else { return }
            var count = bytes.count
            length &+= UInt64(count)
            let w = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
            defer { w.deallocate() }
            h.withUnsafeMutableBufferPointer { state in
                if !pending.isEmpty {
                    let take = min(64 - pending.count, count)
                    pending += UnsafeBufferPointer(start: base, count: take)
                    base += take
                    count -= take
                    if pending.count == 64 {
                        pending.withUnsafeBufferPointer { SHA256.compress($0.baseAddress!, state.baseAddress!, w) }
                        pending.removeAll(keepingCapacity: true)
                    }
                }
                while count >= 64 {
                    SHA256.compress(base, state.baseAddress!, w)
                    base += 64
                    count -= 64
                }
            }
            if count > 0 { pending += UnsafeBufferPointer(start: base, count: count) }
        }

        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { update($0) }
        }

        /// The 32-byte digest of everything given to `update`.
        public mutating func finish() -> [UInt8] {
            let bitLength = length &* 8
            var tail = pending
            tail.append(0x80)
            while tail.count % 64 != 56 { tail.append(0) }
            for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            let w = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
            defer { w.deallocate() }
            h.withUnsafeMutableBufferPointer { state in
                tail.withUnsafeBufferPointer { padded in
                    for block in 0..<(padded.count / 64) { SHA256.compress(padded.baseAddress! + block &* 64, state.baseAddress!, w) }
                }
            }
            var out = [UInt8]()
            out.reserveCapacity(32)
            for word in h { for shift in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }
            return out
        }

        /// `finish()` as lowercase hexadecimal.
        public mutating func finishHex() -> String { SHA256.hexString(finish()) }
    }

    /// The round constants in memory that needs no bounds checks.
    nonisolated(unsafe) private static let roundConstants: UnsafeMutablePointer<UInt32> = {
        let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        pointer.initialize(from: k, count: 64)
        return pointer
    }()

    @inline(__always)
    fileprivate static func compress(_ block: UnsafePointer<UInt8>, _ h: UnsafeMutablePointer<UInt32>, _ w: UnsafeMutablePointer<UInt32>) {
        for t in 0..<16 {
            w[t] = UInt32(block[t &* 4]) << 24 | UInt32(block[t &* 4 &+ 1]) << 16
                | UInt32(block[t &* 4 &+ 2]) << 8 | UInt32(block[t &* 4 &+ 3])
        }
        for t in 16..<64 {
            let s0 = rotr(w[t &- 15], 7) ^ rotr(w[t &- 15], 18) ^ (w[t &- 15] >> 3)
            let s1 = rotr(w[t &- 2], 17) ^ rotr(w[t &- 2], 19) ^ (w[t &- 2] >> 10)
            w[t] = w[t &- 16] &+ s0 &+ w[t &- 7] &+ s1
        }
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
        for t in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let choose = (e & f) ^ (~e & g)
            let temp1 = hh &+ s1 &+ choose &+ roundConstants[t] &+ w[t]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let temp2 = s0 &+ majority
            hh = g; g = f; f = e; e = d &+ temp1; d = c; c = b; b = a; a = temp1 &+ temp2
        }
        h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
        h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }
}

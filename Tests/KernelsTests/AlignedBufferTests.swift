import Testing
@testable import Kernels

@Suite struct AlignedBufferTests {
    @Test(arguments: [0, 1, 15, 16, 44_426, 1 << 20])
    func buffersStartAtAMultipleOf64Bytes(count: Int) {
        let buffer = allocateAlignedFloats(count)
        defer { buffer.deallocate() }
        #expect(Int(bitPattern: buffer) % 64 == 0)
        buffer.initialize(repeating: 1, count: max(count, 1))
        #expect(buffer[max(count, 1) - 1] == 1)
    }

    @Test func anAlignedCopyIsAlignedAndWrittenBack() {
        var values = (0..<1000).map { Float($0) }
        let sum = withAlignedCopy(of: &values) { buffer -> Float in
            #expect(Int(bitPattern: buffer.baseAddress) % 64 == 0)
            #expect(buffer.count == 1000 && buffer[999] == 999)
            for i in buffer.indices { buffer[i] *= 2 }
            return buffer.reduce(0, +)
        }
        #expect(sum == 999_000)
        #expect(values == (0..<1000).map { Float(2 * $0) })
        let read = withAlignedCopy(of: values) { buffer in (Int(bitPattern: buffer.baseAddress) % 64, buffer[10]) }
        #expect(read.0 == 0 && read.1 == 20)
        var empty: [Float] = []
        #expect(withAlignedCopy(of: &empty) { $0.count } == 0)
    }
}

import ArgumentParser
import Foundation
import LeNet
import NeuralNetwork

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model: its layers, output shapes, parameters and connections or multiply-adds.",
        discussion: """
            With a checkpoint, the model kind comes from its metadata, which is printed too. Without one, --model chooses.

            Examples:
              lenet info --model lenet5-1998        the paper's layer table: 60,000 parameters, 340,908 connections
              lenet info runs/<date-time>/model.safetensors
            """)

    @Argument(help: ArgumentHelp("A checkpoint to describe.", valueName: "checkpoint"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("The model to describe when no checkpoint is given: lenet5 or lenet5-1998.", valueName: "kind"))
    var model: ModelKind = .lenet5

    func run() throws {
        var kind = model.rawValue
        if let checkpoint {
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(contentsOf: checkpoint) } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
            kind = file.metadata["model"] ?? LeNet5.kind
            print("\(checkpoint): \(file.entries.count) tensors")
            for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
            print()
        }
        func row(_ cells: [String]) -> String {
            zip(cells, [32, 10, 12, 14]).map { cell, width in
                cell.count >= width ? cell : (width == 32 ? cell.padding(toLength: width, withPad: " ", startingAt: 0)
                                                           : String(repeating: " ", count: width - cell.count) + cell)
            }.joined(separator: " ")
        }
        func grouped(_ n: Int) -> String {
            let digits = Array(String(n))
            return String(digits.enumerated().flatMap { index, digit in
                (index > 0 && (digits.count - index) % 3 == 0) ? [",", digit] : [digit]
            })
        }
        switch kind {
        case LeNet1998.kind:
            print("LeNet-5 as published (LeCun, Bottou, Bengio, Haffner 1998), input 1@32x32")
            print(row(["layer", "output", "parameters", "connections"]))
            for layer in LeNet1998.summary {
                print(row([layer.layer, layer.output, grouped(layer.parameters), grouped(layer.connections)]))
            }
            print(row(["total", "", grouped(LeNet1998.summary.reduce(0) { $0 + $1.parameters }),
                       grouped(LeNet1998.summary.reduce(0) { $0 + $1.connections })]))
        default:
            print("The write-up's LeNet-5, input 1@28x28")
            print(row(["layer", "output", "parameters", "multiply-adds"]))
            for layer in LeNet5.summary {
                print(row([layer.layer, layer.output, grouped(layer.parameters), grouped(layer.multiplyAdds)]))
            }
            print(row(["total", "", grouped(LeNet5.summary.reduce(0) { $0 + $1.parameters }),
                       grouped(LeNet5.summary.reduce(0) { $0 + $1.multiplyAdds })]))
        }
    }
}

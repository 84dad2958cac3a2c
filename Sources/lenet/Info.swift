import ArgumentParser
import FileFormats
import Foundation
import LeNet
import NeuralNetwork

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model: its layers, output shapes, parameters, multiply-adds (and the paper's connections), and a checkpoint's metadata.",
        discussion: """
            With a checkpoint, the model kind comes from its metadata, which is printed too. Without one, --model chooses.

            Examples:
              lenet info --model lenet5-1998        the paper's layer table (Table I)
              lenet info                            the write-up's model
              lenet info --model lenet1             the paper's smallest
              lenet info models/lenet5-mnist.safetensors
            """)

    @Argument(help: ArgumentHelp("A checkpoint to describe.", valueName: "checkpoint"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("The model to describe when no checkpoint is given: \(ModelChoice.allValueStrings.joined(separator: ", ")) (default: lenet5).", valueName: "kind"))
    var model: ModelChoice?

    func run() throws {
        var network = (model?.kind ?? LeNet5.self).network(outputs: 10)!, title = model?.kind.title ?? LeNet5.title
        if let checkpoint {
            // Any checkpoint, a run's resume file too: the kind from its metadata, the network from
            // the layout the file has (a data set's class count).
            do {
                let file = try SafeTensorsFile(contentsOf: checkpoint)
                let kind = try AnyLeNet.modelType(file.metadata[MetadataKey.model] ?? LeNet5.kind, path: checkpoint)
                let layout = try kind.expectedLayout(of: file)
                network = kind.init(parameters: [Float](repeating: 0, count: layout.count), layout: layout).network
                title = kind.title
                print("\(checkpoint): \(file.entries.count) tensors")
                for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
                print()
            } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
        }
        func grouped(_ n: Int) -> String {
            let digits = Array(String(n))
            return String(digits.enumerated().flatMap { index, digit in
                (index > 0 && (digits.count - index) % 3 == 0) ? [",", digit] : [digit]
            })
        }
        let columns = ["parameters", "connections", "multiply-adds"]
        let rows = network.summary.map { ($0.layer, $0.output, [$0.parameters, $0.connections, $0.multiplyAdds]) }
        let width = max(30, (rows.map(\.0.count).max() ?? 0) + 1)
        func row(_ name: String, _ output: String, _ numbers: [String]) -> String {
            name.padding(toLength: width, withPad: " ", startingAt: 0) + " " + output.padding(toLength: 9, withPad: " ", startingAt: 0)
                + numbers.map { String(repeating: " ", count: max(0, 14 - $0.count)) + $0 }.joined()
        }
        print("\(title), input \(network.inputDescription)")
        print(row("layer", "output", columns))
        for layer in rows { print(row(layer.0, layer.1, layer.2.map(grouped))) }
        let totals = columns.indices.map { c in rows.reduce(0) { $0 + $1.2[c] } }
        print(row("total", "", totals.map(grouped)))
    }
}

import ArgumentParser
import FileFormats
import Foundation
import LeNet
import NeuralNetwork
import Support

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model as ONNX, to run it outside this tool (ONNX Runtime in Python or in a browser, ...).",
        discussion: """
            Opset 13. The input is `input`, float32 [batch, 1, 28, 28] (the batch is dynamic), prepared as the model expects: the write-up's LeNet-5 takes (p/255 - 0.5)/0.5 for each byte p of a 28x28 image with ink 255 on 0; the 1998 model takes -0.1 + 1.275 p/255 (the graph pads it to 32x32). The output is `logits` [batch, classes] (the largest wins) or, for the 1998 model, `penalties` [batch, 10] (the smallest wins). The class names, the data set and the input preparation are in the model's metadata_props.

            In Python:
              import numpy as np, onnxruntime as ort
              session = ort.InferenceSession("model.onnx")
              # pixels: uint8 [n, 28, 28], ink 255 on 0
              x = (pixels.astype(np.float32) / 255 - 0.5) / 0.5
              logits = session.run(None, {"input": x[:, None]})[0]

            In a browser: onnxruntime-web's ort.InferenceSession.create("model.onnx"), then
            session.run({input: new ort.Tensor("float32", data, [1, 1, 28, 28])}).

            Examples:
              lenet export --output model.onnx          the shipped model
              lenet export runs/<run>/model.safetensors --output lenet1998.onnx
            """)

    @Argument(help: ArgumentHelp("The model to export: \(ShippedModel.choices).", valueName: "model"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("The format: onnx (the only one).", valueName: "format"))
    var format: String = "onnx"

    @Option(help: ArgumentHelp("The file to write.", valueName: "file"))
    var output: String

    func validate() throws {
        guard format == "onnx" else { throw ValidationError("--format must be onnx, got '\(format)'") }
        guard !output.isEmpty else { throw ValidationError("--output must name a file") }
    }

    func run() async throws {
        try await reportingErrors {
            let (path, _) = try ShippedModel.resolve(checkpoint)
            let (model, metadata) = try AnyLeNet.load(path)
            let bytes = ONNXExport.export(model, metadata: metadata)
            try Files.writeAtomically(bytes, to: output)
            print("Wrote \(output): \(model.kind), \(model.parameterCount) parameters, \(bytes.count) bytes, ONNX opset \(ONNX.opset); input 'input' [batch, 1, 28, 28], output '\(model.model.scores == .logits ? "logits" : "penalties")' [batch, \(model.classes)]")
        }
    }
}

import Datasets
import Foundation
import LeNet

// Train the write-up's LeNet-5 by its recipe on the MNIST this package ships, evaluate, save, load.
let train = try MNIST.load(.train)                // checked against the published checksums
let test = try MNIST.load(.test)
var model = LeNet5(seed: 0)                       // PyTorch's default initialisation
let recipe = Recipe()                             // the write-up's 20 epochs, batch 64, momentum 0.9
_ = Trainer(recipe: recipe).train(&model, on: train) { event in
    if let line = event.logLine { print(line) }   // [0.0005, 1,   100] loss: 2.234
}
print(Evaluator.evaluate(model, on: test).accuracyLine)
try model.save(to: "model.safetensors")
let trained = try LeNet5(checkpoint: "model.safetensors")

// Read a picture: decoded, found, cropped and centred as MNIST's digits were, then classified.
let digit = URL(fileURLWithPath: "samples/drawing.png")
let answer = try Reader.shipped().classify(contentsOf: digit)   // the best shipped model
print(answer.name, answer.probability)                          // 7 0.9046...
print(try Reader(model: AnyLeNet(trained)).classify(contentsOf: digit).name)

// Read a number: cut into candidate digits, each scored by a model that can say "not a digit".
let number = try Reader.shipped(.numbers).read(contentsOf: "samples/number.png")
print(number.text, number.confidence)                           // 88124 0.675...

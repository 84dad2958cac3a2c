/// The model kinds, in the order of the 1998 paper's Fig. 9, the write-up's last: the one list
/// that checkpoints, `lenet train --model`, `lenet info`, the reports and the server read. A new
/// kind is its own file and a line here.
public enum ModelKinds {
    /// Every kind, in the paper's order, the write-up's LeNet-5 last.
    public static let all: [any LayeredModel.Type] = [
        LeNet1.self,
        LeNet4.self,
        LeNet1998.self,
        LeNet5.self,
    ]

    /// The kind named `name` ("lenet5", "lenet5-1998", ...), or nil.
    public static func named(_ name: String) -> (any LayeredModel.Type)? { all.first { $0.kind == name } }

    /// "lenet1, lenet4, lenet5-1998 or lenet5".
    public static var names: String {
        let names = all.map { $0.kind }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}

// A reverse-mode tape (micrograd's `backward()` on one page): an ordered array of records, each an op's
// inputs, output and pullback, walked in reverse. An array, not a set, so gradients sum in the same order
// every run.

/// A trainable tensor with its accumulated gradient. A frozen parameter (`requiresGrad == false`)
/// enters the tape as a constant: ops then skip its weight gradient entirely.
public final class Parameter: @unchecked Sendable {
    /// Any change drops what was derived from it (`derived`).
    public var value: Tensor { didSet { derivedObjects.removeAll() } }
    public var grad: Tensor
    public var requiresGrad = true
    private var derivedObjects: [ObjectIdentifier: AnyObject] = [:]

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }

    public func zeroGrad() { grad = Tensor(shape: value.shape) }

    /// The object of type `T` that `make` derives from the value, made on first request and kept until the
    /// value changes: a convolution weight's Winograd transforms are computed once per optimizer step in
    /// training (the generators run three times per step) and once for all images in translation.
    public func derived<T: AnyObject>(_ make: () -> T) -> T {
        if let kept = derivedObjects[ObjectIdentifier(T.self)] as? T { return kept }
        let made = make()
        derivedObjects[ObjectIdentifier(T.self)] = made
        return made
    }
}

/// A value on a tape. Ops on variables compute their value at once and record a pullback when an
/// input requires a gradient.
public struct Variable {
    public let value: Tensor
    let id: Int
    public let tape: Tape
    public let requiresGrad: Bool

    public var shape: [Int] { value.shape }

    /// The same value, cut from the tape: no gradient flows back through it.
    public func detached() -> Variable { tape.constant(value) }
}

public final class Tape {
    /// A pullback gets dOutput and, per input, whether its gradient is wanted; it returns one gradient
    /// per input (nil where not wanted).
    public typealias Pullback = (_ dOutput: Tensor, _ wanted: [Bool]) -> [Tensor?]

    private struct Record {
        let inputs: [Int]
        let output: Int
        let pullback: Pullback
    }

    private var requiresGrad: [Bool] = []
    private var records: [Record] = []
    private var parameterNodes: [ObjectIdentifier: Int] = [:]
    private var parameters: [(node: Int, parameter: Parameter)] = []

    public init() {}

    private func newNode(requiresGrad flag: Bool) -> Int {
        requiresGrad.append(flag)
        return requiresGrad.count - 1
    }

    /// A value that needs no gradient (an input image, a target).
    public func constant(_ value: Tensor) -> Variable {
        Variable(value: value, id: newNode(requiresGrad: false), tape: self, requiresGrad: false)
    }

    /// A leaf whose gradient `backward(_:wrt:)` can return (for gradient checks).
    public func variable(_ value: Tensor) -> Variable {
        Variable(value: value, id: newNode(requiresGrad: true), tape: self, requiresGrad: true)
    }

    /// The parameter's leaf on this tape: one per parameter, however often it is used, so its
    /// gradient is accumulated once into `parameter.grad`.
    public func parameter(_ p: Parameter) -> Variable {
        let key = ObjectIdentifier(p)
        if let id = parameterNodes[key] {
            return Variable(value: p.value, id: id, tape: self, requiresGrad: p.requiresGrad)
        }
        let v = Variable(value: p.value, id: newNode(requiresGrad: p.requiresGrad), tape: self,
                         requiresGrad: p.requiresGrad)
        parameterNodes[key] = v.id
        if p.requiresGrad { parameters.append((v.id, p)) }
        return v
    }

    /// Records an op's output; the pullback is kept only if some input requires a gradient.
    public func record(_ value: Tensor, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        precondition(inputs.allSatisfy { $0.tape === self }, "variables from different tapes")
        guard inputs.contains(where: \.requiresGrad) else { return constant(value) }
        let id = newNode(requiresGrad: true)
        records.append(Record(inputs: inputs.map(\.id), output: id, pullback: pullback))
        return Variable(value: value, id: id, tape: self, requiresGrad: true)
    }

    /// Back-propagates from `output` (seeded with ones, or `seed`), adds each parameter's gradient
    /// into `parameter.grad`, and returns the gradients of `wrt` (nil when none reached them).
    /// The tape is consumed: its records (and the tensors they saved) are released as it goes.
    @discardableResult
    public func backward(_ output: Variable, seed: Tensor? = nil, wrt: [Variable] = []) -> [Tensor?] {
        var grads = [Tensor?](repeating: nil, count: requiresGrad.count)
        grads[output.id] = seed ?? Tensor(shape: output.shape, repeating: 1)
        let kept = Set(wrt.map(\.id)).union(parameters.map(\.node))
        while let record = records.popLast() {
            guard let dOutput = grads[record.output] else { continue }
            if !kept.contains(record.output) { grads[record.output] = nil }
            let wanted = record.inputs.map { requiresGrad[$0] }
            let dInputs = record.pullback(dOutput, wanted)
            for (input, dInput) in zip(record.inputs, dInputs) where requiresGrad[input] {
                guard let dInput else { continue }
                if grads[input] == nil { grads[input] = dInput } else { grads[input]!.add(dInput) }
            }
        }
        for (node, parameter) in parameters {
            if let g = grads[node] { parameter.grad.add(g) }
        }
        parameters.removeAll()
        parameterNodes.removeAll()
        return wrt.map { grads[$0.id] }
    }
}

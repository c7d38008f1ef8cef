/// An error naming the file and what to do. `description` is one line for the user.
///
/// `message` continues the sentence that starts with the path, so `description` reads
/// "data/x.png is truncated or corrupt: Read Error".
public struct CodecError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        "\(path) \(message)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

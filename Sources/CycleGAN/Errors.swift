// The errors of training and translation, one type per kind of problem, so that callers and tests can tell
// them apart without matching words. Each reads as one sentence that names the file or flag and the fix.
// (Unreadable or corrupted files are `CodecError`s, from the Codecs layer; image folders and images that
// cannot be used for training are `DataError`s, Data/Dataset.swift.)

/// Options that contradict each other or what the networks need (`TrainConfig.problems`), found before any
/// file is touched.
public struct OptionsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A run folder that cannot be used as asked: it already holds a run, has no checkpoint to resume, is being
/// trained by another process, or holds a losses.csv it cannot append to.
public struct RunFolderError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A checkpoint that reads fine but does not fit what is asked of it.
public struct CheckpointError: Error, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Its weights are for other networks than its `config` (or the run's options) describe.
        case architectureMismatch
        /// It holds weights only, and a training state is needed.
        case notResumable
        /// It lacks the generator a direction needs.
        case missingNetwork
        /// A later version of this tool wrote it, in a format this one does not know.
        case newerFormat
    }
    public let path: String
    public let kind: Kind
    /// Continues the sentence that starts with the path.
    public let message: String
    public var description: String { "\(path) \(message)" }

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind; self.path = path; self.message = message
    }
}

/// An image too large for the memory available (`Translator.estimatedPeakBytes`), refused before any work.
public struct InsufficientMemoryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import Codecs
import Foundation
import RunLayout

/// A training run's folder, `Runs/NAME/`, and the files the toolkit writes into it (named in `RunLayout`).
public struct RunFolder: Sendable {
    public let url: URL

    /// The run folder at `path`; throws `RunReportError.missingRunFolder` when there is no such folder.
    public init(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RunReportError.missingRunFolder(path: path)
        }
        guard isDirectory.boolValue else {
            if path.hasSuffix(".csv") {
                throw RunReportError.unreadable(path: path, reason:
                    "is a file; give the run folder that holds it (\((path as NSString).deletingLastPathComponent))")
            }
            throw RunReportError.unreadable(path: path, reason: "is a file, not a run folder (Runs/NAME)")
        }
        url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        displayPath = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    }

    /// The folder as the user gave it (for messages).
    public let displayPath: String

    /// The run's name: the folder's name.
    public var name: String { url.lastPathComponent }

    public func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }
    /// `path(relative)` as the user would write it (under the folder they gave), for messages.
    public func displayPath(_ relative: String) -> String { (displayPath as NSString).appendingPathComponent(relative) }

    public var lossesPath: String { path(RunLayout.losses) }
    public var configPath: String { path(RunLayout.config) }
    public var curvesPNGPath: String { path(RunLayout.curvesPNG) }
    public var curvesSVGPath: String { path(RunLayout.curvesSVG) }
    public var reportPath: String { path(RunLayout.report) }

    /// Reads `losses.csv`; errors name it as the user wrote the folder.
    public func lossLog() throws -> LossLog {
        try LossLog.load(from: displayPath(RunLayout.losses))
    }

    /// Reads `val.csv`; nil when the run has none (trained without --val_freq) or none yet (the header only,
    /// before the first validation).
    public func validationLog() throws -> ValidationLog? {
        guard FileManager.default.fileExists(atPath: path(RunLayout.validation)) else { return nil }
        do {
            return try ValidationLog.load(from: displayPath(RunLayout.validation))
        } catch RunReportError.noRows {
            return nil
        }
    }

    // MARK: - Samples

    /// A sample grid written during training.
    public struct Sample: Sendable, Equatable {
        public let iteration: Int
        /// Relative to the run folder, e.g. `samples/iter_0001200.png`.
        public let relativePath: String
    }

    /// The sample grids `samples/iter_N.png`, newest (highest iteration) first.
    public func samples() -> [Sample] {
        listFiles(RunLayout.samples).compactMap { name -> Sample? in
            guard let iteration = RunLayout.iteration(ofSample: name) else { return nil }
            return Sample(iteration: iteration, relativePath: RunLayout.samples + "/" + name)
        }.sorted { $0.iteration > $1.iteration }
    }

    /// The tiles of this run's sample grids, row by row: with the identity images when config.json has
    /// lambda_identity > 0 (the reference's default 0.5 when it does not say).
    public func sampleGridRows() -> [[String]] {
        let identity = (try? configuration())?.first { $0.key == "lambda_identity" }.flatMap { Double($0.value) }
        return SampleGridLayout.rows(identity: (identity ?? 0.5) > 0)
    }

    // MARK: - Translations

    /// One translated test image.
    public struct Translation: Sendable, Equatable {
        public let direction: Direction
        /// Relative to the run folder, e.g. `translations/AtoB/n02381460_20.png`.
        public let outputPath: String
        /// The input's file name (the output's name with the input's extension when the input was found).
        public let inputName: String
        /// The input image, when found under the run's `dataroot` (absolute path).
        public let inputPath: String?
    }

    /// The images `cyclegan translate --run` wrote, sorted by name, matched with their inputs in
    /// `dataroot/testA` or `testB` (from config.json) when those are still there.
    public func translations() -> [Translation] {
        let dataroot = (try? configuration())?.first { $0.key == "dataroot" }.map(\.value)
        return Direction.allCases.flatMap { direction -> [Translation] in
            let folder = RunLayout.translations + "/" + direction.rawValue
            let inputs = dataroot.map { inputIndex(dataroot: $0, folder: direction.inputFolder) } ?? [:]
            return listFiles(folder).filter(ImageFile.isImageFileName).map { name in
                let stem = (name as NSString).deletingPathExtension
                let input = inputs[stem]
                return Translation(direction: direction, outputPath: folder + "/" + name,
                                   inputName: input.map { ($0 as NSString).lastPathComponent } ?? name,
                                   inputPath: input)
            }
        }
    }

    /// Input images by file stem, from `dataroot/folder`; dataroot is tried as given (relative to the
    /// current folder), then relative to the folder above `Runs/`.
    private func inputIndex(dataroot: String, folder: String) -> [String: String] {
        let candidates = dataroot.hasPrefix("/") ? [dataroot]
            : [dataroot, url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(dataroot).path]
        for root in candidates {
            let directory = URL(fileURLWithPath: root).appendingPathComponent(folder).standardizedFileURL
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { continue }
            var index: [String: String] = [:]
            for name in names where ImageFile.isImageFileName(name) {
                index[(name as NSString).deletingPathExtension] = directory.appendingPathComponent(name).path
            }
            return index
        }
        return [:]
    }

    // MARK: - Checkpoints

    public struct CheckpointFile: Sendable, Equatable {
        public let relativePath: String
        public let bytes: Int
        public let modified: Date?
    }

    /// `checkpoints/*.h5`: `latest.h5` first, then by epoch, newest first.
    public func checkpoints() -> [CheckpointFile] {
        func epoch(_ name: String) -> Int {
            name == RunLayout.latestCheckpoint ? Int.max : RunLayout.epoch(ofCheckpoint: name) ?? -1
        }
        let folder = RunLayout.checkpoints + "/"
        return listFiles(RunLayout.checkpoints).filter { $0.hasSuffix(".h5") }
            .sorted { (epoch($0), $0) > (epoch($1), $1) }
            .map { name in
                let attributes = try? FileManager.default.attributesOfItem(atPath: path(folder + name))
                return CheckpointFile(relativePath: folder + name,
                                  bytes: (attributes?[.size] as? NSNumber)?.intValue ?? 0,
                                  modified: attributes?[.modificationDate] as? Date)
            }
    }

    // MARK: - Configuration

    /// The options of `config.json` as text, sorted by key (nested values as compact JSON); nil when
    /// there is no config.json. Throws when it exists but is not a JSON object.
    public func configuration() throws -> [(key: String, value: String)]? {
        guard FileManager.default.fileExists(atPath: configPath) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: configPath)) } catch {
            throw RunReportError.unreadable(path: displayPath(RunLayout.config), reason: error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let dictionary = object as? [String: Any] else {
            throw RunReportError.unreadable(path: displayPath(RunLayout.config), reason: "not a JSON object")
        }
        return dictionary.keys.sorted().map { key in (key, RunFolder.text(of: dictionary[key]!)) }
    }

    /// A JSON value as a person would write it: strings bare, numbers and booleans as in the file.
    static func text(of value: Any) -> String {
        switch value {
        case let string as String: return string
        case is NSNull: return "null"
        case let number as NSNumber:
            // Booleans arrive as NSNumber too; JSONSerialization writes each back as it was read.
            if let data = try? JSONSerialization.data(withJSONObject: number, options: [.fragmentsAllowed]),
               let text = String(data: data, encoding: .utf8) { return text }
            return number.stringValue
        default:
            if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]),
               let text = String(data: data, encoding: .utf8) { return text }
            return String(describing: value)
        }
    }

    // MARK: - Helpers

    /// Names of the regular files in a subfolder (none when it does not exist), hidden files left out.
    func listFiles(_ relative: String) -> [String] {
        let directory = path(relative)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }.sorted()
    }
}

import ArgumentParser

@main
struct CycleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyclegan",
        abstract: "Unpaired image-to-image translation (CycleGAN) on the CPU.",
        discussion: """
        Train on two folders of images (trainA/, trainB/), follow the run through its loss curves,
        and translate images in either direction.
        """,
        subcommands: [Train.self, Translate.self, Curves.self, Report.self, Inspect.self])
}

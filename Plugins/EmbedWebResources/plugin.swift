import Foundation
import PackagePlugin

/// Turns the files under a target's `Resources/` folder into one generated Swift source with their contents as string
/// literals (see the tool's `main.swift` for what it generates). A build-time embed instead of SwiftPM resources:
/// `Bundle.module` needs a resource bundle directory next to the binary on Linux, and `chargekit` must work when the
/// executable is copied alone to another machine.
///
/// The target excludes `Resources/` (so that SwiftPM does not treat the files as unhandled); the plugin lists the
/// folder itself on every build, so an added, changed or removed file regenerates the source.
@main
struct EmbedWebResources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = target.directoryURL.appending(path: "Resources")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWebResources.swift")
        let files = try Self.files(under: root)
        return [.buildCommand(displayName: "Embedding \(files.count) web resource files of \(target.name)",
                              executable: try context.tool(named: "EmbedWebResourcesTool").url,
                              arguments: [output.path(percentEncoded: false), root.path(percentEncoded: false)] + files,
                              inputFiles: files.map { root.appending(path: $0) }, outputFiles: [output])]
    }

    /// The paths of the regular files under `root`, relative to it, sorted (hidden files are skipped).
    static func files(under root: URL) throws -> [String] {
        let base = root.standardizedFileURL.resolvingSymlinksInPath().path(percentEncoded: false)
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                        options: [.skipsHiddenFiles]) else { return [] }
        var paths: [String] = []
        for case let url as URL in walk where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path(percentEncoded: false)
            paths.append(String(path.dropFirst(base.count).drop { $0 == "/" }))
        }
        return paths.sorted()
    }
}

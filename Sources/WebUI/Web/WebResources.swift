import FoundationEssentials
import MustacheTemplates

/// The web interface's files: the page templates, the style sheet, the script and the texts of every language. They
/// live under `Sources/WebUI/Resources/` and the EmbedWebResources build plugin compiles them into the binary as string
/// literals (`EmbeddedWebResources`, `WebTemplate`). A build-time embed and not SwiftPM resources, because
/// `Bundle.module` on Linux looks for a resource bundle directory next to the executable, while `chargekit` is one
/// self-contained binary that works when copied alone to another machine: the station serves its pages without any
/// file next to it and without any external asset (no CDN).
///
/// `Resources/`:
/// - `templates/shared/`: the layout, login, password, message pages and the parameter form, which both sites use;
///   `templates/station/`, `templates/gateway/`: each site's own pages (one `<name>.mustache` is `WebTemplate.<name>`);
/// - `static/app.css`, `static/app.js`: served as `/static/app.css` and `/static/app.js`;
/// - `texts/<language>.json`: every text of the pages, one flat object of `group.name` keys (``WebText``);
/// - `texts/parameters.<language>.json`: the parameter registry's labels, help texts and section names in the
///   languages other than English (the registry's own texts are English).
enum WebResources {
    /// The embedded file at `path` under `Resources/`.
    static func file(_ path: String) -> String {
        guard let text = EmbeddedWebResources.files[path] else { preconditionFailure("Resources/\(path) is not embedded") }
        return text
    }

    static let css = file("static/app.css")
    static let js = file("static/app.js")
    /// The System page's firmware upload and progress (`WebFirmware.swift`).
    static let firmwareJS = file("static/firmware.js")

    /// The templates of `folders` (`shared` and a site's), by name, parsed for a site's pages. A template that cannot
    /// be parsed, or names a partial that is not among them, throws a `TemplateError` with its name and position.
    static func library(folders: Set<String>) throws(TemplateError) -> TemplateLibrary {
        try TemplateLibrary(texts: Dictionary(uniqueKeysWithValues: WebTemplate.allCases.filter { folders.contains($0.folder) }
            .map { ($0.rawValue, $0.text) }))
    }

    /// A JSON file of texts, decoded. The build checks that it is JSON; the catalogue tests check its shape, so a wrong
    /// one stops the tests, not a station in the field.
    static func json<T: Decodable>(_ type: T.Type, _ path: String) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(file(path).utf8))
        } catch {
            preconditionFailure("Resources/\(path): \(error)")
        }
    }
}

import MustacheTemplates

/// The values one page's template shows: a small struct per page, whose stored properties the template reads through
/// `Mirror` (`{{name}}` is the property `name`; a computed property is not seen). An optional that is nil behaves like a name the page does not have: the
/// template looks it up in the enclosing sections, then at the page's top, and a section of it renders nothing.
/// Besides its own properties every page template sees `t` (the texts of the user's language, `{{t.group.name}}`)
/// and `identity` (the site's name).
///
/// Adding a page (Network, Firmware, EEBUS, certificates …):
/// 1. its template `Resources/templates/<site>/<name>.mustache` (the build makes it `WebTemplate.<name>`) and its
///    texts in every `Resources/texts/<language>.json` (the catalogue tests name a missing one);
/// 2. a struct conforming to `PageModel`, with `var template: WebTemplate { .<name> }` and the values its template
///    shows, next to the code that fills it;
/// 3. a route that fills it and answers with `page(_:title:…)`, and an entry in the site's navigation.
protocol PageModel {
    /// Computed, not stored, so that it is not one of the values the template sees.
    var template: WebTemplate { get }
}

/// What a page's template renders with: its model's properties, with `t` and `identity` over them.
struct PageContext: TemplateLookup {
    let model: any PageModel
    let t: [String: [String: String]]
    let identity: String

    func templateValue(named name: String) -> Any? {
        switch name {
        case "t": t
        case "identity": identity
        // The model's stored property of that name (a nil optional is none), as for every nested value.
        default: TemplateLibrary.storedProperty(name, of: model)
        }
    }
}

/// A choice of a `<select>`: its value, what it shows, and whether it is the current one.
struct SelectOption {
    var value: String
    var label: String
    var selected: Bool
}

/// The layout around every page: the header with the user menu, the navigation, and the page's content.
struct LayoutPage: PageModel {
    var template: WebTemplate { .layout }

    struct Language {
        var code: String
        var name: String
        var selected: Bool
    }

    struct MenuItem {
        var href: String
        var label: String
        var active: Bool
        var id: String
        var sections: [Anchor]
        var hasSections: Bool
    }

    struct Anchor {
        var name: String
        var anchor: String
    }

    var lang: String
    var pageTitle: String
    /// The page's HTML, rendered from its own template.
    var content: String
    /// Without a session (the login page) the page stands alone, without header and navigation.
    var session = false
    var account: String?
    var roleLabel: String?
    var csrf: String?
    var restartActions = false
    var languages: [Language] = []
    var menus: [MenuItem] = []
}

/// The login page.
struct LoginPage: PageModel {
    var template: WebTemplate { .login }
    var csrf: String
    var accounts: [SelectOption]
    var error: String?
}

/// The password form (also the forced change of the initial password).
struct PasswordPage: PageModel {
    var template: WebTemplate { .password }

    struct Field {
        var name: String
        var label: String
        var autocomplete: String
        var error: String?
    }

    var forced: Bool
    var changed: Bool
    var fields: [Field]
    var csrf: String
}

/// A message with a link back (errors such as 403 and 404).
struct MessagePage: PageModel {
    var template: WebTemplate { .message }
    var heading: String
    var message: String
    var back: String
    var backLabel: String
}

/// One card of the parameter form (the `parameterForm` template: the station's menus and the gateway's settings).
struct ParameterSection {
    var name: String
    /// The card's id, which the navigation links to.
    var anchor: String
    var parameters: [ParameterField]
}

/// One field of the parameter form: its label, help and what it allows, and its control — exactly one of `isSecret`,
/// `isBool`, `isChoice`, `isTriple` (L1/L2/L3) and `isText` is set, with the values that control shows.
struct ParameterField {
    struct Phase {
        var phase: String
        var value: String
    }

    var key: String
    var label: String
    var help: String
    var allowed: String
    var seeAlso: String
    var defaultValue: String
    var restartRequired = false
    /// A preset over other parameters, showing what they amount to (seeds/002 §1.7 authentication modes).
    var preset = false
    var error: String?
    /// Why the user's role may not change it; nil when it may.
    var readonly: String?
    var isSecret = false
    var secretState: String?
    var isBool = false
    var on = false
    var isChoice = false
    var choices: [SelectOption] = []
    var isTriple = false
    var phases: [Phase] = []
    var isText = false
    var value: String?
    /// The field shows only for some values of the field `dependsOn` (`dependsValue`: `a|b`, or `!a` for all but `a`).
    var dependsOn: String?
    var dependsValue: String?
    var hidden = false
}

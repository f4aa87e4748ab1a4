import Parameters

private typealias K = StationParameters

/// The Prometheus metrics endpoint's parameters (issue 30 item 1; the seeds have no metrics). Off by default: the
/// endpoint `/metrics` answers 404 until it is enabled and a token is set.
extension StationParameters {
    public static let metricsEnabled = "MetricsEnabled"
    public static let metricsToken = "MetricsToken"

    static let metricsDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .metricsEnabled, label: "Prometheus metrics", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .system, section: "Prometheus metrics",
            help: "Serve Prometheus metrics on /metrics of the web server's port. They are served only while a Metrics Token is set too; Prometheus sends it as a bearer token. Takes effect at once.",
            seeAlso: "docs/integrator.md, Prometheus metrics"),
        ParameterDefinition(
            key: .metricsToken, label: "Metrics Token", type: .string(length: 0...128, allowed: ParameterType.bearerTokenCharacters),
            defaultValue: .string(""), role: .installer, menu: .system, section: "Prometheus metrics", secret: true,
            help: "The bearer token Prometheus must send to read /metrics (its own: the local API's token is not accepted). Empty: the metrics stay off. Use at least 16 random characters.",
            seeAlso: "docs/integrator.md, Prometheus metrics"),
    ]
}

extension ParameterKey {
    public static var metricsEnabled: ParameterKey<Bool> { .init(K.metricsEnabled, .bool) }
    public static var metricsToken: ParameterKey<String> { .init(K.metricsToken, .text) }
}

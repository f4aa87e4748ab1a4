import Parameters

/// The gateway's Prometheus metrics settings (issue 30 item 1; the seeds have no metrics), declared like every gateway
/// setting in its registry. Off by default: the gateway's `/metrics` answers 404 until they are switched on and a token
/// is set, 401 to a request without that token as bearer token. The token is a secret: the settings page shows only
/// whether it is set, a project file leaves it out (``GatewayProject``), the log never names it.
///
/// The typed keys are named `gatewayMetrics…` because the station's registry has keys `metricsEnabled` and
/// `metricsToken` of its own (parameters `MetricsEnabled`, `MetricsToken`), which modules importing both would
/// confuse; the parameters' names are the settings properties' names, as for every gateway setting.
extension ParameterKey {
    public static var gatewayMetricsEnabled: ParameterKey<Bool> { .init("metricsEnabled", .bool) }
    public static var gatewayMetricsToken: ParameterKey<String> { .init("metricsToken", .text) }
}

extension GatewayParameters {
    static let metricsDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .gatewayMetricsEnabled, label: "Prometheus metrics", type: .bool, defaultValue: .bool(false), role: role,
            menu: GatewaySettingField.Section.metrics.menu, section: GatewaySettingField.Section.metrics.rawValue,
            help: "Serve Prometheus metrics on /metrics of the web configuration's port. They are served only while a metrics token is set too; Prometheus sends it as a bearer token.",
            seeAlso: "docs/integrator.md, Gateway metrics"),
        ParameterDefinition(
            key: .gatewayMetricsToken, label: "Metrics token", type: .string(length: 0...128, allowed: ParameterType.bearerTokenCharacters),
            defaultValue: .string(""), role: role, menu: GatewaySettingField.Section.metrics.menu,
            section: GatewaySettingField.Section.metrics.rawValue, secret: true,
            help: "The bearer token Prometheus must send to read /metrics. Empty: the metrics stay off. Use at least 16 random characters. Leave the field empty to keep the stored token.",
            seeAlso: "docs/integrator.md, Gateway metrics"),
    ]
}

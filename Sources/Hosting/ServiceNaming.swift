import ServiceLifecycle

extension ServiceGroupConfiguration.ServiceConfiguration {
    /// A service's place in a group, named by its type ("ModbusTCPServer", "StationLoop<SimulatedBoard>").
    ///
    /// ServiceLifecycle's own initializer names a service `"\(service)"`, which for a struct without a description walks
    /// every stored property by reflection, recursively. At a station's start that was the only reflection of the
    /// process: the runtime read its whole reflection metadata (`swift5_fieldmd`, `swift5_typeref`, `swift5_reflstr`,
    /// 1.0 MB of the binary kept resident) and looked up conformances for each value it met (about 59 million
    /// instructions, issue 31's cold start and memory). The type's name says in a log line what the service is, at the
    /// cost of its name alone.
    public static func named(_ service: any Service, successTerminationBehavior: TerminationBehavior = .cancelGroup,
                             failureTerminationBehavior: TerminationBehavior = .cancelGroup) -> Self {
        .init(service: service, successTerminationBehavior: successTerminationBehavior,
              failureTerminationBehavior: failureTerminationBehavior, serviceName: String(describing: type(of: service)))
    }
}

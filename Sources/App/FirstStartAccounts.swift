import Hosting
import ServiceLifecycle
import WebUI

/// Makes the web accounts missing at the first start (each with a random initial password) while the other services
/// start, and hands the passwords on once their hashes are stored.
///
/// Three bcrypt hashes at cost 10 take about 150 ms on a 2-core controller, more than everything else a start does:
/// made before the listeners, they held the status API and the OCPP connection back at every first start (issue 31,
/// cold start ≤ 100 ms). Nothing else needs them: the passwords are announced only after the hashes are stored, so no
/// login can be tried with one before, and a kill before that loses nothing that was shown (the next start makes new
/// ones). A failure to store them stops the services like any other start-up error.
struct FirstStartAccounts: Service {
    let accounts: WebAccounts
    /// Told once, with the accounts made now (empty at every later start).
    let stored: @Sendable (_ created: [(name: String, password: String)]) -> Void

    func run() async throws {
        stored(try await accounts.createMissingAccounts())
        // Then it waits for its turn in the group's graceful shutdown: a service of a ServiceGroup that ends while the
        // group shuts down the ones after it counts as one that failed (ServiceGroupError.serviceFinishedUnexpectedly),
        // and the station would stop with exit status 1.
        try? await gracefulShutdown()
    }

    /// The group's view: its end is no reason to stop the others (cancelled, it ends at once), its failure is.
    var configuration: ServiceGroupConfiguration.ServiceConfiguration {
        .named(self, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}

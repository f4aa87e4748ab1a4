// swift-tools-version:6.1
import PackageDescription

/// ChargeKit — open EV charge point controller. Target graph (pure targets below, adapters above); imports point down
/// only, and no pure target imports an adapter:
///
///     chargekit → {App, Hardware}                                  composition root (wiring only; chooses the board)
///     App → Runtimes                                               the station's and the gateway's actors
///     Runtimes → {Persistence, WebUI, Transport, Hosting, HostServices}  adapters
///     HostServices → {DBus, HostConfig, swift-nio}                 adapter: the host's network, modem and time services
///     {Persistence, WebUI} → {ChargePoint, Gateway};  WebUI → {Transport, MetricsExporter};  Persistence → SQLite
///     SQLite → CSQLite                                             adapter: the system's libsqlite3, without Foundation
///     MetricsExporter → {ChargePoint, Gateway, swift-metrics, swift-prometheus}  Prometheus metrics
///     ChargePoint → {Authorization, LoadManagement, Firmware,      pure: the station; its parameters' declarations
///                    HostConfig, PKI, OCMF,
///                    StationModbus, EVSECore, ModbusTCP, OCPP16,
///                    MQTTIntegration, SEMP, EEBUS, Mail, Parameters}
///     HostConfig → DBus                                            pure: interfaces, DHCP server, router, modem, time
///     DBus → nothing                                               pure: D-Bus values, wire format, the bus port
///     Mail → CivilDate                                             pure: RFC 5322 messages, the SMTP dialogue
///     SEMP → {CivilDate, swift-crypto}                             pure: SSDP, UPnP description, SEMP documents, XML
///     EEBUS → {OCPP16, Parameters, swift-crypto}                   pure: SHIP, SPINE, the charger's EEBUS use cases, DNS-SD
///     V2G → nothing                                                pure: ISO 15118 V2GTP framing, SECC discovery (SDP)
///     SLAC → swift-crypto                                          pure: ISO 15118-3 SLAC messages and the EVSE's matching
///     EXI → nothing                                                pure: the EXI codec of the ISO 15118 / DIN 70121 messages
///     SECC → {EXI, V2G, PKI, swift-crypto, swift-certificates}     pure: the SECC's handshake and ISO 15118-2 AC session
///     OCPP16 → CivilDate;  CivilDate → nothing                     pure: calendar arithmetic without ICU
///     PKI → {swift-certificates, swift-crypto}                     pure: X.509 checks, CSRs, certificate hashes, signatures
///     OCMF → {CivilDate, swift-crypto}                             pure: signed meter readings (Open Charge Metering Format)
///     StationModbus → {CivilDate, EVSECore, ModbusTCP}             pure: meter models, OMCCI registers
///     Authorization → {EVSECore, OCPP16}                           pure: who may charge, whitelist and its CSV
///     LoadManagement → {EVSECore, OCPP16}                          pure: DLM, its link, smart charging
///     Firmware → {PKI, swift-crypto}                               pure: UpdateFirmware/GetDiagnostics, packages
///     Gateway → {ModbusTCP, MQTTIntegration, OCPP16, PKI, Parameters}  pure: the gateway; its settings' declarations
///     MQTTIntegration → OCPP16                                     pure: what the station's and gateway's MQTT share
///     Hardware → {Boards, Transport, CPCSC}                        adapter: serial/TCP links, board drivers, meters, reader, GPIO, LEDs
///     Boards → {EVSECore, StationModbus, OCPP16}                   pure: board description, supervised-board contract, board protocols
///     Transport → {ModbusTCP, MQTT, SEMP, Mail, EEBUS, V2G, SLAC, SECC, EXI};  MQTT → nothing (pure);  Hosting → EVSECore;  Simulator → EVSECore;  EVSECore → Parameters (re-exported)
///     Parameters → nothing                                         pure: the generic parameter registry, typed keys
///
/// A pure target holds domain logic only: no sockets, files or Foundation networking; time and I/O come in as
/// arguments or through ChargePoint's store ports, which the adapters implement. Each world of its own gets its own pure
/// target when its imports allow it (issue 21 item 8): LoadManagement came out of ChargePoint first, then Firmware,
/// Authorization and StationModbus.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ChargeKit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chargekit", targets: ["chargekit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Without Hummingbird's default traits: ConfigurationSupport (swift-configuration, 1.7 MB of the appliance
        // binary, unused: the station reads its own parameters) and FullFoundation (DateFormatter strategies of its
        // URL-encoded form coders, unused; it would bind Hummingbird to the whole of Foundation) — issue 31 item 1.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // System zlib (Debian zlib1g-dev), for the gzip of diagnostics archives.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // pcsc-lite's PC/SC API (Debian libpcsclite-dev; libpcsclite1 at run time), for the RFID card reader. Its headers include
        // one another from /usr/include/PCSC, which pkg-config (libpcsclite.pc) adds to the search path.
        .systemLibrary(name: "CPCSC", path: "Sources/CPCSC", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),
        // The system's SQLite (Debian libsqlite3-dev; libsqlite3-0 at run time, a shared library as before: Debian's
        // security updates reach it), for the SQLite target.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Adapter: a thin Swift layer over SQLite (connections, statements and their cache, rows, WAL pool, migrations
        // in GRDB's `grdb_migrations` table), without Foundation (issue 31 item 1: GRDB bound the binary to Foundation
        // and ICU).
        .target(name: "SQLite", dependencies: ["CSQLite"], swiftSettings: swiftSettings),
        // Pure parameters, the lowest target (depends on nothing): the generic registry (definitions, types and values,
        // validation, roles, menus), the current values (ParameterSet) and the typed keys the settings read them by; and
        // the two small value helpers everything shares (PhaseValues, whitespace trimming). The station's registry is
        // declared in ChargePoint, the gateway's in Gateway. EVSECore re-exports it.
        .target(name: "Parameters", dependencies: ["StringSupport"], swiftSettings: swiftSettings),
        // Pure: the few string operations Foundation gave and FoundationEssentials does not — trimming white space and
        // line breaks, percent-encoding (RFC 3986) — so the adapters need no Foundation (and no ICU) for them.
        .target(name: "StringSupport", swiftSettings: swiftSettings),
        // Pure domain: hardware port, connector and session state machines, error catalogue; and the small helpers the
        // targets above share (secure random hex, spreadsheet-safe CSV cells).
        .target(name: "EVSECore", dependencies: ["Parameters"], swiftSettings: swiftSettings),
        // Pure OCPP 1.6J: RPC framing, error codes, date coding, schemas and typed messages.
        // Pure calendar arithmetic without ICU (days ↔ dates, month lengths, the Internet date of HTTP, SSDP and mail
        // headers), shared by the pure targets that write dates.
        .target(name: "CivilDate", swiftSettings: swiftSettings),
        // Pure Mustache templates (mustache(5), the Mustache specification v1.x): the web interface's pages, parsed once
        // and rendered without Foundation (issue 31: swift-mustache kept Foundation and ICU in the binary).
        .target(name: "MustacheTemplates", swiftSettings: swiftSettings),
        .target(name: "OCPP16", dependencies: ["CivilDate"], swiftSettings: swiftSettings),
        // Pure Modbus codec: MBAP/RTU framing, PDUs, exceptions, declarative register maps.
        .target(name: "ModbusTCP", dependencies: [.product(name: "NIOCore", package: "swift-nio")], swiftSettings: swiftSettings),
        // Pure MQTT 3.1.1 client: the packet codec (strict bounds: a malformed packet from a broker throws, never crashes)
        // and the client session as a state machine (CONNECT with will, QoS 0/1, SUBSCRIBE, keep-alive), no sockets.
        .target(name: "MQTT", swiftSettings: swiftSettings),
        // Pure: what the station's and the gateway's MQTT worlds share — the client's settings, retained state published
        // on change (meters at most every N s), payload conventions and the command result, Home Assistant discovery's
        // building blocks. JSON through OCPP16's writer.
        .target(name: "MQTTIntegration", dependencies: ["OCPP16"], swiftSettings: swiftSettings),
        // Pure load management: the DLM allocation, the authenticated DLM link between stations (message codec with
        // HMAC-SHA256 from swift-crypto, master and slave roles), the DLM settings, OCPP smart charging profiles and the
        // Maximum Current Scheduler's time windows. Values in, values out: no registry, no clock, no sockets.
        .target(name: "LoadManagement", dependencies: ["EVSECore", "OCPP16", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        // Pure firmware management: the FirmwareManagement profile as a state machine (UpdateFirmware with retries,
        // install once no transaction runs, Installed after the reboot; GetDiagnostics uploads) and the ChargeKit
        // firmware package (header with version and SHA-256 from swift-crypto). Actions out; the runtime does the I/O.
        .target(name: "Firmware", dependencies: ["PKI", "StringSupport", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        // Pure SEMP (SMA's Simple Energy Management Protocol, issue 25 item 1): SSDP messages, the UPnP description, the
        // SEMP documents and a small strict XML parser and writer (no FoundationXML: it would link libxml2), and the
        // station as a SEMP gateway (one device per connector, the manager's control as a current).
        .target(name: "SEMP", dependencies: ["CivilDate", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        // Pure EEBUS (issue 26): the EEBUS JSON form; SHIP, the transport's messages and connection machine; SPINE, its
        // datagrams, device model and engine (NodeManagement, subscriptions, bindings); the use cases a charger serves
        // (LPC, EVSECC, EVCC, EVCEM, OPEV, OSCEV); DNS-SD over multicast DNS for `_ship._tcp`. JSON through OCPP16's
        // parser and writer. TLS, WebSocket and the sockets are Transport's.
        .target(name: "EEBUS", dependencies: ["OCPP16", "Parameters", "StringSupport", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        // Pure ISO 15118 (issue 27). V2G: the V2GTP framing and the SECC discovery protocol (ISO 15118-2 §7.8.3, §7.10).
        // SLAC: the HomePlug Green PHY messages and the EVSE's side of the matching (ISO 15118-3). EXI: the schema-informed
        // EXI codec of the AppProtocol handshake, ISO 15118-2 and DIN SPEC 70121 messages (ISO 15118-20 next), generated from the
        // official schemas by scripts/exi-codegen. Sockets are Transport's.
        .target(name: "V2G", swiftSettings: swiftSettings),
        .target(name: "SLAC", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        .target(name: "EXI", swiftSettings: swiftSettings),
        // Pure: the SECC — the protocol handshake and the ISO 15118-2 AC session machine over the EXI messages, fed the
        // station's view of a connector (HLCConnectorView).
        .target(name: "SECC", dependencies: ["EXI", "V2G", "PKI", .product(name: "Crypto", package: "swift-crypto"),
                                            .product(name: "X509", package: "swift-certificates"),
                                            .product(name: "SwiftASN1", package: "swift-asn1")], swiftSettings: swiftSettings),
        // Pure public-key infrastructure of the OCPP 1.6 security extension (issue 28): X.509 certificate checks (chain to
        // installed roots, validity, key match, size bounds), certificate signing requests, the certificate hash data of
        // the whitepaper (OCSP-style issuer name and key hashes), and signature checks (signed firmware). Values in,
        // verdicts out: no files, no clock of its own.
        .target(name: "PKI", dependencies: [.product(name: "X509", package: "swift-certificates"),
                                            .product(name: "SwiftASN1", package: "swift-asn1"),
                                            .product(name: "Crypto", package: "swift-crypto"),
                                            .product(name: "_CryptoExtras", package: "swift-crypto")],
                swiftSettings: swiftSettings),
        // Pure signed meter values (issue 28 item 6): the Open Charge Metering Format (OCMF) of S.A.F.E. e.V. — readings
        // as OCMF documents, their P-256 signatures, the public key in the forms that OCPP and the transparency software
        // read.
        .target(name: "OCMF", dependencies: ["CivilDate", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        // Pure e-mail (issue 24 item 5): plain-text messages per RFC 5322 (RFC 2047 subjects, quoted-printable bodies),
        // addresses, SMTP replies with strict bounds, dot-stuffing and the SMTP dialogue (STARTTLS, AUTH) as a state
        // machine; the socket and TLS are Transport's (SMTPClient).
        .target(name: "Mail", dependencies: ["CivilDate"], swiftSettings: swiftSettings),
        // Pure D-Bus (issue 24): the type system's values, the wire format (marshalling, message headers, the SASL
        // EXTERNAL handshake) and the bus port that the operating system adapters (NetworkManager, ModemManager,
        // timedated) call through; the socket is HostServices' (DBusConnection).
        .target(name: "DBus", swiftSettings: swiftSettings),
        // Pure host configuration (issue 24): what the station configures in its operating system — interfaces (IPv4 and
        // IPv6, DHCP or static) with their validation, the service port's DHCP server and router, the mobile modem, the
        // time service — as values, checks and the files or D-Bus arguments they become. No files, no processes.
        .target(name: "HostConfig", dependencies: ["DBus"], swiftSettings: swiftSettings),
        // Adapter: the host's services behind HostConfig's ports — NetworkManager or systemd-networkd, dnsmasq and
        // nftables, ModemManager, timedated and the NTP service — over D-Bus (DBusConnection) and their own programs.
        .target(name: "HostServices", dependencies: ["DBus", "HostConfig", "StringSupport", .product(name: "Logging", package: "swift-log"),
                                                     .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
                swiftSettings: swiftSettings),
        // Pure authorization: the engine that decides accept / reject / ask the backend (free charging, local whitelist,
        // OCPP local list and cache, offline rules), its settings and modes, the local whitelist with its CSV import and
        // export, identifier formats, and CivilTime (the whitelist's expiry format, also the history export's). The
        // module name is shadowed by EVSECore's `Authorization` (a granted authorization): never qualify with it.
        .target(name: "Authorization", dependencies: ["EVSECore", "OCPP16"], swiftSettings: swiftSettings),
        // Pure: the station's Modbus world. The register layouts of the Modbus TCP meters it reads (charge and grid
        // meters, the generic meter), and the OMCCI register set it serves to energy managers (seeds/000
        // MODBUS-REGISTERSATZ) with the DLM registers 600–635: values in, register values and validated writes out.
        .target(name: "StationModbus", dependencies: ["CivilDate", "EVSECore", "ModbusTCP"], swiftSettings: swiftSettings),
        // Pure hardware descriptions and board protocols (issue 22): the board description read from `--board FILE` (JSON,
        // every field checked with its path), the supervised-board contract (what such a board reports and what ChargeKit
        // asks of it), the charge meters' register layouts, and each board's protocol as pure codecs and register maps.
        .target(name: "Boards", dependencies: ["EVSECore", "ModbusTCP", "OCPP16", "StationModbus"], swiftSettings: swiftSettings),
        // Pure station behaviour: the station's parameters declared with their typed keys in Parameters' registry (with
        // the DLM parameters, read into LoadManagement's settings, and the authorization parameters, read into
        // Authorization's settings), current limits, the meters' and OMCCI's settings and Modbus control (StationModbus
        // has their registers), the OCPP charge point (OCPP/, which drives Firmware's machine), the station controller,
        // store ports.
        .target(name: "ChargePoint", dependencies: ["Authorization", "EEBUS", "EVSECore", "Firmware", "HostConfig", "LoadManagement", "ModbusTCP", "MQTTIntegration", "OCPP16",
                                                    "SECC", "SEMP", "Mail", "OCMF", "Parameters", "PKI", "StationModbus"],
                swiftSettings: swiftSettings),
        // Pure gateway behaviour (seeds/003): the BMS register map, its flag handshakes and the central-system handlers;
        // its settings, declared as the parameters of the gateway's registry.
        .target(name: "Gateway", dependencies: ["HostConfig", "ModbusTCP", "MQTTIntegration", "OCPP16", "Parameters", "PKI"], swiftSettings: swiftSettings),
        // Adapter: what the process needs from its host, whatever the role: the scaled system clock (wall clock and
        // monotonic time), the log handler that escapes control characters, and service lifecycle helpers (services
        // restarted in process, child tasks started while the services run).
        .target(
            name: "Hosting",
            dependencies: [
                "EVSECore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Adapter: simulated board and EVs implementing the hardware port.
        .target(name: "Simulator", dependencies: ["EVSECore", "OCMF"], swiftSettings: swiftSettings),
        // Adapter: SQLite (WAL) stores, and the data directory (single-instance lock, runtime files).
        .target(
            name: "Persistence",
            dependencies: ["HostServices", "StringSupport", "Authorization", "ChargePoint", "EVSECore", "Firmware", "Gateway", "LoadManagement", "SQLite"],
            swiftSettings: swiftSettings
        ),
        // Adapter: network transports (Modbus TCP server, client and poller, Modbus RTU slave, OCPP-J WebSocket client,
        // its links keyed per charger, and server, the DLM link's UDP socket, FTP and HTTP file transfers and archives,
        // connection caps and timeouts; EEBUS: SHIP over TLS and WebSocket, its identity and node; SLAC: the packet socket
        // on a powerline modem's interface and the EVSE's matching with real timers).
        .target(
            name: "Transport",
            dependencies: [
                "ModbusTCP", "CZlib", "Firmware", "MQTT", "StringSupport", "SEMP", "Mail", "PKI", "HostServices", "EEBUS", "OCPP16", "V2G", "SLAC", "SECC", "EXI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // Adapter: HTTP server (the local JSON API and the operator web interface: Mustache pages, bcrypt logins; its
        // HTTP/1.1 channel behind Transport's connection guard).
        .target(
            name: "WebUI",
            dependencies: [
                "Authorization", "ChargePoint", "EVSECore", "Gateway", "LoadManagement", "MetricsExporter", "SEMP", "EEBUS", "Transport", "HostConfig", "StringSupport",
                "CivilDate", "OCPP16",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "MustacheTemplates",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The pages' templates, style, script and texts (Resources/) are compiled into the binary by the plugin.
            exclude: ["Resources"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedWebResources"]
        ),
        // Adapter: Prometheus metrics (issue 30). Maps the station's status snapshot (the gateway's diagnostics) to gauges at scrape time and counts
        // events through swift-metrics' handlers, exported by swift-prometheus as text exposition format. No pure target
        // imports it; WebUI serves its text on /metrics.
        .target(
            name: "MetricsExporter",
            dependencies: [
                "ChargePoint", "EVSECore", "Gateway", "LoadManagement", "ModbusTCP", "StationModbus",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Build tool of WebUI: embeds the web interface's resource files as string literals (a self-contained binary).
        .executableTarget(name: "EmbedWebResourcesTool", path: "Plugins/EmbedWebResourcesTool", swiftSettings: swiftSettings),
        .plugin(name: "EmbedWebResources", capability: .buildTool(), dependencies: ["EmbedWebResourcesTool"]),
        // Composition root: options → services → wiring, and the runtimes that execute the pure machines' actions. Code
        // that is not wiring belongs in the target of its world (issue 21).
        // Adapter: the runtimes, which run the pure cores against the adapters — the station's actor (it reads the board,
        // hands the readings to the controller, carries out its effects and the OCPP charge point's actions, and serves
        // the local API's inbound ports) and the gateway's (it executes the central system's actions). No decision of
        // the station or the gateway is taken here.
        .target(
            name: "Runtimes",
            dependencies: [
                "Authorization", "ChargePoint", "EVSECore", "Firmware", "Gateway", "Hosting", "LoadManagement", "MetricsExporter", "Persistence", "WebUI",
                "Transport", "ModbusTCP", "MQTT", "MQTTIntegration", "OCPP16", "SEMP", "EEBUS", "Mail", "StationModbus", "DBus", "HostConfig", "HostServices",
                "PKI", "OCMF", "SECC", "SLAC", "V2G", "StringSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "App",
            dependencies: [
                "Authorization", "ChargePoint", "EVSECore", "Firmware", "Gateway", "Hosting", "LoadManagement", "MetricsExporter", "Persistence", "Runtimes", "WebUI",
                "Transport", "ModbusTCP", "MQTTIntegration", "OCPP16", "SEMP", "EEBUS", "StationModbus", "HostServices", "HostConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Real hardware (issue 22): serial and TCP links on worker threads of their own, the board drivers, charge
        // meters, the PC/SC card reader, GPIO inputs and LEDs, behind the station's hardware port.
        .target(
            name: "Hardware",
            dependencies: ["Boards", "CPCSC", "EVSECore", "ModbusTCP", "StationModbus", "StringSupport", "Transport",
                           .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "chargekit",
            dependencies: [
                "App", "Authorization", "Boards", "ChargePoint", "EEBUS", "EVSECore", "EXI", "Firmware", "Gateway", "Hardware", "Hosting", "LoadManagement", "ModbusTCP",
                "Persistence", "Runtimes", "SLAC",
                "Simulator", "StationModbus", "StringSupport", "Transport", "V2G", "WebUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmark tool of scripts/bench-modbus.sh (server and load generator).
        .executableTarget(
            name: "modbus-bench",
            dependencies: [
                "ModbusTCP", "Transport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmark tool of scripts/bench-dlm.sh.
        .executableTarget(name: "dlm-bench", dependencies: ["EVSECore", "LoadManagement"], swiftSettings: swiftSettings),
        // Benchmark tool of scripts/bench-ocpp.sh.
        .executableTarget(name: "ocpp-bench", dependencies: ["OCPP16"], swiftSettings: swiftSettings),
        // Benchmark tool of scripts/bench-persistence.sh: the station database's statements of the acknowledgement path on
        // the SQLite layer (the same source builds against GRDB for a before/after comparison).
        .executableTarget(name: "persistence-bench", dependencies: ["SQLite"], swiftSettings: swiftSettings),
        // Benchmark tool of scripts/bench-secc.sh: the SECC's response time per message type (issue 27).
        .executableTarget(name: "secc-bench", dependencies: ["SECC", "EXI", "V2G"], swiftSettings: swiftSettings),
        .target(name: "TestSupport", dependencies: ["Authorization", "ChargePoint", "EVSECore", "LoadManagement", "Simulator"], swiftSettings: swiftSettings),
        // Benchmark tool of scripts/bench-pv.sh: a recorded PV day through the station's controller (TestSupport's PVDay).
        .executableTarget(name: "pv-bench", dependencies: ["LoadManagement", "TestSupport"], swiftSettings: swiftSettings),
        // The pure tests of Parameters: typed keys and their codecs, the generic registry's rules.
        .testTarget(name: "ParametersTests", dependencies: ["Parameters"], swiftSettings: swiftSettings),
        .testTarget(name: "StringSupportTests", dependencies: ["StringSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CivilDateTests", dependencies: ["CivilDate"], swiftSettings: swiftSettings),
        .testTarget(name: "ModbusTCPTests", dependencies: ["ModbusTCP", .product(name: "NIOCore", package: "swift-nio"),
                                                            .product(name: "NIOTestUtils", package: "swift-nio")], swiftSettings: swiftSettings),
        .testTarget(name: "OCPP16Tests", dependencies: ["OCPP16", "TestSupport"], swiftSettings: swiftSettings),
        // The pure tests of MQTT: codec round trips, malformed and truncated packets, the session machine.
        .testTarget(name: "MQTTTests", dependencies: ["MQTT"], swiftSettings: swiftSettings),
        .testTarget(name: "TransportTests", dependencies: ["PKI", "OCMF", "Firmware", "Transport", "V2G", "SECC", "EXI", "Mail", "ModbusTCP", "EEBUS", "OCPP16", "HostServices",
                                                           .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                                                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
                                                           .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                                                           .product(name: "Logging", package: "swift-log"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                                                           .product(name: "NIOWebSocket", package: "swift-nio")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "ModbusTCP", "MQTTIntegration", "OCPP16", "Parameters", "PKI", "TestSupport"], swiftSettings: swiftSettings),
        // Hosting's clock, log handler, restarter and child tasks, on real time (short waits for a condition).
        .testTarget(name: "HostingTests", dependencies: ["Hosting", "EVSECore", .product(name: "Logging", package: "swift-log"),
                                                         .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "BoardsTests", dependencies: ["Boards", "EVSECore", "ModbusTCP", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "HardwareTests", dependencies: ["Hardware", "Boards", "EVSECore", "ModbusTCP", "Transport"], swiftSettings: swiftSettings),
        .testTarget(name: "EVSECoreTests", dependencies: ["EVSECore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SimulatorTests", dependencies: ["PKI", "OCMF", "Simulator", "EVSECore", "TestSupport"], swiftSettings: swiftSettings),
        // The pure tests of LoadManagement: the allocation (with the seeds' worked examples in DLMScenarios/), the link
        // codec and replay guard, smart charging and time windows. Station-level DLM tests stay in ChargePointTests.
        .testTarget(name: "LoadManagementTests", dependencies: ["LoadManagement", "EVSECore", "OCPP16", "TestSupport"],
                    resources: [.copy("DLMScenarios"), .copy("SurplusScenarios")], swiftSettings: swiftSettings),
        // The pure tests of Firmware: SHA-256 vectors, the package format, the UpdateFirmware/GetDiagnostics sequences.
        .testTarget(name: "FirmwareTests", dependencies: ["Firmware", "PKI", .product(name: "X509", package: "swift-certificates"),
                                                           .product(name: "SwiftASN1", package: "swift-asn1"),
                                                           .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        .testTarget(name: "SEMPTests", dependencies: ["SEMP"], swiftSettings: swiftSettings),
        // The pure tests of SLAC: golden frames of every message, the EVSE's matching on a manual clock, decoder fuzzing.
        .testTarget(name: "SLACTests", dependencies: ["SLAC"], swiftSettings: swiftSettings),
        // The EXI codec: runtime primitives against bit patterns worked out from the EXI spec, golden V2G vectors,
        // round trips and decoder fuzzing (the oracle comparison with EXIficient is in Tests/Interop/iso15118).
        .testTarget(name: "EXITests", dependencies: ["EXI"], swiftSettings: swiftSettings),
        // The pure tests of EEBUS: golden texts of the EEBUS JSON form, SHIP's machine, SPINE's engine, the use cases.
        .testTarget(name: "EEBUSTests", dependencies: ["EEBUS", "OCPP16", "Parameters"], swiftSettings: swiftSettings),
        .testTarget(name: "OCMFTests", dependencies: ["OCMF", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        .testTarget(name: "PKITests", dependencies: ["PKI", .product(name: "X509", package: "swift-certificates"),
                                                     .product(name: "SwiftASN1", package: "swift-asn1"),
                                                     .product(name: "Crypto", package: "swift-crypto"),
                                                     .product(name: "_CryptoExtras", package: "swift-crypto")], swiftSettings: swiftSettings),
        // The pure tests of Mail: message format (RFC 5322, 2047, quoted-printable), dot-stuffing, replies, the dialogue.
        .testTarget(name: "MailTests", dependencies: ["Mail"], swiftSettings: swiftSettings),
        // The pure tests of DBus (marshalling golden bytes, headers, SASL) and HostConfig (addresses, validation, the
        // files and arguments the host's services get).
        .testTarget(name: "DBusTests", dependencies: ["DBus"], swiftSettings: swiftSettings),
        .testTarget(name: "HostConfigTests", dependencies: ["HostConfig"], swiftSettings: swiftSettings),
        // HostServices against real programs and a private dbus-daemon where they run (skipped with a reason otherwise).
        .testTarget(name: "HostServicesTests", dependencies: ["HostServices", "DBus", "HostConfig"], swiftSettings: swiftSettings),
        // The pure tests of Authorization: the engine's decisions in every mode, identifiers, the whitelist and its CSV.
        // Station-level authorization tests (a card on a connector, stop rules) stay in ChargePointTests.
        .testTarget(name: "AuthorizationTests", dependencies: ["Authorization", "EVSECore"], swiftSettings: swiftSettings),
        // The pure tests of StationModbus: every meter model's layout round trip, the OMCCI map and its write validation.
        .testTarget(name: "StationModbusTests", dependencies: ["StationModbus", "EVSECore", "ModbusTCP"], swiftSettings: swiftSettings),
        .testTarget(name: "ChargePointTests", dependencies: ["PKI", "OCMF", "Authorization", "ChargePoint", "EVSECore", "LoadManagement", "Mail", "ModbusTCP", "MQTTIntegration", "OCPP16",
                                                             "SECC", "Simulator", "StationModbus", "TestSupport"],
                    swiftSettings: swiftSettings),
        // The station's OCPP charge point in process: the OCTT cases of Tests/Interop/ocpp16 as frames in and frames out
        // against the pure machine on a manual clock, SQLite in memory.
        .testTarget(name: "OCPPChargePointTests", dependencies: ["PKI", "OCMF", "Authorization", "ChargePoint", "EVSECore", "Firmware", "OCPP16", "Persistence", "Simulator", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MustacheTemplatesTests", dependencies: ["MustacheTemplates"], swiftSettings: swiftSettings),
        .testTarget(name: "WebUITests", dependencies: ["WebUI", "ChargePoint", "Gateway", "OCPP16", "MustacheTemplates", "StringSupport"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        // Router tests: every route of the web interface and the API against a real station runtime (SQLite in a temporary
        // directory, simulated board), through Hummingbird's in-process test client.
        .testTarget(name: "AppTests", dependencies: ["PKI", "OCMF", "App", "Runtimes", "WebUI", "Authorization", "ChargePoint", "EVSECore", "Firmware", "Gateway", "Persistence", "Simulator", "StationModbus",
                                                     .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                     .product(name: "Hummingbird", package: "hummingbird"),
                                                     .product(name: "NIOFoundationCompat", package: "swift-nio"),
                                                     .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        // The mapping of the station's snapshot to Prometheus metric families, the event counters, the endpoint's access rule.
        .testTarget(name: "MetricsExporterTests", dependencies: ["MetricsExporter", "ChargePoint", "EVSECore", "Gateway", "LoadManagement", "ModbusTCP", "OCPP16",
                                                                 "StationModbus"],
                    swiftSettings: swiftSettings),
        // The pure tests of V2G: V2GTP header and SDP golden bytes, the frame decoder over split reads, fuzzing, the timers.
        .testTarget(name: "V2GTests", dependencies: ["V2G"], swiftSettings: swiftSettings),
        .testTarget(name: "SECCTests", dependencies: ["SECC", "EXI", "V2G", "PKI", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                                                     .product(name: "X509", package: "swift-certificates")],
                    resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "PersistenceTests", dependencies: ["PKI", "OCMF", "Persistence", "Authorization", "ChargePoint", "EVSECore", "Gateway", "LoadManagement", "SQLite"],
                    exclude: ["Fixtures"], swiftSettings: swiftSettings),
        // The SQLite layer alone: binding and reading every type, NULL, blobs, errors, transactions, the WAL pool, migrations.
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], swiftSettings: swiftSettings),
    ]
)

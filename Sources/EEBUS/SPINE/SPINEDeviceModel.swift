#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

// The contract between the SPINE engine (SPINENode: datagrams, NodeManagement, subscriptions, bindings) and the
// application it serves (the station's use cases): the device model as descriptions, data as plain JSON values
// (``JSONValue`` in the plain form; ``EEBUSJSON`` converts at the wire), and the few calls the engine makes into the
// application. Names follow EEBUS SPINE Technical Specification 1.3.0 ("SPINE TS"), resource specification 1.3.0.

/// A SPINE function: the name of one function data element, e.g. `loadControlLimitListData` (SPINE TS resource
/// specification: every feature type lists its functions).
public struct SPINEFunction: RawRepresentable, Hashable, Sendable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
    public static func < (a: SPINEFunction, b: SPINEFunction) -> Bool { a.rawValue < b.rawValue }
}

/// The classifier of a SPINE command (SPINE TS §5.2.3.2 `cmdClassifier`).
public enum SPINECommandClassifier: String, Sendable, CaseIterable {
    case read, reply, notify, write, call, result
}

/// A feature's role (SPINE TS §7.2 `roleType`): a server holds data, a client uses a remote server's data, NodeManagement
/// is special.
public enum SPINERole: String, Sendable, CaseIterable {
    case client, server, special
}

/// A feature's address (SPINE TS §5.2.2 `featureAddressType`): the device address (nil for "this device" inside a
/// local description), the entity path (`[]` is not allowed; `[0]` is DeviceInformation) and the feature index.
public struct SPINEFeatureAddress: Hashable, Sendable, CustomStringConvertible {
    public var device: String?
    public var entity: [Int]
    public var feature: Int
    public init(device: String? = nil, entity: [Int], feature: Int) {
        self.device = device
        self.entity = entity
        self.feature = feature
    }
    public var description: String { "\(device ?? "local")/\(entity.map(String.init).joined(separator: ","))/\(feature)" }
}

/// What a feature offers for one function (SPINE TS §7.3.2 `functionPropertyType`: the possible operations read and
/// write, write possibly partial).
public struct SPINEFunctionSupport: Hashable, Sendable {
    public var function: SPINEFunction
    public var read: Bool
    public var write: Bool
    public var partialWrite: Bool
    public init(_ function: SPINEFunction, read: Bool = true, write: Bool = false, partialWrite: Bool = false) {
        self.function = function
        self.read = read
        self.write = write
        self.partialWrite = partialWrite
    }
}

/// One feature of a local entity (SPINE TS §7.3.2 `networkManagementFeatureDescriptionDataType`). For a server the
/// functions are the ones it serves. For a client they are the ones it wants: after a remote device's detailed
/// discovery, the engine subscribes every local client feature to each remote server feature of the same type and
/// reads these functions from it once; replies and notifies go to ``SPINEApplication/received(_:)``.
public struct SPINEFeatureDescription: Hashable, Sendable {
    public var index: Int
    /// `featureTypeType`, e.g. `LoadControl`, `DeviceDiagnosis`.
    public var type: String
    public var role: SPINERole
    public var functions: [SPINEFunctionSupport]
    public var description: String?
    public init(index: Int, type: String, role: SPINERole, functions: [SPINEFunctionSupport], description: String? = nil) {
        self.index = index
        self.type = type
        self.role = role
        self.functions = functions
        self.description = description
    }
}

/// One local entity (SPINE TS §7.3.2 `networkManagementEntityDescriptionDataType`), e.g. `EVSE` at `[1]` and its `EV`
/// at `[1, 1]` while a vehicle is plugged in. Entity `[0]` (DeviceInformation with NodeManagement) is the engine's.
public struct SPINEEntityDescription: Hashable, Sendable {
    public var address: [Int]
    /// `entityTypeType`, e.g. `EVSE`, `EV`.
    public var type: String
    public var features: [SPINEFeatureDescription]
    public var description: String?
    public init(address: [Int], type: String, features: [SPINEFeatureDescription], description: String? = nil) {
        self.address = address
        self.type = type
        self.features = features
        self.description = description
    }
}

/// One use case this device supports (SPINE TS §7.5 `useCaseInformationDataType`, one `useCaseSupport` element).
public struct SPINEUseCaseDescription: Hashable, Sendable {
    /// `useCaseActorType` of this device in the use case, e.g. `EVSE`, `EV`, `ControllableSystem`.
    public var actor: String
    /// `useCaseNameType`, e.g. `limitationOfPowerConsumption`, `evCommissioningAndConfiguration`.
    public var name: String
    /// `specificationVersionType`, e.g. `1.0.0`.
    public var version: String
    public var scenarios: [Int]
    /// The entity that plays the actor (`useCaseInformation.address.entity`).
    public var entity: [Int]
    /// False while the use case cannot be used (e.g. the EV use cases with no vehicle): `useCaseAvailable`.
    public var available: Bool
    public init(actor: String, name: String, version: String, scenarios: [Int], entity: [Int], available: Bool = true) {
        self.actor = actor
        self.name = name
        self.version = version
        self.scenarios = scenarios
        self.entity = entity
        self.available = available
    }
}

/// A remote feature, with the SHIP connection (the remote's SKI) it is reached through.
public struct SPINERemoteFeature: Hashable, Sendable, CustomStringConvertible {
    public var ski: String
    public var address: SPINEFeatureAddress
    public init(ski: String, address: SPINEFeatureAddress) {
        self.ski = ski
        self.address = address
    }
    public var description: String { "\(address) (SKI \(ski))" }
}

/// A write the engine passes on: the remote client is bound to the local server feature (SPINE TS §7.4.2: a write
/// from an unbound client is refused by the engine before the application sees it).
public struct SPINEWriteRequest: Sendable {
    public var function: SPINEFunction
    /// The function data in the plain form, as sent.
    public var data: JSONValue
    /// The command's `filter` elements (plain form): `cmdControl` `partial` (merge the listed items) or `delete`
    /// (remove the selected items) with their selectors, SPINE TS §5.3.4 (restricted function exchange). Empty for a
    /// full write, which replaces the whole function data.
    public var filters: [JSONValue]
    public var feature: SPINEFeatureAddress
    public var from: SPINERemoteFeature
    public init(function: SPINEFunction, data: JSONValue, filters: [JSONValue], feature: SPINEFeatureAddress, from: SPINERemoteFeature) {
        self.function = function
        self.data = data
        self.filters = filters
        self.feature = feature
        self.from = from
    }
}

/// The application's answer to a write: the engine sends it as `resultData` when the writer asked for an
/// acknowledgement (SPINE TS §5.2.5; error numbers of `errorNumberType`: 0 no error, 1 general error, 2 timeout,
/// 3 overload, 4 destination unknown, 5 destination unreachable, 6 command not supported, 7 command rejected,
/// 8 restricted function exchange combination not supported, 9 binding required).
public enum SPINEWriteOutcome: Hashable, Sendable {
    case accepted
    case refused(errorNumber: Int, description: String)
}

/// A reply or notify that arrived for a local client feature (data the application asked for or subscribed to).
public struct SPINEReceivedData: Sendable {
    public var classifier: SPINECommandClassifier
    public var function: SPINEFunction
    public var data: JSONValue
    public var filters: [JSONValue]
    public var localFeature: SPINEFeatureAddress
    public var from: SPINERemoteFeature
    public init(classifier: SPINECommandClassifier, function: SPINEFunction, data: JSONValue, filters: [JSONValue],
                localFeature: SPINEFeatureAddress, from: SPINERemoteFeature) {
        self.classifier = classifier
        self.function = function
        self.data = data
        self.filters = filters
        self.localFeature = localFeature
        self.from = from
    }
}

/// The application a SPINE engine serves: the local device's model and data, and what remote devices write and send.
///
/// The engine owns entity `[0]` (DeviceInformation with NodeManagement and DeviceClassification), the message
/// counters, subscriptions and bindings. It reads the application's data whenever it answers a read or refreshes
/// its subscribers: after the application changed (new station values, a write, a tick), the engine compares each
/// subscribed function's data with what it last sent and notifies the changes, and sends a detailed discovery notify
/// when ``entities`` changed (a vehicle plugged in or left).
public protocol SPINEApplication: Sendable {
    /// The device address (`deviceAddressType`), e.g. `d:_n:ChargeKit_CK-0001`.
    var deviceAddress: String { get }
    /// `deviceTypeType`, e.g. `ChargingStation`.
    var deviceType: String { get }
    /// The local entities. Entity `[0]` (DeviceInformation with NodeManagement at feature 0) is the engine's; an
    /// entity `[0]` listed here only adds its features to it (DeviceClassification; feature index 0 stays
    /// NodeManagement's).
    var entities: [SPINEEntityDescription] { get }
    var useCases: [SPINEUseCaseDescription] { get }
    /// The current data of a local server feature's function (plain form), nil when it has none.
    func data(_ function: SPINEFunction, of feature: SPINEFeatureAddress) -> JSONValue?
    /// A write from a bound client.
    mutating func write(_ request: SPINEWriteRequest, now: Date) -> SPINEWriteOutcome
    /// A reply or notify for one of the local client features.
    mutating func received(_ received: SPINEReceivedData, now: Date)
    /// A remote device's connection came up (after its detailed discovery, with its `deviceType`) or went away
    /// (`deviceType` nil).
    mutating func remoteChanged(ski: String, deviceType: String?, now: Date)
}

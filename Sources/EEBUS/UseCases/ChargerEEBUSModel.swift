/// The charger's SPINE device model: which entities and features it has and which use cases it plays
/// (EEBUS SPINE TS 1.3.0 §7.3 detailed discovery, §7.5 use case discovery). Feature indices are fixed, so that an
/// address stays the same across a vehicle's arrivals.
///
/// - Entity [0] (DeviceInformation; NodeManagement at feature 0 is the engine's): a DeviceClassification server
///   (``Feature/deviceInformationClassification``), listed in ``ChargerEEBUSApplication/entities``.
/// - Entity [n], type `EVSE`, per connector n: DeviceClassification and DeviceDiagnosis servers (EEBUS UC TS EVSE
///   Commissioning and Configuration V1.0.1). Entity [1] also carries LPC for the whole station (see below).
/// - Entity [n, 1], type `EV`, only while a vehicle is plugged in: EVCC, EVCEM, OPEV and OSCEV features.
///
/// LPC's entity: one LPC for the station, on the first EVSE entity [1]. The grid operator limits what the grid
/// connection point behind the station draws, not what one connector draws (§14a EnWG, EEBUS UC TS
/// LimitationOfPowerConsumption V1.0.0 scenario 1: the Controllable System's consumption), and energy guards look
/// for the Controllable System on an entity of type EVSE (eebus-go's energy guard accepts EVSE, CEM, Inverter,
/// HeatPumpAppliance, Compressor, SmartEnergyAppliance, SubMeterElectricity). The station splits the limit among
/// its connectors.
public enum ChargerEEBUSModel {
    /// Feature indices.
    public enum Feature {
        /// At entity [0].
        public static let deviceInformationClassification = 1
        // EVSE entity [n]
        public static let evseClassification = 1
        public static let evseDiagnosis = 2
        // LPC, at entity [1] only
        public static let lpcLoadControl = 3
        public static let lpcDeviceConfiguration = 4
        public static let lpcElectricalConnection = 5
        public static let lpcHeartbeatClient = 6
        // EV entity [n, 1]
        public static let evDeviceConfiguration = 1
        public static let evIdentification = 2
        public static let evClassification = 3
        public static let evElectricalConnection = 4
        public static let evMeasurement = 5
        public static let evLoadControl = 6
        public static let evDiagnosis = 7
    }

    /// The entity of the station-wide LPC.
    public static let lpcEntity = [1]

    /// The features the application lists at entity [0]: the station's manufacturer data (SPINE TS 1.3.0 §7.3: a device
    /// describes itself at DeviceInformation).
    public static let deviceInformationFeatures: [SPINEFeatureDescription] = [
        SPINEFeatureDescription(index: Feature.deviceInformationClassification, type: "DeviceClassification", role: .server,
                                functions: [SPINEFunctionSupport("deviceClassificationManufacturerData")]),
    ]

    static func evseEntity(connector: Int) -> SPINEEntityDescription {
        var features = [
            SPINEFeatureDescription(index: Feature.evseClassification, type: "DeviceClassification", role: .server,
                                    functions: [SPINEFunctionSupport("deviceClassificationManufacturerData")]),
            SPINEFeatureDescription(index: Feature.evseDiagnosis, type: "DeviceDiagnosis", role: .server,
                                    functions: [SPINEFunctionSupport("deviceDiagnosisStateData"),
                                                SPINEFunctionSupport("deviceDiagnosisHeartbeatData")]),
        ]
        if [connector] == lpcEntity {
            features += [
                SPINEFeatureDescription(index: Feature.lpcLoadControl, type: "LoadControl", role: .server,
                                        functions: [SPINEFunctionSupport("loadControlLimitDescriptionListData"),
                                                    SPINEFunctionSupport("loadControlLimitListData", write: true, partialWrite: true)]),
                SPINEFeatureDescription(index: Feature.lpcDeviceConfiguration, type: "DeviceConfiguration", role: .server,
                                        functions: [SPINEFunctionSupport("deviceConfigurationKeyValueDescriptionListData"),
                                                    SPINEFunctionSupport("deviceConfigurationKeyValueListData", write: true, partialWrite: true)]),
                SPINEFeatureDescription(index: Feature.lpcElectricalConnection, type: "ElectricalConnection", role: .server,
                                        functions: [SPINEFunctionSupport("electricalConnectionCharacteristicListData")]),
                SPINEFeatureDescription(index: Feature.lpcHeartbeatClient, type: "DeviceDiagnosis", role: .client,
                                        functions: [SPINEFunctionSupport("deviceDiagnosisHeartbeatData")]),
            ]
        }
        return SPINEEntityDescription(address: [connector], type: "EVSE", features: features)
    }

    static func evEntity(connector: Int) -> SPINEEntityDescription {
        SPINEEntityDescription(address: [connector, 1], type: "EV", features: [
            SPINEFeatureDescription(index: Feature.evDeviceConfiguration, type: "DeviceConfiguration", role: .server,
                                    functions: [SPINEFunctionSupport("deviceConfigurationKeyValueDescriptionListData"),
                                                SPINEFunctionSupport("deviceConfigurationKeyValueListData")]),
            SPINEFeatureDescription(index: Feature.evIdentification, type: "Identification", role: .server,
                                    functions: [SPINEFunctionSupport("identificationListData")]),
            SPINEFeatureDescription(index: Feature.evClassification, type: "DeviceClassification", role: .server,
                                    functions: [SPINEFunctionSupport("deviceClassificationManufacturerData")]),
            SPINEFeatureDescription(index: Feature.evElectricalConnection, type: "ElectricalConnection", role: .server,
                                    functions: [SPINEFunctionSupport("electricalConnectionDescriptionListData"),
                                                SPINEFunctionSupport("electricalConnectionParameterDescriptionListData"),
                                                SPINEFunctionSupport("electricalConnectionPermittedValueSetListData")]),
            SPINEFeatureDescription(index: Feature.evMeasurement, type: "Measurement", role: .server,
                                    functions: [SPINEFunctionSupport("measurementDescriptionListData"),
                                                SPINEFunctionSupport("measurementListData")]),
            SPINEFeatureDescription(index: Feature.evLoadControl, type: "LoadControl", role: .server,
                                    functions: [SPINEFunctionSupport("loadControlLimitDescriptionListData"),
                                                SPINEFunctionSupport("loadControlLimitConstraintsListData"),
                                                SPINEFunctionSupport("loadControlLimitListData", write: true, partialWrite: true)]),
            SPINEFeatureDescription(index: Feature.evDiagnosis, type: "DeviceDiagnosis", role: .server,
                                    functions: [SPINEFunctionSupport("deviceDiagnosisStateData")]),
        ])
    }

    /// The use cases of one connector: EVSECC on its EVSE; EVCC, EVCEM, OPEV and OSCEV on its vehicle entity,
    /// available only while a vehicle is plugged in (scenario numbers as in each use case specification).
    static func useCases(connector: Int, vehiclePresent: Bool) -> [SPINEUseCaseDescription] {
        let ev = [connector, 1]
        return [
            SPINEUseCaseDescription(actor: "EVSE", name: "evseCommissioningAndConfiguration", version: "1.0.1",
                                    scenarios: [1, 2], entity: [connector]),
            SPINEUseCaseDescription(actor: "EV", name: "evCommissioningAndConfiguration", version: "1.0.1",
                                    scenarios: [1, 2, 3, 4, 5, 6, 7, 8], entity: ev, available: vehiclePresent),
            SPINEUseCaseDescription(actor: "EV", name: "measurementOfElectricityDuringEvCharging", version: "1.0.1",
                                    scenarios: [1, 2, 3], entity: ev, available: vehiclePresent),
            SPINEUseCaseDescription(actor: "EV", name: "overloadProtectionByEvChargingCurrentCurtailment", version: "1.0.1",
                                    scenarios: [1, 2, 3], entity: ev, available: vehiclePresent),
            SPINEUseCaseDescription(actor: "EV", name: "optimizationOfSelfConsumptionDuringEvCharging", version: "1.0.1",
                                    scenarios: [1, 2, 3], entity: ev, available: vehiclePresent),
        ]
    }

    /// LPC: the station as Controllable System (EEBUS UC TS LimitationOfPowerConsumption V1.0.0, scenarios 1 limit,
    /// 2 failsafe values, 3 heartbeat, 4 nominal maximum).
    static let lpcUseCase = SPINEUseCaseDescription(actor: "ControllableSystem", name: "limitationOfPowerConsumption",
                                                    version: "1.0.0", scenarios: [1, 2, 3, 4], entity: lpcEntity)
}

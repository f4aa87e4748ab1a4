"""A scripted ChargingStation SPINE device for the peer's self-test only: it lets the energy manager's roles
(energy_manager.ControlBox and CEM) run their whole scripts without the real station, so a fault in the roles shows
before integration. It is a fixed table of the data the use-case specifications describe (EEBUS UC TS
LimitationOfPowerConsumption 1.0.0 on the EVSE entity; EVSECC, EVCC, EVCEM, OPEV, OSCEV 1.0.1 on the EVSE [1] and its
EV [1, 1]), served by spine.SpineNode (reads, subscriptions, bindings, bound writes with notifies). It has no logic of
a station: it does not turn limits into currents. The interop tests (test_eebus.py) run against the real station."""
from spine import Device, LocalFeature


def scaled(number, scale=0):
    return {"number": number, "scale": scale}


class ScriptedStation(Device):
    def __init__(self, name="CKTEST"):
        self.device = f"d:_i:{name}_station"
        self.device_type = "ChargingStation"
        evse, ev = [1], [1, 1]
        self.entities = [([0], "DeviceInformation"), (evse, "EVSE"), (ev, "EV")]
        F = LocalFeature
        nm = F([0], 0, "NodeManagement", "special", ["nodeManagementDetailedDiscoveryData", "nodeManagementUseCaseData"])
        classification = F(evse, 1, "DeviceClassification", "server", ["deviceClassificationManufacturerData"])
        diagnosis = F(evse, 2, "DeviceDiagnosis", "server", ["deviceDiagnosisStateData", "deviceDiagnosisHeartbeatData"])
        lpc = F(evse, 3, "LoadControl", "server", ["loadControlLimitDescriptionListData", "loadControlLimitListData"],
                writable=["loadControlLimitListData"])
        config = F(evse, 4, "DeviceConfiguration", "server", ["deviceConfigurationKeyValueDescriptionListData",
                                                               "deviceConfigurationKeyValueListData"],
                   writable=["deviceConfigurationKeyValueListData"])
        characteristic = F(evse, 5, "ElectricalConnection", "server", ["electricalConnectionCharacteristicListData"])
        heartbeat_client = F(evse, 6, "DeviceDiagnosis", "client")
        ev_config = F(ev, 1, "DeviceConfiguration", "server", ["deviceConfigurationKeyValueDescriptionListData",
                                                               "deviceConfigurationKeyValueListData"])
        ev_id = F(ev, 2, "Identification", "server", ["identificationListData"])
        ev_connection = F(ev, 3, "ElectricalConnection", "server", ["electricalConnectionParameterDescriptionListData",
                                                                    "electricalConnectionPermittedValueSetListData"])
        ev_measurement = F(ev, 4, "Measurement", "server", ["measurementDescriptionListData", "measurementListData"])
        ev_limits = F(ev, 5, "LoadControl", "server", ["loadControlLimitDescriptionListData", "loadControlLimitListData"],
                      writable=["loadControlLimitListData"])
        self.features = [nm, classification, diagnosis, lpc, config, characteristic, heartbeat_client, ev_config,
                         ev_id, ev_connection, ev_measurement, ev_limits]
        self.heartbeat_server = diagnosis
        classification.data["deviceClassificationManufacturerData"] = {"brandName": "ChargeKit", "deviceName": "Scripted"}
        diagnosis.data["deviceDiagnosisStateData"] = {"operatingState": "normalOperation"}
        lpc.data["loadControlLimitDescriptionListData"] = {"loadControlLimitDescriptionData": [
            {"limitId": 1, "limitType": "signDependentAbsValueLimit", "limitCategory": "obligation",
             "limitDirection": "consume", "unit": "W", "scopeType": "activePowerLimit"}]}
        lpc.data["loadControlLimitListData"] = {"loadControlLimitData": [
            {"limitId": 1, "isLimitChangeable": True, "isLimitActive": False, "value": scaled(22080)}]}
        config.data["deviceConfigurationKeyValueDescriptionListData"] = {"deviceConfigurationKeyValueDescriptionData": [
            {"keyId": 1, "keyName": "failsafeConsumptionActivePowerLimit", "valueType": "scaledNumber", "unit": "W"},
            {"keyId": 2, "keyName": "failsafeDurationMinimum", "valueType": "duration"}]}
        config.data["deviceConfigurationKeyValueListData"] = {"deviceConfigurationKeyValueData": [
            {"keyId": 1, "value": {"scaledNumber": scaled(4140)}, "isValueChangeable": True},
            {"keyId": 2, "value": {"duration": "PT2H"}, "isValueChangeable": True}]}
        characteristic.data["electricalConnectionCharacteristicListData"] = {"electricalConnectionCharacteristicData": [
            {"electricalConnectionId": 0, "parameterId": 0, "characteristicId": 0, "characteristicContext": "entity",
             "characteristicType": "contractualConsumptionNominalMax", "value": scaled(22080), "unit": "W"}]}
        ev_config.data["deviceConfigurationKeyValueDescriptionListData"] = {"deviceConfigurationKeyValueDescriptionData": [
            {"keyId": 1, "keyName": "communicationsStandard", "valueType": "string"},
            {"keyId": 2, "keyName": "asymmetricChargingSupported", "valueType": "boolean"}]}
        ev_config.data["deviceConfigurationKeyValueListData"] = {"deviceConfigurationKeyValueData": [
            {"keyId": 1, "value": {"string": "iec61851"}}, {"keyId": 2, "value": {"boolean": False}}]}
        ev_id.data["identificationListData"] = {"identificationData": []}
        phases = "abc"
        ev_connection.data["electricalConnectionParameterDescriptionListData"] = {
            "electricalConnectionParameterDescriptionData": [
                {"electricalConnectionId": 0, "parameterId": i + 1, "measurementId": i + 1, "voltageType": "ac",
                 "acMeasuredPhases": p, "acMeasuredInReferenceTo": "neutral", "acMeasurementType": "real",
                 "acMeasurementVariant": "rms"} for i, p in enumerate(phases)]}
        ev_connection.data["electricalConnectionPermittedValueSetListData"] = {
            "electricalConnectionPermittedValueSetData": [
                {"electricalConnectionId": 0, "parameterId": i + 1,
                 "permittedValueSet": [{"range": [{"min": scaled(6), "max": scaled(16)}]}]} for i in range(3)]}
        ev_measurement.data["measurementDescriptionListData"] = {"measurementDescriptionData": [
            *({"measurementId": i + 1, "measurementType": "current", "commodityType": "electricity", "unit": "A",
               "scopeType": "acCurrent"} for i in range(3)),
            {"measurementId": 7, "measurementType": "energy", "commodityType": "electricity", "unit": "Wh",
             "scopeType": "charge"}]}
        ev_measurement.data["measurementListData"] = {"measurementData": [
            *({"measurementId": i + 1, "valueType": "value", "value": scaled(0)} for i in range(3)),
            {"measurementId": 7, "valueType": "value", "value": scaled(0)}]}
        ev_limits.data["loadControlLimitDescriptionListData"] = {"loadControlLimitDescriptionData": [
            {"limitId": i + 1 + 3 * k, "limitType": "maxValueLimit", "limitCategory": category, "unit": "A",
             "scopeType": scope, "measurementId": i + 1}
            for k, (category, scope) in enumerate((("obligation", "overloadProtection"),
                                                   ("recommendation", "selfConsumption"))) for i in range(3)]}
        ev_limits.data["loadControlLimitListData"] = {"loadControlLimitData": [
            {"limitId": i + 1, "isLimitChangeable": True, "isLimitActive": False, "value": scaled(16)} for i in range(6)]}
        self.ev_measurement = ev_measurement

    use_case_information = property(lambda self: [
        {"address": {"device": self.device, "entity": [1]}, "actor": "ControllableSystem",
         "useCaseSupport": [{"useCaseName": "limitationOfPowerConsumption", "useCaseVersion": "1.0.0",
                             "useCaseAvailable": True, "scenarioSupport": [1, 2, 3, 4]}]},
        {"address": {"device": self.device, "entity": [1]}, "actor": "EVSE",
         "useCaseSupport": [{"useCaseName": "evseCommissioningAndConfiguration", "useCaseVersion": "1.0.1",
                             "useCaseAvailable": True, "scenarioSupport": [1, 2]}]},
        {"address": {"device": self.device, "entity": [1, 1]}, "actor": "EV",
         "useCaseSupport": [{"useCaseName": n, "useCaseVersion": "1.0.1", "useCaseAvailable": True, "scenarioSupport": s}
                            for n, s in (("evCommissioningAndConfiguration", [1, 2, 3, 8]),
                                         ("measurementOfElectricityDuringEvCharging", [1, 3]),
                                         ("overloadProtectionByEvChargingCurrentCurtailment", [1, 2, 3]),
                                         ("optimizationOfSelfConsumptionDuringEvCharging", [1, 2, 3]))]}])

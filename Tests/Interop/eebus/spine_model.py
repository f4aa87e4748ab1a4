"""A checker of SPINE datagrams against the SPINE data model (EEBUS SPINE TS 1.3.0 §5 for the datagram, SPINE
resource specification 1.3.0 for the function data types), for every message the test peer receives.

Only the function data types a charging station sends to an energy manager (and the NodeManagement calls it makes)
are modelled; a function outside them is reported as unknown. Checked: element names (an unknown element fails),
types (unsigned and signed integers within their XSD ranges, strings, booleans, scaled numbers {number, scale},
xs:duration, xs:dateTime, absolute-or-relative times, empty tags), the enumerations of the resource specification
(strictly: a manufacturer extension of an enumeration is reported too, which is what a test of our own station wants),
and the elements that identify an entry (the list keys such as `limitId`, `measurementId`, `keyId`, and the addresses
and types of the discovery descriptions) plus the datagram header's mandatory elements. Every finding names its path,
e.g. `$.datagram.payload.cmd[0].loadControlLimitListData.loadControlLimitData[1].value.scale: …`."""
import re

DURATION = re.compile(r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
DATETIME = re.compile(r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
                      r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$")


class Int:
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def check(self, v, path, out):
        if isinstance(v, bool) or not isinstance(v, int):
            out.append(f"{path}: expected an integer, got {v!r}")
        elif not self.lo <= v <= self.hi:
            out.append(f"{path}: {v} outside {self.lo}..{self.hi}")


class Str:
    def __init__(self, pattern=None, what="a string"):
        self.pattern, self.what = pattern, what

    def check(self, v, path, out):
        if not isinstance(v, str):
            out.append(f"{path}: expected {self.what}, got {v!r}")
        elif self.pattern is not None and not self.pattern.match(v):
            out.append(f"{path}: {v!r} is not {self.what}")


class Bool:
    def check(self, v, path, out):
        if not isinstance(v, bool):
            out.append(f"{path}: expected a boolean, got {v!r}")


class Enum:
    def __init__(self, *values):
        self.values = set(values)

    def check(self, v, path, out):
        if v not in self.values:
            out.append(f"{path}: {v!r} is not one of the enumeration ({', '.join(sorted(self.values))})")


class AbsOrRel:
    """absoluteOrRelativeTimeType: an xs:dateTime or an xs:duration."""

    def check(self, v, path, out):
        if not isinstance(v, str) or not (DATETIME.match(v) or DURATION.match(v)):
            out.append(f"{path}: expected an xs:dateTime or xs:duration, got {v!r}")


class Obj:
    def __init__(self, required=(), **fields):
        self.fields, self.required = fields, set(required)

    def check(self, v, path, out):
        if v == []:  # an empty object is `[]` in the EEBUS form
            v = {}
        if not isinstance(v, dict):
            out.append(f"{path}: expected an object, got {v!r:.80}")
            return
        for name, value in v.items():
            t = self.fields.get(name)
            if t is None:
                out.append(f"{path}.{name}: unknown element")
            else:
                t.check(value, f"{path}.{name}", out)
        for name in sorted(self.required - set(v)):
            out.append(f"{path}.{name}: required element missing")


class List:
    def __init__(self, item):
        self.item = item

    def check(self, v, path, out):
        if not isinstance(v, list):
            out.append(f"{path}: expected a list, got {v!r:.80}")
            return
        for i, e in enumerate(v):
            self.item.check(e, f"{path}[{i}]", out)


UINT8, UINT16, UINT32, UINT64 = Int(0, 255), Int(0, 65535), Int(0, 2 ** 32 - 1), Int(0, 2 ** 64 - 1)
INT8, INT64 = Int(-128, 127), Int(-2 ** 63, 2 ** 63 - 1)
STRING, BOOL = Str(), Bool()
DURATION_T = Str(DURATION, "an xs:duration")
DATETIME_T = Str(DATETIME, "an xs:dateTime")
ABS_OR_REL = AbsOrRel()
TAG = Obj()  # elementTagType: an empty element
SCALED = Obj(required=["number"], number=INT64, scale=INT8)

ENTITY_TYPES = Enum(
    "Battery", "Compressor", "DeviceInformation", "DHWCircuit", "DHWStorage", "Dishwasher", "Dryer",
    "ElectricalImmersionHeater", "Fan", "GasHeatingAppliance", "Generic", "HeatingBufferStorage", "HeatingCircuit",
    "HeatingObject", "HeatingZone", "HeatPumpAppliance", "HeatSinkCircuit", "HeatSourceCircuit", "HeatSourceUnit",
    "HVACController", "HVACRoom", "InstantDHWHeater", "Inverter", "OilHeatingAppliance", "Pump", "RefrigerantCircuit",
    "SmartEnergyAppliance", "SolarDHWStorage", "SolarThermalCircuit", "SubMeterElectricity", "TemperatureSensor",
    "Washer", "BatterySystem", "ElectricityGenerationSystem", "ElectricityStorageSystem", "GridConnectionPointOfPremises",
    "Household", "PVSystem", "EV", "EVSE", "ChargingOutlet", "CEM", "PV", "PVESHybrid", "ElectricalStorage", "PVString",
    "GridGuard", "ControllableSystem")
DEVICE_TYPES = Enum("Dishwasher", "Dryer", "EnvironmentSensor", "Generic", "HeatGenerationSystem", "HeatSinkSystem",
                    "HeatStorageSystem", "HVACController", "SubMeter", "Washer", "ElectricitySupplySystem",
                    "EnergyManagementSystem", "Inverter", "ChargingStation")
FEATURE_TYPES = Enum(
    "ActuatorLevel", "ActuatorSwitch", "Alarm", "DataTunneling", "DeviceClassification", "DeviceDiagnosis", "DirectControl",
    "ElectricalConnection", "Generic", "HVAC", "LoadControl", "Measurement", "Messaging", "NetworkManagement",
    "NodeManagement", "OperatingConstraints", "PowerSequences", "Sensing", "Setpoint", "SmartEnergyManagementPs",
    "TaskManagement", "Threshold", "TimeInformation", "TimeTable", "DeviceConfiguration", "SupplyCondition", "TimeSeries",
    "TariffInformation", "IncentiveTable", "Bill", "Identification", "StateInformation")
UNITS = Enum(*"""unknown 1 m kg s A K mol cd V W Wh VA VAh var varh degC degF Lm lx Ohm Hz dB dBm pct ppm l l/s l/h deg rad
rad/s sr Gy Bq Bq/m^3 Sv Rd C F H J N N_m N_s Wb T Pa bar atm psi mmHg m^2 m^3 m^3/h m/s m/s^2 m^3/s m/m^3 kg/m^3 kg_m
m^2/s W/m_K J/K 1/s W/m^2 J/m^2 S S/m K/s Pa/s J/kg_K Vs V/m V/Hz As A/m Hz/s kg/s kg_m^2 J/Wh W/s ft^3 ft^3/h ccf ccf/h
US.liq.gal US.liq.gal/h Imp.gal Imp.gal/h Btu Btu/h Ah kg/Wh""".split())
SCOPES = Enum(*"""ac acCosPhiGrid acCurrentA acCurrentB acCurrentC acFrequency acFrequencyGrid acPowerA acPowerB acPowerC
acPowerLimitPct acPowerTotal acVoltageA acVoltageB acVoltageC acYieldDay acYieldTotal dcCurrent dcPower dcString1
dcString2 dcString3 dcString4 dcString5 dcString6 dcTotal dcVoltage dhwTemperature flowTemperature outsideAirTemperature
returnTemperature roomAirTemperature charge stateOfCharge discharge gridConsumption gridFeedIn selfConsumption
overloadProtection acPower acEnergy acCurrent acVoltage batteryControl simpleIncentiveTable stateOfHealth travelRange
nominalEnergyCapacity acPowerReal acPowerApparent acPowerReactive acYieldMonth acYieldYear acCosPhi dcEnergy
insulationResistance stateOfEnergy useableCapacity dcChargeEnergy dcDischargeEnergy loadCycleCount componentTemperature
gridLimit gridLimitFallback acPowerApparentTotal acPowerReactiveTotal acCurrentTotal acEnergyConsumed acEnergyProduced
batteryAcPower batteryAcPowerPhaseSpecific batteryDcPower pccPower activePowerLimit activePowerLimitPercentage
simpleCommittedIncentiveTable simplePreliminaryIncentiveTable committedPowerPlan preliminaryPowerPlan
incentiveTableEnConsWithPoETF incentiveTableEnProdWithPoETF incentiveTableEnConsWithPoE incentiveTableEnProdWithPoE
incentiveTableEnConsWithTF incentiveTableEnProdWithTF activePowerForecast""".split())
KEY_NAMES = Enum(*"""peakPowerOfPvSystem pvCurtailmentLimitFactor asymmetricChargingSupported communicationsStandard
inverterGridCode pvStringAvailabilityStatus batteryAvailabilityStatus gridConnectionStatus timeToAcChargePowerMax
timeToAcDischargePowerMax tilt azimuth batteryType maxCycleCountPerDay failsafeConsumptionActivePowerLimit
failsafeProductionActivePowerLimit failsafePositiveReactivePowerLimit failsafeNegativeReactivePowerLimit
failsafePositiveCosPhiLimit failsafeNegativeCosPhiLimit maxAcChargePower maxAcDischargePower maxDcChargePower
maxDcDischargePower batteryActiveControlMode defaultAcPower defaultDcPower defaultPccPower failsafeAcPowerSetpoint
failsafeDcPowerSetpoint failsafePccPowerSetpoint failsafeDurationMinimum dischargingBelowTargetEnergyRequestPermitted
incentivesSimulationCyclesMax incentivesSimulationConcurrent incentivesTimeoutIncentiveRequest
incentivesWaitIncentiveWriteable""".split())
USE_CASE_NAMES = Enum(*"""configurationOfDhwSystemFunction configurationOfDhwTemperature configurationOfRoomCoolingSystemFunction
configurationOfRoomCoolingTemperature configurationOfRoomHeatingSystemFunction configurationOfRoomHeatingTemperature
controlOfBattery coordinatedEvCharging evChargingSummary evCommissioningAndConfiguration
evseCommissioningAndConfiguration evStateOfCharge flexibleLoad flexibleStartForWhiteGoods limitationOfPowerConsumption
limitationOfPowerProduction incentiveTableBasedPowerConsumptionManagement measurementOfElectricityDuringEvCharging
monitoringAndControlOfSmartGridReadyConditions monitoringOfBattery monitoringOfDhwSystemFunction monitoringOfDhwTemperature
monitoringOfGridConnectionPoint monitoringOfInverter monitoringOfOutdoorTemperature monitoringOfPowerConsumption
monitoringOfPvString monitoringOfRoomCoolingSystemFunction monitoringOfRoomHeatingSystemFunction
monitoringOfRoomTemperature optimizationOfSelfConsumptionByHeatPumpCompressorFlexibility
optimizationOfSelfConsumptionDuringEvCharging overloadProtectionByEvChargingCurrentCurtailment
visualizationOfAggregatedBatteryData visualizationOfAggregatedPhotovoltaicData visualizationOfHeatingAreaName""".split())
ACTORS = Enum(*"""Battery BatterySystem CEM ConfigurationAppliance Compressor ControllableSystem DHWCircuit EnergyBroker
EnergyConsumer EnergyGuard EVSE EV GridConnectionPoint HeatPump HeatingCircuit HeatingZone HVACRoom Inverter
MonitoredUnit MonitoringAppliance OutdoorTemperatureSensor PVString PVSystem SmartAppliance VisualizationAppliance""".split())
PHASES = Enum("a", "b", "c", "ab", "bc", "ac", "abc", "neutral", "ground", "none")
ENERGY_DIRECTION = Enum("consume", "produce")

FEATURE_ADDRESS = Obj(device=STRING, entity=List(UINT32), feature=UINT32)
ENTITY_ADDRESS = Obj(device=STRING, entity=List(UINT32))
DEVICE_ADDRESS = Obj(device=STRING)
TIME_PERIOD = Obj(startTime=ABS_OR_REL, endTime=ABS_OR_REL)
PARTIAL_TAG = Obj(partial=TAG)

DEVICE_DESCRIPTION = Obj(
    required=["deviceAddress", "deviceType"], deviceAddress=DEVICE_ADDRESS, deviceType=DEVICE_TYPES,
    networkManagementResponsibleAddress=FEATURE_ADDRESS, nativeSetup=STRING, technologyAddress=STRING,
    communicationsTechnologyInformation=STRING, networkFeatureSet=Enum("gateway", "router", "smart", "simple"),
    lastStateChange=Enum("added", "removed", "modified"), minimumTrustLevel=STRING, label=STRING, description=STRING)
ENTITY_DESCRIPTION = Obj(
    required=["entityAddress", "entityType"], entityAddress=ENTITY_ADDRESS, entityType=ENTITY_TYPES,
    lastStateChange=Enum("added", "removed", "modified"), minimumTrustLevel=STRING, label=STRING, description=STRING)

RESULT = Obj(required=["errorNumber"], errorNumber=UINT8, description=STRING)

# The function data types (SPINE resource specification 1.3.0), by function name; filled below.
FUNCTIONS = {}


def _list(function, entry_name, entry):
    FUNCTIONS[function] = Obj(**{entry_name: List(entry)})
    ENTRIES[function] = (entry_name, entry)


ENTRIES = {}  # list function → (entry element name, entry type), for partial filters' selectors

FUNCTIONS["resultData"] = RESULT
FUNCTIONS["nodeManagementDetailedDiscoveryData"] = Obj(
    specificationVersionList=Obj(specificationVersion=List(STRING)),
    deviceInformation=Obj(description=DEVICE_DESCRIPTION),
    entityInformation=List(Obj(description=ENTITY_DESCRIPTION)),
    featureInformation=List(Obj(description=Obj(
        required=["featureAddress", "featureType", "role"], featureAddress=FEATURE_ADDRESS, featureType=FEATURE_TYPES,
        specificUsage=List(STRING), featureGroup=STRING, role=Enum("client", "server", "special"),
        supportedFunction=List(Obj(required=["function"], function=STRING,  # checked against FUNCTION_NAMES below
                                   possibleOperations=Obj(read=PARTIAL_TAG, write=PARTIAL_TAG))),
        lastStateChange=Enum("added", "removed", "modified"), minimumTrustLevel=STRING, label=STRING,
        description=STRING, maxResponseDelay=DURATION_T))))
FUNCTIONS["nodeManagementUseCaseData"] = Obj(useCaseInformation=List(Obj(
    required=["address", "actor"], address=FEATURE_ADDRESS, actor=ACTORS,
    useCaseSupport=List(Obj(required=["useCaseName", "useCaseVersion"], useCaseName=USE_CASE_NAMES,
                            useCaseVersion=STRING, useCaseAvailable=BOOL, scenarioSupport=List(UINT32),
                            useCaseDocumentSubRevision=STRING)))))
_REQUEST = Obj(required=["clientAddress", "serverAddress"], clientAddress=FEATURE_ADDRESS, serverAddress=FEATURE_ADDRESS,
               serverFeatureType=FEATURE_TYPES)
_DELETE = Obj(subscriptionId=UINT32, bindingId=UINT32, clientAddress=FEATURE_ADDRESS, serverAddress=FEATURE_ADDRESS)
FUNCTIONS["nodeManagementSubscriptionRequestCall"] = Obj(required=["subscriptionRequest"], subscriptionRequest=_REQUEST)
FUNCTIONS["nodeManagementBindingRequestCall"] = Obj(required=["bindingRequest"], bindingRequest=_REQUEST)
FUNCTIONS["nodeManagementSubscriptionDeleteCall"] = Obj(subscriptionDelete=_DELETE)
FUNCTIONS["nodeManagementBindingDeleteCall"] = Obj(bindingDelete=_DELETE)
FUNCTIONS["nodeManagementDestinationListData"] = Obj(nodeManagementDestinationData=List(Obj(deviceDescription=DEVICE_DESCRIPTION)))

FUNCTIONS["deviceClassificationManufacturerData"] = Obj(
    deviceName=STRING, deviceCode=STRING, serialNumber=STRING, softwareRevision=STRING, hardwareRevision=STRING,
    vendorName=STRING, vendorCode=STRING, brandName=STRING,
    powerSource=Enum("unknown", "mainsSinglePhase", "mains3Phase", "battery", "dc"),
    manufacturerNodeIdentification=STRING, manufacturerLabel=STRING, manufacturerDescription=STRING)
FUNCTIONS["deviceDiagnosisStateData"] = Obj(
    timestamp=DATETIME_T, operatingState=Enum("normalOperation", "standby", "failure", "serviceNeeded",
                                              "overrideDetected", "inAlarm", "notReachable", "finished",
                                              "temporarilyNotReady", "off"),
    vendorStateCode=STRING, lastErrorCode=STRING, upTime=DURATION_T, totalUpTime=DURATION_T,
    powerSupplyCondition=Enum("good", "low", "critical", "unknown", "error"))
FUNCTIONS["deviceDiagnosisHeartbeatData"] = Obj(timestamp=ABS_OR_REL, heartbeatCounter=UINT64, heartbeatTimeout=DURATION_T)

_KEY_VALUE = Obj(boolean=BOOL, date=STRING, dateTime=DATETIME_T, duration=DURATION_T, string=STRING, time=STRING,
                 scaledNumber=SCALED, integer=INT64)
_list("deviceConfigurationKeyValueDescriptionListData", "deviceConfigurationKeyValueDescriptionData", Obj(
    required=["keyId"], keyId=UINT32, keyName=KEY_NAMES,
    valueType=Enum("boolean", "date", "dateTime", "duration", "string", "time", "scaledNumber", "integer"),
    unit=UNITS, label=STRING, description=STRING))
_list("deviceConfigurationKeyValueListData", "deviceConfigurationKeyValueData", Obj(
    required=["keyId"], keyId=UINT32, value=_KEY_VALUE, isValueChangeable=BOOL))
_list("deviceConfigurationKeyValueConstraintsListData", "deviceConfigurationKeyValueConstraintsData", Obj(
    required=["keyId"], keyId=UINT32, valueRangeMin=_KEY_VALUE, valueRangeMax=_KEY_VALUE, valueStepSize=_KEY_VALUE))
_list("identificationListData", "identificationData", Obj(
    required=["identificationId"], identificationId=UINT32, identificationType=Enum("eui48", "eui64", "userRfidTag"),
    identificationValue=STRING, authorized=BOOL))
_list("electricalConnectionDescriptionListData", "electricalConnectionDescriptionData", Obj(
    required=["electricalConnectionId"], electricalConnectionId=UINT32, powerSupplyType=Enum("ac", "dc"),
    acConnectedPhases=UINT32, acRmsPeriodDuration=DURATION_T, positiveEnergyDirection=ENERGY_DIRECTION,
    scopeType=SCOPES, label=STRING, description=STRING))
_list("electricalConnectionParameterDescriptionListData", "electricalConnectionParameterDescriptionData", Obj(
    required=["electricalConnectionId", "parameterId"], electricalConnectionId=UINT32, parameterId=UINT32,
    measurementId=UINT32, voltageType=Enum("ac", "dc"), acMeasuredPhases=PHASES, acMeasuredInReferenceTo=PHASES,
    acMeasurementType=Enum("real", "reactive", "apparent", "phase"),
    acMeasurementVariant=Enum("amplitude", "rms", "instantaneous", "angle", "cosPhi"), acMeasuredHarmonic=UINT8,
    scopeType=SCOPES, label=STRING, description=STRING))
_list("electricalConnectionPermittedValueSetListData", "electricalConnectionPermittedValueSetData", Obj(
    required=["electricalConnectionId", "parameterId"], electricalConnectionId=UINT32, parameterId=UINT32,
    permittedValueSet=List(Obj(value=List(SCALED), range=List(Obj(min=SCALED, max=SCALED))))))
_list("electricalConnectionCharacteristicListData", "electricalConnectionCharacteristicData", Obj(
    required=["electricalConnectionId", "parameterId", "characteristicId"], electricalConnectionId=UINT32,
    parameterId=UINT32, characteristicId=UINT32,
    characteristicContext=Enum("device", "entity", "inverter", "pvString", "battery"),
    characteristicType=Enum(*"""powerConsumptionMin powerConsumptionMax powerConsumptionNominalMin
powerConsumptionNominalMax powerProductionMin powerProductionMax powerProductionNominalMin powerProductionNominalMax
energyCapacityNominalMax contractualConsumptionNominalMax contractualProductionNominalMax
apparentPowerProductionNominalMax apparentPowerConsumptionNominalMax""".split()),
    value=SCALED, unit=UNITS))
_list("measurementDescriptionListData", "measurementDescriptionData", Obj(
    required=["measurementId"], measurementId=UINT32,
    measurementType=Enum(*"""acceleration angle angularVelocity area atmosphericPressure capacity concentration count
current density distance electricField energy force frequency harmonicDistortion heat heatFlux illuminance impulse level
magneticField mass massFlow particles percentage power powerFactor pressure radonActivity relativeHumidity resistance
solarRadiation speed temperature time torque unknown velocity voltage volume volumetricFlow""".split()),
    commodityType=Enum("electricity", "gas", "oil", "water", "wasteWater", "domesticHotWater", "heatingWater", "steam",
                       "heat", "coolingLoad", "air"),
    unit=UNITS, calibrationValue=SCALED, scopeType=SCOPES, label=STRING, description=STRING))
_list("measurementListData", "measurementData", Obj(
    required=["measurementId"], measurementId=UINT32,
    valueType=Enum("value", "averageValue", "minValue", "maxValue", "standardDeviation"), timestamp=ABS_OR_REL,
    value=SCALED, evaluationPeriod=TIME_PERIOD, valueSource=Enum("measuredValue", "calculatedValue", "empiricalValue"),
    valueTendency=Enum("rising", "stable", "falling"), valueState=Enum("normal", "outOfRange", "error")))
_list("measurementConstraintsListData", "measurementConstraintsData", Obj(
    required=["measurementId"], measurementId=UINT32, valueRangeMin=SCALED, valueRangeMax=SCALED, valueStepSize=SCALED))
_list("loadControlLimitDescriptionListData", "loadControlLimitDescriptionData", Obj(
    required=["limitId"], limitId=UINT32,
    limitType=Enum("minValueLimit", "maxValueLimit", "signDependentAbsValueLimit"),
    limitCategory=Enum("obligation", "recommendation", "optimization"), limitDirection=ENERGY_DIRECTION,
    measurementId=UINT32, unit=UNITS, scopeType=SCOPES, label=STRING, description=STRING))
_list("loadControlLimitListData", "loadControlLimitData", Obj(
    required=["limitId"], limitId=UINT32, isLimitChangeable=BOOL, isLimitActive=BOOL, timePeriod=TIME_PERIOD,
    value=SCALED))
_list("loadControlLimitConstraintsListData", "loadControlLimitConstraintsData", Obj(
    required=["limitId"], limitId=UINT32, valueRangeMin=SCALED, valueRangeMax=SCALED, valueStepSize=SCALED))

FUNCTION_NAMES = set(FUNCTIONS) | {
    "bindingManagementDeleteCall", "bindingManagementEntryListData", "bindingManagementRequestCall",
    "deviceClassificationUserData", "deviceDiagnosisServiceData", "electricalConnectionStateListData",
    "loadControlEventListData", "loadControlStateListData", "loadControlNodeData", "measurementThresholdRelationListData",
    "measurementSeriesListData", "nodeManagementBindingData", "nodeManagementSubscriptionData",
    "sessionIdentificationListData", "sessionMeasurementRelationListData", "specificationVersionListData",
    "subscriptionManagementDeleteCall", "subscriptionManagementEntryListData", "subscriptionManagementRequestCall",
    "useCaseInformationListData", "electricalConnectionCharacteristicData"}

CLASSIFIERS = {"read", "reply", "notify", "write", "call", "result"}
HEADER = Obj(required=["specificationVersion", "addressSource", "addressDestination", "msgCounter", "cmdClassifier"],
             specificationVersion=STRING, addressSource=FEATURE_ADDRESS, addressDestination=FEATURE_ADDRESS,
             addressOriginator=FEATURE_ADDRESS, msgCounter=UINT64, msgCounterReference=UINT64,
             cmdClassifier=Enum(*CLASSIFIERS), ackRequest=BOOL, timestamp=ABS_OR_REL)


def _check_filter(function, f, path, out):
    if f == []:
        f = {}
    if not isinstance(f, dict):
        out.append(f"{path}: expected an object, got {f!r:.80}")
        return
    entry = ENTRIES.get(function)
    for name, value in f.items():
        p = f"{path}.{name}"
        if name == "filterId":
            UINT32.check(value, p, out)
        elif name == "cmdControl":
            Obj(delete=TAG, partial=TAG).check(value, p, out)
            if value in ([], {}):
                out.append(f"{p}: neither delete nor partial")
        elif entry is not None and name == function + "Selectors":
            Obj(**entry[1].fields).check(value, p, out)  # selectors name key fields of the entries
        elif entry is not None and name == entry[0] + "Elements":
            Obj(**{k: Obj() if not isinstance(t, Obj) else _elements(t) for k, t in entry[1].fields.items()}).check(value, p, out)
        else:
            out.append(f"{p}: unknown filter element for {function}")


def _elements(t):
    """The *Elements form of an object type: the same members, each an empty tag or its own elements."""
    return Obj(**{k: _elements(v) if isinstance(v, Obj) else TAG for k, v in t.fields.items()})


def check_function(name, data, path, out):
    """Checks one function data element by its name."""
    t = FUNCTIONS.get(name)
    if t is None:
        out.append(f"{path}: unknown function data element {name!r}")
        return
    t.check(data, path, out)


def check_datagram(payload):
    """Every finding (as text with its path) for one received SHIP data payload, which must be a SPINE datagram."""
    out = []
    if not isinstance(payload, dict) or set(payload) != {"datagram"}:
        return [f"$: a SHIP data payload must be {{'datagram': …}}, got {payload!r:.120}"]
    datagram = payload["datagram"]
    path = "$.datagram"
    if not isinstance(datagram, dict) or set(datagram) - {"header", "payload"} or "header" not in datagram \
            or "payload" not in datagram:
        return [f"{path}: needs exactly header and payload, got {datagram!r:.120}"]
    header = datagram["header"]
    HEADER.check(header, f"{path}.header", out)
    classifier = header.get("cmdClassifier") if isinstance(header, dict) else None
    if classifier in ("reply", "result") and "msgCounterReference" not in header:
        out.append(f"{path}.header.msgCounterReference: required in a {classifier}")
    body = datagram["payload"]
    if not isinstance(body, dict) or set(body) != {"cmd"} or not isinstance(body["cmd"], list) or not body["cmd"]:
        out.append(f"{path}.payload: needs a non-empty cmd list, got {body!r:.120}")
        return out
    for i, cmd in enumerate(body["cmd"]):
        p = f"{path}.payload.cmd[{i}]"
        if not isinstance(cmd, dict):
            out.append(f"{p}: expected an object")
            continue
        functions = [k for k in cmd if k not in ("function", "filter", "manufacturerSpecificExtension", "lastUpdateAt")]
        if len(functions) != 1:
            out.append(f"{p}: needs exactly one function data element, has {functions}")
            continue
        name = functions[0]
        if "function" in cmd and cmd["function"] != name:
            out.append(f"{p}.function: {cmd['function']!r} does not name the data element {name!r}")
        if "lastUpdateAt" in cmd:
            ABS_OR_REL.check(cmd["lastUpdateAt"], f"{p}.lastUpdateAt", out)
        if "filter" in cmd:
            if not isinstance(cmd["filter"], list):
                out.append(f"{p}.filter: expected a list")
            else:
                for j, f in enumerate(cmd["filter"]):
                    _check_filter(name, f, f"{p}.filter[{j}]", out)
        if classifier == "read":
            if cmd[name] not in ([], {}):
                out.append(f"{p}.{name}: a read carries an empty function element")
            if name not in FUNCTION_NAMES:
                out.append(f"{p}: unknown function {name!r}")
            continue
        check_function(name, cmd[name], f"{p}.{name}", out)
        if name == "nodeManagementDetailedDiscoveryData":
            for k, fi in enumerate(cmd[name].get("featureInformation", []) if isinstance(cmd[name], dict) else []):
                for m, sf in enumerate(((fi or {}).get("description") or {}).get("supportedFunction", []) or []):
                    if isinstance(sf, dict) and sf.get("function") not in FUNCTION_NAMES:
                        out.append(f"{p}.{name}.featureInformation[{k}].description.supportedFunction[{m}].function: "
                                   f"unknown function {sf.get('function')!r}")
    return out

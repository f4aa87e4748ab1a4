/// The Open Charge Metering Format (OCMF) of S.A.F.E. e.V.: signed meter readings that a driver can check with the
/// transparency software, carried in OCPP 1.6 as the OCA's Eichrecht application note describes (issue 28 item 6).
public enum OCMF {}

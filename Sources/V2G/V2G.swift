/// ISO 15118 on the charger's side, above the data link: the V2G Transfer Protocol that frames every message
/// (ISO 15118-2:2014 §7.8.3) and the SECC Discovery Protocol by which a vehicle finds the charger's TCP or TLS port
/// (§7.10.1). Pure: bytes in, bytes and decisions out; the UDP and TCP sockets are Transport's (`Transport/V2G`).
public enum V2G {}

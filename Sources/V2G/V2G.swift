/// ISO 15118 on the charger's side, above the data link: the V2G Transfer Protocol that frames every message
/// (ISO 15118-2:2014 §7.8.3: ``V2GTPHeader``, ``V2GTPFrameDecoder``) and the SECC Discovery Protocol by which a
/// vehicle finds the charger's TCP or TLS port (§7.10.1: ``SDPRequest``, ``SDPResponse``, ``SDP/answer(datagram:offer:)``),
/// the SECC's connection timers (``V2GConnectionTimers``) and the PLC interface's link-local address
/// (``V2GLinkLocalAddress``). Pure: bytes in, bytes and decisions out; the UDP and TCP sockets are Transport's
/// (`Transport/V2G`), the EXI messages the `EXI` target's.
public enum V2G {}

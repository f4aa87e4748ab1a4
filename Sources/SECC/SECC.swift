/// The charger's side of ISO 15118 (the SECC, supply equipment communication controller), pure: the protocol
/// handshake and the session machines that answer the vehicle's V2G messages from the station's state
/// (``HLCConnectorView``). Sockets, SLAC and timers live in the Transport target's V2G adapters; this target sees only
/// decoded messages, the station's view and a monotonic time.
public enum SECC {}

import NIOCore

/// A listener that could not open its port, said so that an installer can act on it: which listener, which address,
/// what the system answered, and what to check. A station must not stop with a bare "bind(…): Permission denied".
public struct ListenError: Error, CustomStringConvertible {
    public var listener: String
    public var host: String
    public var port: Int
    public var reason: String
    /// What to change: the parameter or option that sets the port.
    public var setting: String

    public init(listener: String, host: String, port: Int, error: any Error, setting: String) {
        self.listener = listener; self.host = host; self.port = port; self.setting = setting
        if let io = error as? IOError {
            switch io.errnoCode {
            case 13: reason = "permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE"
            case 98: reason = "the port is in use by another program"
            case 99: reason = "\(host) is not an address of this machine"
            default: reason = "\(io)"
            }
        } else {
            reason = "\(error)"
        }
    }

    public var description: String {
        "\(listener) cannot listen on \(host):\(port): \(reason); choose another port with \(setting) or free this one"
    }
}

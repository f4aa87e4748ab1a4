/// Cuts the byte stream of a vehicle's TCP (or TLS) connection into V2GTP messages, however the reads split it.
///
/// The header is processed before the payload, field by field (ISO 15118-20:2022 §7.8.3.2 [V2G20-089]–[V2G20-096],
/// the same procedure as ISO 15118-2:2014 §7.8.3.2): the synchronisation pattern (version 0x01, inverse 0xFE), then
/// the payload type, then the length. A header with wrong data is to be ignored (ISO 15118-20 §7.8.3.2, Figure 11).
/// On a byte stream that means:
/// - a payload type this endpoint does not process (unknown, reserved, manufacturer-specific, or SDP, which only
///   travels by UDP): the message is skipped by its length and reported as ``Item/ignored(_:)``; the stream stays
///   in step and the next message is read;
/// - a wrong version or inverse: the pattern that delimits messages is lost, so nothing after it can be found again —
///   ``next()`` fails and the connection is to be closed;
/// - a length above `maximumPayloadBytes` (the station's bound, ``V2G/maximumPayloadBytes``): the message can be
///   neither buffered nor, within any useful time, skipped — the decoder fails and the connection is to be closed.
/// A failure is final: every later ``next()`` returns it again.
public struct V2GTPFrameDecoder: Sendable {
    public enum Item: Hashable, Sendable {
        case frame(V2GTPFrame)
        /// A whole message skipped, with the reason (a ``V2GTPError/payloadType(_:length:)``).
        case ignored(V2GTPError)
    }

    public let accepted: Set<V2GTPPayloadType>
    public let maximumPayloadBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var header: V2GTPHeader?
    private var skipRemaining: UInt64 = 0
    private var failure: V2GTPError?

    public init(accepted: Set<V2GTPPayloadType> = V2GTPPayloadType.tcp, maximumPayloadBytes: Int = V2G.maximumPayloadBytes) {
        precondition(maximumPayloadBytes >= 0)
        self.accepted = accepted; self.maximumPayloadBytes = maximumPayloadBytes
    }

    /// Bytes received and not yet consumed (a partial header or payload).
    public var bufferedByteCount: Int { buffer.count - start }
    /// True between messages: nothing of a next message has arrived yet.
    public var isAtMessageBoundary: Bool { bufferedByteCount == 0 && header == nil && skipRemaining == 0 }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard failure == nil else { return }
        if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next message, `nil` while more bytes are needed, or the failure after which the connection is to be closed.
    public mutating func next() -> Result<Item, V2GTPError>? {
        if let failure { return .failure(failure) }
        while true {
            if skipRemaining > 0 {
                let n = Int(min(skipRemaining, UInt64(bufferedByteCount)))
                start += n
                skipRemaining -= UInt64(n)
                if skipRemaining > 0 { return nil }
            }
            if let h = header {
                let n = Int(h.payloadLength)
                guard bufferedByteCount >= n else { return nil }
                let payload = Array(buffer[start..<start + n])
                start += n
                header = nil
                return .success(.frame(V2GTPFrame(payloadType: h.payloadType, payload: payload)))
            }
            guard bufferedByteCount >= V2GTPHeader.byteCount else { return nil }
            let bytes = buffer[start..<start + V2GTPHeader.byteCount]
            switch V2GTPHeader.parse(bytes, accepted: accepted, maximumPayloadBytes: maximumPayloadBytes) {
            case .success(let h):
                start += V2GTPHeader.byteCount
                header = h
            case .failure(let error):
                if case .payloadType(_, let length) = error, UInt64(length) <= UInt64(maximumPayloadBytes) {
                    start += V2GTPHeader.byteCount
                    skipRemaining = UInt64(length)
                    return .success(.ignored(error))
                }
                // An unprocessed type too long to skip is refused as too long: the connection closes either way.
                if case .payloadType(let type, let length) = error {
                    failure = .payloadLength(length, type: type, maximum: maximumPayloadBytes)
                } else {
                    failure = error
                }
                buffer = []
                start = 0
                return .failure(failure!)
            }
        }
    }
}

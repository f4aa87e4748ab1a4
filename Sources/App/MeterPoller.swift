import Logging
import Runtimes
import ChargePoint
import EVSECore
import ModbusTCP
import StationModbus
import Transport

/// A meter of the station read over Modbus TCP: Transport's poller with the meter's layout (StationModbus), each poll
/// reported to the runtime, which decides when the meter counts as not communicating (and logs it).
typealias MeterPoller = ModbusPoller<MeterReading>

extension ModbusPoller where Value == MeterReading {
    init<Board>(endpoint: MeterEndpoint, target: MeterTarget, interval: Duration, runtime: StationRuntime<Board>, logger _: Logger) {
        let layout = endpoint.layout
        self.init(host: endpoint.host, port: endpoint.port, unitID: UInt8(clamping: endpoint.unitID), function: layout.function, reads: layout.reads,
                  interval: interval, decode: { registers in
                      guard let reading = layout.reading(registers) else {
                          throw ModbusError.malformed("the meter's registers do not decode as \(layout.function)")
                      }
                      return reading
                  }, report: { await runtime.meterPolled(target, $0) })
    }
}

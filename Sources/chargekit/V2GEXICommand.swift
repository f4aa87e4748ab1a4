import ArgumentParser
import EXI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices

/// `chargekit v2g-exi`: decodes captured ISO 15118 / DIN 70121 EXI messages to readable JSON and encodes JSON to EXI,
/// with the station's own codec (Sources/EXI). Hidden: a tool for installers reading a capture and for the oracle
/// tests, which compare it with EXIficient (Tests/Interop/iso15118/test_exi_oracle.py). The JSON is EXIficient's form
/// (docs/commands.md). Without arguments it works line by line on standard input (one hex stream or JSON document per
/// line, one answer per line, "error: …" for a bad one) so a test can stream thousands of messages through one process.
struct V2GEXICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "v2g-exi",
        abstract: "Decode or encode ISO 15118 / DIN SPEC 70121 EXI messages (JSON in EXIficient's form).",
        shouldDisplay: false,
        subcommands: [Decode.self, Encode.self, Bench.self])

    enum Schema: String, ExpressibleByArgument, CaseIterable {
        case appHand, iso2, din, xmldsig, iso20Common, iso20AC

        var exi: EXISchema {
            switch self {
            case .appHand: return EXI.appProtocol
            case .iso2: return EXI.iso2
            case .din: return EXI.din
            case .xmldsig: return EXI.xmldsig
            case .iso20Common: return EXI.iso20Common
            case .iso20AC: return EXI.iso20AC
            }
        }
    }

    struct Common: ParsableArguments {
        @Option(help: "The schema: appHand (supportedAppProtocol), iso2 (ISO 15118-2), din (DIN SPEC 70121), xmldsig (with --fragment: SignedInfo as signed), iso20Common and iso20AC (ISO 15118-20's common and AC messages).")
        var schema: Schema
        @Flag(help: "An EXI fragment (ISO 15118-2 §7.9.2.4: SignedInfo, signed body elements) instead of a document.")
        var fragment = false
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "EXI (hex) → JSON.")
        @OptionGroup var common: Common
        @Flag(help: "Indented JSON.") var pretty = false
        @Argument(help: "EXI streams in hex; without, one per line from standard input.") var hex: [String] = []

        func run() throws {
            let schema = common.schema.exi
            let fragment = common.fragment
            let pretty = self.pretty
            try V2GEXICommand.each(hex) { text in
                guard let bytes = EXIHex.decode(text.filter { !$0.isWhitespace }) else { throw ValidationError("not hex: \(text.prefix(40))") }
                let node = fragment ? try EXICodec.decodeFragment(bytes, schema: schema) : try EXICodec.decodeDocument(bytes, schema: schema)
                return EXIJSON.render(node, pretty: pretty)
            }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "JSON → EXI (hex).")
        @OptionGroup var common: Common
        @Argument(help: "JSON documents; without, one per line from standard input.") var json: [String] = []

        func run() throws {
            let schema = common.schema.exi
            let fragment = common.fragment
            try V2GEXICommand.each(json) { text in
                let node = try EXIJSON.node(from: text, schema: schema, fragment: fragment)
                let bytes = fragment ? try EXICodec.encodeFragment(node, schema: schema) : try EXICodec.encodeDocument(node, schema: schema)
                return EXIHex.encode(bytes)
            }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Times encode and decode of each JSON line (scripts/bench-exi.sh): one JSON answer per line.")
        @OptionGroup var common: Common
        @Option(name: .customLong("repeat"), help: "Repetitions per message.") var repetitions: Int = 1000

        func run() throws {
            let schema = common.schema.exi
            let n = max(1, repetitions)
            try V2GEXICommand.each([]) { text in
                let node = try EXIJSON.node(from: text, schema: schema)
                var bytes: [UInt8] = []
                let clock = ContinuousClock()
                let encode = try clock.measure { for _ in 0..<n { bytes = try EXICodec.encodeDocument(node, schema: schema) } }
                var decoded = node
                let decode = try clock.measure { for _ in 0..<n { decoded = try EXICodec.decodeDocument(bytes, schema: schema) } }
                guard decoded == node else { throw ValidationError("round trip differs") }
                func us(_ d: Duration) -> Double {
                    (Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(n)
                }
                return "{\"bytes\": \(bytes.count), \"encode_us\": \(us(encode)), \"decode_us\": \(us(decode))}"
            }
        }
    }

    /// Runs `work` on each argument (an error fails the command) or on each line of standard input (an error is an
    /// "error: …" line and the next line follows).
    static func each(_ arguments: [String], _ work: (String) throws -> String) throws {
        if !arguments.isEmpty {
            for a in arguments {
                do { print(try work(a)) } catch { throw fail("\(error)") }
            }
            return
        }
        while let line = readLine() {
            if line.isEmpty { continue }
            let answer: String
            do { answer = try work(line) } catch { answer = "error: \(error)" }
            StandardStream.output.write(answer + "\n")
                }
    }
}

/// Efficient XML Interchange (W3C EXI 1.0, Second Edition), schema-informed with the default options that ISO 15118-2
/// §7.9 and DIN SPEC 70121 prescribe: the codec of the vehicle-to-grid messages. The grammars and message types are
/// generated from the official XML schemas by `scripts/exi-codegen`; a stream that does not match its grammar is an
/// error with the bit position, never a crash.
public enum EXI {}

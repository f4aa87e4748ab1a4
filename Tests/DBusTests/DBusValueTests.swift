import Testing
@testable import DBus

@Suite("DBus values: signatures and accessors")
struct DBusValueTests {
    @Test("signatures of nested values (D-Bus Specification 0.41, Type System)")
    func signatures() {
        #expect(DBusValue.stringVariantDictionary(["a": .uint32(1)]).signature == "a{sv}")
        #expect(DBusValue.structure([.uint32(1), .array(elementSignature: "y", [])]).signature == "(uay)")
        #expect(DBusValue.strings([]).signature == "as")
    }

    @Test("a{sv} reads back as a dictionary, variants unwrapped by the accessors")
    func dictionary() {
        let d = DBusValue.stringVariantDictionary(["method": .string("auto"), "mtu": .uint32(1500)]).dictionary
        #expect(d?["method"]?.string == "auto")
        #expect(d?["mtu"]?.int == 1500)
        #expect(DBusValue.string("x").dictionary == nil)
    }
}

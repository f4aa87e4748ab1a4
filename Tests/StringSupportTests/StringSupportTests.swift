import StringSupport
import Testing

@Suite struct StringSupportTests {
    @Test func trimsWhiteSpaceAndLineBreaksOfBothEnds() {
        #expect(" \t eth0 \r\n".trimmedWhitespaceAndNewlines == "eth0")
        #expect("a b".trimmedWhitespaceAndNewlines == "a b")
        #expect("\u{00A0}x\u{2003}".trimmedWhitespaceAndNewlines == "x")  // no-break space, em space: Unicode White_Space
        #expect(" \n ".trimmedWhitespaceAndNewlines == "")
        #expect("".trimmedWhitespaceAndNewlines == "")
    }

    @Test func percentDecodingFollowsRFC3986() {
        #expect("CP%20GARAGE%2F1".percentDecoded == "CP GARAGE/1")
        #expect("%c3%bc".percentDecoded == "ü")
        #expect("plain".percentDecoded == "plain")
        #expect("%".percentDecoded == nil)
        #expect("%4".percentDecoded == nil)
        #expect("%zz".percentDecoded == nil)
        #expect("%FF".percentDecoded == nil)  // not UTF-8
    }

    @Test func percentEncodingKeepsOnlyUnreservedAndTheGivenCharacters() {
        #expect("CP GARAGE/1".percentEncoded() == "CP%20GARAGE%2F1")
        #expect("A-z_0.9~".percentEncoded() == "A-z_0.9~")
        #expect("ü".percentEncoded() == "%C3%BC")
        #expect("a&b=c".percentEncoded(keeping: "=") == "a%26b=c")
        #expect("ü ~".percentEncoded().percentDecoded == "ü ~")
    }

    @Test func pathsJoinWithOneSlash() {
        #expect("/var/lib/chargekit".pathAppending("firmware") == "/var/lib/chargekit/firmware")
        #expect("/var/lib/chargekit/".pathAppending("/firmware") == "/var/lib/chargekit/firmware")
        #expect("/".pathAppending("x") == "/x")
        #expect("".pathAppending("x") == "x")
        #expect("/a/b/c.pkg".pathDirectory == "/a/b")
        #expect("/a".pathDirectory == "/")
        #expect("c".pathDirectory == "")
        #expect("/a/b/".pathDirectory == "/a")
        #expect("/a/b/c.pkg".pathLastComponent == "c.pkg")
        #expect("/a/b/".pathLastComponent == "b")
        #expect("c".pathLastComponent == "c")
    }

    @Test func tablesPadAndCut() {
        #expect("ab".padded(to: 4) == "ab  ")
        #expect("abcdef".padded(to: 4) == "abcd")
        #expect("7.5".leftPadded(to: 5) == "  7.5")
        #expect("123456".leftPadded(to: 5) == "123456")
    }

    @Test func fixedDecimalsRoundLikePrintf() {
        #expect(16.0.fixed(1) == "16.0")
        #expect(7.25.fixed(1) == "7.2")     // a tie of the exact binary value: to even
        #expect(7.35.fixed(1) == "7.3")     // 7.35 is 7.3499999… in binary
        #expect((-0.04).fixed(1) == "-0.0")
        #expect((-2.5).fixed(0) == "-2")
        #expect(12345.678.fixed(0) == "12346")
        #expect(0.05.fixed(2) == "0.05")
        #expect(Double.nan.fixed(1) == "nan")
    }
}

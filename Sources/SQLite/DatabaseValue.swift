#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One SQLite value: the five storage classes of https://www.sqlite.org/datatype3.html §2.
public enum DatabaseValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that is bound to a statement parameter and read back from a column.
///
/// The conversions are those GRDB made, so that the stores read every value they wrote before (the database files
/// of earlier versions are read unchanged): integers from INTEGER, or from REAL when exact; doubles from REAL or
/// INTEGER; booleans from any non-zero number; text from TEXT or UTF-8 BLOB; bytes from BLOB or TEXT.
public protocol DatabaseValueConvertible: Sendable {
    /// The value as it is bound.
    var databaseValue: DatabaseValue { get }
    /// The value read from a column; nil for NULL or a value of another kind.
    static func fromDatabaseValue(_ value: DatabaseValue) -> Self?
}

extension Int64: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(self) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> Int64? {
        switch value {
        case .integer(let v): v
        case .double(let v): Int64(exactly: v)
        default: nil
        }
    }
}

extension Int: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> Int? { Int64.fromDatabaseValue(value).flatMap { Int(exactly: $0) } }
}

extension Int32: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> Int32? { Int64.fromDatabaseValue(value).flatMap { Int32(exactly: $0) } }
}

extension Double: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .double(self) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> Double? {
        switch value {
        case .double(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
}

/// Stored as the integers 0 and 1 (SQLite has no boolean type: https://www.sqlite.org/datatype3.html §2.1).
extension Bool: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(self ? 1 : 0) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> Bool? {
        switch value {
        case .integer(let v): v != 0
        case .double(let v): v != 0
        default: nil
        }
    }
}

extension String: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .text(self) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> String? {
        switch value {
        case .text(let v): v
        case .blob(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }
}

extension Array: DatabaseValueConvertible where Element == UInt8 {
    public var databaseValue: DatabaseValue { .blob(self) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> [UInt8]? {
        switch value {
        case .blob(let v): v
        case .text(let v): Array(v.utf8)
        default: nil
        }
    }
}

/// FoundationEssentials' `Data` (the stores' hardware state blob), as bytes.
extension Data: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .blob(Array(self)) }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> Data? { [UInt8].fromDatabaseValue(value).map { Data($0) } }
}

/// The values bound to a statement's `?` parameters, in order. `nil` binds NULL.
public struct StatementArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [DatabaseValue]

    public init() { values = [] }

    public init(arrayLiteral elements: (any DatabaseValueConvertible)?...) {
        values = elements.map { $0?.databaseValue ?? .null }
    }

    public init<S: Sequence>(_ sequence: S) where S.Element: DatabaseValueConvertible {
        values = sequence.map(\.databaseValue)
    }

    public init<S: Sequence>(_ sequence: S) where S.Element == (any DatabaseValueConvertible)? {
        values = sequence.map { $0?.databaseValue ?? .null }
    }
}

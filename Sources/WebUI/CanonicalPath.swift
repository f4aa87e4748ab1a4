import Hummingbird
import HTTPTypes
import NIOCore

/// The request path as the router sees it, and the refusal of every other spelling of it.
///
/// Hummingbird's router splits the path at `/` and skips empty segments, so `//api/status`, `/api//status` and
/// `/api/status/` all reach the handler of `/api/status`. A check that looks at the raw path (`hasPrefix("/api/")`)
/// then guards a different route than the one that answers (issue 20 item 1: `//api/…` passed the token check).
/// ChargeKit therefore answers only the canonical spelling of a path — no empty segment, no `.` or `..` segment,
/// no percent-encoded `/`, `.` or `\` — and refuses every other spelling with 400 before any route, session or token
/// is looked at. RFC 3986 §6.2.2 calls the removal of dot segments normalisation; a server may refuse instead of
/// normalising, and refusing is the smaller attack surface (no second meaning for one path).
public enum CanonicalPath {
    /// The path's segments as the router matches them (empty segments skipped, no percent-decoding).
    public static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// True when `path` is the one spelling the router would match: `/` or `/seg/seg` with non-empty segments that
    /// are not `.`/`..` and hide no separator or dot behind percent-encoding.
    public static func isCanonical(_ path: String) -> Bool {
        if path == "/" { return true }
        guard path.hasPrefix("/"), !path.hasSuffix("/") else { return false }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            if part.isEmpty || part == "." || part == ".." { return false }
            let lower = part.lowercased()
            if lower.contains("%2f") || lower.contains("%2e") || lower.contains("%5c") || part.contains("\\") { return false }
        }
        return true
    }

    /// The canonical spelling of `path` (for the error answer), or nil when it has dot segments or encoded ones.
    public static func canonical(_ path: String) -> String? {
        let parts = segments(path)
        guard !parts.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        let candidate = "/" + parts.joined(separator: "/")
        return isCanonical(candidate) ? candidate : nil
    }

    /// True when the router would hand `path` to a route under `/api/` (the token-guarded local API).
    public static func isAPI(_ path: String) -> Bool {
        segments(path).first.map { $0.lowercased() == "api" } ?? false
    }
}

/// First middleware of every ChargeKit router (station and gateway): refuses non-canonical paths with 400 and a JSON
/// body naming the canonical spelling, so that every later check sees the path the router will match.
public struct CanonicalPathMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard CanonicalPath.isCanonical(path) else {
            let hint = CanonicalPath.canonical(path).map { "; did you mean \($0)?" } ?? ""
            return StationAPI.error(.badRequest, "path is not in canonical form (empty, '.' or '..' segments, or an encoded separator)\(hint)",
                                    field: "path")
        }
        return try await next(request, context)
    }
}

"""The web interface's forms over plain HTTP (login, password change), without a browser: for tests that need a
logged-in session of the station or the gateway but no page rendering (accounts reset, the secrets test)."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WebSession:
    """One browser's cookies against `base` (http://host:port)."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method, path, fields=None):
        """Returns (status, body text, Location header)."""
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"} if data else {})
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, r.read().decode(errors="replace"), r.headers.get("Location")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace"), e.headers.get("Location")

    @staticmethod
    def csrf(page):
        match = re.search(r'name="csrf" value="([^"]*)"', page)
        assert match, page[:2000]
        return match.group(1)

    def login(self, name, password):
        """Posts the login form; returns (status, Location)."""
        status, page, _ = self.request("GET", "/login")
        assert status == 200, status
        status, _, location = self.request("POST", "/login", {"csrf": self.csrf(page), "name": name, "password": password})
        return status, location

    def logged_in(self):
        """Whether the session is still valid: it opens the dashboard, or the forced password change; a session that
        ended is sent to the login page."""
        status, _, location = self.request("GET", "/")
        return (status == 200 and location is None) or location == "/account/password"

    def change_password(self, old, new):
        status, page, _ = self.request("GET", "/account/password")
        assert status == 200, status
        status, text, location = self.request("POST", "/account/password",
                                              {"csrf": self.csrf(page), "old": old, "new": new, "repeat": new})
        assert status in (200, 303), (status, text[:500])
        return status, location

"""Headless chromium (Debian `chromium` + `chromium-driver`, driven by selenium) on the web interfaces of the station
and the gateway, which share their login, layout and forms. Screenshots go to $CHARGEKIT_ARTIFACTS (default
Tests/Interop/artifacts)."""
import os
import re
import shutil
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
import urllib.parse

ARTIFACTS = Path(os.environ.get("CHARGEKIT_ARTIFACTS", Path(__file__).resolve().parent / "artifacts"))
NEW_PASSWORDS = {"operator": "operator-pass-2026", "installer": "installer-pass-2026", "manufacturer": "manufacturer-pass-26"}


def initial_passwords(peer, timeout=30):
    """The initial passwords a station or gateway printed once at its first start (on its log). They are printed once
    their hashes are stored, which may be a little after the listeners answer (bcrypt runs beside the start)."""
    deadline = time.monotonic() + timeout
    while True:
        text = peer.log_path.read_text(errors="replace")
        found = dict(re.findall(r"^  (operator|installer|manufacturer)\s+(\S+)$", text, re.M))
        if set(found) == {"operator", "installer", "manufacturer"} or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert set(found) == {"operator", "installer", "manufacturer"}, text[-2000:]
    return found


def chromium(*extra):
    """Debian's headless chromium through chromedriver; `extra`: further command-line switches."""
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en", *extra):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    return driver


class Web:
    """A browser session on a station's or gateway's web interface (`peer.base` is its http://host:port)."""

    def __init__(self, driver, peer, base=None):
        self.d, self.station = driver, peer
        self.fixed_base = base  # the peer's https:// base for the HTTPS tests; else its HTTP base, read anew (a restart moves it)
        self.d.delete_all_cookies()

    @property
    def base(self):
        return self.fixed_base or self.station.base

    def open(self, path):
        self.d.get(self.base + path)

    def shot(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.d.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def el(self, css):
        return WebDriverWait(self.d, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def submit(self, button):
        """Clicks a submit button and waits until the answer page has replaced this one (a marker set on this page's
        window is gone once the next document loaded)."""
        self.d.execute_script("window.__ckPage = true;")
        self.el(button).click()

        def replaced(d):
            try:
                return d.execute_script("return document.readyState === 'complete' && !window.__ckPage;")
            except WebDriverException:
                return False  # between the two documents
        WebDriverWait(self.d, 10).until(replaced)

    def fill(self, css, value):
        field = self.el(css)
        field.clear()
        field.send_keys(value)

    def login(self, name, password):
        self.open("/login")
        Select(self.el("#name")).select_by_value(name)
        self.el("#password").send_keys(password)
        self.submit("#login")

    def path(self):
        return urllib.parse.urlparse(self.d.current_url).path

    def change_password(self, old, new, repeat=None):
        self.el("#old").send_keys(old)
        self.el("#new").send_keys(new)
        self.el("#repeat").send_keys(new if repeat is None else repeat)
        self.submit("#change-password")

    def first_login(self, name, initial):
        self.login(name, initial)
        WebDriverWait(self.d, 10).until(lambda d: self.path() == "/account/password")
        self.change_password(initial, NEW_PASSWORDS[name])
        self.el(".alert.success")

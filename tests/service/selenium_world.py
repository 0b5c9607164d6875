# SPDX-License-Identifier: Apache-2.0
"""What the Chromium tests of ias-unblockd share (holder_pages_selenium.py,
support_console_selenium.py): a private `ias-unblockd serve` (SQLite, its own SoftHSM token,
self-signed TLS, outbox_dir), headless Chromium, and the check / click / screenshot helpers.
"""
import os
import socket
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    """`with World(binary, "holder-pages", token_label) as w:` — w.tmp, w.env, w.conf (the
    --config arguments), w.base (https://127.0.0.1:<port>); w.serve() starts the service and
    the browser (w.driver); leaving the block stops both and removes w.tmp."""

    def __init__(self, binary, name, token_label, window="1100,1000"):
        self.binary = os.path.abspath(binary)
        self.artefacts = os.path.abspath(os.environ.get("IAS_ARTEFACTS", "artefacts/" + name))
        os.makedirs(self.artefacts, exist_ok=True)
        self.tmp = tmp = tempfile.mkdtemp(prefix="ias-unblockd-" + name + "-")
        self.env = dict(os.environ, SOFTHSM2_CONF=f"{tmp}/softhsm2.conf")
        self.window = window
        self.failures = []
        self.driver = None
        self.server = None
        os.makedirs(f"{tmp}/tokens")
        os.makedirs(f"{tmp}/outbox")
        with open(f"{tmp}/softhsm2.conf", "w") as f:
            f.write(f"directories.tokendir = {tmp}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
        for file, value in (("user.pin", "user-pin-1"), ("so.pin", "so-pin-1"),
                            ("admin.token", "admin-token-for-selenium-tests")):
            with open(f"{tmp}/{file}", "w") as f:
                f.write(value + "\n")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        self.port = free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        with open(f"{tmp}/ias-unblockd.conf", "w") as f:
            f.write(f"""listen = 127.0.0.1
port = {self.port}
public_url = {self.base}
tls.cert = {tmp}/cert.pem
tls.key = {tmp}/key.pem
database = sqlite:{tmp}/db.sqlite
hsm.token = {token_label}
hsm.pin_file = {tmp}/user.pin
admin.token_file = {tmp}/admin.token
audit_log = {tmp}/audit.log
outbox_dir = {tmp}/outbox
answers.iterations = 1000
brand.issuer = Autorité de test
""")
        self.conf = ["--config", f"{tmp}/ias-unblockd.conf"]
        self.run("hsm-init", "--so-pin-file", f"{tmp}/so.pin")

    def run(self, *args, stdin=None):
        """`ias-unblockd <args> --config ...`: its standard output."""
        return subprocess.run([self.binary, args[0], *self.conf, *args[1:]], input=stdin, text=True, check=True,
                              env=self.env, capture_output=True).stdout

    def serve(self):
        self.server = subprocess.Popen([self.binary, "serve", *self.conf], env=self.env, stderr=subprocess.PIPE,
                                       text=True)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                    "--window-size=" + self.window, "--disable-dev-shm-usage"):
            options.add_argument(arg)
        options.binary_location = "/usr/bin/chromium"
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        return self.driver

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.driver:
            self.driver.quit()
        if self.server:
            self.server.terminate()
            self.server.wait(10)
        subprocess.run(["rm", "-rf", self.tmp])
        return False

    def check(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            self.failures.append(what)

    def click_and_wait(self, element_id):
        # Waits for the next page by a marker on the old window object, not by staleness_of: while the
        # old document is being torn down Chromium may answer "Node with given id does not belong to the
        # document" (a plain WebDriverException, not a StaleElementReferenceException), which
        # staleness_of does not expect. Any WebDriver error during the navigation is retried until the
        # timeout.
        self.driver.execute_script("window.iasOldPage = true;")
        self.driver.find_element(By.ID, element_id).click()
        WebDriverWait(self.driver, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script("return window.iasOldPage !== true && document.readyState === 'complete';"))

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(self.artefacts, name + ".png"))

    def audit(self):
        with open(f"{self.tmp}/audit.log") as f:
            return f.read()

    def summary(self):
        print(f"screenshots in {self.artefacts}")
        print(f"{len(self.failures)} failure(s)")
        return 1 if self.failures else 0

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Holder pages in headless Chromium (selenium + chromedriver), against the real
`ias-unblockd serve` (SQLite, private SoftHSM token, self-signed TLS). Screenshots go to
$IAS_ARTEFACTS (default: ./artefacts/holder-pages).

usage: holder_pages_selenium.py <path to ias-unblockd>
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

SERIAL = "9250001000000012345F"
ANSWERS = ["Durand-Canary1", "Lyon"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary = os.path.abspath(sys.argv[1])
    artefacts = os.path.abspath(os.environ.get("IAS_ARTEFACTS", "artefacts/holder-pages"))
    os.makedirs(artefacts, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="ias-unblockd-pages-")
    env = dict(os.environ, SOFTHSM2_CONF=f"{tmp}/softhsm2.conf")
    os.makedirs(f"{tmp}/tokens")
    os.makedirs(f"{tmp}/outbox")
    with open(f"{tmp}/softhsm2.conf", "w") as f:
        f.write(f"directories.tokendir = {tmp}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
    for name, value in (("user.pin", "user-pin-1"), ("so.pin", "so-pin-1"), ("admin.token", "admin-token-for-selenium-tests")):
        with open(f"{tmp}/{name}", "w") as f:
            f.write(value + "\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    port = free_port()
    with open(f"{tmp}/ias-unblockd.conf", "w") as f:
        f.write(f"""listen = 127.0.0.1
port = {port}
public_url = https://127.0.0.1:{port}
tls.cert = {tmp}/cert.pem
tls.key = {tmp}/key.pem
database = sqlite:{tmp}/db.sqlite
hsm.token = ias-unblockd-pages
hsm.pin_file = {tmp}/user.pin
admin.token_file = {tmp}/admin.token
audit_log = {tmp}/audit.log
outbox_dir = {tmp}/outbox
answers.iterations = 1000
brand.issuer = Autorité de test
""")
    conf = ["--config", f"{tmp}/ias-unblockd.conf"]
    subprocess.run([binary, "hsm-init", *conf, "--so-pin-file", f"{tmp}/so.pin"], check=True, env=env,
                   capture_output=True)

    def new_case(serial):
        created = subprocess.run([binary, "admin", *conf, "create-case", "--serial", serial, "--email",
                                  "holder@example.org", "--question", "Nom de jeune fille de votre mère ?",
                                  "--question", "Ville de naissance ?"],
                                 input="\n".join(ANSWERS) + "\n", text=True, check=True, env=env,
                                 capture_output=True).stdout
        # The mail is handed over in outbox_dir (the database never keeps the link).
        case_id = re.match(r"case (\d+) created", created).group(1)
        with open(f"{tmp}/outbox/case-{case_id}.eml") as mail:
            return re.findall(r"https://\S+/h/[0-9a-f]{64}", mail.read())[-1]

    server = subprocess.Popen([binary, "serve", *conf], env=env, stderr=subprocess.PIPE, text=True)
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                "--window-size=1100,1000", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    driver = None
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    def click_and_wait(element_id):
        # Waits for the next page by a marker on the old window object, not by staleness_of: while the
        # old document is being torn down Chromium may answer "Node with given id does not belong to the
        # document" (a plain WebDriverException, not a StaleElementReferenceException), which
        # staleness_of does not expect. Any WebDriver error during the navigation is retried until the
        # timeout.
        driver.execute_script("window.iasOldPage = true;")
        driver.find_element(By.ID, element_id).click()
        WebDriverWait(driver, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script("return window.iasOldPage !== true && document.readyState === 'complete';"))

    def shot(name):
        driver.save_screenshot(os.path.join(artefacts, name + ".png"))

    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

        # Case 1: one wrong submission, the "show values" toggle, then the secret.
        driver.get(new_case(SERIAL))
        check("/h/" not in driver.current_url, "no link token in the URL after the first visit")
        check("Débloquer mon support" in driver.page_source, "initialisation page (French by default)")
        shot("1-initialisation-fr")
        click_and_wait("start")
        answers = driver.find_elements(By.CSS_SELECTOR, "input.answer")
        check(len(answers) == 2 and all(a.get_attribute("type") == "password" for a in answers), "answers masked")
        answers[0].send_keys("durand-canary1")
        answers[1].send_keys(ANSWERS[1])
        driver.find_element(By.ID, "show").click()
        check(all(a.get_attribute("type") == "text" for a in driver.find_elements(By.CSS_SELECTOR, "input.answer")),
              "'Afficher les valeurs' shows the values")
        shot("2-questions-shown")
        click_and_wait("submit")
        check("Il vous reste 2 essai(s)" in driver.page_source, "wrong answers: 2 tries left")
        shot("3-wrong-answer")
        answers = driver.find_elements(By.CSS_SELECTOR, "input.answer")
        answers[0].send_keys(ANSWERS[0])
        answers[1].send_keys(ANSWERS[1])
        click_and_wait("submit")
        found = driver.find_elements(By.ID, "secret")
        if not found:
            shot("4-secret-missing")
            print(re.sub(r"<[^>]+>", " ", driver.page_source)[:1500])
        secret = found[0].text if found else ""
        check(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}-[0-9A-Z]{2}", secret) is not None, "secret displayed")
        check("pkcs11-tool" in driver.page_source and "Firefox" in driver.page_source, "how to use it")
        shot("4-secret")
        driver.get(f"https://127.0.0.1:{port}/holder")
        check(secret not in driver.page_source and "Lien déjà utilisé" in driver.page_source, "secret shown once")
        shot("5-already-used")

        # Case 2 (English): three wrong submissions -> definitive block with support contacts.
        driver.delete_all_cookies()
        driver.get(new_case("0010000000123460") + "?lang=en")
        check("Unblock my token" in driver.page_source, "English pages")
        shot("6-initialisation-en")
        click_and_wait("start")
        for _ in range(3):
            for a in driver.find_elements(By.CSS_SELECTOR, "input.answer"):
                a.send_keys("wrong")
            click_and_wait("submit")
        check("Wrong answers" in driver.page_source and "08 92 23 02 52" in driver.page_source,
              "definitive block page with support contacts")
        shot("7-blocked-en")
        driver.delete_all_cookies()
        driver.get(new_case("0010000000123461"))
        click_and_wait("start")
        for _ in range(3):
            for a in driver.find_elements(By.CSS_SELECTOR, "input.answer"):
                a.send_keys("faux")
            click_and_wait("submit")
        check("Réponses erronées" in driver.page_source, "'Réponses erronées' (French)")
        shot("8-blocked-fr")
        audit = open(f"{tmp}/audit.log").read()
        check(secret not in audit and ANSWERS[0] not in audit, "no secret or answer in the audit log")
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(10)
        subprocess.run(["rm", "-rf", tmp])
    print(f"screenshots in {artefacts}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

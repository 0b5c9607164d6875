#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The support console in headless Chromium (selenium + chromedriver), against the real
`ias-unblockd serve` (SQLite, private SoftHSM token, self-signed TLS): a support person signs
in (password + TOTP computed here), opens a case, sees the holder's progress live (the holder's
pages in a second tab), sends a new link (the old one is refused), closes the case; an auditor
can read but not change anything. Screenshots go to $IAS_ARTEFACTS (default:
./artefacts/support-console).

usage: support_console_selenium.py <path to ias-unblockd>
"""
import base64
import hashlib
import hmac
import re
import struct
import sys
import time

from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

from selenium_world import World

SERIAL = "9250001000000012345F"
SERIAL2 = "0010000000123460"
ANSWERS = ["Durand-Canary1", "Lyon"]
PASSWORD = "correct horse battery staple"


def totp(seed, offset=0):
    """RFC 6238: HMAC-SHA1, 6 digits, 30 s steps."""
    counter = int(time.time()) // 30 + offset
    mac = hmac.new(seed, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def seed_of(uri):
    secret = re.search(r"[?&]secret=([A-Z2-7]+)", uri).group(1)
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def main():
    with World(sys.argv[1], "support-console", "ias-unblockd-console", window="1200,1000") as w:
        return run(w)


def run(w):
    check, click_and_wait, shot = w.check, w.click_and_wait, w.shot
    tmp, base = w.tmp, w.base
    seeds = {}
    for name, role in (("alice", "support"), ("bob", "auditor")):
        seeds[name] = seed_of(w.run("staff", "add", name, "--role", role, stdin=PASSWORD + "\n").strip())
    listed = w.run("staff", "list")
    driver = w.serve()

    def text(element_id):
        found = driver.find_elements(By.ID, element_id)
        return found[0].text if found else ""

    def sign_in(name):
        driver.get(f"{base}/support/login")
        driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "code").send_keys(totp(seeds[name]))

    def link_of(case_id):
        with open(f"{tmp}/outbox/case-{case_id}.eml") as mail:
            return re.findall(r"https://\S+/h/[0-9a-f]{64}", mail.read())[-1]

    def post_status(path):
        # A POST from the page itself (same origin, the session cookie, the page's CSRF token).
        return driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "var csrf = document.querySelector('input[name=csrf]').value;"
            "fetch(arguments[0], {method: 'POST', credentials: 'same-origin', headers: "
            "{'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf=' + csrf + '&reason=auditor'})"
            ".then(function (r) { done(r.status); }, function () { done(-1); });", path)

    def open_case(serial):
        click_and_wait("new-case")
        driver.find_element(By.ID, "serial").send_keys(serial)
        driver.find_element(By.ID, "email").send_keys("holder@example.org")
        driver.find_element(By.ID, "q0").send_keys("Nom de jeune fille de votre mère ?")
        driver.find_element(By.ID, "a0").send_keys(ANSWERS[0])
        driver.find_element(By.ID, "q1").send_keys("Ville de naissance ?")
        driver.find_element(By.ID, "a1").send_keys(ANSWERS[1])
        click_and_wait("open")
        return re.search(r"/support/cases/(\d+)", driver.current_url).group(1)

    check("alice\tsupport\tactive" in listed and "bob\tauditor\tactive" in listed, "staff list")

    # Sign-in: a wrong code is refused, then password + TOTP.
    sign_in("alice")
    driver.find_element(By.ID, "code").clear()
    driver.find_element(By.ID, "code").send_keys("000000" if totp(seeds["alice"]) != "000000" else "111111")
    click_and_wait("signin")
    check(text("refused") != "", "wrong TOTP code refused")
    sign_in("alice")
    shot("1-sign-in")
    click_and_wait("signin")
    check("alice (support)" in text("who"), "signed in as alice (support)")

    # Open a case.
    case_id = open_case(SERIAL)
    check("Dossier ouvert" in text("notice"), "case opened from the console")
    check(text("f-serial") == SERIAL and "ouvert" in text("f-state"), "case page: serial and state")
    shot("2-case-opened")

    # The holder's progress, live: the holder's pages in a second tab, the console page not reloaded.
    console = driver.current_window_handle
    driver.switch_to.new_window("tab")
    holder = driver.current_window_handle
    old_link = link_of(case_id)
    driver.get(old_link)
    click_and_wait("start")
    for a in driver.find_elements(By.CSS_SELECTOR, "input.answer"):
        a.send_keys("faux")
    click_and_wait("submit")
    check("Il vous reste 2 essai(s)" in driver.page_source, "holder: one wrong submission")
    driver.switch_to.window(console)
    driver.execute_script("window.iasSamePage = true;")
    try:
        WebDriverWait(driver, 15).until(lambda d: text("f-answers").startswith("1 ") and "1 fois" in text("f-link"))
    except WebDriverException:
        pass
    check(text("f-answers").startswith("1 ") and "ouvert 1 fois" in text("f-link"),
          "console: link opened and one wrong submission, shown live")
    check(driver.execute_script("return window.iasSamePage === true;"), "without reloading the page")
    shot("3-live-progress")

    # A new link: the old one is refused, the new one works.
    click_and_wait("resend")
    check("Nouveau lien envoyé" in text("notice"), "new link sent")
    new_link = link_of(case_id)
    check(new_link != old_link, "the mail has a new link")
    driver.switch_to.window(holder)
    driver.get(old_link)
    check("Lien invalide" in driver.page_source, "old link refused")
    shot("4-old-link-refused")
    driver.get(new_link)
    check("Débloquer mon support" in driver.page_source, "new link works")
    driver.close()
    driver.switch_to.window(console)

    # Close with a reason.
    driver.get(f"{base}/support/cases/{case_id}")
    driver.find_element(By.ID, "reason").send_keys("Titulaire joint par téléphone")
    click_and_wait("close")
    check("clos : Titulaire joint par téléphone" in text("f-state"), "case closed with its reason")
    check(not driver.find_elements(By.ID, "resend") and not driver.find_elements(By.ID, "close"),
          "no action on a closed case")
    check("alice a clos le dossier" in text("history"), "history names the person")
    shot("5-closed")
    driver.get(f"{base}/support/cases/{case_id}?lang=en")
    shot("6-closed-en")

    # A second, open case for the auditor; search by e-mail.
    driver.get(f"{base}/support/")
    case2 = open_case(SERIAL2)
    driver.get(f"{base}/support/?q=holder%40example.org")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#results tr")) == 3, "search by e-mail: both cases")
    shot("7-search")
    click_and_wait("logout")

    # The auditor reads, and cannot change anything (refused by the server).
    sign_in("bob")
    click_and_wait("signin")
    check("bob (auditor)" in text("who"), "signed in as bob (auditor)")
    check(not driver.find_elements(By.ID, "new-case"), "auditor: no 'open a case'")
    driver.get(f"{base}/support/cases/{case2}")
    check(text("f-serial") == SERIAL2, "auditor reads the case")
    check(not driver.find_elements(By.ID, "resend") and not driver.find_elements(By.ID, "close"),
          "auditor: no resend or close button")
    shot("8-auditor")
    check(post_status(f"/support/cases/{case2}/close") == 403, "auditor: close refused by the server")
    check(post_status(f"/support/cases/{case2}/resend") == 403, "auditor: resend refused by the server")
    driver.get(f"{base}/support/cases/new")
    check("Action refusée" in driver.page_source, "auditor: open refused")
    driver.get(f"{base}/support/cases/{case2}")
    check("ouvert" in text("f-state"), "the case is still open")

    audit = w.audit()
    check(PASSWORD not in audit and ANSWERS[0] not in audit, "no password or answer in the audit log")
    check('"staff":"alice"' in audit and '"event":"support_case_close"' in audit and
          '"event":"staff_forbidden"' in audit, "actions audited with the person's name")
    return w.summary()


if __name__ == "__main__":
    sys.exit(main())

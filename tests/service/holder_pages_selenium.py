#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Holder pages in headless Chromium (selenium + chromedriver), against the real
`ias-unblockd serve` (SQLite, private SoftHSM token, self-signed TLS). Screenshots go to
$IAS_ARTEFACTS (default: ./artefacts/holder-pages).

usage: holder_pages_selenium.py <path to ias-unblockd>
"""
import re
import sys

from selenium.webdriver.common.by import By

from selenium_world import World

SERIAL = "9250001000000012345F"
ANSWERS = ["Durand-Canary1", "Lyon"]


def main():
    with World(sys.argv[1], "holder-pages", "ias-unblockd-pages") as w:
        return run(w)


def run(w):
    check, click_and_wait, shot = w.check, w.click_and_wait, w.shot

    def new_case(serial):
        created = w.run("admin", "create-case", "--serial", serial, "--email", "holder@example.org", "--question",
                        "Nom de jeune fille de votre mère ?", "--question", "Ville de naissance ?",
                        stdin="\n".join(ANSWERS) + "\n")
        # The mail is handed over in outbox_dir (the database never keeps the link).
        case_id = re.match(r"case (\d+) created", created).group(1)
        with open(f"{w.tmp}/outbox/case-{case_id}.eml") as mail:
            return re.findall(r"https://\S+/h/[0-9a-f]{64}", mail.read())[-1]

    driver = w.serve()
    port = w.port

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
    audit = w.audit()
    check(secret not in audit and ANSWERS[0] not in audit, "no secret or answer in the audit log")
    return w.summary()


if __name__ == "__main__":
    sys.exit(main())

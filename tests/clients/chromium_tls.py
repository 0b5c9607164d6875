#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Chromium case of tests/clients/cases_browser.sh: Chromium (under Xvfb, driven by chromedriver
through Selenium) opens each URL; the certificate is chosen by the AutoSelectCertificateForUrls
policy, and the PIN is typed with xdotool into Chromium's "Unlock Security Device" dialog
(Chromium's headless mode has no such dialog: the token's key would stay locked). Prints, per
URL, "PAGE <url>", the page's text and "END PAGE"; steps as "chromium: ..." lines.

  IAS_TEST_PIN=... chromium_tls.py --user-data-dir DIR --out DIR --url URL [--url URL...]
"""
import argparse
import os
import subprocess
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def step(msg):
    print(f"chromium: {msg}", flush=True)


def windows():
    r = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "."], capture_output=True, text=True)
    out = {}
    for w in r.stdout.split():
        n = subprocess.run(["xdotool", "getwindowname", w], capture_output=True, text=True).stdout.strip()
        out[w] = n
    return out


def pin_typer(pin, stop, out, seen):
    """Types the PIN into each new "Unlock Security Device" window (the PIN field has the focus)."""
    while not stop.is_set():
        for w, n in windows().items():
            if w in seen or "security device" not in n.lower():  # "Unlock Security Device"
                continue
            seen.add(w)
            step(f"PIN dialog: window {w} '{n}'")
            time.sleep(0.5)
            subprocess.run(["import", "-window", "root", os.path.join(out, f"chromium-pin-{len(seen)}.png")], check=False)
            subprocess.run(["xdotool", "windowactivate", "--sync", w], check=False, capture_output=True)
            subprocess.run(["xdotool", "type", "--window", w, "--delay", "50", pin], check=False)
            subprocess.run(["xdotool", "key", "--window", w, "Return"], check=False)
            step("PIN typed")
        time.sleep(0.3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--user-data-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--url", action="append", required=True)
    a = ap.parse_args()
    pin = os.environ["IAS_TEST_PIN"]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    opts.page_load_strategy = "none"  # the sign-in dialog holds the load: poll the page instead
    for arg in ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--lang=en-US",
                f"--user-data-dir={a.user_data_dir}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    stop = threading.Event()
    seen = set()
    t = threading.Thread(target=pin_typer, args=(pin, stop, a.out, seen), daemon=True)
    t.start()
    try:
        driver.set_page_load_timeout(90)
        for url in a.url:
            step(f"open {url}")
            driver.get(url)
            deadline = time.time() + 90
            text = ""
            while time.time() < deadline:
                try:
                    text = driver.find_element("tag name", "body").text
                except Exception:  # noqa: BLE001 (the page is still loading)
                    text = ""
                if "Client certificate" in text or "ERR_" in text:
                    break
                time.sleep(0.5)
            print(f"PAGE {url}")
            print(text)
            print("END PAGE", flush=True)
    finally:
        stop.set()
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Firefox ESR TLS client authentication with the card, for tests/clients/cases_browser.sh.

Firefox (started with --marionette, module registered by policy, server CA in the profile,
security.default_personal_cert = "Select Automatically") opens each URL. The first connection
needs the card's private key: NSS asks for the token's password in a prompt, where the PIN (from
IAS_TEST_PIN) is typed with xdotool as a holder would. The page (openssl s_server -www) is read
back and printed after a "PAGE <url>" line for the shell's checks; screenshots go to --out.

  ff_tls.py --port P --out DIR --url URL [--url URL...]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "firefox"))
from ff_drive import Marionette, shot, step, xdo  # noqa: E402

PAGE_TEXT = """
const b = gBrowser.selectedBrowser;
return {url: b.currentURI.spec, busy: b.webProgress.isLoadingDocument,
        title: b.contentTitle, error: b.documentURI ? b.documentURI.spec : ''};
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--url", action="append", required=True)
    a = ap.parse_args()
    pin = os.environ["IAS_TEST_PIN"]

    m = Marionette(a.port)
    # Marionette takes the capabilities flat (geckodriver's matching is not there): a prompt
    # must stay open for xdotool while Marionette answers other commands.
    caps = m.call("WebDriver:NewSession", {"unhandledPromptBehavior": "ignore", "acceptInsecureCerts": False})
    behaviour = caps.get("capabilities", {}).get("unhandledPromptBehavior")
    step(f"marionette session open: unhandledPromptBehavior {behaviour}")
    if behaviour != "ignore":
        return 1
    prompted = 0
    for i, url in enumerate(a.url, 1):
        m.call("Marionette:SetContext", {"value": "chrome"})
        # Loaded from chrome code asynchronously, so that a password prompt cannot block the call.
        m.js("""const url = arguments[0];
                setTimeout(() => gBrowser.selectedBrowser.fixupAndLoadURIString(url,
                    {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()}), 0);
                return 1;""", url)
        step(f"loading {url}")
        deadline = time.time() + 60
        loaded = None
        while time.time() < deadline:
            try:
                state = m.js(PAGE_TEXT)
            except RuntimeError as e:
                # While NSS's password prompt is open Marionette answers "unexpected alert open"
                # (the prompt is left open: unhandledPromptBehavior "ignore").
                if "unexpected alert open" not in str(e) or "promptPassword" not in str(e):
                    raise
                if prompted == 2:
                    step("the password prompt came back after two PINs")
                    shot(a.out, f"{i}-prompt-again.png")
                    return 1
                prompted += 1
                step(f"Firefox asks for the token password ({str(e).split(': ', 2)[-1]})")
                time.sleep(1)
                shot(a.out, f"{i}-pin-prompt.png")
                xdo("type", "--delay", "40", pin)
                xdo("key", "Return")
                step("PIN typed with xdotool, Return")
                time.sleep(1.5)
                continue
            if not isinstance(state, dict):
                # Marionette answered null: seen once in CI while the page was being replaced
                # (the chrome script found no browser state to report). Not an answer yet.
                time.sleep(0.5)
                continue
            doc = state["error"]
            if not state["busy"] and (doc == url or doc.startswith(("about:neterror", "about:certerror"))):
                loaded = state
                break
            time.sleep(0.5)
        if loaded is None:
            step(f"timeout loading {url}")
            shot(a.out, f"{i}-timeout.png")
            return 1
        time.sleep(0.5)
        m.call("Marionette:SetContext", {"value": "content"})
        text = m.js("return document.body ? document.body.innerText : '';")
        step(f"page loaded: {loaded['error']}")
        shot(a.out, f"{i}-page.png")
        print(f"PAGE {url}")
        print(text)
        print("END PAGE")
    step(f"password prompts answered: {prompted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Thunderbird case of tests/clients/cases_browser.sh: asks a running Thunderbird (started with
--marionette) through its chrome code what Settings -> Privacy & Security -> Security Devices and
Manage Certificates -> Your Certificates show: the PKCS#11 modules with their slots and tokens
(nsIPKCS11ModuleDB) and the certificates on the token IAS-ECC SIM (nsIX509CertDB). Prints JSON.

  tb_certs.py --port P [--wait SECONDS]   (also on Firefox: the same chrome code)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "firefox"))
from ff_drive import Marionette  # noqa: E402

LIST = """
return (async () => {
  const modules = [];
  const mdb = Cc['@mozilla.org/security/pkcs11moduledb;1'].getService(Ci.nsIPKCS11ModuleDB);
  for (const m of await mdb.listModules()) {  // as chrome://pippki/content/device_manager.js
    const slots = [];
    for (const s of m.slots) slots.push({slot: s.name, token: s.tokenName, status: s.status});
    modules.push({name: m.name, library: m.libName, slots});
  }
  const certs = [];
  const cdb = Cc['@mozilla.org/security/x509certdb;1'].getService(Ci.nsIX509CertDB);
  for (const c of cdb.getCerts()) {
    if (c.tokenName == 'IAS-ECC SIM') certs.push({token: c.tokenName, subject: c.subjectName, issuer: c.issuerName,
                                                 nickname: c.displayName, sha256: c.sha256Fingerprint});
  }
  return {modules, certs};
})();
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--wait", type=float, default=30, help="seconds to wait for the module and its certificates")
    a = ap.parse_args()
    m = Marionette(a.port)
    m.call("WebDriver:NewSession", {})
    m.call("Marionette:SetContext", {"value": "chrome"})
    deadline = time.time() + a.wait
    while True:  # the policy adds the module during startup
        seen = m.js(LIST)
        if any(mod["library"] and mod["name"] == "IAS-ECC (ias-pkcs11)" for mod in seen["modules"]) and seen["certs"]:
            break
        if time.time() > deadline:
            break
        time.sleep(0.5)
    print(json.dumps(seen, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

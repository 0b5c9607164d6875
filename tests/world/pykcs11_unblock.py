#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The built-in unblock from Python (PyKCS11, Debian python3-pykcs11): C_Login(CKU_SO, secret)
+ C_InitPIN on a locked token, then a signature with the new PIN verified with the token's
certificate. Usage: pykcs11_unblock.py MODULE SECRET NEW_PIN (module config from IAS_PKCS11_CONF)."""
import subprocess
import sys
import tempfile

import PyKCS11

module, secret, new_pin = sys.argv[1:4]
lib = PyKCS11.PyKCS11Lib()
lib.load(module)
slot = lib.getSlotList(tokenPresent=True)[0]
assert lib.getTokenInfo(slot).flags & PyKCS11.CKF_USER_PIN_LOCKED, "token should be locked"

session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
try:
    session.login("0000-0000-0000-0000-00", PyKCS11.CKU_SO)
    raise SystemExit("a wrong secret was accepted")
except PyKCS11.PyKCS11Error as e:
    assert e.value == PyKCS11.CKR_PIN_INCORRECT, e
session.login(secret, PyKCS11.CKU_SO)
session.initPin(new_pin)
session.logout()
assert not lib.getTokenInfo(slot).flags & PyKCS11.CKF_USER_PIN_LOCKED, "token should be unlocked"

session.login(new_pin)
key = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_ID, (0x45,))])[0]
cert = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE), (PyKCS11.CKA_ID, (0x45,))])[0]
message = b"signed from Python after the unblock"
signature = bytes(session.sign(key, message, PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS, None)))
der = bytes(session.getAttributeValue(cert, [PyKCS11.CKA_VALUE])[0])
session.logout()
session.closeSession()
with tempfile.TemporaryDirectory() as d:
    open(f"{d}/cert.der", "wb").write(der)
    open(f"{d}/msg", "wb").write(message)
    open(f"{d}/sig", "wb").write(signature)
    subprocess.run(["openssl", "x509", "-inform", "DER", "-in", f"{d}/cert.der", "-pubkey", "-noout",
                    "-out", f"{d}/pub.pem"], check=True)
    subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"{d}/pub.pem", "-signature", f"{d}/sig",
                    f"{d}/msg"], check=True, stdout=subprocess.DEVNULL)
print("ok [pykcs11]: SO login with the secret, C_InitPIN, signature with the new PIN verified")

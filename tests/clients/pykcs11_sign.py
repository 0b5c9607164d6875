#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""PyKCS11 client case of tests/clients/run.sh: finds the token, logs in with the PIN from
IAS_TEST_PIN, signs $OUT/data with the authentication key (ID 45) by CKM_SHA256_RSA_PKCS
($OUT/sig-pkcs1) and CKM_SHA256_RSA_PKCS_PSS with SHA-256/MGF1-SHA-256/salt 32 ($OUT/sig-pss),
digests with CKM_SHA256 (C_Digest, compared with hashlib) and logs out. The shell verifies the signatures with the certificate's public key.

  pykcs11_sign.py MODULE OUT
"""
import hashlib
import os
import sys

import PyKCS11


def main():
    module, out = sys.argv[1], sys.argv[2]
    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)
    slots = [s for s in lib.getSlotList(tokenPresent=True)
             if lib.getTokenInfo(s).label.strip() == "IAS-ECC SIM"]
    if len(slots) != 1:
        print(f"expected one token IAS-ECC SIM, found {len(slots)}")
        return 1
    info = lib.getInfo()
    print(f"library: {info.manufacturerID.strip()} {info.libraryDescription.strip()} "
          f"{info.libraryVersion[0]}.{info.libraryVersion[1]}, Cryptoki {info.cryptokiVersion[0]}.{info.cryptokiVersion[1]}")
    session = lib.openSession(slots[0], PyKCS11.CKF_SERIAL_SESSION)
    session.login(os.environ["IAS_TEST_PIN"])
    keys = session.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_ID, (0x45,))])
    if len(keys) != 1:
        print(f"expected one private key with ID 45, found {len(keys)}")
        return 1
    label = session.getAttributeValue(keys[0], [PyKCS11.CKA_LABEL])[0]
    print(f"private key: {label}")
    data = b"document signed with PyKCS11\n"
    with open(os.path.join(out, "data"), "wb") as f:
        f.write(data)
    sig = session.sign(keys[0], data, PyKCS11.Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS, None))
    with open(os.path.join(out, "sig-pkcs1"), "wb") as f:
        f.write(bytes(sig))
    pss = PyKCS11.RSA_PSS_Mechanism(PyKCS11.CKM_SHA256_RSA_PKCS_PSS, PyKCS11.CKM_SHA256, PyKCS11.CKG_MGF1_SHA256, 32)
    sig = session.sign(keys[0], data, pss)
    with open(os.path.join(out, "sig-pss"), "wb") as f:
        f.write(bytes(sig))
    print(f"signatures: {len(sig)} bytes each")
    digest = bytes(session.digest(data, PyKCS11.Mechanism(PyKCS11.CKM_SHA256, None)))
    if digest != hashlib.sha256(data).digest():
        print("C_Digest CKM_SHA256 differs from hashlib")
        return 1
    print("C_Digest CKM_SHA256 equals hashlib's SHA-256")
    session.logout()
    session.closeSession()
    return 0


if __name__ == "__main__":
    sys.exit(main())

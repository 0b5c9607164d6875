#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Ticket expiry in the module (UNBLOCK.md: "ticket expired -> CKR_USER_NOT_LOGGED_IN"): SO login
with the secret, then the clock moves 11 minutes (libfaketime, timestamp file given by the
caller), then C_InitPIN must be CKR_USER_NOT_LOGGED_IN without touching card or service.
Usage (under LD_PRELOAD=libfaketime, FAKETIME_TIMESTAMP_FILE=F, FAKETIME_NO_CACHE=1):
  ticket_expiry.py MODULE SECRET NEW_PIN F"""
import sys

import PyKCS11

module, secret, new_pin, clock_file = sys.argv[1:5]
lib = PyKCS11.PyKCS11Lib()
lib.load(module)
slot = lib.getSlotList(tokenPresent=True)[0]
session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
session.login(secret, PyKCS11.CKU_SO)
with open(clock_file, "w") as f:
    f.write("+11m\n")  # the ticket lives 10 minutes
try:
    session.initPin(new_pin)
    raise SystemExit("C_InitPIN succeeded with an expired ticket")
except PyKCS11.PyKCS11Error as e:
    if e.value != PyKCS11.CKR_USER_NOT_LOGGED_IN:
        raise SystemExit(f"C_InitPIN with an expired ticket: {e} (expected CKR_USER_NOT_LOGGED_IN)")
print("C_InitPIN after 11 minutes: CKR_USER_NOT_LOGGED_IN")

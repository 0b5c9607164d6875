#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes seed inputs derived from the recorded OpenSC exchanges (tests/replay/*.apdu) and
small hand-written samples into fuzz/corpus/<target>/:

  apdu/    each distinct C-APDU and R-APDU of the scripts (deduplicated, at most 30);
  replay/  the scripts themselves, and a few of their exchanges with a `>!` line;
  sim/     the scripts' C-APDU sequences in sim_fuzz framing ([len][C-APDU]...), the masked
           PIN bytes filled in with the test PIN 4711;
  tlv/     the R-APDU data fields that are BER-TLV (FCPs, EF.DIR, PKCS#15 files);
  secret/, config/: valid and near-valid samples.

Usage: fuzz/seeds_from_replay.py [REPO]   (run from anywhere; rewrites these seed files)."""
import hashlib, json, pathlib, sys

repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
corpus = repo / "fuzz" / "corpus"
PIN = b"4711"


def put(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def parse_script(text):
    """[(sensitive, command bytes with `..` -> PIN bytes, response bytes)]"""
    out, cmd = [], None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(">"):
            sensitive = line.startswith(">!")
            toks = line[2 if sensitive else 1:].split()
            pin = iter(PIN + b"\xff" * 16)
            cmd = (sensitive, bytes(next(pin) if t == ".." else int(t, 16) for t in toks))
        elif line.startswith("<") and cmd:
            out.append((cmd[0], cmd[1], bytes(int(t, 16) for t in line[1:].split())))
            cmd = None
    return out


scripts = sorted((repo / "tests" / "replay").glob("*.apdu"))
seen_c, seen_r, tlv = {}, {}, {}
for path in scripts:
    text = path.read_text()
    put("replay", path.stem, text.encode())
    ex = parse_script(text)
    for s, c, r in ex:
        seen_c.setdefault(c, None)
        seen_r.setdefault(r, None)
        data = r[:-2]
        if data and data[0] in (0x62, 0x61, 0x5A, 0x30, 0xA0, 0xA8, 0x6F) and len(data) > 4:
            tlv.setdefault(data, None)
    # sim: the C-APDU sequence in chunks of 20 commands (sim_fuzz framing).
    for i in range(0, len(ex), 20):
        seq = b"".join(bytes([len(c)]) + c for _, c, _ in ex[i:i + 20] if len(c) < 256)
        put("sim", f"{path.stem}-{i // 20}", seq)
    # replay: the login part alone (a `>!` line with wildcards).
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith(">!"):
            put("replay", f"{path.stem}-verify", ("# name: verify\n" + line + "\n" + lines[n + 1] + "\n").encode())

def short(b):
    return hashlib.sha1(b).hexdigest()[:10]

for c in list(seen_c)[:30]:
    put("apdu", "c-" + short(c), c)
for r in list(seen_r)[:15]:
    put("apdu", "r-" + short(r), r)
# extended forms the recorded exchanges do not use
for hexs in ["00B0000000FFFF", "002A9E9A000003010203", "002A9E9A000003010203000100", "00CB3FFF00"]:
    put("apdu", "ext-" + hexs[:12], bytes.fromhex(hexs))
for d in list(tlv)[:20]:
    put("tlv", "r-" + short(d), d)

# secret: byte 0 selects the JSON parser (secret_fuzz.cpp); the whole input is also a secret.
put("secret", "display", b"ABCD-EFGH-JKMN-PQRS-TV")
put("secret", "typed", b"abcd efgh ijkl mnop  qr")
bodies = [
    (0, {"serial": "0010000000777777", "secret": "ABCD-EFGH-JKMN-PQRS-TV"}),
    (1, {"ticket": "t-1234567890abcdef", "expires_in": 600}),
    (2, {"ticket": "t-1234567890abcdef", "challenge": "0102030405060708"}),
    (3, {"cryptogram": "00" * 24}),
    (4, {"ticket": "t-1234567890abcdef", "outcome": "done", "tries_after": 3}),
    (4, {"ticket": "t", "outcome": "failed"}),
    (5, {"error": "wrong_secret", "tries_left": 2, "request_id": "r-42"}),
    (5, {"error": "rate_limited"}),
]
for i, (which, body) in enumerate(bodies):
    put("secret", f"json-{which}-{i}", bytes([which]) + json.dumps(body).encode())

put("config", "full", b"""# ias-pkcs11.conf
log_level = debug
log_file = /var/log/ias-pkcs11.log
reader_filter = Gemalto, vpcd ,
service_url = https://unblock.example.org/v1
service_pin_sha256 = 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
service_ca_file = /etc/ssl/certs/ca-certificates.crt
service_timeout_ms = 5000
service_connect_timeout_ms = 3000
so_login = unblock_secret
admin_keyset_ref = 81
""")
put("config", "bad-values", b"log_level = loud\nservice_url = http://x\nservice_timeout_ms = 99\nadmin_keyset_ref = 100\nso_login = pin\nfoo = bar\nno equals here\n")
put("config", "crlf", b"log_level = warn\r\nso_login = puk\r\n")

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The holder's e-mail over SMTP (issue 21), against a real SMTP server on loopback (aiosmtpd,
# Debian python3-aiosmtpd): a service of its own (scripts/unblock-world.sh start --set
# mail.transport=smtp ...) in a private run dir; a case opened through the admin API arrives
# as a well-formed MIME message (parsed by Python's email package) whose link opens the case;
# with the SMTP server down the mail stays queued (visible in the admin case view) and
# arrives once after the server is back. ctest label "world".
import email
import email.policy
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

from aiosmtpd.controller import Controller

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORLD = os.path.join(REPO, "scripts", "unblock-world.sh")
checks = 0
failures = 0


def check(ok, what):
    global checks, failures
    checks += 1
    if ok:
        print(f"ok: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.original_content or envelope.content))
        return "250 OK"


def wait_for(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def main():
    run_dir = tempfile.mkdtemp(prefix="ias-mail-world-")
    smtp_port = free_port()
    env = dict(os.environ, IAS_UNBLOCK_WORLD_DIR=run_dir, IAS_UNBLOCK_PORT=str(free_port()))
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    started = subprocess.run(
        ["bash", WORLD, "start", "--set", "mail.transport=smtp", "--set", f"mail.smtp_url=smtp://127.0.0.1:{smtp_port}",
         "--set", "mail.starttls=off", "--set", "mail.from=unblock@issuer.example", "--set", "mail.poll_interval=1",
         "--set", "mail.retry_min=1", "--set", "mail.retry_max=2", "--set", "brand.accent_color=#aa3300"],
        env=env, capture_output=True, text=True)
    if started.returncode != 0:
        print(started.stderr)
        print("FAIL: the service did not start")
        return 1
    try:
        url = re.search(r"service_url = (\S+)", started.stdout).group(1)
        tls = ssl.create_default_context(cafile=os.path.join(run_dir, "tls.crt"))
        browser = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls),
                                              urllib.request.HTTPCookieProcessor())
        token = open(os.path.join(run_dir, "admin.token")).read().strip()

        def admin(method, path, body=None):
            req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Authorization": "Bearer " + token,
                                                  "Content-Type": "application/json"})
            with urllib.request.urlopen(req, context=tls, timeout=10) as r:
                return json.loads(r.read())

        def open_case(serial, language):
            return admin("POST", "/v1/admin/cases", {
                "serial": serial, "email": "holder@example.org", "language": language,
                "questions": [{"question": "Ville de naissance ?", "answer": "Lyon"}]})

        # 1. A case (English) arrives as a well-formed MIME message whose link works.
        created = open_case("0010000000777001", "en")
        check(created.get("mail_queued") is True, "the creation answer says the mail is queued")
        check(wait_for(lambda: len(sink.messages) == 1, 20), "the mail arrived over SMTP")
        rcpt, raw = sink.messages[0]
        check(rcpt == ["holder@example.org"], "envelope recipient")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for h in ("From", "To", "Date", "Message-ID", "Subject", "MIME-Version"):
            check(msg[h] is not None, f"header {h}")
        check(str(msg["Subject"]) == "Unblocking your token", "Subject in the case's language")
        check(msg.get_content_type() == "multipart/alternative", "multipart/alternative")
        check(raw.isascii() and b"\r\n" in raw, "7-bit message with CRLF lines")
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        link = re.search(r"https://\S+/h/[0-9A-Za-z_-]+", text)
        check(link is not None, "link in the text part")
        check(link is not None and link.group(0) in html and "#aa3300" in html, "branded HTML part with the link")
        check(created.get("link") == (link.group(0) if link else None), "the mailed link is the case's")
        if link:
            with browser.open(link.group(0), timeout=10) as r:
                r.read()
            with browser.open(url + "/holder/questions", timeout=10) as r:
                page = r.read().decode()
            check(r.status == 200 and "Ville de naissance" in page, "the link opens the case (its questions)")
        view = admin("GET", f"/v1/admin/cases/{created['id']}")
        check(view["mail"]["state"] == "sent" and view["mail"]["attempts"] == 1, "case view: mail sent, 1 attempt")
        db = os.path.join(run_dir, "unblockd.sqlite")
        sealed = subprocess.run(["sqlite3", db, "SELECT COUNT(*) FROM outbox WHERE link_sealed IS NOT NULL"],
                                capture_output=True, text=True).stdout.strip()
        check(sealed == "0", "no sealed link left in the database after delivery")

        # 2. The SMTP server down for a while: queued with attempts, then delivered once.
        smtp.stop()
        created = open_case("0010000000777002", "fr")
        check(wait_for(lambda: admin("GET", f"/v1/admin/cases/{created['id']}")["mail"]["attempts"] >= 2, 20),
              "attempts while the SMTP server is down")
        view = admin("GET", f"/v1/admin/cases/{created['id']}")
        check(view["mail"]["state"] == "queued" and view["mail"]["last_error"], "case view: queued, with the last error")
        smtp = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        check(wait_for(lambda: len(sink.messages) == 2, 20), "the mail arrived after the server came back")
        time.sleep(4)  # several more polls: nothing sent again
        check(len(sink.messages) == 2, "exactly once")
        msg = email.message_from_bytes(sink.messages[1][1], policy=email.policy.default)
        check(str(msg["Subject"]) == "Déblocage de votre support", "French by default (RFC 2047 subject decoded)")
        check(admin("GET", f"/v1/admin/cases/{created['id']}")["mail"]["state"] == "sent", "case view: sent")
        log = open(os.path.join(run_dir, "serve.log")).read() + open(os.path.join(run_dir, "audit.log")).read()
        check(link is None or link.group(0).rsplit("/", 1)[1] not in log, "no link in the service's logs")
    finally:
        subprocess.run(["bash", WORLD, "stop"], env=env, capture_output=True)
        smtp.stop()
        subprocess.run(["rm", "-rf", run_dir])
    print(f"{checks - failures}/{checks} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

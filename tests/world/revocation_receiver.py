#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A CA's revocation endpoint for the world test of ias-unblockd (issue #21): HTTPS on
127.0.0.1, a client certificate issued by --client-ca required (ssl.CERT_REQUIRED). Every
POST is appended to --log as one JSON line {"key", "status", "body", "client"}. The first
--fail requests are answered 503; then a key seen before gets 409 with that Idempotency-Key
(what a CA that deduplicates does), a new one 201. --port-file receives the port."""
import argparse
import http.server
import json
import ssl
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--fail", type=int, default=0)
    args = ap.parse_args()
    lock = threading.Lock()
    state = {"seen": set(), "requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            key = self.headers.get("Idempotency-Key", "")
            client = self.connection.getpeercert() or {}
            subject = dict(x[0] for x in client.get("subject", ()))
            with lock:
                state["requests"] += 1
                if state["requests"] <= args.fail:
                    status = 503
                elif key in state["seen"]:
                    status = 409
                else:
                    status = 201
                    state["seen"].add(key)
                with open(args.log, "a") as f:
                    f.write(json.dumps({"key": key, "status": status, "body": body,
                                        "client": subject.get("commonName", "")}) + "\n")
            self.send_response(status)
            if status == 409:
                self.send_header("Idempotency-Key", key)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.client_ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

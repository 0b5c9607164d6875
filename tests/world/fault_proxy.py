#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A TCP relay between the module and ias-unblockd that breaks chosen connections.

The module opens one TLS connection per service call (verify, cryptogram, confirm), so
"the Nth connection" is "the Nth call". TLS stays end to end (the pinned key is checked as
usual); the relay only decides what reaches whom:

  N=refuse       the service is down for that call: the connection is closed at once
  N=lose-reply   the call reaches the service and is carried out, but its answer is lost:
                 once the client has sent its request (data after the server's handshake
                 flight), nothing more goes back; the relay waits for the service to answer,
                 then closes both sides

Usage: fault_proxy.py --to HOST:PORT --plan 2=refuse[,3=lose-reply] --port-file FILE
The listening port (chosen by the system) is written to FILE; runs until killed.
"""
import argparse
import os
import selectors
import socket
import sys
import threading
import time

ANSWER_GRACE_S = 0.5  # after the service's first post-request bytes, let it finish


def parse_plan(text):
    plan = {}
    for item in filter(None, text.split(",")):
        index, _, action = item.partition("=")
        if action not in ("refuse", "lose-reply") or not index.isdigit() or int(index) < 1:
            raise SystemExit(f"fault_proxy: bad plan item {item!r}")
        plan[int(index)] = action
    return plan


def relay(client, upstream_addr, lose_reply):
    try:
        server = socket.create_connection(upstream_addr, timeout=5)
    except OSError:
        client.close()
        return
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, server)
    sel.register(server, selectors.EVENT_READ, client)
    server_spoke = False   # the server's handshake flight went back
    request_sent = False   # client data after it: the request
    answer_seen_at = None
    try:
        while True:
            timeout = None if answer_seen_at is None else max(0.0, answer_seen_at + ANSWER_GRACE_S - time.monotonic())
            events = sel.select(timeout)
            if answer_seen_at is not None and time.monotonic() >= answer_seen_at + ANSWER_GRACE_S:
                return
            for key, _ in events:
                data = key.fileobj.recv(65536)
                if not data:
                    return
                if key.fileobj is client:
                    if server_spoke:
                        request_sent = True
                    server.sendall(data)
                elif lose_reply and request_sent:
                    if answer_seen_at is None:
                        answer_seen_at = time.monotonic()
                else:
                    server_spoke = True
                    client.sendall(data)
    except OSError:
        pass
    finally:
        sel.close()
        client.close()
        server.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--plan", default="")
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    host, _, port = args.to.rpartition(":")
    upstream = (host, int(port))
    plan = parse_plan(args.plan)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    count = 0
    while True:
        client, _ = listener.accept()
        count += 1
        action = plan.get(count)
        print(f"fault_proxy: connection {count}: {action or 'relayed'}", file=sys.stderr, flush=True)
        if action == "refuse":
            client.close()
            continue
        threading.Thread(target=relay, args=(client, upstream, action == "lose-reply"), daemon=True).start()


if __name__ == "__main__":
    main()

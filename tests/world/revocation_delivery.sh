#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Revocation reaches the CA (issue #21): a real `ias-unblockd serve` delivers the revocation
# request of a definitive block (three wrong answers) to an HTTPS receiver on loopback that
# requires a client certificate (tests/world/revocation_receiver.py; certificates made with
# openssl here). The receiver fails the first two tries (503) and the service is restarted
# while the request waits: the CA accepts exactly one request, every try carries the same
# idempotency key, and nothing more arrives after another restart. Also: the admin case view
# shows the delivery, /metrics, /healthz and /readyz answer on the metrics listener only.
# Needs openssl, curl, python3, softhsm2 (its own unblock service in the test's directory).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${IAS_UNBLOCKD_BIN:-$REPO/build/release/service/ias-unblockd}"
WORK="$(mktemp -d /tmp/ias-revocation-world.XXXXXX)"
SERIAL=0010000000777001
fail() { echo "FAIL [revocation-delivery]: $*" >&2; exit 1; }
pass() { echo "ok [revocation-delivery]: $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export IAS_UNBLOCK_WORLD_DIR="$WORK/unblockd" IAS_UNBLOCKD_BIN="$BIN"
IAS_UNBLOCK_PORT="$(free_port)"
export IAS_UNBLOCK_PORT
URL="https://127.0.0.1:$IAS_UNBLOCK_PORT"
METRICS="127.0.0.1:$(free_port)"
receiver_pid="" serve_pid=""
cleanup() {
    [[ -z "$serve_pid" ]] || kill "$serve_pid" 2>/dev/null || true
    [[ -z "$receiver_pid" ]] || kill "$receiver_pid" 2>/dev/null || true
    "$REPO/scripts/unblock-world.sh" stop 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The CA of the test, the receiver's server certificate and the service's client certificate.
umask 077
pki="$WORK/pki"
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=revocation test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
issue() {  # issue NAME SUBJECT EXTENSIONS
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" -keyout "$pki/$1.key" \
        -out "$pki/$1.csr" 2>/dev/null
    printf '%s\n' "$3" > "$pki/$1.ext"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
        -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}
issue receiver "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
issue client "/CN=ias-unblockd test instance" "extendedKeyUsage=clientAuth"
umask 022

python3 "$(dirname "$0")/revocation_receiver.py" --cert "$pki/receiver.crt" --key "$pki/receiver.key" \
    --client-ca "$pki/ca.crt" --log "$WORK/received.jsonl" --port-file "$WORK/receiver.port" --fail 2 \
    2>>"$WORK/receiver.log" &
receiver_pid=$!
for _ in $(seq 100); do [[ -s "$WORK/receiver.port" ]] && break; sleep 0.1; done
[[ -s "$WORK/receiver.port" ]] || fail "receiver did not start"
RECEIVER="https://127.0.0.1:$(cat "$WORK/receiver.port")/revoke"

# The receiver refuses a client without a certificate.
if curl -s -o /dev/null --max-time 5 --cacert "$pki/ca.crt" -d '{}' "$RECEIVER"; then
    fail "the receiver accepted a client without a certificate"
fi

# The unblock world prepares the run dir (HSM token, TLS, config); the service is then run
# here with the revocation settings.
"$REPO/scripts/unblock-world.sh" start >/dev/null 2>"$WORK/world.log" || { cat "$WORK/world.log" >&2; fail "unblock world"; }
"$REPO/scripts/unblock-world.sh" stop 2>/dev/null
CONF="$IAS_UNBLOCK_WORLD_DIR/ias-unblockd.conf"
export SOFTHSM2_CONF="$IAS_UNBLOCK_WORLD_DIR/softhsm2.conf"
TOKEN="$(cat "$IAS_UNBLOCK_WORLD_DIR/admin.token")"
TLS_CA="$IAS_UNBLOCK_WORLD_DIR/tls.crt"

start_serve() {
    "$BIN" serve --config "$CONF" --set "revocation.url=$RECEIVER" --set "revocation.ca_file=$pki/ca.crt" \
        --set "revocation.client_cert=$pki/client.crt" --set "revocation.client_key=$pki/client.key" \
        --set revocation.retry_initial=2 --set revocation.retry_max=4 --set revocation.poll=1 \
        --set revocation.alert_after=1 --set "metrics.listen=$METRICS" >>"$WORK/serve.log" 2>&1 &
    serve_pid=$!
    for _ in $(seq 300); do
        curl -s -o /dev/null --max-time 1 "http://$METRICS/healthz" && return 0
        kill -0 "$serve_pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$WORK/serve.log" >&2
    fail "ias-unblockd did not start"
}
stop_serve() {
    kill -TERM "$serve_pid"
    wait "$serve_pid" || fail "ias-unblockd did not stop cleanly (status $?)"
    serve_pid=""
}
accepted() { if [[ -f "$WORK/received.jsonl" ]]; then grep -c '"status": 201' "$WORK/received.jsonl" || true; else echo 0; fi; }
received() { if [[ -f "$WORK/received.jsonl" ]]; then wc -l < "$WORK/received.jsonl"; else echo 0; fi; }

start_serve
[[ "$(curl -s "http://$METRICS/readyz")" == "ready" ]] || fail "/readyz: $(curl -s "http://$METRICS/readyz")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS_CA" "$URL/metrics")
[[ "$code" == 404 ]] || fail "/metrics answered $code on the public listener"

# A case, three wrong answers: blocked.
link="$("$REPO/scripts/unblock-world.sh" open-case "$SERIAL" 2>/dev/null | tail -n 1)"
for i in 1 2 3; do
    out=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer ${link##*/h/}" -H 'Content-Type: application/json' \
        -d '{"answers":["Paris","Felix"]}' "$URL/v1/holder/answers")
    [[ $i -lt 3 ]] || grep -q '"blocked"' <<<"$out" || fail "third wrong answer: $out"
done
case_id=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" "$URL/v1/admin/cases" \
    | python3 -c "import json,sys; print([c['id'] for c in json.load(sys.stdin) if c['serial']=='$SERIAL'][-1])")
pass "case $case_id blocked by three wrong answers"

# The first try (503) arrives; the service restarts while the request waits for its retry.
for _ in $(seq 100); do [[ "$(received)" -ge 1 ]] && break; sleep 0.1; done
[[ "$(received)" -ge 1 ]] || fail "no revocation request reached the receiver"
stop_serve
pass "service stopped after $(received) try (receiver answered 503)"
sleep 1
start_serve
for _ in $(seq 300); do [[ "$(accepted)" -ge 1 ]] && break; sleep 0.1; done
[[ "$(accepted)" -eq 1 ]] || fail "expected one accepted request, got $(accepted) (log: $(cat "$WORK/received.jsonl"))"
view=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" "$URL/v1/admin/cases/$case_id")
for _ in $(seq 50); do
    grep -q '"state":"delivered"' <<<"$view" && break
    sleep 0.1
    view=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" "$URL/v1/admin/cases/$case_id")
done
python3 - "$WORK/received.jsonl" "$SERIAL" "$case_id" "$view" <<'PY' || fail "received requests"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
serial, case_id, view = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
assert [r["status"] for r in rows] == [503, 503, 201], rows
assert len({r["key"] for r in rows}) == 1, "one idempotency key on every try"
assert len({r["body"] for r in rows}) == 1, "the same document on every try"
assert all(r["client"] == "ias-unblockd test instance" for r in rows)
doc = json.loads(rows[0]["body"])
assert doc["serial"] == serial and doc["case_id"] == case_id, doc
assert doc["reason"] == "keyCompromise" and doc["requested_by"] == "block", doc
assert doc["idempotency_key"] == rows[0]["key"]
rev = view["revocation"]
assert rev["state"] == "delivered" and rev["attempts"] == 3 and rev["idempotency_key"] == rows[0]["key"], rev
print("ok [revocation-delivery]: 3 tries (503, 503, 201), one key, one document; case view:", rev["state"])
PY

# Support's request for the same case joins the delivered one; nothing more is sent, also
# after another restart.
out=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" -d '{"reason":"cessationOfOperation"}' \
    "$URL/v1/admin/cases/$case_id/revoke")
grep -q '"state":"delivered"' <<<"$out" || fail "support request: $out"
metrics=$(curl -s "http://$METRICS/metrics")
grep -q '^ias_unblockd_revocation_queue_depth 0$' <<<"$metrics" || fail "metrics: $metrics"
grep -q '^ias_unblockd_revocation_alert 0$' <<<"$metrics" || fail "alert with an empty queue"
grep -q '^ias_unblockd_cases{state="blocked"} 1$' <<<"$metrics" || fail "cases by state: $metrics"
grep -q '^ias_unblockd_http_requests_total{route="/v1/admin/cases/{id}/revoke",status="200"} 1$' <<<"$metrics" \
    || fail "request counts (this process's): $metrics"
! grep -q "${link##*/h/}" <<<"$metrics" || fail "a holder link in the metrics"
stop_serve
start_serve
sleep 3
[[ "$(received)" -eq 3 ]] || fail "more requests after the restart: $(cat "$WORK/received.jsonl")"
stop_serve
pass "exactly one revocation accepted by the CA across a restart and two failed tries"

# A request older than revocation.alert_after raises the alert: support asks for another
# case's revocation while the receiver is down.
kill "$receiver_pid"; wait "$receiver_pid" 2>/dev/null || true; receiver_pid=""
start_serve
"$REPO/scripts/unblock-world.sh" open-case 0010000000777002 >/dev/null 2>&1
other=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" "$URL/v1/admin/cases" \
    | python3 -c "import json,sys; print([c['id'] for c in json.load(sys.stdin) if c['serial']=='0010000000777002'][-1])")
curl -s -o /dev/null --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" -d '{"reason":"cessationOfOperation"}' \
    "$URL/v1/admin/cases/$other/revoke"
sleep 2.5
metrics=$(curl -s "http://$METRICS/metrics")
grep -q '^ias_unblockd_revocation_queue_depth 1$' <<<"$metrics" || fail "queue depth: $metrics"
grep -q '^ias_unblockd_revocation_alert 1$' <<<"$metrics" || fail "no alert: $metrics"
view=$(curl -s --cacert "$TLS_CA" -H "Authorization: Bearer $TOKEN" "$URL/v1/admin/cases/$other")
grep -q '"state":"pending"' <<<"$view" && grep -q '"last_error":"transport' <<<"$view" || fail "pending view: $view"
stop_serve
pass "a waiting request raises ias_unblockd_revocation_alert; its last error is visible to support"
echo "revocation-delivery: all checks passed"

# SPDX-License-Identifier: Apache-2.0
# TLS helpers of tests/clients/run.sh: a local HTTPS server (openssl s_server -www on
# 127.0.0.1) that requires a client certificate issued by the card's CA, and the checks of what
# it saw. s_server -www answers "GET /" with a status page that shows the negotiated version,
# the client's signature type and the client certificate (text and PEM).

# tls_material: the server's own CA and its "localhost" certificate, once per run (run.sh
# --setup; $RUN/tls is shared by the cases of the run).
tls_material() {
    TLS="$RUN/tls"
    if [[ ! -f "$TLS/server.crt" ]]; then
        mkdir -p "$TLS"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TLS/ca.key" -out "$TLS/ca.crt" -days 2 \
            -subj "/CN=ias-pkcs11 clients test server CA" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout "$TLS/server.key" -out "$TLS/server.csr" -subj "/CN=localhost" 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > "$TLS/server.ext"
        openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
            -out "$TLS/server.crt" -days 2 -extfile "$TLS/server.ext" 2>/dev/null
    fi
}

# tls_setup: the TLS material, and the card's certificate (ID 45, read through our module
# without login) in $CASE_DIR/card.pem.
tls_setup() {
    tls_material
    CARD_CA="$WORLD/templates/ca/ca.crt"  # fresh_card's CA: it issues the card's certificates
    [[ -f "$CARD_CA" ]] || fail "no card CA at $CARD_CA"
    p11 --read-object --type cert --id 45 -o "$WORK/card.der" >/dev/null || fail "cannot read the card certificate"
    openssl x509 -inform DER -in "$WORK/card.der" -out "$WORK/card.pem"
    openssl x509 -in "$WORK/card.pem" -pubkey -noout > "$WORK/card-pub.pem"
    CARD_SUBJECT=$(openssl x509 -in "$WORK/card.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
}

# free_port: a TCP port of 127.0.0.1 that is free now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# tls_server VERSION(1.2|1.3) N [CONNECTIONS]: s_server for one (or CONNECTIONS) connection(s)
# on a free port (N names its log); sets SERVER_PORT, SERVER_PID, SERVER_LOG. TLS 1.2 offers only RSA PKCS#1 v1.5 (SHA-256) for the client's
# signature, so that both card mechanisms are used (TLS 1.3 allows only RSA-PSS).
tls_server() {
    local version=$1 attempt
    SERVER_LOG="$WORK/server-$2.log"
    for attempt in 1 2 3; do  # another process may take the free port first: take another
        SERVER_PORT=$(free_port)
        local args=(-accept "127.0.0.1:$SERVER_PORT" -naccept "${3:-1}" -www -cert "$TLS/server.crt"
                    -key "$TLS/server.key" -CAfile "$CARD_CA" -Verify 1 -verify_return_error)
        if [[ $version == 1.2 ]]; then args+=(-tls1_2 -client_sigalgs RSA+SHA256); else args+=(-tls1_3); fi
        openssl s_server "${args[@]}" > "$SERVER_LOG" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 100); do
            grep -qs '^ACCEPT' "$SERVER_LOG" && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        wait "$SERVER_PID" 2>/dev/null || true
        grep -qs 'Address already in use' "$SERVER_LOG" || break
        echo "port $SERVER_PORT taken (attempt $attempt)"
    done
    fail "s_server did not start on port $SERVER_PORT: $(cat "$SERVER_LOG")"
}

tls_server_stop() {
    if [[ -n "${SERVER_PID:-}" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

# tls_check PAGE VERSION: the page s_server sent names the negotiated version, the client's
# signature type (RSA-PSS for TLS 1.3, PKCS#1 for TLS 1.2) and carries the card's certificate,
# and the server verified that certificate against the card CA. Prints what was checked.
tls_check() {
    local page=$1 version=$2 sigtype
    [[ $version == 1.3 ]] && sigtype=RSA-PSS || sigtype=RSA
    expect_contains "$page" "New, TLSv$version," "negotiated TLS $version"
    grep -qxF "Peer signature type: $sigtype" <<<"$page" || fail "client signature scheme: expected $sigtype in: $(grep 'Peer sig' <<<"$page")"
    expect_contains "$page" "Client certificate" "the server got a client certificate"
    local sent
    sent=$(awk '/-----BEGIN CERTIFICATE-----/{p=1} p{print} /-----END CERTIFICATE-----/{exit}' <<<"$page")
    [[ -n "$sent" ]] || fail "no client certificate PEM in the server page"
    [[ "$(openssl x509 -noout -fingerprint -sha256 <<<"$sent")" == "$(openssl x509 -in "$WORK/card.pem" -noout -fingerprint -sha256)" ]] \
        || fail "the server saw another certificate than the card's"
    tls_server_stop
    local log
    log=$(cat "$SERVER_LOG")
    expect_contains "$log" "verify return:1" "server-side chain verification"
    expect_not_contains "$log" "verify error" "server-side chain verification"
    echo "TLS $version: server verified the card certificate ($CARD_SUBJECT), client signature $sigtype"
}

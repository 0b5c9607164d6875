# SPDX-License-Identifier: Apache-2.0
# Client cases of tests/clients/run.sh (NSS, GnuTLS, OpenSSL, p11-kit, PyKCS11, OpenSSH, Java).
# Each runs in its own subshell with WORK = its directory and a fresh card in the reader.
HTTP_GET='GET / HTTP/1.0\r\n\r\n'

# nss_db: an NSS database in $WORK/nssdb with our module added (modutil) and the TLS test
# server's CA trusted; $WORK/pin holds the PIN for -f/-W.
nss_db() {
    db="$WORK/nssdb"
    mkdir -p "$db"
    certutil -N -d "sql:$db" --empty-password
    modutil -dbdir "sql:$db" -add ias-pkcs11 -libfile "$MODULE" -force </dev/null >/dev/null 2>&1 || fail "modutil -add"
    printf '%s\n' "$PIN" > "$WORK/pin"
}

case_nss_list() {
    fresh_card
    row_version "NSS $(pkgver libnss3-tools) (modutil, certutil)"
    nss_db
    local out
    out=$(modutil -dbdir "sql:$db" -list ias-pkcs11 </dev/null 2>&1) || fail "modutil -list: $out"
    expect_contains "$out" "$MODULE" "module library"
    expect_contains "$out" "Token Name: IAS-ECC SIM" "token seen by NSS"
    works "modutil -add/-list: module loads, token IAS-ECC SIM present"
    # No password available: the certificates are public objects (listed without login).
    out=$(certutil -L -h "IAS-ECC SIM" -d "sql:$db" </dev/null 2>&1) || fail "certutil -L -h: $out"
    expect_contains "$out" "IAS-ECC SIM:Authentication certificate" "authentication certificate"
    expect_contains "$out" "IAS-ECC SIM:Signature certificate" "signature certificate"
    works "certutil -L -h token: both certificates listed without a PIN"
    out=$(certutil -K -h "IAS-ECC SIM" -d "sql:$db" -f "$WORK/pin" </dev/null 2>&1) || fail "certutil -K: $out"
    grep -qE '^<[ 0-9]+> rsa +"E" +Authentication key$' <<<"$out" || fail "certutil -K: no key ID 45 'Authentication key' in: $out"
    grep -qE '^<[ 0-9]+> rsa +"F" +Signature key$' <<<"$out" || fail "certutil -K: no key ID 46 'Signature key' in: $out"
    works "certutil -K -h token with the PIN: both RSA private keys (IDs 45, 46)"
    command_used "modutil -dbdir sql:DB -add ias-pkcs11 -libfile $MODULE; modutil -dbdir sql:DB -list ias-pkcs11"
    command_used "certutil -L -h 'IAS-ECC SIM' -d sql:DB"
    command_used "certutil -K -h 'IAS-ECC SIM' -d sql:DB -f PINFILE"
}

case_nss_tstclnt() {
    fresh_card
    row_version "NSS $(pkgver libnss3-tools) (tstclnt)"
    tls_setup
    nss_db
    certutil -A -d "sql:$db" -n "clients test server CA" -t "C,," -i "$TLS/ca.crt"
    printf "$HTTP_GET" > "$WORK/request"
    local v page n=0
    for v in 1.2 1.3; do
        n=$((n + 1))
        tls_server "$v" "$n"
        page=$(timeout 60 tstclnt -4 -h localhost -p "$SERVER_PORT" -d "sql:$db" -n "IAS-ECC SIM:Authentication certificate" \
            -W "$WORK/pin" -V "tls$v:tls$v" -A "$WORK/request" 2>&1) || fail "tstclnt TLS $v: $page"
        checked=$(tls_check "$page" "$v") || fail "TLS $v: not the handshake expected (see above)"
        works "$checked"
    done
    command_used "tstclnt -4 -h localhost -p PORT -d sql:DB -n 'IAS-ECC SIM:Authentication certificate' -W PINFILE -V tls1.2:tls1.2 (and tls1.3:tls1.3) -A REQUEST"
}

case_gnutls_p11tool() {
    fresh_card
    row_version "GnuTLS p11tool $(pkgver gnutls-bin)"
    local out key_url
    out=$(p11tool --provider "$MODULE" --list-all 2>&1) || fail "p11tool --list-all: $out"
    expect_contains "$out" "Authentication certificate" "certificate listed"
    expect_contains "$out" "Type: Public key" "public key listed"
    expect_not_contains "$out" "Type: Private key" "no private key before login"
    works "--list-all without login: certificates and public keys, no private key"
    out=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --list-all 2>&1) || fail "p11tool --login --list-all: $out"
    expect_contains "$out" "Type: Private key" "private keys after login"
    works "--login --list-all: private keys too"
    key_url=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --list-privkeys 2>/dev/null | awk '/URL:/ && /Authentication/ {print $2; exit}')
    [[ -n "$key_url" ]] || fail "no private key URL"
    out=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --test-sign "$key_url" 2>&1) || fail "p11tool --test-sign: $out"
    expect_contains "$out" "Verifying against public key in the token... ok" "test-sign verified"
    works "--test-sign: signature verified against the token's public key"
    command_used "p11tool --provider $MODULE --list-all"
    command_used "GNUTLS_PIN=<PIN> p11tool --provider $MODULE --login --list-all"
    command_used "GNUTLS_PIN=<PIN> p11tool --provider $MODULE --login --test-sign 'pkcs11:...;object=Authentication%20key;type=private'"
}

case_gnutls_cli() {
    fresh_card
    row_version "GnuTLS gnutls-cli $(pkgver gnutls-bin)"
    tls_setup
    local cert_url key_url v page n=2
    cert_url=$(p11tool --provider "$MODULE" --list-all-certs 2>/dev/null | awk '/URL:/ && /Authentication/ {print $2; exit}')
    key_url=$(GNUTLS_PIN=$PIN p11tool --provider "$MODULE" --login --list-privkeys 2>/dev/null | awk '/URL:/ && /Authentication/ {print $2; exit}')
    [[ -n "$cert_url" && -n "$key_url" ]] || fail "no certificate or key URL from p11tool"
    for v in 1.2 1.3; do
        n=$((n + 1))
        tls_server "$v" "$n"
        # stdin stays open until the server has answered and closed (gnutls-cli stops at EOF).
        rm -f "$WORK/stdin" && mkfifo "$WORK/stdin"
        ( printf "$HTTP_GET"; exec sleep 60 ) > "$WORK/stdin" &
        local feeder=$!
        page=$(GNUTLS_PIN=$PIN timeout 60 gnutls-cli --provider "$MODULE" \
            --x509cafile "$TLS/ca.crt" --x509certfile "$cert_url" --x509keyfile "$key_url" \
            --priority "NORMAL:-VERS-ALL:+VERS-TLS$v" -p "$SERVER_PORT" localhost < "$WORK/stdin" 2>&1) || true
        kill "$feeder" 2>/dev/null || true
        checked=$(tls_check "$page" "$v") || fail "TLS $v: not the handshake expected (see above)"
        works "$checked"
    done
    command_used "GNUTLS_PIN=<PIN> gnutls-cli --provider $MODULE --x509cafile SERVER-CA --x509certfile 'pkcs11:...;type=cert' --x509keyfile 'pkcs11:...;type=private' --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 (and 1.3) -p PORT localhost"
}

# openssl_conf: an OPENSSL_CONF that loads libp11's pkcs11 engine with our module.
openssl_conf() {
    cat > "$WORK/openssl.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
MODULE_PATH = $MODULE
EOF
    export OPENSSL_CONF="$WORK/openssl.cnf"
    KEY_URI="pkcs11:token=IAS-ECC%20SIM;id=%45;type=private;pin-value=$PIN"
}

case_openssl_engine() {
    fresh_card
    row_version "OpenSSL $(pkgver openssl), libp11 engine $(pkgver libengine-pkcs11-openssl)"
    tls_setup
    openssl_conf
    echo "document signed through the pkcs11 engine" > "$WORK/data"
    openssl dgst -sha256 -binary -out "$WORK/digest" "$WORK/data"
    local out
    out=$(openssl pkeyutl -engine pkcs11 -keyform engine -inkey "$KEY_URI" -sign -in "$WORK/digest" \
        -out "$WORK/sig" -pkeyopt digest:sha256 2>&1) || fail "pkeyutl -sign (PKCS#1): $out"
    out=$(openssl pkeyutl -verify -pubin -inkey "$WORK/card-pub.pem" -in "$WORK/digest" -sigfile "$WORK/sig" \
        -pkeyopt digest:sha256 2>&1) || fail "PKCS#1 signature does not verify: $out"
    works "pkeyutl -sign SHA-256 PKCS#1 v1.5, verified with the certificate's public key"
    out=$(openssl pkeyutl -engine pkcs11 -keyform engine -inkey "$KEY_URI" -sign -in "$WORK/digest" -out "$WORK/sig-pss" \
        -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 2>&1) || fail "pkeyutl -sign (PSS): $out"
    out=$(openssl pkeyutl -verify -pubin -inkey "$WORK/card-pub.pem" -in "$WORK/digest" -sigfile "$WORK/sig-pss" \
        -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 2>&1) || fail "PSS signature does not verify: $out"
    works "pkeyutl -sign SHA-256 RSA-PSS (salt 32), verified"
    command_used "OPENSSL_CONF=(engine pkcs11, MODULE_PATH=$MODULE) openssl pkeyutl -engine pkcs11 -keyform engine -inkey 'pkcs11:token=IAS-ECC%20SIM;id=%45;type=private;pin-value=<PIN>' -sign -in DIGEST -pkeyopt digest:sha256 [-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32]"
    command_used "openssl pkeyutl -verify -pubin -inkey CARD-PUB.pem -in DIGEST -sigfile SIG -pkeyopt digest:sha256 [...]"
}

case_openssl_s_client() {
    fresh_card
    row_version "OpenSSL $(pkgver openssl) s_client, libp11 engine $(pkgver libengine-pkcs11-openssl)"
    tls_setup
    openssl_conf
    local v page n=4
    for v in 1.2 1.3; do
        n=$((n + 1))
        tls_server "$v" "$n"
        page=$(printf "$HTTP_GET" | timeout 60 openssl s_client -engine pkcs11 -keyform engine -key "$KEY_URI" \
            -cert "$WORK/card.pem" -CAfile "$TLS/ca.crt" -verify_return_error -connect "127.0.0.1:$SERVER_PORT" \
            -servername localhost "-tls1_${v#1.}" -quiet -ign_eof 2>&1) || fail "s_client TLS $v: $page"
        checked=$(tls_check "$page" "$v") || fail "TLS $v: not the handshake expected (see above)"
        works "$checked"
    done
    command_used "openssl s_client -engine pkcs11 -keyform engine -key 'pkcs11:token=IAS-ECC%20SIM;id=%45;type=private;pin-value=<PIN>' -cert CARD.pem -CAfile SERVER-CA -verify_return_error -connect 127.0.0.1:PORT -tls1_2 (and -tls1_3)"
}

# in_p11kit_config DIR CMD...: CMD sees DIR as p11-kit's module configuration. p11-kit reads no
# user configuration as root, so (as root) DIR is bind-mounted over the system directory in a
# private mount namespace: nothing is written to the system's directories.
in_p11kit_config() {
    local dir=$1; shift
    if [[ $(id -u) -ne 0 ]]; then
        mkdir -p "$WORK/home/.config/pkcs11" && rm -rf "$WORK/home/.config/pkcs11/modules"
        cp -r "$dir" "$WORK/home/.config/pkcs11/modules"
        HOME="$WORK/home" "$@"
        return
    fi
    unshare --mount --propagation private bash -c 'mount --bind "$1" /usr/share/p11-kit/modules || exit 97; shift; exec "$@"' \
        _ "$dir" "$@"
}

case_p11_kit() {
    fresh_card
    row_version "p11-kit $(pkgver p11-kit)"
    local conf="$WORK/p11-kit-modules" out ours
    mkdir -p "$conf"
    printf 'module: %s\n' "$MODULE" > "$conf/ias-pkcs11.module"
    out=$(in_p11kit_config "$conf" p11-kit list-modules 2>&1) || fail "p11-kit list-modules: $out"
    ours=$(awk '/^ias-pkcs11: /{p=1; print; next} /^[^ ]/{p=0} p' <<<"$out")
    expect_contains "$ours" "ias-pkcs11: $MODULE" "our module in list-modules: $out"
    expect_contains "$ours" "token: IAS-ECC SIM" "token of our module"
    expect_contains "$ours" "library-description: IAS-ECC PKCS#11 module" "library description"
    works "list-modules: module ias-pkcs11 (a .module file with module: PATH), token IAS-ECC SIM"
    local proxy=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so
    out=$(in_p11kit_config "$conf" pkcs11-tool --module "$proxy" -L 2>&1) || fail "pkcs11-tool on the proxy: $out"
    expect_contains "$out" "token label        : IAS-ECC SIM" "token through the proxy"
    expect_contains "$out" "token manufacturer : ias-pkcs11 simulator" "token through the proxy"
    works "p11-kit-proxy.so: the token (pkcs11-tool -L)"
    echo "signed through p11-kit-proxy" > "$WORK/data"
    out=$(in_p11kit_config "$conf" pkcs11-tool --module "$proxy" --login --pin "$PIN" --sign -m SHA256-RSA-PKCS --id 45 \
        -i "$WORK/data" -o "$WORK/sig" 2>&1) || fail "sign through the proxy: $out"
    openssl dgst -sha256 -verify "$(public_key 45)" -signature "$WORK/sig" "$WORK/data" >/dev/null \
        || fail "signature through the proxy does not verify"
    works "p11-kit-proxy.so: login + SHA256-RSA-PKCS signature, verified"
    command_used "p11-kit list-modules (module config ias-pkcs11.module: module: $MODULE; private config dir)"
    command_used "pkcs11-tool --module $proxy -L; pkcs11-tool --module $proxy --login --pin <PIN> --sign -m SHA256-RSA-PKCS --id 45"
}

case_pykcs11() {
    fresh_card
    row_version "PyKCS11 $(pkgver python3-pykcs11)"
    local out
    out=$(IAS_TEST_PIN=$PIN /usr/bin/python3 "$HERE/pykcs11_sign.py" "$MODULE" "$WORK" 2>&1) || fail "PyKCS11: $out"
    echo "$out"
    local pub
    pub=$(public_key 45)
    openssl dgst -sha256 -verify "$pub" -signature "$WORK/sig-pkcs1" "$WORK/data" >/dev/null || fail "PKCS#1 signature does not verify"
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -verify "$pub" \
        -signature "$WORK/sig-pss" "$WORK/data" >/dev/null || fail "PSS signature does not verify"
    expect_contains "$out" "C_Digest CKM_SHA256 equals" "C_Digest"
    works "login, CKM_SHA256_RSA_PKCS and CKM_SHA256_RSA_PKCS_PSS signatures verified with openssl, C_Digest CKM_SHA256, logout"
    command_used "IAS_TEST_PIN=<PIN> /usr/bin/python3 tests/clients/pykcs11_sign.py $MODULE OUTDIR"
}

case_ssh_keygen() {
    fresh_card
    row_version "OpenSSH $(pkgver openssh-client)"
    local out want
    out=$(ssh-keygen -D "$MODULE" 2>&1) || fail "ssh-keygen -D: $out"
    public_key 45 >/dev/null
    want=$(ssh-keygen -i -m PKCS8 -f "$WORK/pub-45.pem" | awk '{print $2}')
    expect_contains "$out" "ssh-rsa $want" "the authentication key listed by ssh-keygen -D"
    works "ssh-keygen -D: the card's key (same as the certificate's public key), no PIN"
    # ssh-agent holds the token (ssh-add -s, PIN through SSH_ASKPASS) and signs a file
    # (ssh-keygen -Y sign); the signature verifies against the card's key.
    export SSH_AUTH_SOCK="$WORK/agent.sock"
    ssh-agent -D -a "$SSH_AUTH_SOCK" -P "$MODULE" > "$WORK/agent.log" 2>&1 &
    local agent=$!
    for _ in $(seq 50); do [[ -S "$SSH_AUTH_SOCK" ]] && break; sleep 0.1; done
    printf '#!/bin/sh\necho "$IAS_TEST_PIN"\n' > "$WORK/askpass" && chmod 700 "$WORK/askpass"
    out=$(IAS_TEST_PIN=$PIN SSH_ASKPASS="$WORK/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none \
        ssh-add -s "$MODULE" </dev/null 2>&1) || { kill "$agent"; fail "ssh-add -s: $out"; }
    echo "ssh key of the card" > "$WORK/data"
    echo "ssh-rsa $want" > "$WORK/card.pub"
    out=$(ssh-keygen -Y sign -f "$WORK/card.pub" -n file "$WORK/data" 2>&1) || { kill "$agent"; fail "ssh-keygen -Y sign: $out"; }
    kill "$agent"; wait "$agent" 2>/dev/null || true
    echo "card ssh-rsa $want" > "$WORK/allowed"
    out=$(ssh-keygen -Y verify -f "$WORK/allowed" -I card -n file -s "$WORK/data.sig" < "$WORK/data" 2>&1) \
        || fail "ssh signature does not verify: $out"
    works "ssh-agent + ssh-add -s (PIN by askpass): ssh-keygen -Y sign through the agent, verified"
    command_used "ssh-keygen -D $MODULE"
    command_used "ssh-agent -P $MODULE; ssh-add -s $MODULE (PIN by SSH_ASKPASS); ssh-keygen -Y sign -f CARD.pub -n file DATA; ssh-keygen -Y verify"
}

case_java() {
    fresh_card
    row_version "OpenJDK $(pkgver openjdk-17-jdk-headless) SunPKCS11"
    printf 'name = IAS\nlibrary = %s\nslotListIndex = 0\n' "$MODULE" > "$WORK/sunpkcs11.cfg"
    printf '%s\n' "$PIN" > "$WORK/pin"
    local out
    out=$(keytool -list -keystore NONE -storetype PKCS11 -providerclass sun.security.pkcs11.SunPKCS11 \
        -providerarg "$WORK/sunpkcs11.cfg" -storepass:file "$WORK/pin" 2>&1) || fail "keytool -list: $out"
    expect_contains "$out" "Your keystore contains 2 entries" "two entries"
    expect_contains "$out" "Authentication certificate, PrivateKeyEntry" "authentication key entry"
    expect_contains "$out" "Signature certificate, PrivateKeyEntry" "signature key entry"
    works "keytool -list: 2 PrivateKeyEntry (key + certificate)"
    out=$(IAS_TEST_PIN=$PIN timeout 120 java "$HERE/Pkcs11Sign.java" "$WORK/sunpkcs11.cfg" "Authentication certificate" 2>&1) \
        || fail "Java signer: $out"
    echo "$out"
    expect_contains "$out" "SHA256withRSA verified" "SHA256withRSA"
    expect_contains "$out" "RSASSA-PSS verified" "RSASSA-PSS"
    works "Signature SHA256withRSA and RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) through SunPKCS11, verified with the certificate's public key"
    command_used "keytool -list -keystore NONE -storetype PKCS11 -providerclass sun.security.pkcs11.SunPKCS11 -providerarg CFG -storepass:file PINFILE"
    command_used "java tests/clients/Pkcs11Sign.java CFG 'Authentication certificate' (PIN from IAS_TEST_PIN)"
}

case_java_tls() {
    fresh_card
    row_version "OpenJDK $(pkgver openjdk-17-jdk-headless) SunJSSE + SunPKCS11"
    tls_setup
    printf 'name = IAS\nlibrary = %s\nslotListIndex = 0\n' "$MODULE" > "$WORK/sunpkcs11.cfg"
    local v page n=8
    for v in 1.2 1.3; do
        n=$((n + 1))
        tls_server "$v" "$n"
        page=$(IAS_TEST_PIN=$PIN timeout 120 java "$HERE/Pkcs11Tls.java" "$WORK/sunpkcs11.cfg" "Authentication certificate" \
            "$TLS/ca.crt" localhost "$SERVER_PORT" "TLSv$v" 2>&1) || fail "Java TLS $v: $page"
        checked=$(tls_check "$page" "$v") || fail "TLS $v: not the handshake expected (see above)"
        works "$checked"
    done
    command_used "java tests/clients/Pkcs11Tls.java CFG 'Authentication certificate' SERVER-CA localhost PORT TLSv1.2 (and TLSv1.3) (SSLContext with the PKCS11 KeyStore, PIN from IAS_TEST_PIN)"
}

#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# pkcs11-tool -L / -O against the simulated card: token, certificates, private keys after login.
source "$(dirname "$0")/lib.sh"
insert_fresh_card

step "pkcs11-tool -L"
out="$(p11 -L)"
expect_contains "$out" "token label        : IAS-ECC SIM (User PIN)"
expect_contains "$out" "serial num         : 0010000000654321"
expect_contains "$out" "token model        : PKCS#15"
expect_contains "$out" "login required, rng, token initialized, PIN initialized"
expect_contains "$out" "pin min/max        : 4/8"
expect_not_contains "$out" "locked"

step "pkcs11-tool -O (public objects)"
out="$(p11 -O)"
expect_contains "$out" "Certificate Object; type = X.509 cert"
expect_contains "$out" "label:      Authentication certificate"
expect_contains "$out" "label:      Signature certificate"
expect_contains "$out" "CN=Test Holder 0010000000654321"
expect_not_contains "$out" "Private Key Object"

step "pkcs11-tool --login -O (private keys)"
out="$(p11 --login --pin "$TEST_PIN" -O)"
expect_contains "$out" "Private Key Object; RSA"
expect_contains "$out" "label:      Authentication key"
expect_contains "$out" "Usage:      decrypt, sign, unwrap"
expect_contains "$out" "label:      Signature key"
expect_contains "$out" "Usage:      sign, non-repudiation"
echo "PASS"

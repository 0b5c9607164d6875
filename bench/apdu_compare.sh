#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# APDUs per operation, OpenSC 0.23 (Debian's opensc-pkcs11.so) vs ias-pkcs11, on the same
# simulated card in one run (issues 4 and 20). Needs the test world (scripts/test-world.sh start).
#
#   bench/apdu_compare.sh [--check]
#
# --check (CI, world.bench.apdu_targets): measures ias-pkcs11 only (OpenSC's columns show
# "-") and exits non-zero when a figure is over its target; without it, the whole
# comparison.
#
# Part 1, inside one process (apdu_count): list, one more C_GetTokenInfo, login, sign, decrypt.
# Targets: list <= 6, tokeninfo 0, login 1, sign <= 3, decrypt <= 3.
# sign is the process's first signature with the key: its descriptor (GET DATA, the access
# rule that chooses INTERNAL AUTHENTICATE or PSO HASH + CDS, docs/cards.md) is read once per
# key and card (then kept in the public cache), then MSE + the signature.
#
# Part 2, whole pkcs11-tool processes (what a user waits for): `-L`, `-O`, `--login --sign`
# (RSA-PKCS, key 45), each cold (empty cache directory, freshly inserted card) and warm (the
# same command again: a second process on the same card), for ias-pkcs11 (its public cache,
# docs/cache.md) and OpenSC 0.23 without and with its file cache (use_file_caching = public),
# on the default card and the other layouts of IAS_BENCH_PERSONALITIES (default: cosmo-v7,
# cpx, gemalto-multiapp: other AIDs, FIDs, references, T=0 ATRs). Targets of ias-pkcs11 (issue
# 20): cold -L <= 6, warm -L <= 3, -O <= 4, --login --sign <= 8. Cold -L: EF.DIR by its SFI 1E
# (or, where EF.DIR has none, the refused read and the Generic PKI application's SELECT), the
# application's SELECT, TokenInfo, ODF, AODF (by SFI), the PIN's descriptor: 6 (amos, sagem,
# Cosmo). A T=0 card gets the descriptor's GET DATA answer through 61xx (CPx: 7, but its ATR's
# layout hint, docs/cards.md, SELECTs its application without EF.DIR: 6). Gemalto: no
# EF.DIR SFI (EF.DIR by SELECT by path from the MF + READ), no Generic PKI application, a
# refused PIN SDO and the tries by an empty VERIFY (10).
# These are the cold bounds of those layouts (docs/cache.md).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORLD="${IAS_WORLD_DIR:-$REPO/test-world}"
BUILD="${IAS_BUILD_DIR:-$REPO/build/release}"
SIM="${IAS_SIM_BIN:-$BUILD/sim/ias-card-sim}"
OURS="${IAS_MODULE:-$BUILD/module/ias-pkcs11.so}"
COUNTER="${IAS_APDU_COUNT_BIN:-$BUILD/bench/apdu_count}"
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
PIN=4711
WORK="$WORLD/work/apdu-compare"
mkdir -p "$WORK"
# The cards measured here (other personalities, T=0 ones among them) leave the reader with
# the world's own card again, whatever happens: the suites after this one expect it.
restore_world_card() {
    if [[ -f "$WORLD/default-card.json" ]]; then
        "$REPO/scripts/test-world.sh" insert "$WORLD/default-card.json" >/dev/null 2>&1 || true
    fi
}
trap restore_world_card EXIT

template="$WORK/card-template.json"
[[ -f "$template" && "$template" -nt "$SIM" ]] || "$SIM" personalise --force --state "$template" --serial 0010000000123456 --pin "$PIN" \
    --puk 12345678 --ca-dir "$WORK/ca" --label "IAS-ECC SIM" >/dev/null

printf 'reader_filter = Virtual PCD 00 00\n' > "$WORK/ias-pkcs11.conf"
export IAS_PKCS11_CACHE_DIR="$WORK/cache-part1"
# A record of an earlier run's card (same serial and TokenInfo, other keys when the template
# was personalised again) would give the certificate below from the cache: start empty.
rm -rf "$IAS_PKCS11_CACHE_DIR"
export IAS_PKCS11_CONF="$WORK/ias-pkcs11.conf"

# Ciphertext for the authentication key (ID 45) under its certificate.
cp "$template" "$WORK/card.json"
"$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
pkcs11-tool --module "$OURS" --read-object --type cert --id 45 -o "$WORK/cert.der" >/dev/null 2>&1
openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout > "$WORK/pub.pem"
head -c 48 /dev/urandom > "$WORK/plain"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/pub.pem" -in "$WORK/plain" -out "$WORK/cipher"
export APDU_COUNT_CIPHERTEXT="$WORK/cipher"

run() {  # run MODULE -> "op count" lines, on a freshly inserted copy of the card
    cp "$template" "$WORK/card.json"
    "$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
    "$COUNTER" "$1" "$WORLD/apdu.log" "$PIN"
}

check=0
[[ "${1:-}" == "--check" ]] && check=1
opensc=""
[[ "$check" == 1 ]] || opensc=$(run "$OPENSC")
rm -rf "$IAS_PKCS11_CACHE_DIR"  # part 1 is a first contact: an empty cache
ours=$(run "$OURS")

declare -A target=([list]=6 [tokeninfo]=0 [login]=1 [sign]=3 [decrypt]=3)
status=0
printf '%-10s %8s %11s %8s\n' operation OpenSC ias-pkcs11 target
for op in list tokeninfo login sign decrypt; do
    o=$(awk -v k="$op" '$1==k {print $2}' <<<"$opensc")
    [[ "$check" == 0 ]] || o=-
    m=$(awk -v k="$op" '$1==k {print $2}' <<<"$ours")
    mark=""
    if [[ -z "$m" || "$m" -gt "${target[$op]}" ]]; then mark="  <-- over target"; status=1; fi
    printf '%-10s %8s %11s %8s%s\n' "$op" "${o:-?}" "${m:-?}" "<=${target[$op]}" "$mark"
done

# --- Part 2: whole pkcs11-tool processes, cold and warm ---
printf 'app default {\n  framework pkcs15 {\n    use_file_caching = no;\n  }\n}\n' > "$WORK/opensc-nocache.conf"
printf 'app default {\n  framework pkcs15 {\n    use_file_caching = public;\n    file_cache_dir = %s;\n  }\n}\n' \
    "$WORK/cache-opensc" > "$WORK/opensc-cache.conf"
printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20' > "$WORK/digestinfo"
head -c 32 /dev/zero >> "$WORK/digestinfo"

tool() {  # tool MODULE OP: runs pkcs11-tool, prints the APDUs it cost (or "fail")
    local before after
    before=$(wc -l < "$WORLD/apdu.log")
    local args=(--module "$1")
    case "$2" in
        L) args+=(-L) ;;
        O) args+=(-O) ;;
        sign) args+=(--login --pin "$PIN" --sign --id 45 -m RSA-PKCS -i "$WORK/digestinfo" -o "$WORK/signature") ;;
    esac
    if ! pkcs11-tool "${args[@]}" >"$WORK/tool.out" 2>&1; then echo fail; return; fi
    sleep 0.2  # the simulator's log line of the last APDU
    after=$(wc -l < "$WORLD/apdu.log")
    echo $((after - before))
}

# measure CONFIG OP: "cold warm" for one configuration (ours | opensc | opensc-cache)
measure() {
    local module=$OURS
    rm -rf "$WORK/cache-ours" "$WORK/cache-opensc"
    mkdir -p "$WORK/cache-opensc"
    case "$1" in
        opensc) module=$OPENSC; export OPENSC_CONF="$WORK/opensc-nocache.conf" ;;
        opensc-cache) module=$OPENSC; export OPENSC_CONF="$WORK/opensc-cache.conf" ;;
    esac
    cp "$ptemplate" "$WORK/card.json"
    "$REPO/scripts/test-world.sh" insert "$WORK/card.json" 2>/dev/null
    local cold warm
    cold=$(tool "$module" "$2")
    warm=$(tool "$module" "$2")
    unset OPENSC_CONF
    echo "$cold $warm"
}

declare -A goal_warm=([L]=3 [O]=4 [sign]=8)
over() { [[ "$1" == fail || "$1" -gt "$2" ]]; }
export IAS_PKCS11_CACHE_DIR="$WORK/cache-ours"
echo
printf '%-17s %-6s %15s %15s %15s %9s\n' personality op "OpenSC no cache" "OpenSC cache" ias-pkcs11 target
printf '%-17s %-6s %15s %15s %15s %9s\n' "" "" "cold / warm" "cold / warm" "cold / warm" "cold/warm"
for personality in default ${IAS_BENCH_PERSONALITIES:-cosmo-v7 cpx gemalto-multiapp}; do
    ptemplate="$WORK/card-$personality.json"
    [[ -f "$ptemplate" && "$ptemplate" -nt "$SIM" ]] || "$SIM" personalise --force --state "$ptemplate" --personality "$personality" \
        --serial 0010000000123456 --pin "$PIN" --puk 12345678 --ca-dir "$WORK/ca" --label "IAS-ECC SIM" >/dev/null
    case "$personality" in  # cold -L: EF.DIR by SFI or the Generic PKI application (+ 61xx on T=0)
        default|amos|sagem|cosmo-v7|cosmo-v8|cosmo-v8-ec) cold_goal=6 ;;
        cpx) cold_goal=6 ;;  # its ATR's layout hint (docs/cards.md): no EF.DIR read
        *) cold_goal=10 ;;
    esac
    for op in L O sign; do
        oc=- ow=- cc=- cw=-
        if [[ "$check" == 0 ]]; then
            read -r oc ow <<<"$(measure opensc "$op")"
            read -r cc cw <<<"$(measure opensc-cache "$op")"
        fi
        read -r mc mw <<<"$(measure ours "$op")"
        mark=""
        if over "$mw" "${goal_warm[$op]}" || { [[ "$op" == L ]] && over "$mc" "$cold_goal"; }; then
            mark="  <-- over target"; status=1
        fi
        target="-/${goal_warm[$op]}"
        [[ "$op" == L ]] && target="$cold_goal/${goal_warm[$op]}"
        printf '%-17s %-6s %15s %15s %15s %9s%s\n' "$personality" "-$op" "$oc / $ow" "$cc / $cw" "$mc / $mw" "$target" "$mark"
    done
done
[[ "$status" == 0 ]] && echo "apdu_compare: every ias-pkcs11 figure within its target" || echo "apdu_compare: figures over target"
if [[ "$check" == 1 ]]; then exit $status; fi

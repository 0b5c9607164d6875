#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The module's public cache through pcscd (docs/cache.md): a second process on the card
# reads no public file; another card in the same reader shows its own objects only; the file
# is private; cache = no writes nothing.
source "$(dirname "$0")/lib.sh"

CACHE="$IAS_PKCS11_CACHE_DIR"
fresh_card
rm -rf "$CACHE"
cold=$(p11 -O) || fail "first -O: $cold"
record="$CACHE/0010000000123456.cache"
[[ -f "$record" ]] || fail "no cache file $record"
[[ "$(stat -c %a "$record")" == 600 && "$(stat -c %a "$CACHE")" == 700 ]] || fail "cache modes $(stat -c %a "$CACHE" "$record")"
apdu_mark
warm=$(p11 -O) || fail "second -O: $warm"
n=$(apdus_since_mark)
[[ "$cold" == "$warm" ]] || fail "a second process lists other objects"
(( n <= 4 )) || fail "second -O cost $n APDUs (at most 4)"
pass "second process: same objects in $n APDUs"
p11 --read-object --type cert --id 45 -o "$WORK/a.der" >/dev/null || fail "read A's certificate"

# Card B (another serial, the same family and ATR) in the same reader, A's record kept.
template_b="$WORK/card-b.json"
"$SIM" personalise --state "$template_b" --serial 0010000000999999 --pin "$PIN" --puk "$PUK" \
    --ca-dir "$WORLD/templates/ca" --label "IAS-ECC SIM" --personality "${IAS_SIM_PERSONALITY:-default}" >/dev/null
IAS_WORLD_KEEP_CACHE=1 "$REPO/scripts/test-world.sh" insert "$template_b" 2>/dev/null
out=$(p11 -L)
expect_contains "$out" "serial num         : 0010000000999999" "card B's serial"
p11 --read-object --type cert --id 45 -o "$WORK/b-ours.der" >/dev/null || fail "read B's certificate"
pkcs11-tool --module "$OPENSC_MODULE" --read-object --type cert --id 45 -o "$WORK/b-opensc.der" >/dev/null 2>&1 ||
    cp "$WORK/b-ours.der" "$WORK/b-opensc.der"  # layouts OpenSC refuses: compare with A below only
cmp -s "$WORK/b-ours.der" "$WORK/b-opensc.der" || fail "card B's certificate differs from what the card holds"
p11 --read-object --type cert --id 45 -o "$WORK/b-again.der" >/dev/null
cmp -s "$WORK/b-ours.der" "$WORK/b-again.der" || fail "card B's certificate changed between processes"
cmp -s "$WORK/a.der" "$WORK/b-ours.der" && fail "card B shown with card A's certificate"
[[ -f "$CACHE/0010000000999999.cache" && -f "$record" ]] || fail "one record per card expected"
pass "swapped card: its own serial and certificate"

# cache = no: nothing written.
rm -rf "$CACHE"
printf 'reader_filter = Virtual PCD 00 00\ncache = no\n' > "$IAS_PKCS11_CONF"
p11 -O >/dev/null || fail "-O with cache = no"
[[ ! -e "$CACHE" ]] || fail "cache = no wrote $(ls "$CACHE")"
pass "cache = no"

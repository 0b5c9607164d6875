#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Log canary over a whole test run: searches everything the suites printed or logged (the
# full output of every ctest test, passed ones included; JUnit files; the fuzz, package and
# static-analysis logs; the test worlds' pcscd, simulator and ias-unblockd logs) for values
# that must never be printed:
#   - an unblock secret in its displayed form (16 + 2 Crockford base32 symbols,
#     XXXX-XXXX-XXXX-XXXX-CC), i.e. any secret a test obtained from a service, whatever the
#     test did with it; the fixed test vectors below, written in the sources and never
#     issued by a service, are allowed;
#   - the security answers the test fixtures register (scripts/unblock-world.sh,
#     tests/service/*_fixture.hpp).
# PINs are short digit strings that also occur as ordinary data; they are checked by the
# targeted canaries (world.module.clients.canary, ServiceCanary.*, tools.unblock_world).
#
#   scripts/canary-scan.sh PATH...     directories are searched recursively
#
# A hit is reported as file:line and the kind of value, never the value itself. Before
# scanning, the scanner must find planted values in a scratch file (a scan of nothing, or a
# broken pattern, fails instead of passing). Exit status 1 on any hit.
set -euo pipefail

sym='[0-9A-HJKMNP-TV-Z]'
secret_re="(^|[^0-9A-Za-z-])${sym}{4}(-${sym}{4}){3}-${sym}{2}([^0-9A-Za-z-]|\$)"
# Fixed vectors in the test sources: never issued, not secrets.
allowed_secrets=(0000-0000-0000-0000-00 008J-4CT4-ANK7-F24S-5X 7KQ2-M9XD-4T1V-HB8R-5Z)
answers=(Lyon Rex Canary-Answer-Lyon Durand-Canary1 Lyon-CANARY-answer)

# find_hits FILE...: prints "file:line: kind" for every forbidden value.
find_hits() {
    local allow
    allow=$(printf '%s|' "${allowed_secrets[@]}")
    grep -HnaoE "$secret_re" "$@" 2>/dev/null | grep -vE "(${allow%|})" | cut -d: -f1,2 | sed 's/$/: an unblock secret/' || true
    grep -HnawF "$(printf '%s\n' "${answers[@]}")" "$@" 2>/dev/null | cut -d: -f1,2 | sed 's/$/: a security answer/' || true
}

[[ $# -gt 0 ]] || { echo "usage: $0 PATH..." >&2; exit 2; }

# Self-check: planted values are found, allowed ones are not.
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
printf 'ok 0000-0000-0000-0000-00\nticket=%s-%s-%s-%s-%s.\nanswer: Lyon\nLyonnais\n' \
    K7QM D4XT 9HB2 1VZ8 3C > "$probe"
planted=$(find_hits "$probe")
if [[ $(wc -l <<<"$planted") -ne 2 || "$planted" != *":2: an unblock secret"* || "$planted" != *":3: a security answer"* ]]; then
    echo "canary-scan: self-check failed (planted values not found as expected)" >&2
    exit 1
fi

mapfile -d '' files < <(find "$@" -type f -print0 2>/dev/null)
[[ ${#files[@]} -gt 0 ]] || { echo "canary-scan: nothing to scan in $*" >&2; exit 1; }
bytes=$(cat "${files[@]}" | wc -c)
hits=$(find_hits "${files[@]}" | sort -u)
if [[ -n "$hits" ]]; then
    echo "$hits"
    echo "canary-scan: $(wc -l <<<"$hits") forbidden values in ${#files[@]} files ($bytes bytes)"
    exit 1
fi
echo "canary-scan: ${#files[@]} files, $bytes bytes, no secret or answer"

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file of the project carries "SPDX-License-Identifier: Apache-2.0" in its first
# five lines (LICENSE, debian/copyright). Lists the files that do not; exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
while IFS= read -r f; do
    [[ -f "$f" && ! -L "$f" ]] || continue
    case "$f" in fuzz/corpus/*|fuzz/dict/*) continue ;; esac
    case "$f" in
        *.cpp|*.hpp|*.c|*.h|*.java|*.sh|*.py|*/CMakeLists.txt|CMakeLists.txt|*.cmake) ;;
        *) head -c 2 "$f" | grep -q '#!' || continue
           head -n 1 "$f" | grep -Eq 'sh|python' || continue ;;
    esac
    if ! head -n 5 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then
        echo "no SPDX header: $f"
        missing=$((missing + 1))
    fi
done < <(git ls-files 2>/dev/null || find . -type f -not -path './.git/*' -not -path './build/*' | sed 's|^\./||')
echo "files without an SPDX header: $missing"
[[ $missing -eq 0 ]]

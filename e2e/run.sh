#!/usr/bin/env bash
# Stoa's browser suite: installs what it needs (Debian's Chromium, a font for screenshots, the
# sqlite3 shell, the npm packages from the lockfile), then runs every test file in tests/ with
# Node's test runner. Each file starts its own `stoa serve` on a fresh SQLite database.
#
#   e2e/run.sh                 uses target/debug/stoa (built if missing)
#   E2E_STOA_BIN=path e2e/run.sh   another binary
#   e2e/run.sh tests/flows.test.mjs   one file
#
# Screenshots land in e2e/artifacts/ (or $E2E_ARTIFACTS).
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd .. && pwd)"

need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium chromium-driver)
command -v sqlite3 >/dev/null || need+=(sqlite3)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if ((${#need[@]})); then
    echo "== installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v node >/dev/null || { echo "node is needed (Node.js 20 or later)" >&2; exit 1; }

if [[ ! -d node_modules/playwright-core || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "== npm ci"
    npm ci --no-audit --no-fund --loglevel=error
fi

export E2E_STOA_BIN="${E2E_STOA_BIN:-$REPO/target/debug/stoa}"
if [[ ! -x "$E2E_STOA_BIN" ]]; then
    echo "== cargo build -p stoa"
    (cd "$REPO" && cargo build -p stoa)
fi

if (($# == 0)); then set -- tests/*.test.mjs; fi
exec node --test --test-concurrency=1 --test-reporter=tap "$@"

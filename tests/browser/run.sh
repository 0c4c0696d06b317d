#!/bin/bash
# The browser tests from nothing: a collection of the project's sample data
# plus a record whose fields carry XSS payloads, `arca serve` on a free
# port, then run.mjs (playwright-core driving Debian's chromium, headless).
# Prints TAP; exits non-zero when a test fails or the server does not stop
# cleanly.  Screenshots go to $ARTIFACTS (build/test-artifacts/browser).
#   ARCA=build/arca bash tests/browser/run.sh
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ARCA=${ARCA:-$SRC/build/arca}
ARTIFACTS=${ARTIFACTS:-$SRC/build/test-artifacts/browser}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-browser.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

cd "$SRC/tests/browser"
if [ ! -d node_modules/playwright-core ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
fi

C=$TMP/c
D=$SRC/tests/data
"$ARCA" init "$C" >/dev/null
"$ARCA" -C "$C" import --quiet --no-ocr "$D/sotu" "$D/html" "$D/announcement" \
    "$D/mail" "$D/office" "$D/archives" "$D/encodings"
printf '<script>alert(1)</script>"><img src=x onerror=alert(1)>\nThis xssprobe body.\n' >"$TMP/body.txt"
printf 'attachment for xssprobe\n' >"$TMP/att.txt"
"$ARCA" -C "$C" add "$TMP/body.txt" "$TMP/att.txt" \
    --title '<script>alert(1)</script>"><img src=x onerror=alert(1)>' \
    --date 2024-01-02 --author '<b>Mallory</b>' \
    --board '"><img src=x onerror=alert(1)>' >/dev/null

"$ARCA" -C "$C" serve --port 0 2>"$TMP/serve.log" &
pid=$!
for _ in $(seq 100); do
    grep -q 'serving' "$TMP/serve.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/serve.log" >&2; exit 1; }
    sleep 0.1
done
port=$(grep -o '127\.0\.0\.1:[0-9]\+' "$TMP/serve.log" | head -1 | cut -d: -f2)
[ -n "$port" ] || { cat "$TMP/serve.log" >&2; exit 1; }

mkdir -p "$ARTIFACTS"
rc=0
ARCA_URL=http://127.0.0.1:$port ARTIFACTS=$ARTIFACTS node run.mjs || rc=$?

# The server stops on SIGTERM with status 0 (under ASan: without leaks).
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
if [ "$status" != 0 ]; then
    echo "# arca serve exited with status $status:" >&2
    sed 's/^/# /' "$TMP/serve.log" >&2
    rc=1
fi
exit "$rc"

# lib.sh: a small TAP library for arca's command tests (run by prove).
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3
#   ok "it works" test 1 = 1
#   is "$(arca version)" "arca 0.1.0" "version"
#
# $ARCA is the binary under test; $ARCA_SRC the checkout; $CORPUS the
# shared corpus, when there is one (tests over it are skipped otherwise).

set -u
: "${ARCA_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${ARCA:=$ARCA_SRC/build/arca}"
: "${CORPUS:=$ARCA_SRC/../shared/corpus}"
DATA=$ARCA_SRC/tests/data
TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
_n=0
_failed=0

arca() { "$ARCA" "$@"; }
plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
have_corpus() { [ -d "$CORPUS/html" ]; }

_result() {  # STATUS DESCRIPTION
    _n=$((_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $_n - $2"
    else
        echo "not ok $_n - $2"
        _failed=$((_failed + 1))
    fi
}

# ok DESCRIPTION COMMAND...: passes when COMMAND succeeds.
ok() {
    local d=$1; shift
    if "$@" >"$TMP/.out" 2>&1; then _result 0 "$d"; else
        _result 1 "$d"; sed 's/^/# /' "$TMP/.out" | head -20
    fi
}

# is GOT EXPECTED DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then _result 0 "$3"; else
        _result 1 "$3"
        printf '#   got:      %s\n#   expected: %s\n' "$1" "$2" | head -20
    fi
}

# like GOT PATTERN DESCRIPTION (grep -E)
like() {
    if printf '%s' "$1" | grep -Eq -- "$2"; then _result 0 "$3"; else
        _result 1 "$3"
        printf '#   got: %s\n#   not matching: %s\n' "$1" "$2" | head -20
    fi
}

skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }

# json FILTER: jq -r FILTER on standard input.
json() { jq -r "$1"; }

done_testing() { [ "$_failed" = 0 ]; exit $?; }

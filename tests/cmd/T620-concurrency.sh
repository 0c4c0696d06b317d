#!/bin/bash
# Readers during an import: while `arca import` brings in a few thousand
# small files, committing every few files, three clients search without
# pause: `arca search --json` (a new process each look), `arca run` of a
# Lua script (a walk over every hit) and curl against `arca serve`
# (/api/search).  Every look answers (status 0 / 200, valid JSON) and the
# index is consistent at every look: the marker's total never goes down
# from one look to the next, a search lists as many hits as its total
# says (or its limit), every hit's record can be shown (the index is never
# ahead of the catalog), and the last look finds every file.  A Lua walk
# never gives a record twice and never stops: one whose revision the
# import's commits overwrite starts again on the newest, leaving out what
# it gave (counted).  A second writer during the import fails at once
# with "collection is busy" and succeeds after it.
#
# ARCA_SANITIZE=1: fewer files (ASan slows every process).  ARCA_STRESS=1
# (`make stress`): many more files, a longer import.
. "$(dirname "$0")/lib.sh"
plan 27

sanitize() { [ -n "${ARCA_SANITIZE:-}" ] && [ "${ARCA_SANITIZE:-}" != 0 ]; }
if [ "${ARCA_STRESS:-0}" = 1 ]; then N=12000
elif sanitize; then N=800
else N=2000
fi
BATCH=20              # files a commit: many commits for readers to see
LIMIT=200             # hits a CLI look lists
SIZE=100              # hits an HTTP look lists (the API's largest page)
QUICK=5               # seconds a refused writer may take, at most
sanitize && QUICK=15  # an ASan binary starts slowly
MARK=zephyrmark

C=$TMP/c
arca init "$C" >/dev/null
mkdir "$TMP/src" "$TMP/more"
# Half plain text, half HTML; each with the marker and a word of its own.
for ((i = 1; i <= N; i++)); do
    if ((i % 2)); then
        printf 'Report %d on the %s harbour\nTonnage of port w%d rose.\n' \
               "$i" "$MARK" "$i" >"$TMP/src/f$i.txt"
    else
        printf '<html><head><title>Bulletin %d</title></head><body><p>%s notice w%d for the lighthouse keeper.</p></body></html>\n' \
               "$i" "$MARK" "$i" >"$TMP/src/f$i.html"
    fi
done
for i in 1 2 3; do
    printf 'quillwort note %d, written by a second writer\n' "$i" >"$TMP/more/q$i.txt"
done

# ---- The clients ----
# Each looks until $TMP/done appears, then once more.  A look appends its
# marker total to $TMP/NAME.totals; a problem appends "KIND: what" to
# $TMP/NAME.fail, KIND one of status, order, count, record.

cat >"$TMP/look.lua" <<'LUA'
-- One look: the marker's count, a walk over every hit (no id twice,
-- each record there), the count again.  Prints "BEFORE WALKED AFTER".
local arca = require "arca"
local mark = arg[1]
local c = assert(arca.open())
local before = c:count(mark)
local seen, walked = {}, 0
for hit in c:search(mark, {snippet = 20}) do
  walked = walked + 1
  if seen[hit.id] then error("the walk gave " .. hit.id .. " twice") end
  seen[hit.id] = true
  if not c:record(hit.id) then error("no record " .. hit.id) end
end
local after = c:count(mark)
c:close()
print(before, walked, after)
LUA

# client NAME LOOK: run LOOK until done.
client() {
    local name=$1 look=$2 prev=0 last= t
    while :; do
        [ -e "$TMP/done" ] && last=1
        [ -d "$TMP" ] || return
        if t=$($look 2>>"$TMP/$name.fail"); then
            echo "$t" >>"$TMP/$name.totals"
            [ "$t" -ge "$prev" ] || echo "order: total $t after $prev" >>"$TMP/$name.fail"
            prev=$t
        fi
        [ -n "$last" ] && break
    done
}

# Each look prints the total, or reports to standard error ("KIND: ...").
cli_look() {
    local out=$TMP/cli.json total n id
    arca -C "$C" search --json --limit "$LIMIT" "$MARK" >"$out" 2>"$TMP/cli.err" ||
        { echo "status: search exited $?: $(head -c 200 "$TMP/cli.err")" >&2; return 1; }
    read -r total n < <(jq -r '"\(.total) \(.hits | length)"' "$out" 2>/dev/null)
    case "$total$n" in ''|*[!0-9]*) echo "status: not the JSON of a search: $(head -c 200 "$out")" >&2; return 1 ;; esac
    [ "$n" -eq $((total < LIMIT ? total : LIMIT)) ] ||
        echo "count: total $total but $n hits listed (limit $LIMIT)" >&2
    # The first and the last hit's records.
    for id in $(jq -r '.hits | (first, last) | .id // empty' "$out"); do
        arca -C "$C" show "$id" >/dev/null 2>"$TMP/cli.err" ||
            echo "record: arca show $id exited $?: $(head -c 200 "$TMP/cli.err")" >&2
    done
    echo "$total"
}

lua_look() {
    local before walked after rc
    arca -C "$C" run "$TMP/look.lua" "$MARK" >"$TMP/lua.out" 2>"$TMP/lua.err"
    rc=$?
    if [ "$rc" != 0 ]; then
        if grep -q 'twice' "$TMP/lua.err"; then echo "count: $(head -1 "$TMP/lua.err")" >&2
        elif grep -q 'no record' "$TMP/lua.err"; then echo "record: $(head -1 "$TMP/lua.err")" >&2
        else echo "status: arca run exited $rc: $(head -c 200 "$TMP/lua.err")" >&2
        fi
        return 1
    fi
    read -r before walked after <"$TMP/lua.out"
    case "$before$walked$after" in ''|*[!0-9]*) echo "status: arca run printed '$before $walked $after'" >&2; return 1 ;; esac
    # Records only come: a walk lists at least what was counted before it
    # and at most what was counted after it.
    [ "$before" -le "$walked" ] && [ "$walked" -le "$after" ] ||
        echo "count: counted $before, walked $walked, counted $after" >&2
    echo "$after"
}

http_look() {
    local out=$TMP/http.json code total n bad
    code=$(curl -s -g -o "$out" -w '%{http_code}' "$U/api/search?q=$MARK&size=$SIZE") || code="curl failed ($?)"
    [ "$code" = 200 ] || { echo "status: /api/search answered $code: $(head -c 200 "$out")" >&2; return 1; }
    read -r total n < <(jq -r '"\(.total) \(.hits | length)"' "$out" 2>/dev/null)
    case "$total$n" in ''|*[!0-9]*) echo "status: not the JSON of a search: $(head -c 200 "$out")" >&2; return 1 ;; esac
    [ "$n" -eq $((total < SIZE ? total : SIZE)) ] ||
        echo "count: total $total but $n hits listed (size $SIZE)" >&2
    # Every listed hit's record, in one curl.
    mapfile -t urls < <(jq -r --arg u "$U" '.hits[] | "-o", "/dev/null", "\($u)/api/records/\(.id)"' "$out")
    if [ "${#urls[@]}" -gt 0 ]; then
        bad=$(curl -s -g -w '%{http_code} %{url_effective}\n' "${urls[@]}" | grep -v '^200 ')
        [ -z "$bad" ] || echo "record: $(echo "$bad" | head -3 | tr '\n' ' ')" >&2
    fi
    echo "$total"
}

"$ARCA" -C "$C" serve --port 0 >/dev/null 2>"$TMP/serve.log" &
spid=$!
ipid= c1= c2= c3=
# A test that stops early leaves nothing running.
trap 'kill $spid $ipid $c1 $c2 $c3 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 300); do
    grep -q serving "$TMP/serve.log" && break
    sleep 0.1
done
port=$(grep -o '127\.0\.0\.1:[0-9]\+' "$TMP/serve.log" | head -1 | cut -d: -f2)
U=http://127.0.0.1:$port

: >"$TMP/cli.fail"; : >"$TMP/lua.fail"; : >"$TMP/http.fail"
client cli cli_look & c1=$!
client lua lua_look & c2=$!
client http http_look & c3=$!

t0=$EPOCHREALTIME
"$ARCA" -C "$C" import --json --quiet --no-ocr --jobs 1 --batch "$BATCH" "$TMP/src" \
    >"$TMP/import.json" 2>"$TMP/import.err" &
ipid=$!

# A second writer, once the import holds the writer's lock (seen in
# /proc/locks: trying the lock would make the import find it busy).
locked() {
    local ino
    ino=$(stat -c %i "$C/lock" 2>/dev/null) &&
        grep -Eq "FLOCK +ADVISORY +WRITE +$ipid +[0-9a-f]+:[0-9a-f]+:$ino " /proc/locks
}
for _ in $(seq 600); do
    locked && break
    sleep 0.05
done
# refused NAME COMMAND...: COMMAND fails with "collection is busy", quickly.
refused() {
    local name=$1 s e rc; shift
    s=$EPOCHREALTIME
    timeout 60 "$@" >"$TMP/$name.out" 2>&1
    rc=$?
    e=$EPOCHREALTIME
    if [ "$rc" != 0 ] && grep -q "collection is busy" "$TMP/$name.out"; then
        _result 0 "$name during the import fails: collection is busy"
    else
        _result 1 "$name during the import fails: collection is busy"
        echo "#   exit status $rc: $(head -c 300 "$TMP/$name.out")"
    fi
    ok "and fails quickly, not a hang ($(awk "BEGIN { printf \"%.2f\", $e - $s }") s)" \
       awk "BEGIN { exit !($e - $s < $QUICK) }"
}
refused "a second import" "$ARCA" -C "$C" import --quiet --no-ocr "$TMP/more"
refused "arca add" "$ARCA" -C "$C" add --title "Late note" --text "latecomer words"
ok "the first import was still running meanwhile" kill -0 "$ipid"

wait "$ipid"
irc=$?
t1=$EPOCHREALTIME
ipid=
touch "$TMP/done"
wait "$c1" "$c2" "$c3"
c1= c2= c3=
is "$irc" 0 "the import exits 0"
is "$(jq -r '"\(.records) \(.failed)"' "$TMP/import.json")" "$N 0" "it imported every file"

for name in cli lua http; do
    case $name in
        cli) what="CLI searches" ;;
        lua) what="Lua walks (arca run)" ;;
        http) what="HTTP searches" ;;
    esac
    looks=$(wc -l <"$TMP/$name.totals")
    during=$(awk -v n="$N" '$1 > 0 && $1 < n' "$TMP/$name.totals" | sort -un | wc -l)
    echo "# $looks $what, $during distinct totals seen while the import ran"
    for kind in status order count record; do
        case $kind in
            status) d="$name: every look answered, with valid JSON" ;;
            order) d="$name: the marker's total never went down" ;;
            count) d="$name: hits listed match the total" ;;
            record) d="$name: every hit's record is there" ;;
        esac
        bad=$(grep "^$kind: " "$TMP/$name.fail")
        is "$(printf '%s' "$bad" | grep -c .)" 0 "$d"
        [ -z "$bad" ] || printf '%s\n' "$bad" | head -5 | sed 's/^/#   /'
    done
    is "$(tail -1 "$TMP/$name.totals")" "$N" "$name: the last look finds every file"
done
odd=$(grep -hv -e '^status: ' -e '^order: ' -e '^count: ' -e '^record: ' \
      "$TMP/cli.fail" "$TMP/lua.fail" "$TMP/http.fail")
[ -z "$odd" ] || printf '%s\n' "$odd" | head -5 | sed 's/^/# other output: /'
seen=$(cat "$TMP"/*.totals | awk -v n="$N" '$1 > 0 && $1 < n' | sort -un | wc -l)
ok "readers saw the import part done ($seen totals between 0 and $N)" test "$seen" -gt 0
echo "# import of $N files: $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, a commit every $BATCH files"

ok "after it, the second import succeeds" arca -C "$C" import --quiet --no-ocr "$TMP/more"
ok "and arca add too" arca -C "$C" add --title "Late note" --text "latecomer words"
is "$(arca -C "$C" search --json 'quillwort OR latecomer' | jq -r .total)" 4 "both are found"

kill -TERM "$spid"
wait "$spid"
is "$?" 0 "the server stops cleanly on SIGTERM"
spid=
done_testing

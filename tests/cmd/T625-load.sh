#!/bin/bash
# arca serve under load while an import writes: wrk with 64 connections
# goes round a mix of queries on /api/search (tests/bench/wrk-mix.lua over
# tests/data/load/queries.txt) for 10 s, while imports of generated files
# into the same collection run one after another.  No socket errors, no
# answer but 2xx, some requests done; the server's memory is flat (VmRSS,
# sampled each second: the last third's peak within a margin of the first
# third's); SIGTERM stops it with status 0.  Prints requests/s, p50 and
# p99 latency and the RSS at the start and the end.
#
# ARCA_STRESS=1 (`make stress`): 60 s.  ARCA_SANITIZE=1: the RSS check is
# skipped, since ASan's quarantine holds freed memory back (up to 256 MiB)
# and its shadow grows with it: growth there says nothing of leaks.
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || skip_all "no wrk (tools/install-deps installs it)"
plan 9

sanitize() { [ -n "${ARCA_SANITIZE:-}" ] && [ "${ARCA_SANITIZE:-}" != 0 ]; }
SECS=10
# The short form adds new files each round and commits every 20 files
# (every ~60 ms), to put the server's reopening under pressure.  The
# long form imports as an archivist would, a commit a batch (500 files:
# one per import here), and each round changes the same files, so that
# the collection keeps its size and its memory can be judged over a
# minute: new files each round would grow it to some 20,000 records,
# and the server's caches with it.
BATCH=(--batch 20)
SAME=0
[ "${ARCA_STRESS:-0}" = 1 ] && SECS=60 BATCH=() SAME=1
CONNS=64
WAIT=10s              # wrk's timeout: a slow answer is not a failure here
sanitize && WAIT=30s
ROUND=300             # files an import brings in

C=$TMP/c
arca init "$C" >/dev/null
mapfile -t fixtures < <(ls -d "$DATA"/*/ | grep -v '/load/$')
arca -C "$C" import --quiet --no-ocr "${fixtures[@]}" 2>/dev/null
base=$(arca -C "$C" search --json union | jq -r .total)

"$ARCA" -C "$C" serve --port 0 >/dev/null 2>"$TMP/serve.log" &
spid=$!
loader=
# A test that stops early leaves nothing running.
trap 'touch "$TMP/stop"; kill $spid $loader 2>/dev/null; wait; rm -rf "$TMP"' EXIT
for _ in $(seq 300); do
    grep -q serving "$TMP/serve.log" && break
    sleep 0.1
done
port=$(grep -o '127\.0\.0\.1:[0-9]\+' "$TMP/serve.log" | head -1 | cut -d: -f2)
U=http://127.0.0.1:$port
is "$(curl -s "$U/api/search?q=union" | jq -r .total)" "$base" "the server answers before the load"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status" 2>/dev/null; }

# The writer: imports of ROUND new files each, one after another, until
# told to stop; their summaries in $TMP/imports.
(
    k=0
    while [ ! -e "$TMP/stop" ]; do
        k=$((k + 1))
        d=$TMP/gen/r$k
        [ "$SAME" = 1 ] && d=$TMP/gen/same
        mkdir -p "$d"
        for ((i = 1; i <= ROUND; i++)); do
            if ((i % 2)); then
                printf 'Round %d item %d: tidewater readings at the lighthouse w%d_%d\n' \
                       "$k" "$i" "$k" "$i" >"$d/t$i.txt"
            else
                printf '<html><head><title>Tide table %d.%d</title></head><body><p>tidewater w%d_%d</p></body></html>\n' \
                       "$k" "$i" "$k" "$i" >"$d/h$i.html"
            fi
        done
        "$ARCA" -C "$C" import --json --quiet --no-ocr "${BATCH[@]}" "$d" \
            >>"$TMP/imports" 2>>"$TMP/imports.err"
        echo "status $?" >>"$TMP/imports.rc"
    done
) &
loader=$!

# VmRSS each second while wrk runs.
(
    while [ ! -e "$TMP/stop" ]; do
        rss >>"$TMP/rss"
        sleep 1
    done
) &
sampler=$!

wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout "$WAIT" --latency \
    -s "$ARCA_SRC/tests/bench/wrk-mix.lua" "$U/api/search" -- \
    "$DATA/load/queries.txt" 2 >"$TMP/wrk.out" 2>&1
wrc=$?
touch "$TMP/stop"
wait "$loader" "$sampler"
loader=

is "$wrc" 0 "wrk ran"
read -r _ _ reqs _ secs _ rps _ p50 _ p99 _ errs _ conn _ rd _ wr _ st _ tmo _ _ \
    < <(grep '^wrk-mix: ' "$TMP/wrk.out" | tr -d '()')
is "${conn:-x} ${rd:-x} ${wr:-x} ${tmo:-x}" "0 0 0 0" "no socket errors (connect, read, write, timeout)"
is "${st:-x}" 0 "no answer but 2xx"
ok "requests were answered (${reqs:-none})" test "${reqs:-0}" -gt 0
[ "${st:-0}" = 0 ] || grep -i 'non-2xx\|socket' "$TMP/wrk.out" | sed 's/^/# /'
rounds=$(grep -c . "$TMP/imports.rc")
is "$(grep -vc '^status 0$' "$TMP/imports.rc")" 0 "the $rounds imports meanwhile succeeded"
[ -s "$TMP/imports.err" ] && head -5 "$TMP/imports.err" | sed 's/^/# /'
added=$(jq -s 'map(.records) | add' "$TMP/imports")
want=$added
[ "$SAME" = 1 ] && want=$ROUND      # new versions of the same records
is "$(curl -s "$U/api/search?q=tidewater" | jq -r .total)" "$want" "the server finds every record they added"

# Flat memory: the peak of the last third of the samples against the
# peak of the first third.  The index grows by $rounds x $ROUND records
# meanwhile, so some growth is allowed: Xapian's per-thread handles cache
# more blocks of a bigger index, and malloc's arenas keep their high
# water.  A leak of even 1 KiB a request (~1 MiB/s at these rates) shows
# over 10 s as 10 MiB; the margin is 8 MiB plus 10 % of the first peak.
mapfile -t samples <"$TMP/rss"
n=${#samples[@]}
third=$((n / 3))
first_max=$(printf '%s\n' "${samples[@]:0:third}" | sort -n | tail -1)
last_max=$(printf '%s\n' "${samples[@]:n-third}" | sort -n | tail -1)
echo "# $reqs requests in $secs s: $rps requests/s, p50 $p50 ms, p99 $p99 ms, $CONNS connections"
echo "# $rounds imports of $ROUND files meanwhile ($added records)"
echo "# server RSS: ${samples[0]:-?} KiB at the start, ${samples[n-1]:-?} KiB at the end; peak $first_max KiB in the first third, $last_max KiB in the last ($n samples)"
if sanitize; then
    skip "memory is flat: under ASan its quarantine grows memory"
elif [ "$third" -lt 2 ]; then
    _result 1 "memory is flat: only $n RSS samples"
else
    margin=$((8192 + first_max / 10))
    ok "memory is flat: the last third's peak within $margin KiB of the first's" \
       test "$last_max" -le $((first_max + margin))
fi

kill -TERM "$spid"
wait "$spid"
is "$?" 0 "SIGTERM stops the server with status 0"
spid=
done_testing

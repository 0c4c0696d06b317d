#!/bin/bash
# tests/bench/serve.sh: the HTTP benchmark behind `make bench-serve`.
# The requirement: loading /api/search of `arca serve` on loopback with
# wrk (32 connections, 30 s, a mix of queries) over a collection of the
# gimp-help corpus answers with no errors; it prints requests/s, p50 and
# p99, and the ratio to the same queries run in process (what HTTP costs).
# A benchmark: it prints figures and fails only on errors.
#
# It builds, once, the collection $BENCH_DIR/collS from corpus A (made by
# setup.sh: the GIMP manual in five languages), then
#   1. starts $ARCA -C collS serve --port 0 --threads T;
#   2. asks each line of tests/bench/queries.txt once with curl, which must
#      answer 200 with JSON;
#   3. runs wrk -t2 -cCONNECTIONS -dSECONDSs --latency -s wrk-mix.lua on
#      http://127.0.0.1:PORT/api/search, going round the mix;
#   4. reads the server's peak RSS (VmHWM) and CPU time, stops it with
#      SIGTERM, which must end it with status 0;
#   5. runs $QUERIES collS queries.txt T SECONDS (tests/bench/queries.c):
#      the same mix, api_search's work without HTTP, in T threads;
# and prints a table: requests/s, p50, p99 and errors over HTTP, requests/s
# in process, and HTTP/in process (0.85: HTTP costs 15 %).
#
# T is the server's default on this machine (two threads a core, at least
# 2, at most 16, as tools/serve.c counts), passed to both explicitly.
# wrk runs on the same machine: its own CPU time is printed beside the
# server's, since on a small machine it takes cores the server would have.
#
# Environment: ARCA (default build/arca in this checkout), QUERIES
# (default build/tests/bench/queries), BENCH_DIR (default /tmp/arca-bench),
# BENCH_SERVE_SECONDS (1 to 3600, default 30), BENCH_SERVE_CONNECTIONS (1
# to 512, default 32), BENCH_SERVE_THREADS (1 to 256, default as above).
# Files in BENCH_DIR: collS/ (the collection), collS.stamp, serve-logs/
# (each command's output, each query's answer) and serve.json (the
# figures).
# Exit status: 0 when every request was answered, 1 when a program is
# missing or failed, or a request failed (over HTTP or in process), 2 on
# bad settings.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/arca-bench}
BENCH_SERVE_SECONDS=${BENCH_SERVE_SECONDS:-30}
BENCH_SERVE_CONNECTIONS=${BENCH_SERVE_CONNECTIONS:-32}
ARCA=${ARCA:-$checkout/build/arca}
QUERIES=${QUERIES:-$checkout/build/tests/bench/queries}
case $ARCA in /*) ;; *) ARCA=$checkout/$ARCA ;; esac
case $QUERIES in /*) ;; *) QUERIES=$checkout/$QUERIES ;; esac
MIX=$here/queries.txt
SCRIPT=$here/wrk-mix.lua
WRK_THREADS=2
GENERATOR=1         # bump when the collection below changes, to rebuild it

die() { echo "bench-serve: $1" >&2; exit "${2:-1}"; }
warn() { echo "bench-serve: $*" >&2; }

# whole NAME VALUE LO HI: VALUE is a whole number from LO to HI.
whole() {
  case $2 in
    ''|*[!0-9]*|0?*) die "$1 must be a whole number from $3 to $4, not '$2'" 2 ;;
  esac
  if [ "${#2}" -gt 6 ] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    die "$1 must be a whole number from $3 to $4, not '$2'" 2
  fi
}

# The server's default (tools/serve.c): two threads a core, 2 to 16.
cores=$(nproc)
if [ "$cores" -ge 8 ]; then default_threads=16
else default_threads=$((cores * 2))
fi
BENCH_SERVE_THREADS=${BENCH_SERVE_THREADS:-$default_threads}
whole BENCH_SERVE_SECONDS "$BENCH_SERVE_SECONDS" 1 3600
whole BENCH_SERVE_CONNECTIONS "$BENCH_SERVE_CONNECTIONS" 1 512
whole BENCH_SERVE_THREADS "$BENCH_SERVE_THREADS" 1 256
threads=$BENCH_SERVE_THREADS secs=$BENCH_SERVE_SECONDS
conns=$BENCH_SERVE_CONNECTIONS
[ "$conns" -ge "$WRK_THREADS" ] || WRK_THREADS=1

for p in "$ARCA" "$QUERIES"; do
  [ -x "$p" ] || die "$p is not built (run make bench-serve, or set ARCA and QUERIES)"
done
for t in wrk curl; do
  command -v "$t" >/dev/null 2>&1 ||
    die "$t is missing (tests/bench/setup.sh installs it, or apt-get install $t)"
done
[ -f "$MIX" ] || die "no $MIX"
[ -f "$SCRIPT" ] || die "no $SCRIPT"
mapfile -t mix < <(grep -v -e '^#' -e '^[[:space:]]*$' "$MIX")
[ "${#mix[@]}" -gt 0 ] || die "$MIX holds no queries"

mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
cd "$BENCH_DIR" || die "cannot enter $BENCH_DIR"
if [ ! -d corpusA ] || [ ! -s corpusA.stamp ]; then
  die "no corpus A in $BENCH_DIR (run: BENCH_CORPORA=A bash tests/bench/setup.sh)"
fi
coll=$BENCH_DIR/collS stamp=$BENCH_DIR/collS.stamp
logs=$BENCH_DIR/serve-logs
rm -rf "$logs" serve.json
mkdir -p "$logs/answers" || die "cannot create $logs"

calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---- The collection ----

corpus_files=$(sed -n 's/^stats: \([0-9]*\) .*/\1/p' corpusA.stamp)
[ -n "$corpus_files" ] || die "$BENCH_DIR/corpusA.stamp has no 'stats:' line"
records() {
  "$ARCA" -C "$coll" stats --json 2>/dev/null |
    sed -n 's/^ *"records": *\([0-9]*\),*$/\1/p'
}
want_stamp="generator: $GENERATOR
corpus: $(sed -n 's/^stats: //p' corpusA.stamp)"
if [ -d "$coll" ] && [ -s "$stamp" ] &&
   [ "$(sed -n '1,2p' "$stamp")" = "$want_stamp" ] &&
   [ "$(records)" = "$corpus_files" ]; then
  echo "bench-serve: reusing the collection $coll ($(sed -n 's/^built: //p' "$stamp"))"
else
  echo "bench-serve: importing corpus A ($corpus_files files) into $coll"
  rm -rf "$coll" "$stamp"
  t0=$EPOCHREALTIME
  "$ARCA" init "$coll" > "$logs/init.out" 2> "$logs/init.err" ||
    { tail -n 15 "$logs/init.err" >&2; die "'arca init $coll' failed"; }
  "$ARCA" -C "$coll" import --quiet --jobs 2 corpusA > "$logs/import.out" 2> "$logs/import.err" ||
    { tail -n 15 "$logs/import.err" >&2; die "'arca -C $coll import --quiet --jobs 2 corpusA' failed"; }
  t1=$EPOCHREALTIME
  n=$(records)
  [ "$n" = "$corpus_files" ] ||
    die "the collection $coll holds ${n:-no} records, not $corpus_files (see $logs/import.err)"
  built="imported in $(calc %.1f "$t1 - $t0") s with --jobs 2 on $(date +%F)"
  printf '%s\nbuilt: %s\n' "$want_stamp" "$built" > "$stamp"
  echo "bench-serve: $built"
fi

# Both sides read the collection from the page cache, not the disk.
find "$coll" -type f -exec cat {} + > /dev/null

# ---- The server ----

# cpu_ticks PID: user + system clock ticks of PID so far.
cpu_ticks() {
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}
# busy_ticks: clock ticks the whole machine has been busy so far, to tell
# how much CPU other programs took during a run.
busy_ticks() {
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
hz=$(getconf CLK_TCK)

server=
stop_server() {  # SIGTERM, then the exit status in server_rc
  server_rc=
  [ -n "$server" ] || return 0
  kill -TERM "$server" 2>/dev/null
  wait "$server"
  server_rc=$?
  server=
}
trap stop_server EXIT

"$ARCA" -C "$coll" serve --port 0 --threads "$threads" \
  > "$logs/serve.out" 2> "$logs/serve.err" &
server=$!
port=
for _ in $(seq 1 300); do
  port=$(sed -n 's|^arca: serving .* at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$logs/serve.err")
  [ -n "$port" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    wait "$server"; rc=$?; server=
    tail -n 15 "$logs/serve.err" >&2
    die "'arca -C $coll serve' exited with status $rc before serving"
  fi
  sleep 0.1
done
[ -n "$port" ] || { tail -n 15 "$logs/serve.err" >&2; die "'arca serve' was not serving after 30 s"; }
url=http://127.0.0.1:$port/api/search
echo "bench-serve: $ARCA serving $coll at $url with $threads threads (pid $server)"

# Each query once: 200 and JSON, or the benchmark means nothing.
bad=0 i=0
for q in "${mix[@]}"; do
  i=$((i + 1))
  out=$logs/answers/$(printf %02d "$i").json
  code=$(curl -s -g -o "$out" -w '%{http_code}' "$url?$q") || code="curl failed ($?)"
  if [ "$code" != 200 ] || ! grep -q '^{"query":.*"total":' "$out"; then
    warn "$url?$q: $code: $(head -c 300 "$out" 2>/dev/null)"
    bad=$((bad + 1))
  fi
done
[ "$bad" -eq 0 ] || die "$bad of ${#mix[@]} queries were not answered 200 with JSON (answers in $logs/answers/)"
echo "bench-serve: each of the ${#mix[@]} queries answered 200 once"

wrk_cmd=(wrk "-t$WRK_THREADS" "-c$conns" "-d${secs}s" --latency -s "$SCRIPT" "$url" -- "$MIX" "$WRK_THREADS")
echo "bench-serve: ${wrk_cmd[*]}"
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%U %S' -o "$logs/wrk.time")
c0=$(cpu_ticks "$server") b0=$(busy_ticks)
"${timer[@]}" "${wrk_cmd[@]}" > "$logs/wrk.out" 2> "$logs/wrk.err"
rc=$?
c1=$(cpu_ticks "$server") b1=$(busy_ticks)
hwm_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$server/status" 2>/dev/null)
stop_server
[ "$rc" -eq 0 ] || { tail -n 15 "$logs/wrk.err" >&2; die "'${wrk_cmd[*]}' failed with exit status $rc"; }
[ "$server_rc" = 0 ] ||
  { tail -n 15 "$logs/serve.err" >&2; die "the server exited with status $server_rc on SIGTERM"; }
read -r _ _ h_req _ h_s _ h_rps _ h_p50 _ h_p99 _ h_err _ h_conn _ h_read _ h_write _ h_status _ h_timeout _ h_bytes \
  < <(grep '^wrk-mix: ' "$logs/wrk.out" | tr -d '()' | tail -n 1)
case ${h_req:-x}${h_rps:-x}${h_p50:-x}${h_p99:-x}${h_err:-x}${h_bytes:-x} in
  *[!0-9.]*) die "wrk printed no 'wrk-mix:' line (see $logs/wrk.out)" ;;
esac
non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\)$/\1/p' "$logs/wrk.out")
sock=$(sed -n 's/^ *Socket errors: *\(.*\)$/\1/p' "$logs/wrk.out")
# The script's count sums wrk's: they cannot differ, but say so if they do.
[ "${non2xx:-0}" = "$h_status" ] ||
  warn "wrk counted ${non2xx:-0} non-2xx or 3xx answers, the script $h_status"
srv_cpu=$(calc %.1f "(${c1:-0} - ${c0:-0}) / $hz")
wrk_cpu=-
if [ -s "$logs/wrk.time" ] && read -r u s < <(tail -n 1 "$logs/wrk.time"); then
  wrk_cpu=$(calc %.1f "$u + $s")
fi
h_other=$(calc %.1f "($b1 - $b0) / $hz - $srv_cpu - ${wrk_cpu/-/0}")
echo "bench-serve: HTTP: $h_rps requests/s, p50 $h_p50 ms, p99 $h_p99 ms, $h_err errors${sock:+ (socket errors: $sock)}"

# ---- In process ----

q_cmd=("$QUERIES" "$coll" "$MIX" "$threads" "$secs")
echo "bench-serve: ${q_cmd[*]}"
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%U %S %M' -o "$logs/queries.time")
b0=$(busy_ticks)
"${timer[@]}" "${q_cmd[@]}" > "$logs/queries.out" 2> "$logs/queries.err"
rc=$?
b1=$(busy_ticks)
[ -s "$logs/queries.err" ] && head -n 20 "$logs/queries.err" >&2
[ "$rc" -eq 0 ] || die "'${q_cmd[*]}' failed with exit status $rc"
read -r _ p_req _ p_s _ p_rps _ p_err < <(grep '^requests ' "$logs/queries.out" | tail -n 1)
case ${p_req:-x}${p_s:-x}${p_rps:-x}${p_err:-x} in
  *[!0-9.]*) die "queries printed no 'requests N seconds S rps R errors E' line (see $logs/queries.out)" ;;
esac
p_bytes=$(sed -n 's/^bytes \([0-9]*\)$/\1/p' "$logs/queries.out")
p_cpu=- p_rss=-
if [ -s "$logs/queries.time" ] && read -r u s m < <(tail -n 1 "$logs/queries.time"); then
  p_cpu=$(calc %.1f "$u + $s") p_rss=$(calc %.0f "$m / 1024")
fi
p_other=$(calc %.1f "($b1 - $b0) / $hz - ${p_cpu/-/0}")

# ---- The figures ----

ratio=$(calc %.2f "$h_rps / ($p_rps > 0 ? $p_rps : 0.001)")
cost=$(calc %.0f "(1 - $ratio) * 100")  # used when ratio <= 1
rss=$(calc %.0f "${hwm_kb:-0} / 1024")
# CPU per request does not depend on what else the machine runs.
h_cpu_rq=$(calc %.2f "$srv_cpu * 1000 / ($h_req > 0 ? $h_req : 1)")
p_cpu_rq=- cpu_ratio=-
if [ "$p_cpu" != - ]; then
  p_cpu_rq=$(calc %.2f "$p_cpu * 1000 / ($p_req > 0 ? $p_req : 1)")
  cpu_ratio=$(calc %.2f "$p_cpu_rq / ($h_cpu_rq > 0 ? $h_cpu_rq : 0.001)")
fi
echo
echo "/api/search: ${#mix[@]} queries ($MIX) on $coll ($corpus_files records), $threads server threads, $secs s, $cores cores"
fmt='%-26s %10s %8s %8s %7s %7s %9s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" "" requests/s "p50 ms" "p99 ms" errors "CPU s" "CPU ms/rq" "RSS MiB"
# shellcheck disable=SC2059
printf "$fmt" "HTTP, wrk -c$conns" "$h_rps" "$h_p50" "$h_p99" "$h_err" "$srv_cpu" "$h_cpu_rq" "$rss"
# shellcheck disable=SC2059
printf "$fmt" "in process, $threads threads" "$p_rps" - - "$p_err" "$p_cpu" "$p_cpu_rq" "$p_rss"
if awk -v r="$ratio" 'BEGIN { exit !(r <= 1) }'; then
  echo "HTTP/in process: $ratio (HTTP costs $cost % of the requests/s)"
else
  echo "HTTP/in process: $ratio (HTTP served $(calc %.0f "($ratio - 1) * 100") % more requests/s than the run in process)"
fi
echo "by CPU time a request: in process/HTTP $cpu_ratio; wrk itself took $wrk_cpu s of CPU on the same machine"
echo "CPU s: the server's during the wrk run (HTTP), the process's (in process); RSS: peak (VmHWM, GNU time)"
echo "other programs took $h_other CPU s during the HTTP run and $p_other during the run in process" \
  "(of $((cores * secs)) each): requests/s compare only when both are small, CPU ms/rq always"
echo "answers: $(calc %.0f "$h_bytes / ($h_req > 0 ? $h_req : 1)") bytes a request over HTTP (headers included)," \
  "$(calc %.0f "${p_bytes:-0} / ($p_req > 0 ? $p_req : 1)") bytes of JSON in process"
echo "HTTP:       ${wrk_cmd[*]}"
echo "in process: ${q_cmd[*]}"

errors=$((h_err + p_err))
{
  printf '{"date": "%s", "host": {"cpus": %s, "kernel": "%s"}, "queries": %s, "server_threads": %s, "seconds": %s, "connections": %s,\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$cores" "$(uname -sr)" "${#mix[@]}" "$threads" "$secs" "$conns"
  printf ' "http": {"requests": %s, "seconds": %s, "rps": %s, "p50_ms": %s, "p99_ms": %s, "errors": %s, "non_2xx": %s, "connect": %s, "read": %s, "write": %s, "timeout": %s, "bytes": %s, "server_cpu_s": %s, "cpu_ms_per_request": %s, "wrk_cpu_s": %s, "other_cpu_s": %s, "server_peak_rss_kib": %s},\n' \
    "$h_req" "$h_s" "$h_rps" "$h_p50" "$h_p99" "$h_err" "$h_status" "$h_conn" "$h_read" "$h_write" "$h_timeout" "$h_bytes" \
    "$srv_cpu" "$h_cpu_rq" "${wrk_cpu/-/null}" "$h_other" "${hwm_kb:-null}"
  printf ' "in_process": {"requests": %s, "seconds": %s, "rps": %s, "errors": %s, "bytes": %s, "cpu_s": %s, "cpu_ms_per_request": %s, "other_cpu_s": %s, "peak_rss_mib": %s},\n' \
    "$p_req" "$p_s" "$p_rps" "$p_err" "${p_bytes:-null}" "${p_cpu/-/null}" "${p_cpu_rq/-/null}" "$p_other" "${p_rss/-/null}"
  printf ' "ratio_http_in_process": %s, "ratio_cpu_per_request": %s}\n' "$ratio" "${cpu_ratio/-/null}"
} > serve.json
echo "results: $BENCH_DIR/serve.json; logs in $logs/"
[ "$errors" -eq 0 ] || die "$errors requests failed ($h_err over HTTP, $p_err in process)"
exit 0

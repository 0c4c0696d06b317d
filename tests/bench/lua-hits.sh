#!/bin/bash
# tests/bench/lua-hits.sh: the Lua iteration benchmark behind `make bench-lua`.
# The target: iterating 100,000 hits in Lua and reading two fields of each
# takes at most twice as long as the same loop in C over libarca.
#
# It builds, once, a corpus of BENCH_LUA_RECORDS (default 100,000) small
# HTML files that the query "archive" matches in full, each with a <title>
# and a <meta name="date">, and imports it into a collection.  Then, for
# BENCH_LUA_RUNS rounds (default 3), alternating which goes first, it runs
#   C:   $HITS COLLECTION archive                      (tests/bench/hits.c)
#   Lua: $ARCA -C COLLECTION run tests/bench/hits.lua archive
# which walk every hit the same way (pages of 100 doubling to 1,000, the
# default snippet) and sum the lengths of each hit's title and date.  Both
# must report the same hit count and checksum.  It prints the medians of
# each process's wall time, of the loop's own time and of the process's
# CPU time, hits/s, and the ratio Lua/C of the wall times, which the target
# is judged on.
#
# Environment: ARCA (default build/arca in this checkout), HITS (default
# build/tests/bench/hits), BENCH_DIR (default /tmp/arca-bench),
# BENCH_LUA_RUNS (1 to 99, default 3), BENCH_LUA_RECORDS (1,000 to
# 10,000,000, default 100000).  Files in BENCH_DIR: corpusL/ (the files),
# collL/ (the collection), collL.stamp, lua-logs/ (each run's output) and
# lua-hits.json (the figures).
# Exit status: 0 when every run went through (within the target or not), 1
# when a program is missing or failed or the two loops disagree, 2 on bad
# settings.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/arca-bench}
BENCH_LUA_RUNS=${BENCH_LUA_RUNS:-3}
BENCH_LUA_RECORDS=${BENCH_LUA_RECORDS:-100000}
ARCA=${ARCA:-$checkout/build/arca}
HITS=${HITS:-$checkout/build/tests/bench/hits}
case $ARCA in /*) ;; *) ARCA=$checkout/$ARCA ;; esac
case $HITS in /*) ;; *) HITS=$checkout/$HITS ;; esac
SCRIPT=$here/hits.lua
QUERY=archive
GENERATOR=1         # bump when the corpus below changes, to rebuild it
PER_DIR=100         # files per folder

die() { echo "bench-lua: $1" >&2; exit "${2:-1}"; }
warn() { echo "bench-lua: $*" >&2; }

case $BENCH_LUA_RUNS in
  [1-9]|[1-9][0-9]) ;;
  *) die "BENCH_LUA_RUNS must be a whole number from 1 to 99, not '$BENCH_LUA_RUNS'" 2 ;;
esac
case $BENCH_LUA_RECORDS in
  ''|*[!0-9]*|0*) die "BENCH_LUA_RECORDS must be a whole number from 1000 to 10000000, not '$BENCH_LUA_RECORDS'" 2 ;;
esac
if [ "${#BENCH_LUA_RECORDS}" -gt 8 ] || [ "$BENCH_LUA_RECORDS" -lt 1000 ] ||
   [ "$BENCH_LUA_RECORDS" -gt 10000000 ]; then
  die "BENCH_LUA_RECORDS must be a whole number from 1000 to 10000000, not '$BENCH_LUA_RECORDS'" 2
fi
for p in "$ARCA" "$HITS"; do
  [ -x "$p" ] || die "$p is not built (run make bench-lua, or set ARCA and HITS)"
done
[ -f "$SCRIPT" ] || die "no $SCRIPT"

mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
cd "$BENCH_DIR" || die "cannot enter $BENCH_DIR"
corpus=corpusL coll=$BENCH_DIR/collL stamp=$BENCH_DIR/collL.stamp
logs=$BENCH_DIR/lua-logs
rm -rf "$logs" lua-hits.json
mkdir -p "$logs" || die "cannot create $logs"

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
median() {  # median FORMAT N...
  local fmt=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v f="$fmt" '{ v[NR] = $1 }
    END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
span() {  # span N...: "MIN-MAX"
  printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'
}

# ---- The corpus and its collection ----

# gen_corpus N DIR: N files DIR/NNN/rNNNNNN.html, PER_DIR a folder, each a
# record: a title, a date between 1950 and 2024, and "archive" followed by
# eight words of a small vocabulary (random, from a fixed seed).
gen_corpus() {
  awk -v n="$1" -v per="$PER_DIR" -v out="$2" 'BEGIN {
    srand(20240601)
    nw = split("river stone letter harbor winter ledger council market " \
               "bridge orchard lantern meadow signal copper garden station " \
               "treaty canal mill parish vessel granary quarry festival " \
               "railway", w, " ")
    for (i = 0; i < n; i++) {
      d = sprintf("%s/%03d", out, int(i / per))
      if (i % per == 0 && system("mkdir -p " d) != 0)
        exit 1
      f = sprintf("%s/r%07d.html", d, i)
      t = w[1 + int(rand() * nw)] " " w[1 + int(rand() * nw)] " record " i
      date = sprintf("%04d-%02d-%02d", 1950 + int(rand() * 75),
                     1 + int(rand() * 12), 1 + int(rand() * 28))
      body = "archive"
      for (k = 0; k < 8; k++)
        body = body " " w[1 + int(rand() * nw)]
      printf "<html><head><title>%s</title><meta name=\"date\" " \
             "content=\"%s\"></head>\n<body><p>%s</p></body></html>\n",
             t, date, body > f
      if (close(f) != 0)
        exit 1
    }
  }'
}

# The total number of hits of QUERY in the collection, by `arca search`.
coll_total() {
  "$ARCA" -C "$coll" search --json --limit 1 "$QUERY" 2>/dev/null |
    sed -n 's/^ *"total": *\([0-9]*\),*$/\1/p' | head -n 1
}

want_stamp="generator: $GENERATOR
records: $BENCH_LUA_RECORDS"
build_s=
if [ -d "$coll" ] && [ -s "$stamp" ] &&
   [ "$(sed -n '1,2p' "$stamp")" = "$want_stamp" ] &&
   [ "$(coll_total)" = "$BENCH_LUA_RECORDS" ]; then
  echo "bench-lua: reusing the collection $coll ($(sed -n 's/^built: //p' "$stamp"))"
else
  # A corpus with the stamp's figures but not in the collection is rebuilt
  # from scratch: generating it takes seconds.
  echo "bench-lua: building $BENCH_LUA_RECORDS records in $BENCH_DIR/$corpus and the collection $coll"
  rm -rf "$corpus" "$coll" "$stamp"
  t0=$EPOCHREALTIME
  gen_corpus "$BENCH_LUA_RECORDS" "$corpus" || die "cannot write the corpus in $BENCH_DIR/$corpus"
  t1=$EPOCHREALTIME
  "$ARCA" init "$coll" > "$logs/init.out" 2> "$logs/init.err" ||
    { tail -n 15 "$logs/init.err" >&2; die "'arca init $coll' failed"; }
  "$ARCA" -C "$coll" import --quiet --jobs 2 "$corpus" > "$logs/import.out" 2> "$logs/import.err" ||
    { tail -n 15 "$logs/import.err" >&2; die "'arca -C $coll import --quiet --jobs 2 $corpus' failed"; }
  t2=$EPOCHREALTIME
  total=$(coll_total)
  [ "$total" = "$BENCH_LUA_RECORDS" ] ||
    die "the collection $coll holds ${total:-no} hits of '$QUERY', not $BENCH_LUA_RECORDS (see $logs/import.err)"
  gen_s=$(calc %.1f "$t1 - $t0") imp_s=$(calc %.1f "$t2 - $t1")
  build_s="generated in $gen_s s, imported in $imp_s s with --jobs 2 on $(date +%F)"
  printf '%s\nbuilt: %s\n' "$want_stamp" "$build_s" > "$stamp"
  echo "bench-lua: $build_s"
fi

# Both loops read the collection from the page cache, not the disk.
find "$coll" -type f -exec cat {} + > /dev/null

# ---- The rounds ----

# run_one TAG CMD...: runs CMD, output in $logs/TAG.*, and sets r_hits,
# r_sum, r_loop (the program's own seconds), r_wall (the process's, by the
# wall clock) and r_cpu (its user + system seconds, by GNU time, or "").
run_one() {
  local tag=$1 t0 t1 rc u s; shift
  local timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%U %S' -o "$logs/$tag.time")
  t0=$EPOCHREALTIME
  "${timer[@]}" "$@" > "$logs/$tag.out" 2> "$logs/$tag.err"
  rc=$?
  t1=$EPOCHREALTIME
  if [ "$rc" -ne 0 ]; then
    warn "'$*' failed with exit status $rc"
    tail -n 15 "$logs/$tag.err" >&2
    exit 1
  fi
  read -r _ r_hits _ r_sum _ r_loop < <(grep '^hits ' "$logs/$tag.out" | tail -n 1)
  case ${r_hits:-x}${r_sum:-x}${r_loop:-x} in
    *[!0-9.]*) die "'$*' printed no 'hits N checksum X seconds S' line (see $logs/$tag.out)" ;;
  esac
  r_wall=$(calc %.3f "$t1 - $t0")
  r_cpu=
  if [ -s "$logs/$tag.time" ] && read -r u s < <(tail -n 1 "$logs/$tag.time"); then
    r_cpu=$(calc %.2f "$u + $s")
  fi
}

c_wall=(); c_loop=(); c_cpu=(); l_wall=(); l_loop=(); l_cpu=()
hits='' sum=''
check() {  # check TOOL: the round's hits and checksum against the first
  if [ -z "$hits" ]; then
    hits=$r_hits sum=$r_sum
  elif [ "$r_hits" != "$hits" ] || [ "$r_sum" != "$sum" ]; then
    die "MISMATCH: $1 saw $r_hits hits, checksum $r_sum; before: $hits hits, checksum $sum"
  fi
}
run_c() {
  run_one "c-$1" "$HITS" "$coll" "$QUERY"
  check C
  c_wall+=("$r_wall"); c_loop+=("$r_loop"); c_cpu+=("${r_cpu:-0}")
}
run_lua() {
  run_one "lua-$1" "$ARCA" -C "$coll" run "$SCRIPT" "$QUERY"
  check Lua
  l_wall+=("$r_wall"); l_loop+=("$r_loop"); l_cpu+=("${r_cpu:-0}")
}

rounds="$BENCH_LUA_RUNS rounds"; [ "$BENCH_LUA_RUNS" -eq 1 ] && rounds="1 round"
echo "bench-lua: $rounds; C is $HITS, Lua is $ARCA run $SCRIPT"
for r in $(seq 1 "$BENCH_LUA_RUNS"); do
  # Alternate the order so neither loop always runs on a warmer machine.
  if [ $((r % 2)) -eq 1 ]; then run_c "$r"; run_lua "$r"; else run_lua "$r"; run_c "$r"; fi
  echo "bench-lua: round $r/$BENCH_LUA_RUNS: C ${c_wall[-1]} s, Lua ${l_wall[-1]} s (load $(cut -d' ' -f1-3 /proc/loadavg))"
done
[ "$hits" = "$BENCH_LUA_RECORDS" ] ||
  die "MISMATCH: both loops saw $hits hits, the collection holds $BENCH_LUA_RECORDS records"

cw=$(median %.3f "${c_wall[@]}") lw=$(median %.3f "${l_wall[@]}")
cl=$(median %.3f "${c_loop[@]}") ll=$(median %.3f "${l_loop[@]}")
cc=$(median %.2f "${c_cpu[@]}") lc=$(median %.2f "${l_cpu[@]}")
ratio=$(calc %.2f "$lw / ($cw > 0 ? $cw : 0.001)")
ratio_cpu=$(calc %.2f "$lc / ($cc > 0 ? $cc : 0.01)")
verdict="within the 2x target"
awk -v r="$ratio" 'BEGIN { exit !(r <= 2) }' || verdict="NOT within the 2x target"
[ -x /usr/bin/time ] || { cc=-; lc=-; ratio_cpu=-; }

echo
echo "Lua iteration: $hits hits of '$QUERY', checksum $sum, in $coll; $rounds, medians"
fmt='%-5s %9s %15s %8s %8s %9s\n'
# shellcheck disable=SC2059
printf "$fmt" loop "wall s" "min-max s" "loop s" "CPU s" "hits/s"
# shellcheck disable=SC2059
printf "$fmt" C "$cw" "$(span "${c_wall[@]}")" \
  "$cl" "$cc" "$(calc %.0f "$hits / ($cw > 0 ? $cw : 0.001)")"
# shellcheck disable=SC2059
printf "$fmt" Lua "$lw" "$(span "${l_wall[@]}")" \
  "$ll" "$lc" "$(calc %.0f "$hits / ($lw > 0 ? $lw : 0.001)")"
echo "Lua/C: $ratio by wall time ($ratio_cpu by CPU time): $verdict"
echo "wall s: the whole process (open, loop, exit), by the shell's clock; loop s: the loop" \
  "alone, by the program's own clock (C: CLOCK_MONOTONIC; Lua: os.clock, CPU time);" \
  "CPU s: the process's user + system time, by GNU time"
echo "C:   $HITS $coll $QUERY"
echo "Lua: $ARCA -C $coll run $SCRIPT $QUERY"

json_arr() { local IFS=,; printf '[%s]' "$*"; }
{
  printf '{"date": "%s", "host": {"cpus": %s, "kernel": "%s"}, "query": "%s", "hits": %s, "checksum": %s, "runs": %s,\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -sr)" "$QUERY" "$hits" "$sum" "$BENCH_LUA_RUNS"
  printf ' "c": {"wall_s": %s, "wall_s_runs": %s, "loop_s": %s, "loop_s_runs": %s, "cpu_s": %s},\n' \
    "$cw" "$(json_arr "${c_wall[@]}")" "$cl" "$(json_arr "${c_loop[@]}")" "${cc/-/null}"
  printf ' "lua": {"wall_s": %s, "wall_s_runs": %s, "loop_s": %s, "loop_s_runs": %s, "cpu_s": %s},\n' \
    "$lw" "$(json_arr "${l_wall[@]}")" "$ll" "$(json_arr "${l_loop[@]}")" "${lc/-/null}"
  printf ' "ratio_wall": %s, "ratio_cpu": %s, "within_2x": %s}\n' \
    "$ratio" "${ratio_cpu/-/null}" "$(awk -v r="$ratio" 'BEGIN { print r <= 2 ? "true" : "false" }')"
} > lua-hits.json
echo "results: $BENCH_DIR/lua-hits.json; each run's output in $logs/"
exit 0

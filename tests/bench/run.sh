#!/bin/bash
# tests/bench/run.sh: the indexing benchmark behind `make bench`.  On each
# corpus in BENCH_CORPORA (built by tests/bench/setup.sh: A, gimp-help HTML in
# five languages; B, PDF manuals from texlive) it times, from scratch and
# BENCH_RUNS times each, `arca init` + `arca import --json` against Xapian's
# omindex run with CJK n-grams (on PDFs omindex runs poppler's pdftotext and
# pdfinfo per file), and reports median wall time, docs/s, MB/s, peak RSS and
# index sizes, the ratio of the two rates, and how arca's objects/ compares
# with gzip -6 of the originals.  Prints a table per corpus; writes
# $BENCH_DIR/results.json.
#
# Environment: ARCA (the arca binary; default build/arca in this checkout),
# BENCH_DIR (default /tmp/arca-bench), BENCH_RUNS (default 3),
# BENCH_CORPORA (default "A B"), BENCH_ARCA_ARGS (extra `arca import`
# options, e.g. "--jobs 2").
# Exit status: 0 when arca ran through every round, 1 when it is missing or
# failed, 2 on bad settings or a missing corpus.  A missing or failing
# omindex is reported and leaves the comparison out for that corpus.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/arca-bench}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CORPORA=${BENCH_CORPORA:-A B}
BENCH_ARCA_ARGS=${BENCH_ARCA_ARGS:-}
ARCA=${ARCA:-$checkout/build/arca}
case $ARCA in /*) ;; *) ARCA=$checkout/$ARCA ;; esac

die() { echo "bench: $1" >&2; exit "${2:-1}"; }
warn() { echo "bench: $*" >&2; }

case $BENCH_RUNS in
  [1-9]|[1-9][0-9]) ;;
  *) die "BENCH_RUNS must be a whole number from 1 to 99, not '$BENCH_RUNS'" 2 ;;
esac
corpora=
for c in $BENCH_CORPORA; do
  case $c in
    A|B) case " $corpora " in *" $c "*) ;; *) corpora="$corpora $c" ;; esac ;;
    *) die "BENCH_CORPORA lists unknown corpus '$c' (known: A B)" 2 ;;
  esac
done
corpora=${corpora# }
[ -n "$corpora" ] || die "BENCH_CORPORA names no corpus (known: A B)" 2
declare -A kind=([A]=HTML [B]=PDF)

[ -f "$ARCA" ] || die "arca is not built: no file $ARCA (run make, or set ARCA=PATH)"
[ -x "$ARCA" ] || die "arca binary $ARCA is not executable"
for c in $corpora; do
  if [ ! -d "$BENCH_DIR/corpus$c" ]; then
    die "no corpus in $BENCH_DIR/corpus$c: run tests/bench/setup.sh first (or set BENCH_DIR or BENCH_CORPORA)" 2
  fi
done
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: run tests/bench/setup.sh" 2

om_installed=1 om_missing=
if ! command -v omindex >/dev/null 2>&1; then
  om_missing="not installed (Debian package xapian-omega; tests/bench/setup.sh installs it)"
  warn "omindex is $om_missing: measuring arca alone"
  om_installed=0
fi

work=$BENCH_DIR/work
logs=$BENCH_DIR/logs
rm -rf "$work" "$logs" "$BENCH_DIR/results.json"
mkdir -p "$work" "$logs" || die "cannot create $work and $logs"
cd "$BENCH_DIR" || die "cannot enter $BENCH_DIR"

# measure TAG CMD...: runs CMD under GNU time with output in $clogs/TAG.*,
# and sets m_rc, m_wall (seconds) and m_rss (peak KiB).
measure() {
  local tag=$1; shift
  /usr/bin/time -f '%e %M' -o "$clogs/$tag.time" "$@" > "$clogs/$tag.out" 2> "$clogs/$tag.err"
  m_rc=$?
  read -r m_wall m_rss < <(tail -n 1 "$clogs/$tag.time")
  case ${m_wall:-}${m_rss:-} in
    ''|*[!0-9.]*) m_wall=0; m_rss=0; [ "$m_rc" -ne 0 ] || m_rc=125 ;;
  esac
}

show_err() {  # the last lines of a failed step's stderr
  echo "--- last lines of $clogs/$1.err:" >&2
  tail -n 15 "$clogs/$1.err" >&2
}

# bytes_of DIR: the bytes in the files under DIR (du -sb would add the size of
# every directory, 256 of them in objects/).
bytes_of() {
  find "$1" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}

# json_num FIELD FILE: the number in "FIELD": N of arca's JSON summary.  A JSON
# string cannot hold an unescaped quote, so paths in "errors" never match.
json_num() {
  grep -oE "\"$1\"[[:space:]]*:[[:space:]]*-?[0-9][0-9.eE+-]*" "$2" | tail -n 1 |
    sed -E 's/.*:[[:space:]]*//'
}

arca_round() {
  local r=$1 coll=$cwork/arca f
  rm -rf "$coll"
  measure "arca-init-$r" "$ARCA" init "$coll"
  if [ "$m_rc" -ne 0 ]; then
    warn "'arca init $coll' failed with exit status $m_rc in round $r of corpus $c"
    show_err "arca-init-$r"
    exit 1
  fi
  local w0=$m_wall r0=$m_rss
  # shellcheck disable=SC2086
  measure "arca-import-$r" "$ARCA" -C "$coll" import --json $BENCH_ARCA_ARGS "corpus$c"
  if [ "$m_rc" -ne 0 ]; then
    warn "'arca -C $coll import --json corpus$c' failed with exit status $m_rc in round $r"
    show_err "arca-import-$r"
    exit 1
  fi
  for f in files records parts skipped failed bytes seconds; do
    local v
    v=$(json_num "$f" "$clogs/arca-import-$r.out")
    if [ -z "$v" ]; then
      warn "arca import printed no \"$f\" in its JSON summary (corpus $c, round $r; output in $clogs/arca-import-$r.out)"
      exit 1
    fi
    imp[$f]=$v
  done
  a_walls+=("$(awk -v a="$w0" -v b="$m_wall" 'BEGIN { printf "%.2f", a + b }')")
  a_rss+=("$(( r0 > m_rss ? r0 : m_rss ))")
  a_index=$(bytes_of "$coll/index"); a_total=$(bytes_of "$coll")
  a_objects=$(bytes_of "$coll/objects")
  a_objects_disk=$(du -s --block-size=1 "$coll/objects" 2>/dev/null | cut -f1)
  printf '%s\tarca\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "${a_walls[-1]}" "${a_rss[-1]}" \
    "${a_index:-0}" "${a_total:-0}" >> "$logs/runs.tsv"
}

om_round() {
  local r=$1 db=$cwork/omindex
  rm -rf "$db"
  measure "omindex-$r" env XAPIAN_CJK_NGRAM=1 omindex --db "$db" --url / "corpus$c"
  if [ "$m_rc" -ne 0 ]; then
    om_why="failed with exit status $m_rc in round $r (see $clogs/omindex-$r.err)"
    warn "omindex $om_why: leaving it out for corpus $c"
    show_err "omindex-$r"
    have_om=0
    return
  fi
  o_walls+=("$m_wall"); o_rss+=("$m_rss")
  o_db=$(bytes_of "$db")
  o_docs=$(xapian-delve "$db" 2>/dev/null | sed -n 's/^number of documents = //p')
  printf '%s\tomindex\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$m_wall" "$m_rss" "${o_db:-0}" "${o_db:-0}" \
    >> "$logs/runs.tsv"
}

median() {  # median FORMAT VALUE...
  local f=$1; shift
  printf '%s\n' "$@" | sort -g | awk -v f="$f\n" '{ v[NR] = $1 }
    END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minimum() { printf '%s\n' "$@" | sort -g | head -n 1; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
mb() { calc %.1f "$1 / 1e6"; }
mib() { calc %.0f "$1 / 1024"; }

json_str() {  # a JSON string literal for $1
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}
  printf '"%s"' "$s"
}
json_arr() { local IFS=,; printf '[%s]' "$*"; }

rounds="$BENCH_RUNS rounds"; [ "$BENCH_RUNS" -eq 1 ] && rounds="1 round"
printf 'corpus\ttool\tround\twall_s\tpeak_rss_kib\tindex_bytes\ttotal_bytes\n' > "$logs/runs.tsv"
declare -A imp  # arca's JSON summary of its last import
json_corpora=()  # one "NAME": {...} member of results.json per corpus measured

# run_corpus C: every round on corpus C, then its table and its JSON member.
run_corpus() {
  c=$1 corpus=$BENCH_DIR/corpus$1 cwork=$work/$1 clogs=$logs/$1
  mkdir -p "$cwork" "$clogs" || die "cannot create $cwork and $clogs"
  local n_files n_bytes
  read -r n_files n_bytes < <(find "corpus$c" -type f -printf '%s\n' |
    awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }')
  [ "$n_files" -gt 0 ] || die "corpus $corpus holds no files" 2

  have_om=$om_installed om_why=$om_missing
  if [ "$have_om" -eq 1 ] && [ "$c" = B ]; then
    for t in pdftotext pdfinfo; do
      command -v "$t" >/dev/null 2>&1 && continue
      # Without them omindex would skip every PDF and look fast.
      om_why="left out: it needs $t to read PDFs (Debian package poppler-utils; tests/bench/setup.sh installs it)"
      warn "omindex $om_why"
      have_om=0
      break
    done
  fi

  # Both tools read the corpus from the page cache, not the disk.
  find "corpus$c" -type f -exec cat {} + > /dev/null

  imp=()
  a_walls=(); a_rss=(); o_walls=(); o_rss=(); o_docs="" o_db=""
  echo "bench: corpus $c, $n_files files, $n_bytes bytes; $rounds; arca is $ARCA"
  local r
  for r in $(seq 1 "$BENCH_RUNS"); do
    echo "bench: corpus $c round $r/$BENCH_RUNS ($(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg))"
    # Alternate the order so neither tool always runs on a warmer machine.
    if [ $((r % 2)) -eq 1 ]; then
      arca_round "$r"; [ "$have_om" -eq 1 ] && om_round "$r"
    else
      [ "$have_om" -eq 1 ] && om_round "$r"; arca_round "$r"
    fi
  done

  local a_wall a_peak a_dps a_mbs o_wall o_peak o_dps o_mbs ratio gz_bytes obj_pct fmt verdict
  a_wall=$(median %.2f "${a_walls[@]}"); a_peak=$(median %.0f "${a_rss[@]}")
  a_dps=$(calc %.1f "$n_files / ($a_wall > 0 ? $a_wall : 0.01)")
  a_mbs=$(calc %.2f "$n_bytes / 1e6 / ($a_wall > 0 ? $a_wall : 0.01)")
  if [ "$have_om" -eq 1 ]; then
    o_wall=$(median %.2f "${o_walls[@]}"); o_peak=$(median %.0f "${o_rss[@]}")
    o_dps=$(calc %.1f "$n_files / ($o_wall > 0 ? $o_wall : 0.01)")
    o_mbs=$(calc %.2f "$n_bytes / 1e6 / ($o_wall > 0 ? $o_wall : 0.01)")
    ratio=$(calc %.3f "$a_dps / $o_dps")
  fi

  # The archive stores each original as its own zlib stream, so the fair
  # yardstick is gzip -6 file by file (gzip -c concatenates one member per file).
  gz_bytes=$(find "corpus$c" -type f -print0 | xargs -0 gzip -6 -n -c | wc -c)
  obj_pct=$(calc %.1f "100 * $a_objects / ($gz_bytes > 0 ? $gz_bytes : 1)")

  echo
  echo "Corpus $c: $n_files ${kind[$c]} files, $(mb "$n_bytes") MB ($corpus); $rounds from scratch, medians"
  fmt='%-8s %8s %13s %8s %7s %12s %9s %9s\n'
  # shellcheck disable=SC2059
  printf "$fmt" tool "wall s" "min-max s" docs/s MB/s "peak RSS MiB" "index MB" "total MB"
  # shellcheck disable=SC2059
  printf "$fmt" arca "$a_wall" "$(minimum "${a_walls[@]}")-$(maximum "${a_walls[@]}")" "$a_dps" "$a_mbs" \
    "$(mib "$a_peak")" "$(mb "$a_index")" "$(mb "$a_total")"
  if [ "$have_om" -eq 1 ]; then
    # shellcheck disable=SC2059
    printf "$fmt" omindex "$o_wall" "$(minimum "${o_walls[@]}")-$(maximum "${o_walls[@]}")" "$o_dps" "$o_mbs" \
      "$(mib "$o_peak")" "$(mb "$o_db")" "$(mb "$o_db")"
    echo "arca docs/s / omindex docs/s = $ratio (above 1: arca is faster)"
    echo "omindex: XAPIAN_CJK_NGRAM=1 omindex --db DB --url / corpus$c; ${o_docs:-?} documents in its database"
    [ "${o_docs:-}" = "$n_files" ] ||
      warn "omindex's database holds ${o_docs:-an unknown number of} documents, corpus $c holds $n_files files (see $clogs/omindex-$BENCH_RUNS.out)"
  else
    echo "omindex: not measured: $om_why"
  fi
  echo "arca: init + import --json${BENCH_ARCA_ARGS:+ $BENCH_ARCA_ARGS}; last import: ${imp[files]} files," \
    "${imp[records]} records, ${imp[parts]} parts, ${imp[skipped]} skipped, ${imp[failed]} failed, ${imp[seconds]} s by its own clock"
  [ "${imp[files]}" = "$n_files" ] || warn "arca import counted ${imp[files]} files, corpus $c holds $n_files"
  [ "${imp[failed]}" = 0 ] || warn "arca import failed on ${imp[failed]} file(s) of corpus $c: see \"errors\" in $clogs/arca-import-$BENCH_RUNS.out"
  verdict="no larger: good"
  [ "$a_objects" -le "$gz_bytes" ] || verdict="LARGER than gzip -6"
  echo "archive size: objects/ $(mb "$a_objects") MB ($(mb "${a_objects_disk:-0}") MB allocated on disk)," \
    "originals gzip -6 file by file $(mb "$gz_bytes") MB: objects/ is $obj_pct% of that, $verdict"
  echo

  json_corpora+=("$(
    printf '  %s: {"kind": %s, "corpus": {"path": %s, "files": %s, "bytes": %s, "gzip6_bytes": %s},\n' \
      "$(json_str "$c")" "$(json_str "${kind[$c]}")" "$(json_str "$corpus")" "$n_files" "$n_bytes" "$gz_bytes"
    printf '   "arca": {"binary": %s, "import_args": %s, "wall_s": %s, "wall_s_runs": %s, "docs_per_s": %s, "mb_per_s": %s,\n' \
      "$(json_str "$ARCA")" "$(json_str "$BENCH_ARCA_ARGS")" "$a_wall" "$(json_arr "${a_walls[@]}")" "$a_dps" "$a_mbs"
    printf '    "peak_rss_kib": %s, "index_bytes": %s, "collection_bytes": %s, "objects_bytes": %s, "objects_disk_bytes": %s,\n' \
      "$a_peak" "${a_index:-0}" "${a_total:-0}" "${a_objects:-0}" "${a_objects_disk:-0}"
    printf '    "import": {"files": %s, "records": %s, "parts": %s, "skipped": %s, "failed": %s, "bytes": %s, "seconds": %s}},\n' \
      "${imp[files]}" "${imp[records]}" "${imp[parts]}" "${imp[skipped]}" "${imp[failed]}" "${imp[bytes]}" "${imp[seconds]}"
    if [ "$have_om" -eq 1 ]; then
      printf '   "omindex": {"wall_s": %s, "wall_s_runs": %s, "docs_per_s": %s, "mb_per_s": %s, "peak_rss_kib": %s, "db_bytes": %s, "documents": %s},\n' \
        "$o_wall" "$(json_arr "${o_walls[@]}")" "$o_dps" "$o_mbs" "$o_peak" "${o_db:-0}" "${o_docs:-null}"
      printf '   "ratio_docs_per_s": %s,\n' "$ratio"
    else
      printf '   "omindex": null, "omindex_why": %s, "ratio_docs_per_s": null,\n' "$(json_str "$om_why")"
    fi
    printf '   "objects_vs_gzip6_pct": %s}' "$obj_pct"
  )")
}

for c in $corpora; do
  run_corpus "$c"
done

{
  printf '{"date": %s, "host": {"cpus": %s, "kernel": %s},\n' \
    "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(nproc)" "$(json_str "$(uname -sr)")"
  printf ' "runs": %s,\n "corpora": {\n' "$BENCH_RUNS"
  sep=
  for m in "${json_corpora[@]}"; do
    printf '%s%s' "$sep" "$m"
    sep=$',\n'
  done
  printf '}}\n'
} > "$BENCH_DIR/results.json"
echo "results: $BENCH_DIR/results.json; logs in $logs/CORPUS/, raw rounds in $logs/runs.tsv"
exit 0

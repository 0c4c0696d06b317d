#!/bin/bash
# tests/bench/run.sh: the import benchmark behind `make bench`.  On each corpus
# in BENCH_CORPORA (built by tests/bench/setup.sh: A, gimp-help HTML in five
# languages; B, PDF manuals from texlive; A10, corpus A ten times with changed
# bytes) it times, from scratch and BENCH_RUNS times each, on the same files in
# the same run:
#   arca:        `arca init` + `arca import --json` (it archives every original),
#                then the same import again over the unchanged corpus;
#   omindex:     Xapian's omindex with CJK n-grams (on PDFs it runs poppler's
#                pdftotext and pdfinfo per file);
#   recollindex: `recollindex -z` with a private RECOLL_CONFDIR;
#   SQLite FTS5: tests/bench/fts5.py: html.parser or pdftotext, then INSERT
#                into an FTS5 table (unicode61), the whole run timed.
# and reports median wall time, docs/s, MB/s, peak RSS, index sizes, each
# tool's docs/s over arca's, how arca's objects/ compares with gzip -6 of the
# originals, and the re-run's time against the first run.  The peers run on
# corpus A10 only with BENCH_A10_PEERS=1.  Prints a table per corpus; writes
# $BENCH_DIR/results.json.
#
# Environment: ARCA (the arca binary; default build/arca in this checkout),
# BENCH_DIR (default /tmp/arca-bench), BENCH_RUNS (default 3),
# BENCH_CORPORA (default "A B A10"), BENCH_ARCA_ARGS (extra `arca import`
# options, e.g. "--jobs 2"), BENCH_A10_PEERS (default 0), BENCH_PEERS
# (default "omindex recollindex fts5": the peers to run).
# Exit status: 0 when arca ran through every round, 1 when it is missing or
# failed, 2 on bad settings or a missing corpus.  A missing or failing peer
# is reported as n/a, with the reason, for that corpus.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/arca-bench}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_CORPORA=${BENCH_CORPORA:-A B A10}
BENCH_ARCA_ARGS=${BENCH_ARCA_ARGS:-}
BENCH_A10_PEERS=${BENCH_A10_PEERS:-0}
BENCH_PEERS=${BENCH_PEERS:-omindex recollindex fts5}
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
    A|B|A10) case " $corpora " in *" $c "*) ;; *) corpora="$corpora $c" ;; esac ;;
    *) die "BENCH_CORPORA lists unknown corpus '$c' (known: A B A10)" 2 ;;
  esac
done
corpora=${corpora# }
[ -n "$corpora" ] || die "BENCH_CORPORA names no corpus (known: A B A10)" 2
case $BENCH_A10_PEERS in 0|1) ;; *) die "BENCH_A10_PEERS must be 0 or 1, not '$BENCH_A10_PEERS'" 2 ;; esac
peers=
for t in $BENCH_PEERS; do
  case $t in
    omindex|recollindex|fts5) case " $peers " in *" $t "*) ;; *) peers="$peers $t" ;; esac ;;
    *) die "BENCH_PEERS lists unknown tool '$t' (known: omindex recollindex fts5)" 2 ;;
  esac
done
peers=${peers# }
declare -A kind=([A]=HTML [B]=PDF [A10]=HTML)
declare -A label=([arca]=arca [omindex]=omindex [recollindex]=recollindex [fts5]="SQLite FTS5")
# Targets (measured, never enforced): arca's docs/s over omindex's.
declare -A target_om=([A]=2 [B]=3 [A10]=2)

[ -f "$ARCA" ] || die "arca is not built: no file $ARCA (run make, or set ARCA=PATH)"
[ -x "$ARCA" ] || die "arca binary $ARCA is not executable"
for c in $corpora; do
  if [ ! -d "$BENCH_DIR/corpus$c" ]; then
    die "no corpus in $BENCH_DIR/corpus$c: run tests/bench/setup.sh first (or set BENCH_DIR or BENCH_CORPORA)" 2
  fi
done
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing: run tests/bench/setup.sh" 2

# Why a peer cannot run at all, empty when it can.
declare -A missing_why=()
for t in omindex recollindex fts5; do
  case " $peers " in *" $t "*) ;; *) missing_why[$t]="left out by BENCH_PEERS"; continue ;; esac
  case $t in
    omindex) command -v omindex >/dev/null 2>&1 ||
      missing_why[$t]="not installed (Debian package xapian-omega; tests/bench/setup.sh installs it)" ;;
    recollindex) command -v recollindex >/dev/null 2>&1 ||
      missing_why[$t]="not installed (Debian package recollcmd; tests/bench/setup.sh installs it)" ;;
    fts5)
      if ! command -v python3 >/dev/null 2>&1; then
        missing_why[$t]="python3 is not installed (tests/bench/setup.sh installs it)"
      elif ! python3 -c 'import sqlite3; sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(b)")' 2>/dev/null; then
        missing_why[$t]="python3's sqlite3 module has no FTS5"
      fi ;;
  esac
  [ -z "${missing_why[$t]:-}" ] || warn "$t is ${missing_why[$t]}: leaving it out"
done

work=$BENCH_DIR/work
logs=$BENCH_DIR/logs
rm -rf "$work" "$logs" "$BENCH_DIR/results.json"
mkdir -p "$work" "$logs" || die "cannot create $work and $logs"
cd "$BENCH_DIR" || die "cannot enter $BENCH_DIR"

# measure TAG CMD...: runs CMD under GNU time with output in $clogs/TAG.*,
# and sets m_rc, m_wall (seconds), m_rss (peak KiB) and m_cpu (user + system
# seconds, children included).
measure() {
  local tag=$1; shift
  load1=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e %M %U %S' -o "$clogs/$tag.time" "$@" > "$clogs/$tag.out" 2> "$clogs/$tag.err"
  m_rc=$?
  local u s
  read -r m_wall m_rss u s < <(tail -n 1 "$clogs/$tag.time")
  case ${m_wall:-}${m_rss:-}${u:-}${s:-} in
    ''|*[!0-9.]*) m_wall=0; m_rss=0; m_cpu=0; [ "$m_rc" -ne 0 ] || m_rc=125 ;;
    *) m_cpu=$(awk -v a="$u" -v b="$s" 'BEGIN { printf "%.2f", a + b }') ;;
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
  local r=$1 coll=$cwork/arca f v
  rm -rf "$coll"
  measure "arca-init-$r" "$ARCA" init "$coll"
  if [ "$m_rc" -ne 0 ]; then
    warn "'arca init $coll' failed with exit status $m_rc in round $r of corpus $c"
    show_err "arca-init-$r"
    exit 1
  fi
  local w0=$m_wall r0=$m_rss c0=$m_cpu
  # shellcheck disable=SC2086
  measure "arca-import-$r" "$ARCA" -C "$coll" import --json $BENCH_ARCA_ARGS "corpus$c"
  if [ "$m_rc" -ne 0 ]; then
    warn "'arca -C $coll import --json corpus$c' failed with exit status $m_rc in round $r"
    show_err "arca-import-$r"
    exit 1
  fi
  for f in files records parts skipped unchanged failed bytes seconds; do
    v=$(json_num "$f" "$clogs/arca-import-$r.out")
    if [ -z "$v" ]; then
      warn "arca import printed no \"$f\" in its JSON summary (corpus $c, round $r; output in $clogs/arca-import-$r.out)"
      exit 1
    fi
    imp[$f]=$v
  done
  walls[arca]+=" $(awk -v a="$w0" -v b="$m_wall" 'BEGIN { printf "%.2f", a + b }')"
  rsss[arca]+=" $(( r0 > m_rss ? r0 : m_rss ))"
  cpus[arca]+=" $(awk -v a="$c0" -v b="$m_cpu" 'BEGIN { printf "%.2f", a + b }')"
  a_index=$(bytes_of "$coll/index"); a_total=$(bytes_of "$coll")
  a_objects=$(bytes_of "$coll/objects")
  a_objects_disk=$(du -s --block-size=1 "$coll/objects" 2>/dev/null | cut -f1)
  idx[arca]=$a_index; tot[arca]=$a_total; docs[arca]=${imp[records]}
  # What objects/ holds, from the catalog: each part's original and the text
  # extracted from it are objects of their own.  Sizes compressed, as stored.
  a_split=$(python3 - "$coll/catalog.db" 2>/dev/null <<'PY'
import sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
q = lambda w: con.execute("SELECT count(*), coalesce(sum(size), 0), coalesce(sum(zsize), 0)"
                          " FROM objects WHERE " + w).fetchone()
o = q("sha256 IN (SELECT original FROM parts)")
t = q("sha256 IN (SELECT text FROM parts) AND sha256 NOT IN"
      " (SELECT original FROM parts WHERE original IS NOT NULL)")
a = q("1")
print(*o, *t, *a)
PY
  )
  printf '%s\tarca\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$(last "${walls[arca]}")" "$(last "${rsss[arca]}")" \
    "${a_index:-0}" "${a_total:-0}" "$load1" "$(last "${cpus[arca]}")" >> "$logs/runs.tsv"

  # The same import again over the unchanged corpus.
  # shellcheck disable=SC2086
  measure "arca-rerun-$r" "$ARCA" -C "$coll" import --json $BENCH_ARCA_ARGS "corpus$c"
  if [ "$m_rc" -ne 0 ]; then
    warn "the re-run 'arca -C $coll import --json corpus$c' failed with exit status $m_rc in round $r"
    show_err "arca-rerun-$r"
    exit 1
  fi
  for f in files records skipped unchanged failed seconds; do
    v=$(json_num "$f" "$clogs/arca-rerun-$r.out")
    if [ -z "$v" ]; then
      warn "the re-run printed no \"$f\" in its JSON summary (corpus $c, round $r; output in $clogs/arca-rerun-$r.out)"
      exit 1
    fi
    rerun[$f]=$v
  done
  rr_walls+=("$m_wall"); rr_rss+=("$m_rss")
  rr_total=$(bytes_of "$coll")
  printf '%s\tarca-rerun\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$r" "$m_wall" "$m_rss" \
    "$(bytes_of "$coll/index")" "$rr_total" "$load1" "$m_cpu" >> "$logs/runs.tsv"
}

# peer_failed TOOL ROUND WHAT: a peer failed; leave it out of this corpus.
peer_failed() {
  why[$1]="$3 in round $2 (see $clogs/$1-$2.err)"
  warn "$1 ${why[$1]}: leaving it out for corpus $c"
  show_err "$1-$2"
  have[$1]=0
}

# peer_done TOOL ROUND INDEX_BYTES TOTAL_BYTES DOCS: record a peer's round.
peer_done() {
  walls[$1]+=" $m_wall"; rsss[$1]+=" $m_rss"; cpus[$1]+=" $m_cpu"
  idx[$1]=$3; tot[$1]=$4; docs[$1]=$5
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$1" "$2" "$m_wall" "$m_rss" "${3:-0}" "${4:-0}" \
    "$load1" "$m_cpu" >> "$logs/runs.tsv"
}

omindex_round() {
  local r=$1 db=$cwork/omindex n sz
  rm -rf "$db"
  measure "omindex-$r" env XAPIAN_CJK_NGRAM=1 omindex --db "$db" --url / "corpus$c"
  [ "$m_rc" -eq 0 ] || { peer_failed omindex "$r" "failed with exit status $m_rc"; return; }
  sz=$(bytes_of "$db")
  n=$(xapian-delve "$db" 2>/dev/null | sed -n 's/^number of documents = //p')
  peer_done omindex "$r" "$sz" "$sz" "$n"
}

# recollindex: a private configuration directory whose topdirs is the corpus,
# with the settings of the reference bench (no aspell, quiet log); the index
# is its xapiandb/.  Directories count as documents in recoll's index.
recollindex_round() {
  local r=$1 conf=$cwork/recoll n sz
  rm -rf "$conf"
  mkdir -p "$conf" || die "cannot create $conf"
  printf 'topdirs = %s\nnoaspell = 1\nloglevel = 2\n' "$BENCH_DIR/corpus$c" > "$conf/recoll.conf"
  measure "recollindex-$r" env -u DISPLAY RECOLL_CONFDIR="$conf" recollindex -c "$conf" -z
  [ "$m_rc" -eq 0 ] || { peer_failed recollindex "$r" "failed with exit status $m_rc"; return; }
  [ -d "$conf/xapiandb" ] || { peer_failed recollindex "$r" "wrote no index in $conf/xapiandb"; return; }
  sz=$(bytes_of "$conf/xapiandb")
  n=$(xapian-delve "$conf/xapiandb" 2>/dev/null | sed -n 's/^number of documents = //p')
  peer_done recollindex "$r" "$sz" "$(bytes_of "$conf")" "$n"
}

fts5_round() {
  local r=$1 db=$cwork/fts5.db n sz
  rm -f "$db"
  measure "fts5-$r" python3 "$here/fts5.py" "$db" "corpus$c"
  [ "$m_rc" -eq 0 ] || { peer_failed fts5 "$r" "failed with exit status $m_rc"; return; }
  n=$(sed -n 's/.*docs=\([0-9]*\).*/\1/p' "$clogs/fts5-$r.out" | tail -n 1)
  fts_line=$(tail -n 1 "$clogs/fts5-$r.out")
  sz=$(bytes_of "$db")
  peer_done fts5 "$r" "$sz" "$sz" "$n"
}

last() { local a; read -r -a a <<< "$1"; echo "${a[-1]}"; }
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
printf 'corpus\ttool\tround\twall_s\tpeak_rss_kib\tindex_bytes\ttotal_bytes\tload1\tcpu_s\n' > "$logs/runs.tsv"
declare -A imp rerun  # arca's JSON summaries of its last import and re-run
declare -A walls rsss cpus idx tot docs have why
json_corpora=()  # one "NAME": {...} member of results.json per corpus measured
tools_all="arca omindex recollindex fts5"

# run_corpus C: every round on corpus C, then its table and its JSON member.
run_corpus() {
  c=$1 corpus=$BENCH_DIR/corpus$1 cwork=$work/$1 clogs=$logs/$1
  mkdir -p "$cwork" "$clogs" || die "cannot create $cwork and $clogs"
  local n_files n_bytes t
  read -r n_files n_bytes < <(find "corpus$c" -type f -printf '%s\n' |
    awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }')
  [ "$n_files" -gt 0 ] || die "corpus $corpus holds no files" 2

  walls=(); rsss=(); cpus=(); idx=(); tot=(); docs=(); have=(); why=()
  imp=(); rerun=(); rr_walls=(); rr_rss=(); fts_line=
  for t in omindex recollindex fts5; do
    have[$t]=1 why[$t]=${missing_why[$t]:-}
    [ -z "${why[$t]}" ] || have[$t]=0
    if [ "${have[$t]}" -eq 1 ] && [ "$c" = A10 ] && [ "$BENCH_A10_PEERS" = 0 ]; then
      have[$t]=0 why[$t]="not run on corpus A10 (BENCH_A10_PEERS=0)"
    fi
    if [ "${have[$t]}" -eq 1 ] && [ "$c" = B ]; then
      local need=pdftotext
      [ "$t" = omindex ] && need="pdftotext pdfinfo"
      local x
      for x in $need; do
        command -v "$x" >/dev/null 2>&1 && continue
        # Without them the peer would skip every PDF and look fast.
        have[$t]=0 why[$t]="left out: it needs $x to read PDFs (Debian package poppler-utils; tests/bench/setup.sh installs it)"
        warn "$t ${why[$t]}"
        break
      done
    fi
  done

  # Every tool reads the corpus from the page cache, not the disk.
  find "corpus$c" -type f -exec cat {} + > /dev/null

  echo "bench: corpus $c, $n_files files, $n_bytes bytes; $rounds; arca is $ARCA"
  local r order k
  local -a ring
  read -r -a ring <<< "$tools_all"
  for r in $(seq 1 "$BENCH_RUNS"); do
    echo "bench: corpus $c round $r/$BENCH_RUNS ($(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg))"
    # Rotate the order so that no tool always runs first, on a cooler machine.
    order=
    for k in 0 1 2 3; do order="$order ${ring[(r - 1 + k) % 4]}"; done
    for t in $order; do
      [ "$t" = arca ] || [ "${have[$t]}" -eq 1 ] || continue
      case $t in
        arca) arca_round "$r" ;;
        omindex) omindex_round "$r" ;;
        recollindex) recollindex_round "$r" ;;
        fts5) fts5_round "$r" ;;
      esac
    done
  done

  # Medians; rate[t] and ratio[t] (t's docs/s over arca's) per tool measured.
  local -A wall dps mbs peak ratio inv range cpu
  for t in $tools_all; do
    [ "$t" = arca ] || [ "${have[$t]}" -eq 1 ] || continue
    # shellcheck disable=SC2086
    wall[$t]=$(median %.2f ${walls[$t]})
    # shellcheck disable=SC2086
    peak[$t]=$(median %.0f ${rsss[$t]})
    # shellcheck disable=SC2086
    cpu[$t]=$(median %.1f ${cpus[$t]})
    # shellcheck disable=SC2086
    range[$t]="$(minimum ${walls[$t]})-$(maximum ${walls[$t]})"
    dps[$t]=$(calc %.1f "$n_files / (${wall[$t]} > 0 ? ${wall[$t]} : 0.01)")
    mbs[$t]=$(calc %.2f "$n_bytes / 1e6 / (${wall[$t]} > 0 ? ${wall[$t]} : 0.01)")
  done
  for t in $tools_all; do
    [ -n "${dps[$t]:-}" ] || continue
    ratio[$t]=$(calc %.3f "${dps[$t]} / ${dps[arca]}")
    inv[$t]=$(calc %.2f "${dps[arca]} / ${dps[$t]}")
  done

  # The archive stores each original as its own zlib stream, so the fair
  # yardstick is gzip -6 file by file (gzip -c concatenates one member per file).
  local gz_bytes obj_pct fmt verdict
  gz_bytes=$(find "corpus$c" -type f -print0 | xargs -0 gzip -6 -n -c | wc -c)
  obj_pct=$(calc %.1f "100 * $a_objects / ($gz_bytes > 0 ? $gz_bytes : 1)")

  local rr_wall rr_peak rr_ratio
  rr_wall=$(median %.2f "${rr_walls[@]}"); rr_peak=$(median %.0f "${rr_rss[@]}")
  rr_ratio=$(calc %.1f "${wall[arca]} / ($rr_wall > 0 ? $rr_wall : 0.01)")

  echo
  echo "Corpus $c: $n_files ${kind[$c]} files, $(mb "$n_bytes") MB ($corpus); $rounds from scratch, medians;" \
    "load average now $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
  fmt='%-12s %7s %13s %6s %7s %6s %9s %9s %9s %8s %9s\n'
  # shellcheck disable=SC2059
  printf "$fmt" tool "wall s" "min-max s" "CPU s" docs/s MB/s "peak RSS" "index MB" "total MB" "docs/s /" "arca"
  # shellcheck disable=SC2059
  printf "$fmt" "" "" "" "" "" "" "MiB" "" "" "arca's" "faster by"
  for t in $tools_all; do
    if [ -n "${dps[$t]:-}" ]; then
      # shellcheck disable=SC2059
      printf "$fmt" "${label[$t]}" "${wall[$t]}" "${range[$t]}" "${cpu[$t]}" "${dps[$t]}" "${mbs[$t]}" \
        "$(mib "${peak[$t]}")" "$(mb "${idx[$t]:-0}")" "$(mb "${tot[$t]:-0}")" "${ratio[$t]}" "${inv[$t]}x"
    else
      # shellcheck disable=SC2059
      printf "$fmt" "${label[$t]}" n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a
    fi
  done
  echo "arca:        init + import --json${BENCH_ARCA_ARGS:+ $BENCH_ARCA_ARGS}, archiving every original; last import: ${imp[files]} files," \
    "${imp[records]} records, ${imp[parts]} parts, ${imp[skipped]} skipped, ${imp[failed]} failed, ${imp[seconds]} s by its own clock;" \
    "index MB is index/, total MB the whole collection (archive, catalog, index)"
  [ "${imp[files]}" = "$n_files" ] || warn "arca import counted ${imp[files]} files, corpus $c holds $n_files"
  [ "${imp[failed]}" = 0 ] || warn "arca import failed on ${imp[failed]} file(s) of corpus $c: see \"errors\" in $clogs/arca-import-$BENCH_RUNS.out"
  for t in omindex recollindex fts5; do
    if [ "${have[$t]}" -ne 1 ]; then
      printf '%-12s n/a: %s\n' "${label[$t]}:" "${why[$t]}"
      continue
    fi
    case $t in
      omindex) echo "omindex:     XAPIAN_CJK_NGRAM=1 omindex --db DB --url / corpus$c (pdftotext + pdfinfo per PDF);" \
        "${docs[$t]:-?} documents in its database" ;;
      recollindex) echo "recollindex: RECOLL_CONFDIR=DIR recollindex -c DIR -z, topdirs = corpus$c, noaspell = 1, loglevel = 2;" \
        "${docs[$t]:-?} documents in its xapiandb (directories count too); total MB is the whole config dir" ;;
      fts5) echo "SQLite FTS5: python3 tests/bench/fts5.py (html.parser / pdftotext, unicode61, no archive), whole run timed;" \
        "last run: ${fts_line:-?}" ;;
    esac
    [ "${docs[$t]:-0}" -ge "$n_files" ] ||
      warn "$t indexed ${docs[$t]:-an unknown number of} documents, corpus $c holds $n_files files (see $clogs/$t-$BENCH_RUNS.*)"
  done
  verdict="no larger: good"
  [ "$a_objects" -le "$gz_bytes" ] || verdict="LARGER than gzip -6"
  echo "archive size: objects/ $(mb "$a_objects") MB ($(mb "${a_objects_disk:-0}") MB allocated on disk)," \
    "originals gzip -6 file by file $(mb "$gz_bytes") MB: objects/ is $obj_pct% of that, $verdict"
  local so=0 sob=0 soz=0 st=0 stb=0 stz=0 sa=0 sab=0 saz=0 orig_pct=null
  if [ -n "${a_split:-}" ]; then
    read -r so sob soz st stb stz sa sab saz <<< "$a_split"
    orig_pct=$(calc %.1f "100 * $soz / ($gz_bytes > 0 ? $gz_bytes : 1)")
    echo "  of which (catalog): $so originals $(mb "$soz") MB compressed ($orig_pct% of gzip -6)," \
      "$st extracted texts $(mb "$stz") MB compressed ($(mb "$stb") MB raw)," \
      "pack framing $(mb "$((a_objects - saz))") MB"
  fi
  echo "re-run over the unchanged corpus: $rr_wall s (min-max $(minimum "${rr_walls[@]}")-$(maximum "${rr_walls[@]}")), peak RSS $(mib "$rr_peak") MiB," \
    "${rerun[unchanged]} of ${rerun[files]} files unchanged, ${rerun[failed]} failed; first run ${wall[arca]} s / re-run = ${rr_ratio}x (target >= 20x)"
  [ "${rerun[unchanged]}" = "$n_files" ] || warn "the re-run found ${rerun[unchanged]} of $n_files files unchanged (see $clogs/arca-rerun-$BENCH_RUNS.out)"
  # The targets, as figures.
  local tg=() p
  if [ -n "${dps[omindex]:-}" ]; then
    p=met; awk "BEGIN { exit !(${inv[omindex]} >= ${target_om[$c]}) }" || p=MISSED
    tg+=("docs/s ${inv[omindex]}x omindex's (>= ${target_om[$c]}x: $p)")
  fi
  case $c in A|A10)
    p=met; [ "${peak[arca]}" -lt $((256 * 1024)) ] || p=MISSED
    tg+=("peak RSS $(mib "${peak[arca]}") MiB (< 256: $p)") ;;
  esac
  p=met; [ "$a_objects" -le "$gz_bytes" ] || p=MISSED
  tg+=("archive $obj_pct% of gzip -6 (<= 100: $p${a_split:+, the originals alone $orig_pct%})")
  p=met; awk "BEGIN { exit !($rr_ratio >= 20) }" || p=MISSED
  tg+=("re-run ${rr_ratio}x faster (>= 20x: $p)")
  local IFS=';'
  echo "targets (corpus $c): ${tg[*]}" | sed 's/;/; /g'
  unset IFS
  echo

  json_corpora+=("$(
    printf '  %s: {"kind": %s, "corpus": {"path": %s, "files": %s, "bytes": %s, "gzip6_bytes": %s},\n' \
      "$(json_str "$c")" "$(json_str "${kind[$c]}")" "$(json_str "$corpus")" "$n_files" "$n_bytes" "$gz_bytes"
    printf '   "load_avg_after": %s,\n' "$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")"
    # shellcheck disable=SC2086
    printf '   "arca": {"binary": %s, "import_args": %s, "wall_s": %s, "wall_s_runs": %s, "cpu_s": %s, "cpu_s_runs": %s, "docs_per_s": %s, "mb_per_s": %s,\n' \
      "$(json_str "$ARCA")" "$(json_str "$BENCH_ARCA_ARGS")" "${wall[arca]}" "$(json_arr ${walls[arca]})" "${cpu[arca]}" "$(json_arr ${cpus[arca]})" "${dps[arca]}" "${mbs[arca]}"
    # shellcheck disable=SC2086
    printf '    "peak_rss_kib": %s, "peak_rss_kib_runs": %s, "index_bytes": %s, "collection_bytes": %s, "objects_bytes": %s, "objects_disk_bytes": %s,\n' \
      "${peak[arca]}" "$(json_arr ${rsss[arca]})" "${a_index:-0}" "${a_total:-0}" "${a_objects:-0}" "${a_objects_disk:-0}"
    printf '    "import": {"files": %s, "records": %s, "parts": %s, "skipped": %s, "unchanged": %s, "failed": %s, "bytes": %s, "seconds": %s},\n' \
      "${imp[files]}" "${imp[records]}" "${imp[parts]}" "${imp[skipped]}" "${imp[unchanged]}" "${imp[failed]}" "${imp[bytes]}" "${imp[seconds]}"
    printf '    "rerun": {"wall_s": %s, "wall_s_runs": %s, "peak_rss_kib": %s, "collection_bytes_after": %s, "first_over_rerun": %s,\n' \
      "$rr_wall" "$(json_arr "${rr_walls[@]}")" "$rr_peak" "${rr_total:-0}" "$rr_ratio"
    printf '     "files": %s, "records": %s, "skipped": %s, "unchanged": %s, "failed": %s, "seconds": %s}},\n' \
      "${rerun[files]}" "${rerun[records]}" "${rerun[skipped]}" "${rerun[unchanged]}" "${rerun[failed]}" "${rerun[seconds]}"
    for t in omindex recollindex fts5; do
      if [ -n "${dps[$t]:-}" ]; then
        # shellcheck disable=SC2086
        printf '   %s: {"wall_s": %s, "wall_s_runs": %s, "cpu_s": %s, "cpu_s_runs": %s, "docs_per_s": %s, "mb_per_s": %s, "peak_rss_kib": %s, "peak_rss_kib_runs": %s,\n' \
          "$(json_str "$t")" "${wall[$t]}" "$(json_arr ${walls[$t]})" "${cpu[$t]}" "$(json_arr ${cpus[$t]})" "${dps[$t]}" "${mbs[$t]}" "${peak[$t]}" "$(json_arr ${rsss[$t]})"
        printf '    "index_bytes": %s, "total_bytes": %s, "documents": %s, "docs_per_s_over_arca": %s, "arca_docs_per_s_over_this": %s},\n' \
          "${idx[$t]:-0}" "${tot[$t]:-0}" "${docs[$t]:-null}" "${ratio[$t]}" "${inv[$t]}"
      else
        printf '   %s: null, "%s_why": %s,\n' "$(json_str "$t")" "$t" "$(json_str "${why[$t]}")"
      fi
    done
    [ -n "$fts_line" ] && printf '   "fts5_last_run": %s,\n' "$(json_str "$fts_line")"
    printf '   "ratio_docs_per_s": %s,\n' "${inv[omindex]:-null}"
    printf '   "objects_split": {"originals": %s, "originals_bytes": %s, "originals_zbytes": %s, "texts": %s, "texts_bytes": %s, "texts_zbytes": %s, "objects": %s, "objects_bytes": %s, "objects_zbytes": %s},\n' \
      "$so" "$sob" "$soz" "$st" "$stb" "$stz" "$sa" "$sab" "$saz"
    printf '   "originals_vs_gzip6_pct": %s,\n' "$orig_pct"
    printf '   "objects_vs_gzip6_pct": %s}' "$obj_pct"
  )")
}

for c in $corpora; do
  run_corpus "$c"
done

{
  printf '{"date": %s, "host": {"cpus": %s, "kernel": %s, "load_avg_end": %s},\n' \
    "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(nproc)" "$(json_str "$(uname -sr)")" \
    "$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")"
  printf ' "runs": %s, "peers": %s, "a10_peers": %s,\n "corpora": {\n' "$BENCH_RUNS" "$(json_str "$peers")" "$BENCH_A10_PEERS"
  sep=
  for m in "${json_corpora[@]}"; do
    printf '%s%s' "$sep" "$m"
    sep=$',\n'
  done
  printf '}}\n'
} > "$BENCH_DIR/results.json"
echo "results: $BENCH_DIR/results.json; logs in $logs/CORPUS/, raw rounds in $logs/runs.tsv"
exit 0

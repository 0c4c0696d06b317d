#!/bin/bash
# tests/eval/run.sh: the known-item search evaluation behind `make eval`.
# On the shared corpus's gimp-help pages ($CORPUS/html/{en,ja,ko,ru,zh_CN},
# the same 150 pages in five languages) it
#   1. builds two collections from scratch in $EVAL_DIR: "arca" (default
#      settings) and "ngrams", whose config.lua turns off CJK word analysis
#      (return { analysis = { cjk_words = false } }): CJK text as n-grams
#      only, the baseline;
#   2. derives known-item queries per language (tests/eval/queries.jq):
#      "title" (the page's <title>), "phrase" (a distinctive run of words
#      from the middle of the page) and, for Korean, "ko-part" (the title
#      with one word cut to a stem that occurs in the page only inside
#      longer words);
#   3. runs each query, top 10, on both collections (tests/eval/search.lua,
#      in process) and finds the rank of the page it came from;
#   4. prints hit@1, hit@3 and MRR per language and query set for both, the
#      index sizes, and whether the targets are met; writes
#      $EVAL_DIR/results.json with every number and, per language, up to 20
#      title queries whose page did not come first.
#
# Environment: ARCA (the arca binary; default build/arca in this checkout),
# CORPUS (default ../shared/corpus beside the checkout), EVAL_DIR (default
# build/eval).
# Exit status: 0 when the evaluation ran, targets met or not; 1 when arca
# is missing or failed; 2 on a missing corpus or tool.  A baseline that
# cannot be built (an arca without analysis.cjk_words) is reported as n/a,
# with the reason.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
ARCA=${ARCA:-$checkout/build/arca}
case $ARCA in /*) ;; *) ARCA=$checkout/$ARCA ;; esac
CORPUS=${CORPUS:-$checkout/../shared/corpus}
EVAL_DIR=${EVAL_DIR:-$checkout/build/eval}
LANGS="en ja ko ru zh_CN"
NGRAMS_CONFIG='return { analysis = { cjk_words = false } }'

die() { echo "eval: $1" >&2; exit "${2:-1}"; }
warn() { echo "eval: $*" >&2; }

command -v jq >/dev/null 2>&1 || die "jq is not installed (Debian package jq)" 2
for l in $LANGS; do
  [ -d "$CORPUS/html/$l" ] || die "no corpus at $CORPUS (no folder html/$l; set CORPUS=PATH)" 2
done
CORPUS=$(cd "$CORPUS" && pwd)
[ -f "$ARCA" ] || die "arca is not built: no file $ARCA (run make, or set ARCA=PATH)"
[ -x "$ARCA" ] || die "arca binary $ARCA is not executable"

start=$SECONDS
mkdir -p "$EVAL_DIR" || die "cannot create $EVAL_DIR"
EVAL_DIR=$(cd "$EVAL_DIR" && pwd)
rm -rf "$EVAL_DIR/arca" "$EVAL_DIR/ngrams" "$EVAL_DIR/work" "$EVAL_DIR/results.json"
work=$EVAL_DIR/work
mkdir -p "$work" || die "cannot create $work"

paths=()
for l in $LANGS; do paths+=("$CORPUS/html/$l"); done

# build NAME [CONFIG]: creates $EVAL_DIR/NAME, writes CONFIG to its
# config.lua when given, and imports the corpus into it.  On failure, sets
# build_why to the first line of arca's complaint and returns 1.
build() {
  local name=$1 config=${2:-} dir=$EVAL_DIR/$1
  build_why=
  if ! "$ARCA" init "$dir" > "$work/$name-init.out" 2>&1; then
    build_why="arca init failed: $(head -n 1 "$work/$name-init.out")"
    return 1
  fi
  [ -z "$config" ] || printf '%s\n' "$config" > "$dir/config.lua"
  if ! "$ARCA" -C "$dir" import --quiet --jobs 2 --log "$work/$name-import.jsonl" \
       "${paths[@]}" > "$work/$name-import.out" 2>&1; then
    build_why="arca import failed: $(grep -m 1 . "$work/$name-import.out")"
    return 1
  fi
}

# search NAME: runs the queries on collection NAME into $work/NAME.tsv; on
# failure sets search_why and returns 1.
search() {
  local name=$1
  search_why=
  if ! "$ARCA" -C "$EVAL_DIR/$name" run "$here/search.lua" "$work/queries.tsv" \
       "$work/$name.tsv" > "$work/$name-search.out" 2>&1; then
    search_why="searching failed: $(grep -m 1 . "$work/$name-search.out")"
    return 1
  fi
}

echo "eval: importing $CORPUS/html/{${LANGS// /,}} into $EVAL_DIR/arca and $EVAL_DIR/ngrams"
build arca || die "$build_why (see $work)"
ngrams_why=
build ngrams "$NGRAMS_CONFIG" || ngrams_why=$build_why
[ -z "$ngrams_why" ] || warn "baseline n/a: $ngrams_why"

# The records, their text and their <title>, then the queries.
jq -r 'select(.outcome != "failed" and .id != null) | [.path, .id] | @tsv' \
  "$work/arca-import.jsonl" > "$work/ids.tsv" || die "cannot read the import log $work/arca-import.jsonl"
"$ARCA" -C "$EVAL_DIR/arca" run "$here/texts.lua" "$work/ids.tsv" "$work/texts.jsonl" \
  > "$work/texts.out" 2>&1 || die "reading the records failed: $(grep -m 1 . "$work/texts.out")"
jq -s -f "$here/queries.jq" "$work/texts.jsonl" > "$work/queries.json" ||
  die "deriving the queries failed"
jq -r '.queries[] | [.qid, .expected, .query] | @tsv' "$work/queries.json" \
  > "$work/queries.tsv" || die "cannot write $work/queries.tsv"
echo "eval: running $(wc -l < "$work/queries.tsv") queries on each collection"

search arca || die "$search_why"
if [ -z "$ngrams_why" ]; then
  search ngrams || { ngrams_why=$search_why; warn "baseline n/a: $ngrams_why"; }
fi
[ -n "$ngrams_why" ] && : > "$work/ngrams.tsv"

index_bytes() { du -sb "$1/index" 2>/dev/null | cut -f1; }
arca_bytes=$(index_bytes "$EVAL_DIR/arca")
ngrams_bytes=null
[ -n "$ngrams_why" ] || ngrams_bytes=$(index_bytes "$EVAL_DIR/ngrams")
[ -n "$arca_bytes" ] || die "cannot measure $EVAL_DIR/arca/index"
[ -n "$ngrams_bytes" ] || ngrams_bytes=null

jq -n --slurpfile q "$work/queries.json" --rawfile arca_tsv "$work/arca.tsv" \
  --rawfile ngrams_tsv "$work/ngrams.tsv" --arg ngrams_why "$ngrams_why" \
  --argjson sizes "{\"arca\": $arca_bytes, \"ngrams\": $ngrams_bytes}" \
  --arg corpus "$CORPUS/html" -f "$here/report.jq" > "$EVAL_DIR/results.json.tmp" ||
  die "computing the results failed"
jq --argjson s $((SECONDS - start)) '. + {seconds: $s}' "$EVAL_DIR/results.json.tmp" \
  > "$EVAL_DIR/results.json" && rm -f "$EVAL_DIR/results.json.tmp"
R=$EVAL_DIR/results.json

# The table.
echo
jq -r '"known-item search: \(.pages) pages of \(.corpus), \(.queries) queries, top 10"' "$R"
printf '%-6s %-8s %4s | %-20s | %-20s\n' "" "" "" "arca" "n-grams only"
printf '%-6s %-8s %4s | %6s %6s %6s | %6s %6s %6s\n' lang set n hit@1 hit@3 MRR hit@1 hit@3 MRR
# num X: X with 3 decimals in 6 columns, or as it is (n/a).
num() { case $1 in *[!0-9.]*|'') printf '%6s' "$1" ;; *) printf '%6.3f' "$1" ;; esac; }
jq -r '.rows[] | [.lang, .set, .n, (.arca | .hit1, .hit3, .mrr),
        (if .ngrams then (.ngrams | .hit1, .hit3, .mrr) else "n/a", "n/a", "n/a" end)]
       | map(tostring) | @tsv' "$R" |
  while IFS=$'\t' read -r l s n a1 a3 am b1 b3 bm; do
    printf '%-6s %-8s %4s | %s %s %s | %s %s %s\n' "$l" "$s" "$n" \
      "$(num "$a1")" "$(num "$a3")" "$(num "$am")" "$(num "$b1")" "$(num "$b3")" "$(num "$bm")"
  done
[ -z "$ngrams_why" ] || echo "n-grams only: n/a: $ngrams_why"
jq -r '.stats | to_entries | map("\(.key) \(.value.title_dup)") | join(", ")
       | "title queries dropped as not unique in their language: " + .' "$R"
jq -r '.stats | to_entries | map("\(.key) \(.value.title_shared)") | join(", ")
       | "title queries that are also the title of a page in another language (untranslated pages): " + .' "$R"
jq -r '.stats | to_entries | map("\(.key) \(.value.phrase_none)") | join(", ")
       | "pages with no distinctive phrase: " + .' "$R"
jq -r '"Korean titles with no word for ko-part: \(.stats.ko.kopart_none)"' "$R"
jq -r '.title_miss_kinds.arca | to_entries
       | map("\(.key) \(.value.missed) (\(.value.twin_first) behind a same-titled page of another language, \(.value.absent) not in the top 10)")
       | join(", ") | "arca, title queries not first: " + .' "$R"
if [ "$ngrams_bytes" = null ]; then
  echo "index size: arca $arca_bytes bytes; n-grams only n/a"
else
  jq -r '"index size: arca \(.collections.arca.index_bytes) bytes, n-grams only \(.collections.ngrams.index_bytes) bytes: growth \(.index_growth_percent)%"' "$R"
fi
if [ "$(jq -r .same_results "$R")" = true ]; then
  warn "both collections gave the same results on every query: does this arca know analysis.cjk_words? (config.lua keys it does not know may be ignored)"
fi
jq -r --arg why "$ngrams_why" '
  "targets: title hit@3 >= 0.95 and MRR >= 0.85 in every language: "
  + (if .targets.title.met then "met"
     else "MISSED (" + (.targets.title.misses
            | map("\(.lang): hit@3 \(.hit3), MRR \(.mrr)") | join("; ")) + ")" end)
  + "; index growth < 40%: "
  + (if .targets.growth.met == null then "n/a (" + $why + ")"
     elif .targets.growth.met then "met" else "MISSED (\(.index_growth_percent)%)" end)' "$R"
echo "eval: done in $((SECONDS - start))s; details in $R"
exit 0

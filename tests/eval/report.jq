# tests/eval/report.jq: the numbers of the known-item evaluation (run with
# jq -n).  Arguments:
#   --slurpfile q QUERIES.json    what tests/eval/queries.jq wrote
#   --rawfile arca_tsv FILE       tests/eval/search.lua's output on "arca"
#   --rawfile ngrams_tsv FILE     the same on "ngrams" (empty when it did not run)
#   --arg ngrams_why TEXT         why "ngrams" did not run (empty when it did)
#   --argjson sizes {"arca": BYTES, "ngrams": BYTES or null}
#   --arg corpus PATH
# Writes the object saved as results.json: per language and query set, n,
# hit@1, hit@3 and MRR (reciprocal rank within the top 10, 0 when absent)
# for each collection; the index sizes and growth; the targets; per
# collection and language, how the title queries missed (title_miss_kinds)
# and up to 20 of them whose page did not come first (title_misses).

def results($tsv):
  $tsv | split("\n") | map(select(. != "") | split("\t")
    | {key: .[0], value: {rank: (.[1] | tonumber), first: .[2],
                          first_title: .[3], error: .[4]}})
  | from_entries;

def round3: . * 1000 | round / 1000;

def scores:
  length as $n
  | if $n == 0 then {hit1: null, hit3: null, mrr: null} else {
      hit1: (map(select(.rank == 1)) | length / $n | round3),
      hit3: (map(select(.rank >= 1 and .rank <= 3)) | length / $n | round3),
      mrr: (map(if .rank > 0 then 1 / .rank else 0 end) | add / $n | round3)
    } end;

# Per language, the title queries whose page did not come first: how many,
# how many were not in the top 10, and how many had first a page of another
# language with the same title (an untranslated copy).
def miss_kinds($res):
  map(select(.set == "title") | . + $res[.qid | tostring] | select(.rank != 1)
      | . + {twin: (.rank != 0 and .first != ""
                    and (.first_title | sub("^[0-9]+(\\.[0-9]+)*\\.? +"; "")) == .title)})
  | group_by(.lang)
  | map({key: .[0].lang, value: {missed: length,
          absent: (map(select(.rank == 0)) | length),
          twin_first: (map(select(.twin)) | length)}})
  | from_entries;

def misses($res):
  map(select(.set == "title") | . + $res[.qid | tostring]
      | select(.rank != 1))
  | group_by(.lang)
  | map({key: .[0].lang, value: (.[0:20] | map({
      query, expected, rank: (if .rank == 0 then null else .rank end),
      first: (if .first == "" then null else .first end), first_title,
      first_same_title: (.first_title != null and .first != ""
                         and (.first_title | sub("^[0-9]+(\\.[0-9]+)*\\.? +"; ""))
                             == .title),
      error: (if .error == "" then null else .error end)}))})
  | from_entries;

$q[0] as $Q
| results($arca_tsv) as $ra
| (if $ngrams_why == "" then results($ngrams_tsv) else null end) as $rn
| ["en", "ja", "ko", "ru", "zh_CN"] as $langs
| ["title", "title-shared", "phrase", "phrase-shared", "ko-part"] as $sets
| [ $langs[] as $l | $sets[] as $s
    | [$Q.queries[] | select(.lang == $l and .set == $s)] as $qs
    | select(($qs | length) > 0)
    | { lang: $l, set: $s, n: ($qs | length),
        arca: ($qs | map(. + $ra[.qid | tostring]) | scores),
        ngrams: (if $rn then $qs | map(. + $rn[.qid | tostring]) | scores
                 else null end) } ] as $rows
| (if $sizes.ngrams and $sizes.ngrams > 0
   then (($sizes.arca - $sizes.ngrams) * 100 / $sizes.ngrams * 10 | round / 10)
   else null end) as $growth
| [ $rows[] | select(.set == "title")
    | select(.arca.hit3 < 0.95 or .arca.mrr < 0.85)
    | {lang, hit3: .arca.hit3, mrr: .arca.mrr} ] as $title_misses
| {
    corpus: $corpus,
    pages: ($Q.stats | map(.pages) | add),
    queries: ($Q.queries | length),
    stats: $Q.stats,
    collections: {
      arca: {config: "default", index_bytes: $sizes.arca},
      ngrams: {config: "return { analysis = { cjk_words = false } }",
               index_bytes: $sizes.ngrams,
               ran: ($ngrams_why == ""),
               reason: (if $ngrams_why == "" then null else $ngrams_why end)}
    },
    index_growth_percent: $growth,
    rows: $rows,
    same_results: (if $rn then ($ra == $rn) else null end),
    targets: {
      title: {rule: "title hit@3 >= 0.95 and MRR >= 0.85 in every language",
              met: ($title_misses | length == 0), misses: $title_misses},
      growth: {rule: "index growth < 40%",
               met: (if $growth == null then null else $growth < 40 end)}
    },
    title_miss_kinds: {
      arca: ($Q.queries | miss_kinds($ra)),
      ngrams: (if $rn then $Q.queries | miss_kinds($rn) else null end)
    },
    title_misses: {
      arca: ($Q.queries | misses($ra)),
      ngrams: (if $rn then $Q.queries | misses($rn) else null end)
    }
  }

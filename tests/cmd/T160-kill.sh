#!/bin/bash
# Killing an import with SIGKILL at random moments loses nothing that was
# reported imported, duplicates nothing, and the re-run import ends where
# an uninterrupted one does.
. "$(dirname "$0")/lib.sh"
plan 7

SRC=$TMP/src
mkdir -p "$SRC"
cp -r "$DATA/sotu" "$DATA/announcement" "$SRC/"
[ -d "$DATA/html" ] && cp -r "$DATA/html" "$SRC/"
[ -d "$DATA/encodings" ] && cp -r "$DATA/encodings" "$SRC/"
if have_corpus; then cp -r "$CORPUS/html" "$SRC/corpus-html"; fi
chmod -R u+w "$SRC"

arca init "$TMP/ref" >/dev/null
t0=$(date +%s%N)
arca -C "$TMP/ref" import --quiet --batch 25 "$SRC"
# Kill within the first eighth of an uninterrupted import's time, so that
# most of the runs die mid-import.
window=$(( ($(date +%s%N) - t0) / 8000000 + 20 ))  # milliseconds

C=$TMP/c
arca init "$C" >/dev/null
: >"$TMP/reported"
kills=0
# Twenty runs; six under the sanitizers, whose slowness adds nothing to
# what a kill can leave behind.
runs=${ARCA_SANITIZE:+6}
runs=${runs:-20}
for i in $(seq 1 "$runs"); do
    "$ARCA" -C "$C" import --verbose --quiet --batch 25 "$SRC" 2>"$TMP/log.$i" >/dev/null &
    pid=$!
    ms=$(( RANDOM % window ))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
    grep -E '^imported ' "$TMP/log.$i" | sed 's/.* -> \([^ ]*\).*/\1/' >>"$TMP/reported"
done
echo "# $kills of $runs runs were killed mid-import"
arca -C "$C" import --quiet --batch 25 "$SRC"
is "$?" 0 "the last run completes"
ok "fsck is clean after the kills" arca -C "$C" fsck

missing=0
for id in $(sort -u "$TMP/reported"); do
    arca -C "$C" show --json "$id" >/dev/null 2>&1 || missing=$((missing + 1))
done
is "$missing" 0 "every record reported imported is there ($(sort -u "$TMP/reported" | wc -l) reported)"

is "$(arca -C "$C" stats --json | json .records)" "$(arca -C "$TMP/ref" stats --json | json .records)" \
   "as many records as an uninterrupted import: nothing duplicated"
is "$(arca -C "$C" stats --json | json .versions)" "$(arca -C "$TMP/ref" stats --json | json .versions)" \
   "and no extra versions"

results() {
    for q in union 'the year:1850..1869' filters 경주 'title:blur' 'layer OR mask' '*'; do
        arca -C "$1" search --json --limit 2000 "$q" | jq -c '[.total, ([.hits[].id] | sort)]'
    done
}
results "$TMP/ref" >"$TMP/r.ref"
results "$C" >"$TMP/r.c"
ok "search results equal those of the uninterrupted import" cmp "$TMP/r.ref" "$TMP/r.c"
arca -C "$C" reindex >/dev/null
results "$C" >"$TMP/r.re"
ok "and so do they after reindex" cmp "$TMP/r.ref" "$TMP/r.re"
done_testing

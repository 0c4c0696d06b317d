#!/bin/bash
# What a dry run reports, file by file, and import progress: files done of those counted first (a folder record is
# one), bytes, rate, time left and failures so far; redrawn in place on a
# terminal, a plain line every --progress seconds elsewhere; none with
# --quiet, nor beside --json's output.
. "$(dirname "$0")/lib.sh"
plan 13

IN=$TMP/in
mkdir -p "$IN/post" "$IN/more"
for i in 1 2 3 4 5 6; do
    printf 'Notice %s of the secretariat about the harvest.\n' "$i" >"$IN/more/n$i.txt"
done
printf 'The body of a post.\n' >"$IN/post/index.txt"
printf 'An attachment.\n' >"$IN/post/a.txt"
printf '{"title": "A post"}\n' >"$IN/post.meta.json"
: >"$IN/empty.txt"                                   # fails

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --progress 0 "$IN" 2>"$TMP/err"
grep '^arca: import: ' "$TMP/err" >"$TMP/lines"
is "$(wc -l <"$TMP/lines" | tr -d ' ')" 8 "--progress 0: a line after every file"
is "$(head -1 "$TMP/lines" | sed 's/ files,.*//; s/.*: //')" "1/8" \
   "counted first: the folder record is one file of eight"
is "$(tail -1 "$TMP/lines" | sed 's/ files,.*//; s/.*: //')" "8/8" "the last line has them all done"
like "$(tail -1 "$TMP/lines")" '^arca: import: 8/8 files, [0-9.]+ MB, [0-9]+ files/s, [0-9.]+ MB/s, [0-9:]+ left, 1 failed$' \
     "with the bytes, the rates, the time left and the failure"
like "$(cat "$TMP/err")" 'empty\.txt: empty file' "the failure itself is told as it happens"

D=$TMP/d
arca init "$D" >/dev/null
arca -C "$D" import "$IN" 2>"$TMP/err2"
is "$(grep -c '^arca: import: ' "$TMP/err2")" 0 "a short import off a terminal prints no progress line (every 10 s)"
arca init "$TMP/q" >/dev/null
arca -C "$TMP/q" import --quiet --progress 0 "$IN" 2>"$TMP/err3"
is "$(grep -c '^arca: import: ' "$TMP/err3")" 0 "--quiet shows none"
arca init "$TMP/j" >/dev/null
arca -C "$TMP/j" import --json --progress 0 "$IN" 2>"$TMP/err4" >/dev/null
is "$(grep -c '^arca: import: ' "$TMP/err4")" 0 "nor does --json off a terminal"

# A dry run says what each file would be: its type and encoding.
arca init "$TMP/dry" >/dev/null
arca -C "$TMP/dry" import --dry-run "$IN" >"$TMP/dry.out" 2>/dev/null
is "$(grep -c . "$TMP/dry.out")" 7 "--dry-run lists each file it would import"
like "$(grep '/more/n1.txt' "$TMP/dry.out")" '/more/n1\.txt	text/plain, US-ASCII$' "with its type and encoding"
arca -C "$TMP/dry" import --dry-run --json "$IN" >"$TMP/dry.json" 2>/dev/null
is "$(jq -r '[.report[] | .outcome] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' <"$TMP/dry.json")" \
   "failed 1, imported 7" "--json gives the same report, the failure included"

# On a terminal (script(1) gives the import one): redrawn in place.
if command -v script >/dev/null 2>&1; then
    arca init "$TMP/t" >/dev/null
    script -qec "\"$ARCA\" -C \"$TMP/t\" import \"$IN\"" /dev/null >"$TMP/tty" 2>&1
    like "$(tr '\r' '\n' <"$TMP/tty" | grep -a 'files/s' | tail -1)" \
         '^.\[K[0-9]+/8 files, .* left, [01] failed  [^ ]' "a terminal sees the line redrawn, with the file at hand"
    is "$(grep -ac 'arca: import: ' "$TMP/tty")" 0 "and no plain lines"
else
    skip "no script(1) to give the import a terminal"
    skip "no script(1)"
fi
done_testing

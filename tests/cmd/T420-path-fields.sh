#!/bin/bash
# arca import --fields-from-path PATTERN: folder names below each PATH
# become fields (BOARD, YEAR, TAG, other words extra fields), * is one
# component, ** any number; a path that does not match keeps its fields;
# a sidecar or a manifest beats the path; a date in the content within
# the path's year is kept, being more exact.
. "$(dirname "$0")/lib.sh"
plan 13

C=$TMP/c
arca init "$C" >/dev/null
A=$TMP/archive
mkdir -p "$A/News/2019/deep/er" "$A/Events/2021" "$A/Misc/notes" "$A/News/2020"
printf 'Rice yields across the provinces.\n' >"$A/News/2019/harvest.txt"
printf 'A report filed deep down.\n' >"$A/News/2019/deep/er/buried.txt"
printf 'Paper lanterns along the river.\n' >"$A/Events/2021/lanterns.txt"
printf 'Loose notes without a year.\n' >"$A/Misc/notes/loose.txt"
printf 'Council minutes.\n' >"$A/News/2020/minutes.txt"
printf '{"board": "Council", "date": "2020-03-04"}\n' >"$A/News/2020/minutes.txt.meta.json"
printf '<html><head><title>Dated page</title><meta name="date" content="2019-06-30"></head><body>A dated page.</body></html>\n' >"$A/News/2019/dated.html"

arca -C "$C" import --quiet --fields-from-path 'BOARD/YEAR/**' "$A" 2>"$TMP/err"
is "$?" 0 "an import with path fields runs"
titles() { arca -C "$C" search --json "$1" | jq -r '[.hits[].title] | sort | join("|")'; }
is "$(titles 'board:events')" "lanterns.txt" "BOARD: the first folder is the board, searchable"
is "$(titles 'board:news year:2019')" "Dated page|buried.txt|harvest.txt" "YEAR: the second is the year; ** takes any depth"
is "$(arca -C "$C" search --json 'harvest' | jq -c '.hits[0] | [.board, .date]')" '["News","2019"]' \
   "the record's board and date"
is "$(titles 'loose')" "loose.txt" "a path that does not match is imported"
is "$(arca -C "$C" search --json 'loose' | jq -c '.hits[0] | [.board, .date]')" '[null,null]' \
   "with no fields from it (notes is no year)"
is "$(arca -C "$C" search --json 'council' | jq -c '.hits[0] | [.board, .date]')" '["Council","2020-03-04"]' \
   "a sidecar beats the path"
is "$(arca -C "$C" search --json 'dated' | jq -r '.hits[0].date')" "2019-06-30" \
   "a date in the content within the path's year is kept"

# A manifest beats the path too.
printf 'path,board\nEvents/2021/lanterns.txt,Festivals\n' >"$TMP/m.csv"
cp "$TMP/m.csv" "$A/m.csv"
arca -C "$C" import --quiet --fields-from-path 'BOARD/YEAR/**' --manifest "$A/m.csv" "$A" 2>/dev/null
is "$(arca -C "$C" search --json 'lanterns' | jq -c '.hits[0] | [.board, .date]')" '["Festivals","2021"]' \
   "a manifest beats the path, field by field"

# One component per star, literals, TAG and extra fields.
C2=$TMP/c2
arca init "$C2" >/dev/null
arca -C "$C2" import --quiet --fields-from-path 'News/YEAR/TAG/SHELF/*' "$A" 2>/dev/null
is "$(arca -C "$C2" search --json 'buried' | jq -c '.hits[0] | [.date, .board]')" '["2019",null]' \
   "a literal folder name must match; the rest by position"
ID=$(arca -C "$C2" search --json 'buried' | jq -r '.hits[0].id')
is "$(arca -C "$C2" show --json "$ID" | jq -c '[.tags, .extra.shelf]')" '[["deep"],"er"]' \
   "TAG gives a tag, another word an extra field"
is "$(arca -C "$C2" search --json 'harvest' | jq -r '.hits[0].date')" "null" \
   "a path shorter than the pattern gets nothing"

# A pattern without a field is refused with the reason.
arca -C "$C2" import --fields-from-path 'board/year/**' "$A" 2>"$TMP/err"
like "$(cat "$TMP/err")" "names no field: field names are upper-case words" "a pattern without fields is refused"
done_testing

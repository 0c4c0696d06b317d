#!/bin/bash
# arca import --manifest FILE.csv: a catalogue's columns become the
# fields of the files it lists, searchable; its headers renamed by
# --manifest-map; given alone, its files are the import; a listed file
# that is not there fails, naming the manifest's line; a malformed
# manifest names its file and line; a file's own sidecar beats the
# manifest; a changed row re-imports the file.
. "$(dirname "$0")/lib.sh"
plan 17

C=$TMP/c
arca init "$C" >/dev/null
M=$TMP/cat
mkdir -p "$M/files/old"
printf 'Rice yields across the northern provinces.\n' >"$M/files/harvest.txt"
printf 'Paper lanterns along the river.\n' >"$M/files/old/lanterns.txt"
printf 'Minutes of the spring meeting.\n' >"$M/files/minutes.txt"
printf '{"title": "Spring minutes (sidecar)", "author": "Sidecar Kim"}\n' >"$M/files/minutes.txt.meta.json"
printf 'A file the catalogue does not list.\n' >"$M/files/unlisted.txt"
# A BOM, CRLF, quoted commas and doubled quotes, German headers.
printf '\xef\xbb\xbfDatei,Titel,Autor,Datum,board,tags,shelf\r\n' >"$M/catalogue.csv"
printf 'files/harvest.txt,"Harvest, ""northern"" report",Lee Jiwon,2019-05-02,Agriculture,"crops,yield",A-12\r\n' >>"$M/catalogue.csv"
printf 'files/old/lanterns.txt,Lantern festival,Park,1998,Events,,B-3\r\n' >>"$M/catalogue.csv"
printf 'files/minutes.txt,Spring minutes (manifest),Manifest Lee,2020,Council,,\r\n' >>"$M/catalogue.csv"
printf 'files/lost.pdf,A lost report,,,,,\r\n' >>"$M/catalogue.csv"
MAP='Datei=path,Titel=title,Autor=author,Datum=date'
LOG=$TMP/log.jsonl

# The manifest alone: its files are the import.
arca -C "$C" import --quiet --log "$LOG" --manifest "$M/catalogue.csv" --manifest-map "$MAP" 2>"$TMP/err"
is "$?" 0 "a manifest alone is an import of its files"
titles() { arca -C "$C" search --json "$1" | jq -r '[.hits[].title] | sort | join("|")'; }
is "$(titles 'title:northern')" 'Harvest, "northern" report' "its title lands, quotes and commas intact, and is searchable"
is "$(titles 'author:jiwon')" 'Harvest, "northern" report' "author:"
is "$(titles 'board:events')" 'Lantern festival' "board:"
is "$(titles 'year:1998')" 'Lantern festival' "year: from the date column"
is "$(arca -C "$C" search --json 'title:harvest' | jq -c '.hits[0].date')" '"2019-05-02"' "the full date"
ID=$(arca -C "$C" search --json 'title:harvest' | jq -r '.hits[0].id')
is "$(arca -C "$C" show --json "$ID" | jq -c '[.tags, .extra.shelf]')" '[["crops","yield"],"A-12"]' \
   "tags split at commas; another column is an extra field"
is "$(titles 'title:minutes')" 'Spring minutes (sidecar)' "the file's own sidecar beats the manifest"
is "$(titles 'board:council')" 'Spring minutes (sidecar)' "field by field: the manifest's board stays"
is "$(jq -r --arg p "$M/files/lost.pdf" 'select(.path == $p) | .outcome + ": " + .error' "$LOG")" \
   "failed: listed in $M/catalogue.csv:5 but not there: No such file or directory" \
   "a listed file that is not there fails, naming the manifest's line"
is "$(titles 'unlisted')" "" "a file it does not list is not imported when the manifest is alone"

# With a folder: the manifest gives fields to the files it lists; others
# get none, and the manifest itself is not imported.
arca -C "$C" import --quiet --log "$LOG" --manifest "$M/catalogue.csv" --manifest-map "$MAP" "$M" 2>/dev/null
is "$(titles 'unlisted')" "unlisted.txt" "with PATHs, an unlisted file is imported without fields"
is "$(jq -r --arg p "$M/catalogue.csv" 'select(.path == $p) | .outcome' "$LOG")" "skipped" \
   "the manifest itself is skipped"
is "$(jq -r --arg p "$M/files/harvest.txt" 'select(.path == $p) | .outcome' "$LOG" | tail -1)" "unchanged" \
   "a listed file with the same row is unchanged"

# A changed row re-imports its file.
sed -i 's/Lantern festival/Lantern festival of 1998/' "$M/catalogue.csv"
arca -C "$C" import --quiet --manifest "$M/catalogue.csv" --manifest-map "$MAP" 2>/dev/null
is "$(titles 'board:events')" 'Lantern festival of 1998' "a changed row changes the record"

# Malformed: the file and the line are named, nothing is imported.
printf 'path,title\nfiles/harvest.txt,"ok"\nfiles/x.txt,bad "quote\n' >"$TMP/bad.csv"
arca -C "$C" import --manifest "$TMP/bad.csv" 2>"$TMP/err"
like "$(cat "$TMP/err")" "$TMP/bad.csv:3: a quote inside an unquoted field" "a malformed manifest names its file and line"
printf 'name,title\nx.txt,y\n' >"$TMP/nopath.csv"
arca -C "$C" import --manifest "$TMP/nopath.csv" 2>"$TMP/err"
like "$(cat "$TMP/err")" "no column names the files" "a manifest without a file column says so"
done_testing

#!/bin/bash
# The command line: help, version, usage errors and missing collections.
. "$(dirname "$0")/lib.sh"
plan 16

like "$(arca version)" '^arca [0-9]+\.[0-9]+' "version prints a version"
like "$(env -u OMP_THREAD_LIMIT "$ARCA" version)" '^arca [0-9]+\.[0-9]+' \
     "started without OMP_THREAD_LIMIT, arca sets it and starts again"
like "$(arca help)" 'import' "help lists the commands"
like "$(arca help search)" 'usage: arca search' "help COMMAND shows its usage"

arca frobnicate >/dev/null 2>"$TMP/err"; is "$?" 2 "an unknown command is a usage error (2)"
like "$(cat "$TMP/err")" "no command 'frobnicate'" "and says which"

arca -C "$TMP/none" search foo >/dev/null 2>"$TMP/err"; is "$?" 1 "a missing collection fails (1)"
like "$(cat "$TMP/err")" "$TMP/none: not an arca collection" "naming the directory"

arca init "$TMP/c" >/dev/null
arca init "$TMP/c" >/dev/null 2>"$TMP/err"; is "$?" 1 "init refuses an existing collection"
arca -C "$TMP/c" search --limit x foo >/dev/null 2>&1; is "$?" 2 "a bad --limit is a usage error"
ARCA_DIR=$TMP/c arca search anything >/dev/null; is "$?" 0 "ARCA_DIR names the collection"
is "$(arca formats --json | jq -r '.formats[] | select(.type == "text/html") | .indexer')" html \
   "formats names the indexer of each type"
like "$(arca formats)" 'text/plain +text' "and lists them as text"
is "$(arca formats --json | jq -r '[.formats[] | select(.ocr) | .indexer] | unique | join(" ")')" \
   "image pdf" "images and PDFs are the formats OCR reads more of"
# The languages tesseract has here, as its own data directory lists them.
want=$(for l in kor eng chi_sim jpn rus; do
           ls /usr/share/tesseract-ocr/*/tessdata/$l.traineddata >/dev/null 2>&1 && echo $l
       done | paste -sd' ')
is "$(arca formats --json | jq -r '.ocr.languages | join(" ")')" "$want" \
   "formats tells which OCR languages are installed"
is "$(arca formats --json | jq -r '.filters | length')" 0 "and that no filter program is run"
done_testing

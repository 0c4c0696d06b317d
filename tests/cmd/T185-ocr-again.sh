#!/bin/bash
# Files first imported without OCR are read again when --ocr is given
# later, and only those: the rest stays unchanged and is not even read.
. "$(dirname "$0")/lib.sh"

C=$TMP/c
arca init "$C" >/dev/null
mkdir -p "$TMP/in"
cp "$DATA/images/scan-mixed-titles.png" "$DATA/images/README.md" "$TMP/in/"
plan 6

arca -C "$C" import --json "$TMP/in" >"$TMP/1.json"
is "$(jq -r .records <"$TMP/1.json")" 2 "without OCR, both files are records"
is "$(arca -C "$C" search --json '"Context Help"' | jq -r .total)" 0 \
   "the scan's words are not found yet"

arca -C "$C" import --ocr --json "$TMP/in" >"$TMP/2.json"
is "$(jq -r '[.records, .unchanged] | join(" ")' <"$TMP/2.json")" "1 1" \
   "with --ocr, the image is read again and the text file is left alone"
is "$(arca -C "$C" search --json '"Context Help"' | jq -r '.hits[0].title')" \
   scan-mixed-titles.png "now the scan is found by its printed words"

arca -C "$C" import --ocr --json "$TMP/in" >"$TMP/3.json"
is "$(jq -r '[.records, .unchanged] | join(" ")' <"$TMP/3.json")" "0 2" \
   "a third run with --ocr finds nothing to do"
ok "fsck is clean" arca -C "$C" fsck
done_testing

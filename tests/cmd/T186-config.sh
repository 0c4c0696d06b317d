#!/bin/bash
# A collection's config.lua gives the defaults of its imports (OCR and its
# languages, threads, file size); options on the command line win; a
# broken or hostile config.lua stops the import with its name and line.
. "$(dirname "$0")/lib.sh"
plan 11

C=$TMP/c
arca init "$C" >/dev/null
mkdir -p "$TMP/in"
cp "$DATA/images/scan-mixed-titles.png" "$TMP/in/"

like "$(cat "$C/config.lua")" 'ocr_langs' "a new collection's config.lua shows the settings it takes"
ok "and an import reads it as it is" arca -C "$C" import --quiet --dry-run "$TMP/in"

cat >"$C/config.lua" <<'LUA'
return { import = { ocr = true, ocr_langs = "eng", jobs = 1 } }
LUA
arca -C "$C" import --quiet "$TMP/in"
is "$(arca -C "$C" search --json '"Context Help"' | jq -r '.hits[0].title')" scan-mixed-titles.png \
   "ocr = true in config.lua reads the scan without --ocr"

D=$TMP/d
arca init "$D" >/dev/null
cp "$C/config.lua" "$D/config.lua"
arca -C "$D" import --quiet --no-ocr "$TMP/in"
is "$(arca -C "$D" search --json '"Context Help"' | jq -r .total)" 0 "--no-ocr wins over config.lua"

cat >"$C/config.lua" <<'LUA'
return { import = { max_file_size = 100 } }
LUA
cp "$DATA/images/README.md" "$TMP/in/notes.md"
arca -C "$C" import --json "$TMP/in" >"$TMP/m.json"
like "$(jq -r '.warnings[] | select(.path | endswith("notes.md")) | .warning' <"$TMP/m.json")" \
     'over the extraction limit of 100 ' "max_file_size keeps larger files from extraction"

# fails CONFIG PATTERN DESCRIPTION: an import under CONFIG stops (status 1)
# with a message matching PATTERN.
fails() {
    printf '%s\n' "$1" >"$C/config.lua"
    arca -C "$C" import "$TMP/in" >/dev/null 2>"$TMP/err"
    st=$?
    like "$st $(cat "$TMP/err")" "^1 .*$2" "$3"
}
fails 'return { import = { orc = true } }' "config.lua: import.orc: no such setting" \
      "a misspelt setting is named"
fails 'return { import = { ocr = "yes" } }' "import.ocr: string is not a boolean" \
      "a setting of the wrong type is named"
fails "return { import = {" "config.lua:2: unexpected symbol" "a syntax error names the line"
fails "$(printf 'local n = 0\nwhile true do n = n + 1 end')" "config.lua:2: runs too long" \
      "an endless loop is stopped"
fails 'local t = {} for i = 1, 1e8 do t[i] = i end return t' "uses more than 16 MiB" \
      "memory is capped"
fails 'return { import = { ocr = io.open("/etc/passwd") ~= nil } }' "global 'io'" \
      "config.lua cannot reach files"
done_testing

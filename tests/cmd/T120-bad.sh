#!/bin/bash
# Malformed and hostile files: each is named with a reason, the import
# goes on, memory stays bounded, nothing is written outside the collection.
. "$(dirname "$0")/lib.sh"
plan 11

C=$TMP/work/c
mkdir -p "$TMP/work"
arca init "$C" >/dev/null
cp -r "$DATA/bad" "$TMP/work/bad"
cp "$DATA/sotu/1790_george_washington_n.txt" "$TMP/work/bad/zz-good.txt"
if [ -z "${ARCA_SANITIZE:-}" ] && [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$TMP/rss" "$ARCA" -C "$C" import --json "$TMP/work/bad" >"$TMP/sum.json"
    st=$?
else
    arca -C "$C" import --json "$TMP/work/bad" >"$TMP/sum.json"; st=$?
fi
is "$st" 0 "the import runs through"
reasons() { jq -r --arg p "$1" '(.errors + .warnings)[] | select(.path | endswith($p)) | (.error // .warning)' <"$TMP/sum.json"; }
like "$(reasons empty.txt)" 'empty' "empty.txt: said to be empty"
like "$(reasons invalid-utf8.txt)" 'invalid UTF-8' "invalid-utf8.txt: bad sequences reported"
like "$(reasons not-a-zip.docx)" 'named \.docx but its content is text/plain' "not-a-zip.docx: name and content disagree"
like "$(reasons path-traversal.zip)" 'unsafe name "../../evil.txt" kept as "evil.txt"' "path-traversal.zip: its climbing member name reported"
like "$(reasons truncated.pdf)" 'pdf: damaged PDF' "truncated.pdf: reported as damaged, and archived"
is "$(json .failed <"$TMP/sum.json")" 1 "only the empty file failed"
is "$(arca -C "$C" search --json 'fellow citizens' | json .total)" 1 "the good file after the bad ones was imported"
arca -C "$C" search --json 'lone continuation' >/dev/null
is "$?" 0 "text with invalid UTF-8 is searchable without error"
is "$(find "$TMP" -name 'evil.txt' | wc -l)" 0 "nothing written outside the collection"
if [ -f "$TMP/rss" ]; then
    rss=$(tail -1 "$TMP/rss")
    ok "peak memory under 128 MiB ($rss KiB)" test "$rss" -lt 131072
else
    skip "peak memory not measured under sanitizers"
fi
done_testing

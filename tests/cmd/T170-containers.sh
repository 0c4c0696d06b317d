#!/bin/bash
# Containers: every member becomes a part of the record, found and fetched
# by its path inside; hostile names and decompression bombs are refused
# with a reason, within bounded memory, and nothing is written outside.
. "$(dirname "$0")/lib.sh"
plan 12

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --json "$DATA/archives" >"$TMP/sum.json"
is "$(jq -r '[.files, .records, .failed] | join(" ")' <"$TMP/sum.json")" "2 2 0" \
   "two containers, two records"
zip=$(arca -C "$C" search --json 'title:bundle.zip' | jq -r '.hits[0].id')
is "$(arca -C "$C" show --json "$zip" | jq '.parts | length')" 11 \
   "bundle.zip: its 7 members and the 3 of the zip inside it are parts"
arca -C "$C" search --json '"fellow citizens"' >"$TMP/s.json"
is "$(jq -r '.hits[0].part' <"$TMP/s.json")" "bundle/sotu/1790_george_washington_n.txt" \
   "a word of a member finds the record and names the member"
arca -C "$C" search --json 'ham-sample' >"$TMP/k.json"
like "$(jq -r '.hits[].part' <"$TMP/k.json")" "inner-attachments.zip/첨부/ham-sample.list" \
   "a member of the zip inside the zip, its Korean folder name intact"
arca -C "$C" get "$zip/bundle/sotu/1790_george_washington_n.txt" >"$TMP/m.txt"
ok "get ID/PATH-INSIDE returns the member's bytes" cmp "$TMP/m.txt" "$DATA/sotu/1790_george_washington_n.txt"
tgz=$(arca -C "$C" search --json 'title:export.tar.gz' | jq -r '.hits[0].id')
like "$(arca -C "$C" show --json "$tgz" | jq -r '.parts[].name')" 'export/2024/html/ru/filters-blur.html' \
   "a gzipped tar's members are parts too"

# Hostile names: members named ../../evil.txt are only names.
mkdir -p "$TMP/work/in"
cp "$DATA/bad/path-traversal.zip" "$TMP/work/in/"
arca init "$TMP/work/c" >/dev/null
(cd "$TMP/work/c" && "$ARCA" import -q ../in)
pt=$(arca -C "$TMP/work/c" search --json 'title:path-traversal.zip' | jq -r '.hits[0].id')
is "$(arca -C "$TMP/work/c" show --json "$pt" | jq -r '[.parts[1:][].name] | sort | join(" ")')" \
   "evil.txt readme.txt tmp/absolute-evil.txt" "member names are cleaned of .. and /"
is "$(find "$TMP" -name '*evil*' | wc -l)" 0 "and nothing was written for them"

# Decompression bombs: 40 MiB of one line in 40 KB (a thousandfold), and
# a tar of 512 MiB of zeros.
yes | head -c 40M | gzip -9 >"$TMP/work/in/lines.txt.gz"
truncate -s 512M "$TMP/work/big.bin"
tar -C "$TMP/work" -czf "$TMP/work/in/bomb.tar.gz" big.bin
rm -f "$TMP/work/big.bin" "$TMP/work/in/path-traversal.zip"
if [ -z "${ARCA_SANITIZE:-}" ] && [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$TMP/rss" "$ARCA" -C "$TMP/work/c" import --json "$TMP/work/in" >"$TMP/b.json"
else
    arca -C "$TMP/work/c" import --json "$TMP/work/in" >"$TMP/b.json"
fi
is "$(jq -r '.failed' <"$TMP/b.json")" 0 "bombs are archived, not failed"
like "$(jq -r '.warnings[] | select(.path | endswith("bomb.tar.gz")) | .warning' <"$TMP/b.json")" \
     'big.bin: refused: ' "the tar bomb's member is refused"
like "$(jq -r '.warnings[] | select(.path | endswith("lines.txt.gz")) | .warning' <"$TMP/b.json")" \
     'lines.txt: refused: .*bomb' "so is the gzip bomb's, as a bomb"
if [ -f "$TMP/rss" ]; then
    rss=$(tail -1 "$TMP/rss")
    ok "peak memory under 256 MiB ($rss KiB)" test "$rss" -lt 262144
else
    skip "peak memory not measured under sanitizers"
fi
done_testing

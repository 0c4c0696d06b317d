#!/bin/bash
# Files above the extraction limit (--max-file-size, import.max_file_size)
# are archived whole by streaming, in flat memory: detected by their first
# bytes, found by their names and fields, with a note saying why they have
# no text; identical big files are kept once.
. "$(dirname "$0")/lib.sh"
plan 15

IN=$TMP/in
mkdir -p "$IN/post"
head -c 3000000 /dev/urandom | base64 >"$IN/server.log"     # about 4 MB of text
cp "$IN/server.log" "$IN/server-copy.log"
printf 'The harvest festival was held in Andong.\n' >"$IN/note.txt"
printf 'Photographs of the festival are attached.\n' >"$IN/post/index.txt"
head -c 2000000 /dev/urandom >"$IN/post/video.bin"
printf '{"title": "Festival photographs"}\n' >"$IN/post.meta.json"

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --json --max-file-size 1000000 "$IN" >"$TMP/s.json"
is "$(jq -r '[.files, .records, .failed] | join(" ")' <"$TMP/s.json")" "4 4 0" \
   "files over the limit are imported, not refused"
like "$(jq -r '.warnings[] | .path + ": " + .warning' <"$TMP/s.json" | grep /server.log)" \
     "in/server\.log: not read for its text: [0-9]+ bytes is over the extraction limit of 1000000" \
     "the warning names the file, its size and the limit"

id=$(arca -C "$C" search --json 'server' | jq -r '[.hits[].id] | sort | .[0]')
like "$id" '^server-' "a big file is found by its name"
arca -C "$C" show --json "$id" >"$TMP/r.json"
is "$(jq -r '.parts[0].type' <"$TMP/r.json")" "text/plain" "its type comes from its first bytes"
like "$(jq -r '.parts[0].note' <"$TMP/r.json")" "not read for its text" "its part says why it has no text"
arca -C "$C" get "$id" >"$TMP/out"
ok "get returns the original byte for byte" cmp "$TMP/out" "$IN/server.log"
is "$(arca -C "$C" search --json 'Andong' | jq -r .total)" 1 "small files beside it are read as usual"

loose=$(find "$C/objects" -path "$C/objects/pack" -prune -o -type f -print | wc -l | tr -d ' ')
is "$loose" 2 "two identical big files and a big attachment: two objects outside the packs"

pid=$(arca -C "$C" search --json 'title:festival title:photographs' | jq -r '.hits[0].id')
arca -C "$C" show --json "$pid" >"$TMP/p.json"
is "$(jq -r '[.parts[1].name, (.parts[1].note | test("not read for its text"))] | join(" ")' <"$TMP/p.json")" \
   "video.bin true" "a big attachment of a folder record is archived whole too"
arca -C "$C" get "$pid/video.bin" >"$TMP/v"
ok "and comes back byte for byte" cmp "$TMP/v" "$IN/post/video.bin"
ok "fsck is clean" arca -C "$C" fsck

arca -C "$C" import --json --max-file-size 1000000 "$IN" >"$TMP/s2.json" 2>/dev/null
is "$(jq -r '[.unchanged, .records] | join(" ")' <"$TMP/s2.json")" "4 0" "a re-run skips them unchanged"

D=$TMP/d
arca init "$D" >/dev/null
arca -C "$D" import --json --dry-run --max-file-size 1000000 "$IN" >"$TMP/d.json" 2>/dev/null
is "$(jq -r '[.files, .failed] | join(" ")' <"$TMP/d.json")" "4 0" "--dry-run reports them"
is "$(find "$D/objects" -type f | wc -l | tr -d ' ')" 0 "and archives nothing"

# Memory stays flat: a file larger than what the import may hold.
if [ -n "${ARCA_SANITIZE:-}" ]; then
    skip "peak memory is not measured under the sanitizers"
else
    M=$TMP/m
    mkdir -p "$M/in"
    truncate -s 300M "$M/in/disk.img"
    arca init "$M/c" >/dev/null
    /usr/bin/time -f '%M' -o "$TMP/rss" "$ARCA" -C "$M/c" import --quiet "$M/in" 2>/dev/null \
        --max-file-size 1000000
    rss=$(tail -1 "$TMP/rss")
    ok "a 300 MB file is archived with a peak of ${rss} KiB" test "$rss" -lt 120000
fi
done_testing

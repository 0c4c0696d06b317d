#!/bin/bash
# fsck proves the archive whole and names what is wrong; reindex rebuilds
# the index from the archive alone.
. "$(dirname "$0")/lib.sh"
plan 9

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$DATA/sotu" "$DATA/announcement"
ok "a fresh collection passes fsck" arca -C "$C" fsck

arca -C "$C" search --json --limit 100 'the' | jq -c '[.total, [.hits[].id]]' >"$TMP/before"
rm -rf "$C/index"
arca -C "$C" search x >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" "reindex" "a missing index says to run reindex"
ok "reindex rebuilds it" arca -C "$C" reindex
arca -C "$C" search --json --limit 100 'the' | jq -c '[.total, [.hits[].id]]' >"$TMP/after"
ok "search results after reindex equal those before" cmp "$TMP/before" "$TMP/after"
ok "and fsck is clean" arca -C "$C" fsck

# Damage one object: flip a byte in the middle of its file.
obj=$(find "$C/objects" -type f ! -name 'tmp*' | head -1)
hex=$(basename "$(dirname "$obj")")$(basename "$obj")
chmod u+w "$obj"
size=$(stat -c %s "$obj")
printf '\x55' | dd of="$obj" bs=1 seek=$((size / 2)) conv=notrunc status=none
arca -C "$C" fsck >"$TMP/out" 2>&1; st=$?
is "$st" 1 "fsck fails on a damaged object"
like "$(cat "$TMP/out")" "object $hex" "and names it"

rm -f "$obj"
arca -C "$C" fsck --json >"$TMP/f.json"
like "$(json '.problems[]' <"$TMP/f.json")" "object $hex: missing" "a missing object is named"
is "$(json .ok <"$TMP/f.json")" false "fsck --json says not ok"
done_testing

#!/bin/bash
# fsck proves the archive whole and names what is wrong; reindex rebuilds
# the index from the archive alone.
. "$(dirname "$0")/lib.sh"
plan 10

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

# Damage a packed object: flip a byte inside its zlib stream.
read -r hex pack off zsize <<<"$(sqlite3 -separator ' ' "$C/catalog.db" \
    "SELECT sha256, pack, offset, zsize FROM objects WHERE pack IS NOT NULL LIMIT 1")"
P=$C/objects/pack/$pack
chmod u+w "$P"
printf '\x55' | dd of="$P" bs=1 seek=$((off + 48 + zsize / 2)) conv=notrunc status=none
arca -C "$C" fsck >"$TMP/out" 2>&1; st=$?
is "$st" 1 "fsck fails on a damaged packed object"
like "$(cat "$TMP/out")" "object $hex: corrupt" "and names it"

# A loose object (from add) damaged, then gone.
id=$(arca -C "$C" add --title "Loose one" --text "a body of its own")
obj=$(find "$C/objects" -path "$C/objects/pack" -prune -o -type f ! -name 'tmp*' -print | head -1)
lhex=$(basename "$(dirname "$obj")")$(basename "$obj")
chmod u+w "$obj"
printf 'garbage' >>"$obj"
like "$(arca -C "$C" fsck 2>&1)" "object $lhex: corrupt" "a damaged loose object is named"
rm -f "$obj"
arca -C "$C" fsck --json >"$TMP/f.json"
like "$(json '.problems[]' <"$TMP/f.json")" "object $lhex: missing" "a missing object is named"
is "$(json .ok <"$TMP/f.json")" false "fsck --json says not ok"
done_testing

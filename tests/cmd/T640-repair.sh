#!/bin/bash
# A damaged archive: fsck names each problem, and `fsck --repair`
# rebuilds what the archive can give back and lists what it cannot.
# Damage here: a flipped byte in an original, a text and a record object;
# a missing object; a catalog cut short, overwritten in the middle, or
# gone; an index deleted or overwritten; versions without record objects.
. "$(dirname "$0")/lib.sh"
plan 41

SRC=$TMP/src
mkdir -p "$SRC"
cp -r "$DATA/sotu" "$DATA/announcement" "$DATA/archives/bundle.zip" "$SRC/"
# A file that reads like a record object: never taken for one.
printf '%s' '{"arca":"record","format":1,"id":"forged","version":1,"created":"2020-01-01T00:00:00Z","deleted":0,"title":"Forged","date":null,"author":null,"board":null,"lang":null,"source":null,"tags":null,"extra":null,"parts":[]}' >"$SRC/forged.json"
C0=$TMP/c0
arca init "$C0" >/dev/null
arca -C "$C0" import --quiet "$SRC"
arca -C "$C0" add --title "Loose one" --text "a body of its own, loosely kept" >/dev/null
ok "a fresh collection passes fsck" arca -C "$C0" fsck

# What a user sees: totals and hits of a few queries, and every record.
QUERIES=('union' '"State of the Union"' 'Gyeongju OR bundle' 'loosely' 'year:1790..1870')
seen() {  # DIR
    for q in "${QUERIES[@]}"; do
        arca -C "$1" search --json --limit 100 "$q" | jq -c '[.total, ([.hits[] | [.id, .title, .snippet]] | sort)]'
    done
    for id in $(arca -C "$1" search --json --limit 1000 '' | jq -r '.hits[].id' | sort); do
        arca -C "$1" show --json "$id" | jq -c 'del(.seq)'
    done
}
seen "$C0" >"$TMP/seen0"
nrec=$(arca -C "$C0" stats --json | json .records)

fresh() { rm -rf "$TMP/c" && cp -a "$C0" "$TMP/c"; C=$TMP/c; }
# obj KIND: the hash, pack and offset of one packed object of that kind.
obj() {
    sqlite3 -separator ' ' "$C/catalog.db" "SELECT o.sha256, o.pack, o.offset, o.zsize FROM objects o
        WHERE o.pack IS NOT NULL AND o.sha256 IN ($1) ORDER BY o.sha256 LIMIT 1"
}
# flip PACK OFFSET ZSIZE: one byte in the middle of that entry's stream.
flip() {
    local p=$C/objects/pack/$1
    chmod u+w "$p"
    printf '\x55' | dd of="$p" bs=1 seek=$(($2 + 48 + $3 / 2)) conv=notrunc status=none
}
repair() { arca -C "$C" fsck --repair --json >"$TMP/r.json" 2>"$TMP/r.err"; echo $? >"$TMP/r.st"; }

# ---- An original damaged, its file still where it was imported from ----
fresh
read -r hex pack off zsize <<<"$(obj "SELECT original FROM parts p JOIN versions v USING (seq) WHERE v.id LIKE '1850_%'")"
flip "$pack" "$off" "$zsize"
like "$(arca -C "$C" fsck 2>&1)" "object $hex: corrupt" "fsck names a damaged original"
repair
is "$(cat "$TMP/r.st")" 0 "repair succeeds"
like "$(jq -r '.fixed[]' "$TMP/r.json")" "object $hex: restored from .*1850_millard_fillmore_w.txt" \
    "the original is restored from the file it was imported from"
ok "fsck is clean after" arca -C "$C" fsck
arca -C "$C" get "$(arca -C "$C" search --json 'year:1850' | json '.hits[0].id')" -o "$TMP/got"
ok "and the original reads back byte for byte" cmp "$TMP/got" "$SRC/sotu/1850_millard_fillmore_w.txt"

# ---- The same with the file gone: lost, and said so ----
fresh
flip "$pack" "$off" "$zsize"
mv "$SRC/sotu/1850_millard_fillmore_w.txt" "$TMP/away.txt"
repair
is "$(cat "$TMP/r.st")" 1 "with no copy left, repair fails"
like "$(jq -r '.lost[]' "$TMP/r.json")" "object $hex: the original of record 1850_millard_fillmore_w-[0-9a-f]+ .*no copy is left" \
    "and lists the original as lost, naming its record"
like "$(jq -r '.problems[]' "$TMP/r.json")" "object $hex: corrupt" "fsck's problem is still reported"
is "$(arca -C "$C" search --json union | json .total)" "$(arca -C "$C0" search --json union | json .total)" \
    "the record is still found by its text"
mv "$TMP/away.txt" "$SRC/sotu/1850_millard_fillmore_w.txt"

# ---- A text object damaged: extracted again from its original ----
fresh
read -r hex pack off zsize <<<"$(obj "SELECT text FROM parts p JOIN versions v USING (seq) WHERE v.id LIKE 'bundle-%' AND p.text != p.original")"
flip "$pack" "$off" "$zsize"
like "$(arca -C "$C" fsck 2>&1)" "object $hex: corrupt" "fsck names a damaged text"
rm -f "$SRC/sotu/1862_abraham_lincoln_r.txt.moved"
repair
is "$(cat "$TMP/r.st")" 0 "repair succeeds"
like "$(jq -r '.fixed[]' "$TMP/r.json")" "object $hex: the text of record bundle-.*extracted again" \
    "the text is extracted again from its original"
ok "fsck is clean after" arca -C "$C" fsck
seen "$C" >"$TMP/seen"
ok "and everything reads as before" cmp "$TMP/seen0" "$TMP/seen"

# ---- A record object damaged: written again from the catalog ----
fresh
read -r hex pack off zsize <<<"$(obj "SELECT manifest FROM versions")"
flip "$pack" "$off" "$zsize"
like "$(arca -C "$C" fsck 2>&1)" "object $hex: corrupt" "fsck names a damaged record object"
repair
is "$(cat "$TMP/r.st")" 0 "repair succeeds"
like "$(jq -r '.fixed[]' "$TMP/r.json")" "record objects written" "the record object is written again"
ok "fsck is clean after" arca -C "$C" fsck

# ---- A loose object missing ----
fresh
lhex=$(sqlite3 "$C/catalog.db" "SELECT original FROM parts p JOIN versions v USING (seq) WHERE v.title = 'Loose one'")
rm -f "$C/objects/${lhex:0:2}/${lhex:2}"
like "$(arca -C "$C" fsck 2>&1)" "object $lhex: missing" "fsck names a missing object"
repair
like "$(jq -r '.lost[]' "$TMP/r.json")" "object $lhex: the original of record loose-one" \
    "repair lists it as lost (it was never a file)"

# ---- The catalog cut short ----
fresh
sqlite3 "$C/catalog.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
truncate -s 8192 "$C/catalog.db"
arca -C "$C" fsck >"$TMP/out" 2>&1; st=$?
is "$st" 1 "fsck fails on a catalog cut short"
like "$(cat "$TMP/out")" "catalog .*malformed" "and says the catalog is damaged"
repair
is "$(cat "$TMP/r.st")" 0 "repair succeeds"
like "$(jq -r '.fixed[]' "$TMP/r.json")" "catalog rebuilt: $nrec records" "the catalog is rebuilt with every record"
ok "the damaged catalog is kept aside" test -n "$(ls "$C"/catalog.db.damaged-* 2>/dev/null)"
seen "$C" >"$TMP/seen"
ok "everything reads as before: searches, records, versions' dates" cmp "$TMP/seen0" "$TMP/seen"
ok "fsck is clean" arca -C "$C" fsck

# ---- The catalog overwritten in the middle ----
fresh
sqlite3 "$C/catalog.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
pages=$(( $(stat -c %s "$C/catalog.db") / 4096 ))
dd if=/dev/urandom of="$C/catalog.db" bs=4096 seek=$((pages / 2)) count=2 conv=notrunc status=none
repair
is "$(cat "$TMP/r.st")" 0 "a catalog with garbage in the middle is repaired"
seen "$C" >"$TMP/seen"
ok "and everything reads as before" cmp "$TMP/seen0" "$TMP/seen"

# ---- The catalog gone: the objects alone ----
fresh
rm -f "$C"/catalog.db*
repair
is "$(cat "$TMP/r.st")" 0 "a collection whose catalog is gone is rebuilt from its objects"
seen "$C" >"$TMP/seen"
ok "and everything reads as before" cmp "$TMP/seen0" "$TMP/seen"
arca -C "$C" show forged >/dev/null 2>&1; st=$?
is "$st" 1 "a file that reads like a record object is not taken for one"
ok "a later import of the same files adds nothing" bash -c \
    "'$ARCA' -C '$C' import --json '$SRC' | jq -e '.records == 0'"

# ---- The index deleted, or overwritten ----
fresh
rm -rf "$C/index"
like "$(arca -C "$C" fsck 2>&1)" "index" "fsck names a missing index"
repair
is "$(cat "$TMP/r.st")" 0 "repair rebuilds it"
seen "$C" >"$TMP/seen"
ok "and everything reads as before" cmp "$TMP/seen0" "$TMP/seen"
fresh
for f in "$C"/index/*.glass; do head -c 8192 /dev/urandom >"$f"; done
repair
seen "$C" >"$TMP/seen"
ok "an index overwritten with garbage is rebuilt too" cmp "$TMP/seen0" "$TMP/seen"

# ---- Versions made before record objects were kept ----
fresh
sqlite3 "$C/catalog.db" 'UPDATE versions SET manifest = NULL'
like "$(arca -C "$C" fsck 2>&1)" "no record object" "fsck names versions without a record object"
repair
ok "repair writes them, and fsck is clean" arca -C "$C" fsck

# ---- Busy ----
fresh
flock "$C/lock" sleep 30 &
pid=$!
sleep 0.5
arca -C "$C" fsck --repair >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" "collection is busy" "repair refuses a collection another writer holds"
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done_testing

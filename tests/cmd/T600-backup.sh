#!/bin/bash
# export and restore: a collection to one tar and back.  The restored
# collection passes fsck and answers searches as the original does, with
# the same original bytes; a damaged or hostile tar is refused, naming the
# member, and leaves nothing behind; an export taken while an import runs
# restores clean; an existing file is not overwritten.
. "$(dirname "$0")/lib.sh"
plan 31

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet "$DATA/sotu" "$DATA/announcement" \
    "$DATA/archives" "$DATA/mail/attachments.eml" || echo "# import failed"
# A record added by hand: its objects are loose files, not packed.
printf 'Loose body about lighthouses and harbours.\n' >"$TMP/body.txt"
arca -C "$C" add --title "Harbour notes" --date 2024-02-03 \
    --attach "$DATA/announcement/1.JPG" "$TMP/body.txt" >"$TMP/added-id"
added=$(cat "$TMP/added-id")
# What the catalog refers to (a loose copy of a packed object is not).
loose=$(sqlite3 "$C/catalog.db" 'SELECT count(*) FROM objects WHERE pack IS NULL')
packs=$(sqlite3 "$C/catalog.db" 'SELECT count(DISTINCT pack) FROM objects')
echo "# $loose loose objects, $packs packs"

# ---- export ----
arca -C "$C" export --json "$TMP/b.tar" >"$TMP/export.json" 2>"$TMP/export.err"
is "$?" 0 "export succeeds"
is "$(json .records <"$TMP/export.json")" \
   "$(arca -C "$C" stats --json | json .records)" \
   "export --json counts the collection's records"
is "$(json .objects <"$TMP/export.json")" \
   "$(arca -C "$C" stats --json | json .objects)" \
   "and its objects"
tar tf "$TMP/b.tar" >"$TMP/members"
is "$(tail -1 "$TMP/members")" "arca-export.json" "the manifest is the last member"
is "$(grep -c '^index' "$TMP/members")" 0 "the index is not in the export"
is "$(tar xOf "$TMP/b.tar" arca-export.json | jq '.members | length')" \
   "$(($(wc -l <"$TMP/members") - 1))" "the manifest lists every other member"
is "$(grep -cE '^objects/pack/pack-[0-9a-f]{16}\.pack$' "$TMP/members"):$(
      grep -cE '^objects/[0-9a-f]{2}/[0-9a-f]{62}$' "$TMP/members")" \
   "$packs:$loose" "every pack and every loose object is a member"
ok "export --verify passes the export" arca export --verify "$TMP/b.tar"

# ---- restore ----
R=$TMP/r
arca restore --json "$TMP/b.tar" "$R" >"$TMP/restore.json"
is "$?" 0 "restore succeeds"
is "$(json .records <"$TMP/restore.json")" "$(json .records <"$TMP/export.json")" \
   "restore --json counts the records exported"
ok "the restored collection passes fsck" arca -C "$R" fsck
is "$(ls -d "$TMP"/r.restoring-* 2>/dev/null | wc -l)" 0 \
   "no staging directory is left"

results() {
    for q in union 'the year:1850..1869' 경주 lighthouses 'title:harbour' \
             '*' 'type:image/jpeg'; do
        arca -C "$1" search --json --limit 1000 --facet year --facet type \
            "$q" | jq -c '{total, facets, suggestion,
                hits: ([.hits[] | {id, title, part, snippet, attachments}]
                       | sort_by(.id, .part))}'
    done
}
results "$C" >"$TMP/s.orig"
results "$R" >"$TMP/s.rest"
ok "searches give the same ids, totals, facets and snippets" \
   cmp "$TMP/s.orig" "$TMP/s.rest"
like "$(head -c 300 "$TMP/s.orig")" '"total":[1-9]' "(and the searches find something)"

arca -C "$C" get "$added/1.JPG" >"$TMP/g.orig"
arca -C "$R" get "$added/1.JPG" >"$TMP/g.rest"
ok "get of a loose attachment returns the same bytes" \
   cmp "$TMP/g.rest" "$DATA/announcement/1.JPG"
post=$(arca -C "$C" search --json 'Gyeongju' | jq -r '.hits[0].id')
arca -C "$C" get "$post" >"$TMP/p.orig"
arca -C "$R" get "$post" >"$TMP/p.rest"
ok "get of a packed original returns the same bytes" \
   cmp -s "$TMP/p.orig" "$TMP/p.rest"
like "$(wc -c <"$TMP/p.rest")" '^[1-9]' "(and it is not empty)"

# ---- damage ----
# Flip one bit of the byte at OFFSET of FILE.
flip() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 1)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
cp "$TMP/b.tar" "$TMP/bad.tar"
# A member's data follows its 512-byte header, which opens with its name.
at=$(grep -obUa 'objects/pack/pack-' "$TMP/bad.tar" | head -1 | cut -d: -f1)
member=$(dd if="$TMP/bad.tar" bs=1 skip="$at" count=39 2>/dev/null)
flip "$TMP/bad.tar" $((at + 512 + 300))
arca restore "$TMP/bad.tar" "$TMP/r2" 2>"$TMP/bad.err"
is "$?" 1 "a tar with one flipped byte is refused"
like "$(cat "$TMP/bad.err")" "member $member: damaged" "naming the member ($member)"
ok "and no collection is left behind" \
   test ! -e "$TMP/r2" -a -z "$(ls -d "$TMP"/r2.restoring-* 2>/dev/null)"
arca export --verify "$TMP/bad.tar" 2>"$TMP/verify.err"
is "$?" 1 "export --verify finds the damage too"

# A member named ../evil, appended to a good export.
mkdir -p "$TMP/x/y"
echo evil >"$TMP/x/evil"
cp "$TMP/b.tar" "$TMP/evil.tar"
(cd "$TMP/x/y" && tar -rPf "$TMP/evil.tar" ../evil)
arca restore "$TMP/evil.tar" "$TMP/x/y/r3" 2>"$TMP/evil.err"
is "$?" 1 "a member ../evil is refused"
like "$(cat "$TMP/evil.err")" 'member \.\./evil: not a name' "naming it"
ok "nothing is restored" test ! -e "$TMP/x/y/r3" -a ! -e "$TMP/x/r3"
ln -s /etc/passwd "$TMP/x/config.lua"
(cd "$TMP/x" && tar -cf "$TMP/link.tar" config.lua)
arca restore "$TMP/link.tar" "$TMP/r4" 2>"$TMP/link.err"
like "$?:$(cat "$TMP/link.err")" '^1:.*member config.lua: a symbolic link' \
     "a symbolic link is refused"

# ---- an existing file or directory ----
sum=$(cksum <"$TMP/b.tar")
arca -C "$C" export "$TMP/b.tar" 2>"$TMP/exists.err"
like "$?:$(cat "$TMP/exists.err")" '^1:.*b\.tar: exists' \
     "export into an existing file is refused"
ok "and leaves it as it was" test "$(cksum <"$TMP/b.tar")" = "$sum"
arca restore "$TMP/b.tar" "$R" 2>"$TMP/full.err"
like "$?:$(cat "$TMP/full.err")" '^1:.*not empty' \
     "restore into a collection is refused"

# ---- an export while an import runs ----
SRC=$TMP/src
mkdir -p "$SRC"
for d in html encodings office pdf hwp mail; do
    [ -d "$DATA/$d" ] && cp -r "$DATA/$d" "$SRC/"
done
chmod -R u+w "$SRC"
"$ARCA" -C "$C" import --quiet --batch 4 "$SRC" >/dev/null 2>&1 &
pid=$!
n=0 during=0 clean=0
while [ $n -lt 3 ]; do
    n=$((n + 1))
    kill -0 "$pid" 2>/dev/null && before=1 || before=0
    arca -C "$C" export "$TMP/live$n.tar" >/dev/null || continue
    kill -0 "$pid" 2>/dev/null && [ $before = 1 ] && during=$((during + 1))
    if arca restore "$TMP/live$n.tar" "$TMP/live$n" >/dev/null &&
       arca -C "$TMP/live$n" fsck >/dev/null; then
        clean=$((clean + 1))
    fi
    rm -rf "$TMP/live$n" "$TMP/live$n.tar"
    [ $before = 1 ] || break
done
wait "$pid"
echo "# $during of $n exports ran start to end during the import"
is "$clean" "$n" "each export taken while an import runs restores fsck-clean"
ok "(at least one export overlapped the import)" test "$during" -ge 1

# ---- standard output, standard input ----
arca -C "$C" export - 2>/dev/null | arca export --verify --json - >"$TMP/pipe.json"
is "$(json .ok <"$TMP/pipe.json"):$(json .records <"$TMP/pipe.json")" \
   "true:$(arca -C "$C" stats --json | json .records)" \
   "an export to standard output verifies from standard input, every record in it"
done_testing

#!/bin/bash
# A news post added by hand with its attachment.
. "$(dirname "$0")/lib.sh"
plan 11

C=$TMP/c
arca init "$C" >/dev/null
id=$(arca -C "$C" add "$DATA/announcement/post.txt" "$DATA/announcement/1.JPG" \
       --title "Regional Governments Forum 2023 Held in Gyeongju" \
       --date 2023-12-13 --author Admin --board News --tag forum)
is "$?" 0 "add succeeds"
like "$id" '^2023-12-13-' "the id is derived from date and title"

arca -C "$C" search --json Gyeongju >"$TMP/a.json"
is "$(json '.hits[0].id' <"$TMP/a.json")" "$id" "found by a word of its body"
like "$(json '.hits[0].snippet' <"$TMP/a.json")" '<b>Gyeongju</b>' "the snippet highlights it"
is "$(json '.hits[0].attachments[0].name' <"$TMP/a.json")" "1.JPG" "the hit lists the attachment"
is "$(json '.hits[0].attachments[0].type' <"$TMP/a.json")" "image/jpeg" "with its type"

arca -C "$C" search --json 'title:forum year:2023' >"$TMP/b.json"
is "$(json '.total' <"$TMP/b.json")" 1 "title:forum year:2023 finds it"
arca -C "$C" search --json 'board:News author:admin 경주' >"$TMP/k.json"
is "$(json '.hits[0].id' <"$TMP/k.json")" "$id" "board:, author: and a Korean word together"

arca -C "$C" get "$id/1.JPG" >"$TMP/1.JPG"
ok "get ID/ATTACHMENT returns the original bytes" cmp "$TMP/1.JPG" "$DATA/announcement/1.JPG"
arca -C "$C" get "$id" >"$TMP/post.txt"
ok "get ID returns the body's original" cmp "$TMP/post.txt" "$DATA/announcement/post.txt"

if have_corpus; then
    D=$CORPUS/announcements/near-forum-2023
    id2=$(arca -C "$C" add "$D/index.txt" "$D/1.JPG" --date 2023-12-13 --author Admin \
          --board News --title "NEAR International Forum 2023 and the 14th Subcommittee on Economy and Humanities Exchange Subcommittee Held")
    arca -C "$C" search --json 'title:forum year:2023 Gyeongju' >"$TMP/c.json"
    like "$(json '[.hits[].id] | join(" ")' <"$TMP/c.json")" "$id2" "the corpus announcement is found too"
else
    skip "no shared corpus"
fi
done_testing

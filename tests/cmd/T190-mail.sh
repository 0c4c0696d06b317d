#!/bin/bash
# Mail: a message is a record (subject, sender, date, body; attachments and
# forwarded messages are parts); an mbox gives one record per message.
. "$(dirname "$0")/lib.sh"

C=$TMP/c
arca init "$C" >/dev/null
checks=12
have_corpus && checks=$((checks + 4))
plan "$checks"

# hit QUERY FILTER: a jq filter over the best hit for QUERY.
hit() { arca -C "$C" search --json --limit 1 "$1" | jq -r ".hits[0] | $2"; }

arca -C "$C" import --json "$DATA/mail" >"$TMP/sum.json"
is "$(jq -r '[.failed, .records] | join(" ")' <"$TMP/sum.json")" \
   "0 $(( $(ls "$DATA/mail" | wc -l) + 2 ))" \
   "every file imports: a record each, and three from the mbox"

is "$(hit '회의록' '.title')" "회의록 공유" "an RFC 2047 UTF-8 subject is decoded"
is "$(hit '"답장: 회의록 공유"' '.author')" "박영희 <park@example.kr>" \
   "an EUC-KR encoded-word sender is decoded"
is "$(hit '議事録' '.title')" "会議の議事録" "an ISO-2022-JP subject is decoded"
is "$(hit 'квартал' '.date')" "2023-11-17" "a KOI8-R message is found by a Russian word, and dated"

# Attachments are parts, found by their own words and fetched whole.
is "$(hit 'quarterly figures' '.title')" "Files for the meeting" \
   "a word of an attachment finds its message"
arca -C "$C" search --json --all-parts 'quarterly figures' >"$TMP/s.json"
is "$(jq -r '.hits[0].part' <"$TMP/s.json")" notes.txt "and says which part matched"
id=$(hit '"Files for the meeting"' '.id')
is "$(arca -C "$C" get "$id/보고서.txt")" "보고서 본문입니다." \
   "an attachment with an RFC 2231 Korean name is fetched by that name"
is "$(arca -C "$C" search --json --all-parts forwardedbodyword | jq -r '.hits[0].part')" attachment-4.eml \
   "a forwarded message is a part, searched too"

# The mbox fixture: three records, mboxrd quoting undone.
is "$(arca -C "$C" search --json 'type:message/rfc822 "in the box"' | jq -r '[.hits[].title] | sort | join(",")')" \
   "First in the box,Second in the box,Third in the box" "an mbox gives one record per message"
arca -C "$C" search --json '"First in the box"' >"$TMP/m.json"
arca -C "$C" show --text "$(jq -r '.hits[0].id' <"$TMP/m.json")" >"$TMP/m.txt"
is "$(grep -c -x -e 'From the quoted line.' -e '>From a doubly quoted line.' -e '>Fromage is not quoted.' "$TMP/m.txt")" 3 \
   "mboxrd quoting is undone ('>From ' loses one '>')"
ok "fsck is clean" arca -C "$C" fsck

if have_corpus; then
    K=$TMP/k E=$TMP/e
    arca init "$K" >/dev/null
    arca init "$E" >/dev/null
    arca -C "$K" import --json "$CORPUS/mail/mbox/ham-sample.mbox" >"$TMP/k.json"
    is "$(jq -r '[.files, .records, .failed] | join(" ")' <"$TMP/k.json")" "1 100 0" \
       "the corpus mbox: 100 records from one file"
    # The same messages, imported one by one from their .eml files.
    mkdir -p "$TMP/eml"
    while read -r f; do cp "$CORPUS/mail/$f" "$TMP/eml/"; done <"$CORPUS/mail/mbox/ham-sample.list"
    arca -C "$E" import --json "$TMP/eml" >/dev/null
    list() { arca -C "$1" search --json --limit 200 'type:message/rfc822' |
             jq -r '.hits[] | [.title, .date, .author] | @tsv' | sort; }
    list "$K" >"$TMP/k.tsv"
    list "$E" >"$TMP/e.tsv"
    is "$(wc -l <"$TMP/k.tsv")" 100 "each message is a record of its own"
    ok "subjects, dates and senders equal those of the .eml files" diff "$TMP/k.tsv" "$TMP/e.tsv"
    first=$(head -1 "$CORPUS/mail/mbox/ham-sample.list")
    subj=$(arca -C "$E" search --json --limit 200 'type:message/rfc822' |
           jq -r --arg f "$(basename "$first")" '.hits[] | select(.source | endswith($f)) | .title')
    is "$(arca -C "$K" search --json --limit 200 'type:message/rfc822' |
          jq -r '.hits[] | select(.id | startswith("ham-sample-message-1-")) | .title')" "$subj" \
       "message 1 of the mbox is the first .eml of its list"
fi
done_testing

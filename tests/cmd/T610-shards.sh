#!/bin/bash
# T610-shards: search over several collections as one index, two of them
# remote (arca shard serve: xapian-tcpsrv plus arca's HTTP side).  The
# same files split over A B C D give what ALL, holding them all, gives:
# totals, hits (ids, scores to 1e-6, titles), facets and snippets.  Hits
# of equal score may come in another order: hits are compared sorted by
# score then id, and the sequence of scores (or dates) apart.
. "$(dirname "$0")/lib.sh"
command -v xapian-tcpsrv >/dev/null || skip_all "no xapian-tcpsrv (xapian-tools)"
command -v curl >/dev/null || skip_all "no curl"
plan 32

cd "$TMP" || exit 1
for c in A B C D ALL; do arca init "$c" >/dev/null; done
imp() { arca -C "$1" import --quiet --no-ocr "${@:2}"; }
imp A "$DATA/sotu"
imp B "$DATA/announcement" "$DATA/html"
imp C "$DATA/mail"
imp D "$DATA/office"
imp ALL "$DATA/sotu" "$DATA/announcement" "$DATA/html" "$DATA/mail" "$DATA/office"

# Free ports: two in a row (P for Xapian, P+1 for HTTP) that nothing
# listens on; the command itself refuses a busy one, and is retried.
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
port_used() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_shard() {  # DIR -> sets $port, appends to pids
    local dir=$1 try p
    for try in 1 2 3 4 5 6 7 8; do
        p=$((20000 + (RANDOM % 20000) * 2))
        port_used "$p" || port_used $((p + 1)) && continue
        "$ARCA" -C "$dir" shard serve --port "$p" >/dev/null 2>"$TMP/$dir.log" &
        local pid=$!
        for _ in $(seq 300); do
            grep -q 'serving .* at http' "$TMP/$dir.log" && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q 'serving .* at http' "$TMP/$dir.log"; then
            pids+=("$pid")
            port=$p
            return 0
        fi
        wait "$pid" 2>/dev/null
    done
    return 1
}
start_shard C && PC=$port
start_shard D && PD=$port
ok "shard serve C listens" test -n "${PC:-}"
ok "shard serve D listens" test -n "${PD:-}"
like "$(tr '\n' ' ' <"$TMP/C.log")" "tcp://127\.0\.0\.1:$PC .*http://127\.0\.0\.1:$((PC + 1))/" \
     "it says where both sides listen"

SHARDS=(--shard B --shard "tcp://127.0.0.1:$PC" --shard "tcp://127.0.0.1:$PD")
norm='{total, facets,
       keys: [.hits[] | [.date, ((.score * 1e6) | round)]],
       hits: ([.hits[] | {id, s: ((.score * 1e6) | round), title, date,
                          part, type, snippet,
                          atts: [.attachments[] | del(.url)]}]
              | sort_by(.s, .id))}'
nosnip='del(.hits[].snippet)'
# same DESCRIPTION SNIPPETS(1: compare them too) ARGS...
same() {
    local d=$1 snip=$2; shift 2
    arca -C A search --json --limit 200 "${SHARDS[@]}" "$@" | jq -S "$norm" >"$TMP/s.json"
    arca -C ALL search --json --limit 200 "$@" | jq -S "$norm" >"$TMP/a.json"
    if [ "$snip" = 0 ]; then
        jq -S "$nosnip" "$TMP/s.json" >"$TMP/s2.json"; mv "$TMP/s2.json" "$TMP/s.json"
        jq -S "$nosnip" "$TMP/a.json" >"$TMP/a2.json"; mv "$TMP/a2.json" "$TMP/a.json"
    fi
    if [ "$(jq .total "$TMP/a.json")" -gt 0 ] && cmp -s "$TMP/s.json" "$TMP/a.json"; then
        _result 0 "$d"
    else
        _result 1 "$d"; diff "$TMP/s.json" "$TMP/a.json" | head -10 | sed 's/^/# /'
    fi
}
same "words: as ALL, snippets too" 1 union
same "another word" 1 president
same "a CJK word" 1 경주
same "a field filter" 1 title:gimp
same "a board filter" 1 board:news
same "a phrase" 1 '"state of the union"'
same "--sort date" 1 --sort date the
same "--sort oldest (undated last, without a KeyMaker remotely)" 1 --sort oldest the
same "--facet year --facet type" 1 --facet year --facet type the
same "facets per part (--all-parts)" 1 --all-parts --facet type --facet lang a
same "two words, one rare" 1 'union railroad'
same "a stemmed word in long texts" 1 'governments' 

# Every hit of a remote shard names it, and its snippet is cut from its
# text fetched over HTTP (not the title, which is the fallback).
arca -C A search --json --limit 200 "${SHARDS[@]}" the >"$TMP/r.json"
is "$(jq -r '[.hits[] | select(.shard) | .shard] | unique | join(" ")' "$TMP/r.json")" \
   "$(printf '%s\n' B "tcp://127.0.0.1:$PC" "tcp://127.0.0.1:$PD" | sort | tr '\n' ' ' | sed 's/ $//')" \
   "hits name their shard"
is "$(jq '[.hits[] | select(.shard == null)] | length > 0' "$TMP/r.json")" true \
   "the collection's own hits name none"
is "$(jq "[.hits[] | select(.shard == \"tcp://127.0.0.1:$PC\") | select(.snippet | test(\"<b>\"))] | length > 0" "$TMP/r.json")" \
   true "a remote hit's snippet shows its text, highlighted"

# An attachment of a remote hit, fetched through its url.
arca -C A search --json --limit 200 "${SHARDS[@]}" 'type:message/rfc822' >"$TMP/m.json"
url=$(jq -r '[.hits[].attachments[] | select(.url)][0].url' "$TMP/m.json")
sha=$(jq -r '[.hits[].attachments[] | select(.url)][0].sha256' "$TMP/m.json")
like "$url" "^http://127\.0\.0\.1:$((PC + 1))/api/objects/[0-9a-f]{64}$" "a remote attachment has a url"
curl -sf -o "$TMP/att" "$url"
is "$(sha256sum <"$TMP/att" | cut -d' ' -f1)" "$sha" "its bytes are the original's"
arca -C C get "$sha" >"$TMP/att.orig"
ok "byte for byte what C holds" cmp "$TMP/att" "$TMP/att.orig"

# No local collection: the shards alone.
n=$(arca search --json --shard A --shard B --shard "tcp://127.0.0.1:$PC" --shard "tcp://127.0.0.1:$PD" union | jq .total)
is "$n" "$(arca -C ALL search --json union | jq .total)" "without -C: the shards alone"

# New imports on a served shard show in the next search.
before=$(arca search --json --shard "tcp://127.0.0.1:$PC" zyxwvut | jq .total)
arca -C C add --title "Zyxwvut notice" --text "zyxwvut appears here" >/dev/null
arca -C ALL add --title "Zyxwvut notice" --text "zyxwvut appears here" >/dev/null
after=$(arca search --json --shard "tcp://127.0.0.1:$PC" zyxwvut | jq .total)
is "$before $after" "0 1" "a record imported after the start is found"

# An unreachable shard: a clear error naming it.
out=$(arca -C A search --shard tcp://127.0.0.1:9 union 2>&1); st=$?
is "$st" 1 "an unreachable shard fails the search"
like "$out" "^arca: tcp://127\.0\.0\.1:9: cannot connect: " "and the message names it"
out=$(arca -C A search --shard tcp://nohost union 2>&1)
like "$out" "tcp://nohost: not a shard" "a malformed spec is named"

# A busy port: a clear error, non-zero.
out=$("$ARCA" -C D shard serve --port "$PC" 2>&1); st=$?
like "$st $out" "^1 arca: shard serve: cannot listen on 127\.0\.0\.1 port $PC: " \
     "a busy port: a clear error"

# arca serve --shard answers /api/search as ALL's server does.
serve() {  # DIR LOG ARGS...
    "$ARCA" -C "$1" serve --port 0 "${@:3}" >/dev/null 2>"$TMP/$2" &
    pids+=($!)
    for _ in $(seq 300); do grep -q 'http://' "$TMP/$2" && break; sleep 0.1; done
}
serve A sa.log "${SHARDS[@]}"
serve ALL aa.log
US=$(grep -o '127\.0\.0\.1:[0-9]\+' "$TMP/sa.log" | head -1)
UA=$(grep -o '127\.0\.0\.1:[0-9]\+' "$TMP/aa.log" | head -1)
api='[.total, ([.hits[] | {id, s: ((.score * 1e6) | round), title}] | sort_by(.s, .id)), .facets]'
curl -sf "http://$US/api/search?q=union&size=50" | jq -cS "$api" >"$TMP/sa"
curl -sf "http://$UA/api/search?q=union&size=50" | jq -cS "$api" >"$TMP/aa"
ok "serve --shard: /api/search as ALL's" cmp "$TMP/sa" "$TMP/aa"
is "$(jq '.[0] > 0' "$TMP/sa")" true "and it found something"
# A page cut among equal scores may hold other hits: totals and facets.
api='[.total, .facets]'
curl -sf "http://$US/api/search?q=the&size=5" | jq -cS "$api" >"$TMP/sa"
curl -sf "http://$UA/api/search?q=the&size=5" | jq -cS "$api" >"$TMP/aa"
ok "serve --shard: its facets as ALL's" cmp "$TMP/sa" "$TMP/aa"

# Stopping: SIGTERM ends shard serve, xapian-tcpsrv with it.
kill "${pids[1]}"; wait "${pids[1]}"; st=$?
is "$st" 0 "shard serve stops on SIGTERM"
# xapian-tcpsrv ends once signalled: a loaded machine takes its time.
for _ in $(seq 100); do port_used "$PD" || break; sleep 0.1; done
ok "its xapian-tcpsrv is gone" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$PD) 2>/dev/null"

done_testing

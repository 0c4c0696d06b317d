#!/bin/bash
# arca serve's JSON API, as a client sees it: every endpoint, every error
# status with a JSON message, downloads byte for byte with a safe
# Content-Disposition (Korean names intact), uploads only with the token,
# new imports seen without a restart, hostile paths and parameters
# refused, a runaway report stopped while the server carries on, and a
# clean stop on SIGTERM.
. "$(dirname "$0")/lib.sh"
plan 56

C=$TMP/c
arca init "$C" >/dev/null
arca -C "$C" import --quiet --no-ocr "$DATA/sotu" "$DATA/announcement" "$DATA/mail"
head -c 40 /dev/urandom | base64 >"$TMP/token"
cat >"$C/reports/spin.lua" <<'LUA'
--[[
spin.lua: never ends.
--]]
while true do end
LUA
cat >"$C/reports/broken.lua" <<'LUA'
--[[
broken.lua: fails on its third line.
--]]
local x = nil + 1
LUA

"$ARCA" -C "$C" serve --port 0 --token-file "$TMP/token" --max-upload 1 >/dev/null 2>"$TMP/serve.log" &
pid=$!
# A test that stops early must not leave the server running.
trap 'kill "$pid" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do
    grep -q serving "$TMP/serve.log" && break
    sleep 0.1
done
port=$(grep -o '127\.0\.0\.1:[0-9]\+' "$TMP/serve.log" | head -1 | cut -d: -f2)
U=http://127.0.0.1:$port
like "$(cat "$TMP/serve.log")" "serving .* at http://127\.0\.0\.1:[0-9]+/" "it says where it listens"

# get PATH [CURL ARGS]: the body in $TMP/body, "STATUS TYPE" printed.
get() {
    local p=$1; shift
    curl -s -g -o "$TMP/body" -D "$TMP/headers" -w '%{http_code} %{content_type}' "$@" "$U$p"
}
status() { get "$@" | cut -d' ' -f1; }
header() { grep -i "^$1:" "$TMP/headers" | cut -d' ' -f2- | tr -d '\r'; }
body() { jq -r "$1" <"$TMP/body"; }

# Search.
is "$(get '/api/search?q=union&size=3')" "200 application/json; charset=utf-8" "search answers JSON"
is "$(body '[.total, .page, .size, (.hits | length)] | join(" ")')" \
   "$(arca -C "$C" search --json union | jq -r .total) 1 3 3" "with the CLI's total, the page and its size"
is "$(body '.facets | keys | join(" ")')" "board lang type year" "and the four facets"
is "$(jq -S .hits "$TMP/body")" \
   "$(arca -C "$C" search --json --limit 3 union | jq -S .hits)" "hits equal the command line's"
get '/api/search?q=union&size=3&page=2' >/dev/null
is "$(body '[.offset, .hits[0].rank] | join(" ")')" "3 4" "page two starts at the fourth hit"
get '/api/search?q=union&year=1850&year=1862' >/dev/null
is "$(body '[.total, ([.hits[].date[:4]] | sort | join(","))] | join(" ")')" "2 1850,1862" \
   "two values of a facet mean either"
like "$(body '.facets.year | keys | join(",")')" "1790.*1850.*1862" \
   "and the facet still offers its other values"
get '/api/search?q=%EA%B2%BD%EC%A3%BC&board=News' >/dev/null
is "$(body '.hits[0].board')" "News" "a Korean query with a board filter"
get '/api/search?q=union&from=1850&to=1862-12-31&sort=oldest' >/dev/null
is "$(body '[.hits[].date[:4]] | join(",")')" "1850,1862" "from and to bound the dates; sort oldest"
get '/api/search?q=unoin' >/dev/null
is "$(body .suggestion)" "union" "a misspelling gets a suggestion"
get '/api/search?q=a+b&board=%22x' >/dev/null
like "$(body .error)" "board: a value" "a facet value with a quote is refused"

# Errors: status and a JSON message.
is "$(status '/api/search')" 400 "no q: 400"
like "$(body .error)" "q: a query is needed" "with the reason"
is "$(status '/api/search?q=x&page=0')" 400 "page 0: 400"
is "$(status '/api/search?q=x&size=1000')" 400 "size 1000: 400"
is "$(status '/api/search?q=x&sort=up')" 400 "an unknown sort: 400"
is "$(status '/api/search?q=x&from=1999-1')" 400 "a malformed date: 400"
is "$(status '/api/search?q=year:19x..2000')" 400 "a query that does not parse: 400"
like "$(body .error)" "year:19x\.\.2000: expected years such as" "with the parser's reason"
is "$(status "/api/search?q=$(head -c 9000 /dev/zero | tr '\0' a)")" 414 "a query over 8 KiB: 414"
is "$(status '/api/records/no-such-record')" 404 "an unknown record: 404"
is "$(status '/api/objects/0000000000000000000000000000000000000000000000000000000000000000')" 404 \
   "an unknown object: 404"
is "$(status '/api/objects/../../etc/passwd')" 404 "a path in place of a hash: 404"
is "$(status '/api/reports/..%2F..%2Fetc%2Fpasswd')" 404 "a path in place of a report name: 404"
is "$(status '/../../../etc/passwd' --path-as-is)" 404 "dot-dot in the URL: 404"
is "$(status '/api/nothing')" 404 "an unknown API path: 404"
is "$(status '/api/stats' -X DELETE)" 405 "an unknown method: 405"
like "$(body .error)" "DELETE is not served" "with the reason"

# Records and originals.
id=$(arca -C "$C" search --json --limit 50 'the' |
     jq -r 'first(.hits[] | select(any(.attachments[]; .name == "보고서.txt"))) | .id')
is "$(status "/api/records/$id")" 200 "a record"
is "$(jq -S . "$TMP/body")" "$(arca -C "$C" show --json "$id" | jq -S .)" "equals arca show --json"
part=$(jq -r '.parts[] | select(.name == "보고서.txt") | .part' "$TMP/body")
get "/api/records/$id/attachments/$part" >/dev/null
arca -C "$C" get "$id/보고서.txt" >"$TMP/want"
ok "an attachment's bytes are the original's" cmp "$TMP/body" "$TMP/want"
like "$(header Content-Disposition)" \
     "^attachment; filename=\"_+\\.txt\"; filename\\*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C\\.txt$" \
     "Content-Disposition names it in UTF-8 (RFC 6266), with an ASCII fallback"
is "$(header Content-Type)" "text/plain" "with its type"
is "$(status "/api/records/$id/attachments/99")" 404 "a part that is not there: 404"
sha=$(jq -r '.parts[0].sha256' < <(arca -C "$C" show --json "$id"))
get "/api/objects/$sha" >/dev/null
arca -C "$C" get "$sha" >"$TMP/want"
ok "an object by its hash" cmp "$TMP/body" "$TMP/want"
like "$(header Content-Security-Policy)" "sandbox" "an original is sandboxed, never run as a page"

# Reports.
get '/api/reports' >/dev/null
is "$(body '[.reports[].name] | join(" ")')" "broken cooccurrence per-year spin timeline top-authors" \
   "the collection's reports are listed"
get '/api/reports/per-year?q=union&format=csv' >/dev/null
is "$(tr -d '\r' <"$TMP/body" | head -2 | tr '\n' ' ')" "year,count 1790,1 " "a report runs, as CSV"
is "$(status '/api/reports/per-year?q=union&format=svg')" 200 "as SVG"
ok "which is well-formed XML" xmllint --noout "$TMP/body"
is "$(status '/api/reports/per-year?format=exe')" 400 "an unknown format: 400"
is "$(status '/api/reports/broken')" 500 "a failing report: 500"
like "$(body .error)" "broken\.lua:4:" "with the script's file and line"
start=$(date +%s)
is "$(status '/api/reports/spin')" 500 "an endless report is stopped"
like "$(body .error)" "spin\.lua:4: script: (time|instruction) limit" "by a limit of the sandbox"
is "$(status '/healthz')" 200 "and the server carries on"

# Uploads: the token, the size limit, and new records seen at once.
is "$(status '/api/records' -F title=Upload -F 'body=uploaded words')" 401 "an upload without the token: 401"
is "$(status '/api/records' -H 'Authorization: Bearer wrong-token-wrong-token' -F title=x)" 401 \
   "with a wrong token: 401"
printf '대한민국 경주에서 온 첨부\n' >"$TMP/경주 보고.txt"
st=$(status '/api/records' -H "Authorization: Bearer $(cat "$TMP/token")" \
     -F 'title=올린 기록' -F 'board=Uploads' -F 'date=2024-05-06' \
     -F 'body=uploadedword in the body' -F "file=@$TMP/경주 보고.txt")
is "$st" 201 "an upload with the token: 201"
new=$(body .id)
get '/api/search?q=uploadedword' >/dev/null
is "$(body '[.total, .hits[0].id, .hits[0].attachments[0].name] | join(" ")')" "1 $new 경주 보고.txt" \
   "the server finds the new record without a restart"
flock "$C/lock" sleep 3 &
locker=$!
sleep 0.5
is "$(status '/api/records' -H "Authorization: Bearer $(cat "$TMP/token")" -F title=busy -F body=x)" 503 \
   "an upload while another writer works: 503"
like "$(body .error)" "busy" "saying the collection is busy"
wait "$locker"
is "$(grep -ci '^access-control' "$TMP/headers")" 0 "no CORS headers"
head -c 1100000 /dev/urandom >"$TMP/big.bin"
is "$(status '/api/records' -H "Authorization: Bearer $(cat "$TMP/token")" -F title=big -F "file=@$TMP/big.bin")" 413 \
   "an upload over --max-upload: 413"

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM stops it cleanly"
